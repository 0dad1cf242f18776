"""The team: /team (teams, members, roles, renaming), /invite, /sla and /silent."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.clock import Clock
from bot.handlers.common import (
    answer,
    managed_workspace,
    pressed_team,
    team_name,
    team_names,
    workspace_of,
)
from bot.parsing.durations import parse_count, parse_duration
from bot.services.accounts import (
    CAN_MANAGE,
    TeamError,
    invite_link,
    remove_member,
    set_role,
    switch_team,
)
from bot.services.leads import workspace_sla
from bot.settings import Settings
from bot.storage.records import User, Workspace
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.common import duration, esc
from bot.views.team import TeamCb, confirm_remove_keyboard, team_keyboard, team_text

router = Router(name=__name__)

MAX_SILENT_DAYS = 365
MAX_SLA = timedelta(hours=24)


async def team_view(
    repos: Repos, user: User, workspace: Workspace, role: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/team for this person, as text and buttons."""
    teams = await repos.workspaces.of_user(user.id)
    names = await team_names(repos, [w for w, _role in teams])
    members = await repos.workspaces.members(workspace.id)
    people = await repos.users.many([m.user_id for m in members])
    text = team_text(workspace, teams, names, members, people)
    markup = team_keyboard(workspace, teams, names, members, people, user.id, role)
    return text, markup


def team_error(exc: TeamError) -> str:
    """One clear message per refused team change."""
    return {
        "owner_only": _("Only the team's owner can do that."),
        "not_member": _("That person is not in the team any more."),
        "not_allowed": _("That change is not allowed: the owner always stays in the team."),
    }.get(exc.code, _("That change is not allowed."))


@router.message(Command("team", ignore_case=True))
async def cmd_team(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    clock: Clock,
) -> None:
    """Your teams and the current one's members; `/team name …` renames it (owner, admins),
    `/team switch …` makes another team the current one."""
    asking = await workspace_of(repos, user, replies, message.chat.id)
    if asking is None:
        return
    user, workspace, role = asking
    args = (command.args or "").strip()
    head, _sep, rest = args.partition(" ")
    if head.lower() in ("name", "rename", "название", "имя"):
        if role not in CAN_MANAGE:
            await replies.send(message.chat.id, team_error(TeamError("owner_only")))
            return
        name = " ".join(rest.split())[:100]
        if not name:
            await replies.send(
                message.chat.id, _("Which name? Example: <code>/team name Digital Agency</code>")
            )
            return
        await repos.workspaces.rename(workspace.id, name)
        workspace = await repos.workspaces.get(workspace.id) or workspace
        await replies.send(
            message.chat.id, _("✅ The team is now called “{team}”.").format(team=esc(name))
        )
    elif head.lower() in ("switch", "перейти", "сменить"):
        teams = await repos.workspaces.of_user(user.id)
        names = await team_names(repos, [w for w, _r in teams])
        wanted = " ".join(rest.split()).casefold()
        found = [(w, r) for w, r in teams if wanted and wanted in names[w.id].casefold()]
        if len(found) != 1:
            await replies.send(
                message.chat.id,
                _("Which team? Type a part of its name: <code>/team switch Agency</code>."),
            )
            return
        workspace, role = found[0]
        await switch_team(repos, user, workspace.id, clock.now())
        user = await repos.users.get(user.id) or user
    elif args:
        await replies.send(
            message.chat.id,
            _("/team shows your teams; <code>/team name Digital Agency</code> renames this one."),
        )
        return
    text, markup = await team_view(repos, user, workspace, role)
    await replies.send(message.chat.id, text, reply_markup=markup)


@router.callback_query(TeamCb.filter(), F.message)
async def on_team_button(
    query: CallbackQuery,
    callback_data: TeamCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    clock: Clock,
) -> None:
    """Switch team, change a role, remove a member (after a confirmation): checked each press."""
    pressed = await pressed_team(query, callback_data.ws, user, repos)
    if pressed is None:
        return
    workspace, role, msg, user = pressed
    now, action = clock.now(), callback_data.action
    try:
        if action == "switch":
            workspace = await switch_team(repos, user, workspace.id, now)
            await answer(
                query, _("Now working in “{team}”.").format(team=await team_name(repos, workspace))
            )
        elif action in ("admin", "manager"):
            await set_role(repos, workspace, user.id, callback_data.user, action)
            await answer(query, _("Done."))
        elif action == "remove":
            if role not in CAN_MANAGE:
                raise TeamError("owner_only")
            await replies.edit_markup(
                msg.chat.id,
                msg.message_id,
                confirm_remove_keyboard(workspace.id, callback_data.user),
            )
            await answer(query, _("Remove this person from the team? Their clients become yours."))
            return
        elif action == "removeok":
            await remove_member(repos, workspace, user.id, role, callback_data.user, now)
            gone = await repos.users.get(callback_data.user)
            if gone is not None:
                await replies.send(
                    gone.id,
                    _("You are no longer in the team “{team}”.").format(
                        team=esc(await team_name(repos, workspace))
                    ),
                )
            await answer(query, _("Removed."))
        else:
            await answer(query)
    except TeamError as exc:
        await answer(query, team_error(exc), show_alert=True)
        return
    user = await repos.users.get(user.id) or user
    found = await repos.workspaces.of_user(user.id)
    current = next((w for w, _r in found if w.id == user.current_workspace_id), workspace)
    my_role = next((r for w, r in found if w.id == current.id), role)
    text, markup = await team_view(repos, user, current, my_role)
    await replies.edit(msg.chat.id, msg.message_id, text, reply_markup=markup)


