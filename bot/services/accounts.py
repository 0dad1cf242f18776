"""Users and workspaces as the product sees them: registration, invites, roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.records import User, Workspace
from bot.storage.repositories import Repos

INVITE_PREFIX = "join_"
# Team settings (SLA, silent days, the intake secret, invites, roles, removing people) are
# the owner's and the admins' they appoint; managers work with clients.
CAN_MANAGE = ("owner", "admin")


class TeamError(ValueError):
    """A team change that is not allowed; `code` picks the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class JoinResult:
    """What happened to an invite: joined, already there, or a bad code."""

    workspace: Workspace | None
    joined: bool


async def register(
    repos: Repos,
    user_id: int,
    *,
    first_name: str,
    username: str | None,
    tg_language: str | None,
    now: datetime,
) -> tuple[User, bool]:
    """Remember the user and make sure they have a workspace to work in; (user, is_new)."""
    user, created = await repos.users.seen(
        user_id, first_name=first_name, username=username, tg_language=tg_language, now=now
    )
    if user.current_workspace_id is None:
        # Unnamed until someone names it: a first name is not a team's name.
        workspace = await repos.workspaces.create("", user_id, now)
        user = await repos.users.update(user_id, now, current_workspace_id=workspace.id)
    return user, created


async def join(repos: Repos, user: User, code: str, now: datetime) -> JoinResult:
    """Join the workspace behind an invite code and switch the user to it."""
    workspace = await repos.workspaces.by_invite(code)
    if workspace is None:
        return JoinResult(None, False)
    _, added = await repos.workspaces.add_member(workspace.id, user.id, "manager", now)
    if user.current_workspace_id != workspace.id:
        await repos.users.update(user.id, now, current_workspace_id=workspace.id)
    return JoinResult(workspace, added)


async def current_workspace(repos: Repos, user: User) -> tuple[Workspace, str] | None:
    """The workspace the user works in now and their role there; if they were removed from
    it, the first team they still belong to (their own, usually)."""
    # One read of all their teams (kept for the unit of work: the command asks again later).
    teams = await repos.workspaces.of_user(user.id)
    for workspace, role in teams:
        if workspace.id == user.current_workspace_id:
            return workspace, role
    return teams[0] if teams else None


async def switch_team(repos: Repos, user: User, workspace_id: int, now: datetime) -> Workspace:
    """Make one of the user's teams the current one (new leads go there)."""
    if await repos.workspaces.membership(workspace_id, user.id) is None:
        raise TeamError("not_member")
    workspace = await repos.workspaces.get(workspace_id)
    assert workspace is not None
    await repos.users.update(user.id, now, current_workspace_id=workspace_id)
    return workspace


async def set_role(
    repos: Repos, workspace: Workspace, actor_id: int, member_id: int, role: str
) -> None:
    """The owner makes a member an admin or a manager again."""
    if actor_id != workspace.owner_id:
        raise TeamError("owner_only")
    if member_id == workspace.owner_id or role not in ("admin", "manager"):
        raise TeamError("not_allowed")
    if await repos.workspaces.membership(workspace.id, member_id) is None:
        raise TeamError("not_member")
    await repos.workspaces.set_role(workspace.id, member_id, role)


async def remove_member(
    repos: Repos,
    workspace: Workspace,
    actor_id: int,
    actor_role: str,
    member_id: int,
    now: datetime,
) -> None:
    """Take someone out of the team at once; their clients, leads and follow-ups there go to
    the person who removed them, so nothing is dropped."""
    member = await repos.workspaces.membership(workspace.id, member_id)
    if member is None:
        raise TeamError("not_member")
    if actor_role not in CAN_MANAGE or member_id == workspace.owner_id or member_id == actor_id:
        raise TeamError("not_allowed")
    if member.role == "admin" and actor_id != workspace.owner_id:
        raise TeamError("owner_only")
    await repos.workspaces.remove_member(workspace.id, member_id)
    # The old link would let them straight back in.
    await repos.workspaces.rotate_invite(workspace.id)
    await repos.clients.hand_over(workspace.id, member_id, actor_id)
    await repos.followups.hand_over(workspace.id, member_id, actor_id)
    await repos.reminders.hand_over(workspace.id, member_id, actor_id)
    await repos.tasks.hand_over(workspace.id, member_id, actor_id)
    await repos.invoices.hand_over(workspace.id, member_id, actor_id)
    # Reminders already fired but held for their quiet hours must not reach them either, and
    # an answer they were typing must not act on this team's data.
    await repos.outbox.cancel_for_member(member_id, workspace.id)
    await repos.drafts.drop_open(member_id, now)
    await repos.users.update(member_id, now, awaiting=None)


def invite_link(bot_username: str, workspace: Workspace) -> str:
    """The t.me deep link that adds a person to the workspace."""
    return f"https://t.me/{bot_username}?start={INVITE_PREFIX}{workspace.invite_code}"
