"""How a team looks: /team (the person's teams, its members and roles) and its buttons."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.storage.records import Membership, User, Workspace
from bot.views.common import Id, esc, grid
from bot.views.limits import MAX_CHOICES, NAME, fit, shorten


class TeamCb(CallbackData, prefix="tm"):
    """A team button: switch to a team, change a member's role, remove (and confirm)."""

    action: str
    ws: Id
    user: Id = 0


def role_name(role: str) -> str:
    """A role in the reader's language."""
    return {
        "owner": _("owner"),
        "admin": _("admin"),
        "manager": _("manager"),
        "member": _("manager"),
    }.get(role, role)


def team_text(
    current: Workspace,
    teams: list[tuple[Workspace, str]],
    names: dict[int, str],
    members: list[Membership],
    people: dict[int, User],
) -> str:
    """Your teams (the current one marked) and the members of the current one."""
    head = [_("👥 <b>Your teams</b>")]
    lines: list[str] = []
    for workspace, role in teams:
        mark = "▶️ " if workspace.id == current.id else "• "
        lines.append(
            mark
            + _("{team} — you are {role}").format(
                team=esc(shorten(names[workspace.id], NAME)), role=role_name(role)
            )
        )
    lines += [
        "",
        _("New leads go to “{team}”. Its members:").format(
            team=esc(shorten(names[current.id], NAME))
        ),
    ]
    for member in members:
        person = people.get(member.user_id)
        who = person.display_name if person else str(member.user_id)
        lines.append(
            "• "
            + _("{who} — {role}").format(who=esc(shorten(who, NAME)), role=role_name(member.role))
        )
    tail = [
        "",
        _(
            "Name the team: <code>/team name Digital Agency</code>; switch: "
            "<code>/team switch Digital Agency</code>. Invite a colleague: /invite."
        ),
    ]
    text, _shown = fit(head, lines, lambda n: _("…and {n} more.").format(n=n), tail=tail)
    return text


def team_keyboard(
    current: Workspace,
    teams: list[tuple[Workspace, str]],
    names: dict[int, str],
    members: list[Membership],
    people: dict[int, User],
    my_id: int,
    my_role: str,
) -> InlineKeyboardMarkup | None:
    """Switch to another team; for the owner and admins, roles and removal of members."""
    buttons = [
        InlineKeyboardButton(
            text=_("Switch to “{team}”").format(team=shorten(names[w.id], NAME)),
            callback_data=TeamCb(action="switch", ws=w.id).pack(),
        )
        for w, _role in teams
        if w.id != current.id
    ][:MAX_CHOICES]
    for member in members[: MAX_CHOICES * 2]:
        if member.user_id in (my_id, current.owner_id):
            continue
        person = people.get(member.user_id)
        who = shorten(
            person.first_name if person and person.first_name else str(member.user_id), 24
        )
        if my_id == current.owner_id:
            promote = member.role != "admin"
            buttons.append(
                InlineKeyboardButton(
                    text=(_("{who}: make admin") if promote else _("{who}: make manager")).format(
                        who=who
                    ),
                    callback_data=TeamCb(
                        action="admin" if promote else "manager", ws=current.id, user=member.user_id
                    ).pack(),
                )
            )
        if my_role in ("owner", "admin") and (member.role != "admin" or my_id == current.owner_id):
            buttons.append(
                InlineKeyboardButton(
                    text=_("{who}: remove").format(who=who),
                    callback_data=TeamCb(
                        action="remove", ws=current.id, user=member.user_id
                    ).pack(),
                )
            )
    return grid(buttons[:90], 1) if buttons else None


def confirm_remove_keyboard(workspace_id: int, user_id: int) -> InlineKeyboardMarkup:
    """Removing someone takes a second tap."""
    return grid(
        [
            InlineKeyboardButton(
                text=_("Yes, remove"),
                callback_data=TeamCb(action="removeok", ws=workspace_id, user=user_id).pack(),
            ),
            InlineKeyboardButton(
                text=_("Cancel"),
                callback_data=TeamCb(action="show", ws=workspace_id).pack(),
            ),
        ],
        2,
    )