@router.message(Command("invite", ignore_case=True))
async def cmd_invite(
    message: Message, user: User | None, repos: Repos, replies: Replies, bot_username: str
) -> None:
    """The join link, for the owner and admins."""
    workspace = await managed_workspace(repos, user, replies, message.chat.id)
    if workspace is None:
        return
    await replies.send(
        message.chat.id,
        _(
            "Send this link to a colleague. Opening it adds them to the team “{team}” as a "
            "manager:\n{link}"
        ).format(
            team=esc(await team_name(repos, workspace)),
            link=invite_link(bot_username, workspace),
        ),
    )


@router.message(Command("sla", ignore_case=True))
async def cmd_sla(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
) -> None:
    """Show how long a lead may wait; the owner and admins set it: `/sla 10`, `/sla default`."""
    arg = (command.args or "").strip().lower()
    if arg:
        workspace = await managed_workspace(repos, user, replies, message.chat.id)
    else:
        asking = await workspace_of(repos, user, replies, message.chat.id)
        workspace = asking[1] if asking else None
    if workspace is None:
        return
    head, _sep, rest = arg.partition(" ")
    if head in REPLY_WORDS:
        await _reply_sla(message.chat.id, workspace, rest.strip(), repos, replies)
        return
    if arg in ("default", "сброс", "по умолчанию"):
        await repos.workspaces.set_lead_sla(workspace.id, None)
        sla = settings.lead_response_sla
    elif arg:
        given = parse_duration(arg, maximum=MAX_SLA)
        if given is None or given < timedelta(minutes=1):
            await replies.send(
                message.chat.id,
                _(
                    "Give how long a lead may wait, from 1 minute to 24 hours: "
                    "<code>/sla 10</code>, <code>/sla 10 минут</code>, <code>/sla 1.5 h</code>; "
                    "<code>/sla default</code> goes back to {default}."
                ).format(default=duration(settings.lead_response_sla)),
            )
            return
        await repos.workspaces.set_lead_sla(workspace.id, int(given.total_seconds()))
        sla = given
    else:
        sla = workspace_sla(workspace, settings.lead_response_sla)
    await replies.send(
        message.chat.id,
        _(
            "A new lead of “{team}” may wait {sla} for an answer; then I ping its owner, "
            "and after twice that the team's owner. New leads use this; /sla 10 changes it."
        ).format(team=esc(await team_name(repos, workspace)), sla=duration(sla))
        + "\n"
        + reply_sla_text(timedelta(minutes=workspace.reply_sla_minutes)),
    )


REPLY_WORDS = ("reply", "ответ")


async def _reply_sla(
    chat_id: int, workspace: Workspace, arg: str, repos: Repos, replies: Replies
) -> None:
    """`/sla reply 3h`: how long a known client's message may wait, in working time."""
    given = parse_duration(arg, maximum=MAX_SLA) if arg else None
    if given is None or given < timedelta(minutes=1):
        await replies.send(
            chat_id,
            _(
                "Give how long a client's message may wait for an answer, in working time, "
                "from 1 minute to 24 hours: <code>/sla reply 2h</code>, "
                "<code>/sla ответ 30 минут</code>."
            ),
        )
        return
    await repos.workspaces.set_reply_sla(workspace.id, int(given.total_seconds() // 60))
    await replies.send(chat_id, reply_sla_text(given))


def reply_sla_text(sla: timedelta) -> str:
    """What the reply SLA means."""
    return _(
        "A client's message in a watched chat may wait {sla} of working time (a lead's: the "
        "lead time, around the clock); then I ping their manager. <code>/sla reply 2h</code> "
        "changes it."
    ).format(sla=duration(sla))


@router.message(Command("silent", ignore_case=True))
async def cmd_silent(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
) -> None:
    """Show after how many days without a touch a client is "silent"; `/silent 14` sets it."""
    arg = (command.args or "").strip()
    if arg:
        workspace = await managed_workspace(repos, user, replies, message.chat.id)
    else:
        asking = await workspace_of(repos, user, replies, message.chat.id)
        workspace = asking[1] if asking else None
    if workspace is None:
        return
    days = workspace.silent_days
    if arg:
        given = parse_count(arg, maximum=MAX_SILENT_DAYS)
        if given is None:
            await replies.send(
                message.chat.id,
                _("Give the days without a touch, from 1 to 365: <code>/silent 14</code>"),
            )
            return
        days = given
        await repos.workspaces.set_silent_days(workspace.id, days)
    await replies.send(
        message.chat.id,
        ngettext(
            "In “{team}”, a client with no touch for {n} day is silent: the morning digest "
            "lists them. /silent 14 changes it.",
            "In “{team}”, a client with no touch for {n} days is silent: the morning digest "
            "lists them. /silent 14 changes it.",
            days,
        ).format(team=esc(await team_name(repos, workspace)), n=days),
    )
