"""Users and workspaces as the product sees them: registration, invites, roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.records import User, Workspace
from bot.storage.repositories import Repos

INVITE_PREFIX = "join_"
CAN_INVITE = ("owner", "manager")


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
        workspace = await repos.workspaces.create(first_name or str(user_id), user_id, now)
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
    """The workspace the user works in now and their role there."""
    if user.current_workspace_id is None:
        return None
    membership = await repos.workspaces.membership(user.current_workspace_id, user.id)
    workspace = await repos.workspaces.get(user.current_workspace_id)
    if membership is None or workspace is None:
        return None
    return workspace, membership.role


def invite_link(bot_username: str, workspace: Workspace) -> str:
    """The t.me deep link that adds a person to the workspace."""
    return f"https://t.me/{bot_username}?start={INVITE_PREFIX}{workspace.invite_code}"
