"""How the agenda looks: /today, /week and the morning digest, with a button per item."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.services.agenda import Agenda, TeamDay
from bot.services.tasks import is_overdue
from bot.views.chats import where
from bot.views.common import duration, esc, grid, local_time
from bot.views.followups import FuCb, fu_line
from bot.views.invoices import invoice_line, short_label
from bot.views.leads import LeadCb
from bot.views.limits import MAX_BUTTONS, NAME, fit, shorten
from bot.views.tasks import TaskCb, deadline_text, task_title


def agenda_text(agenda: Agenda, title: str, zone: str, lang: str) -> str:
    """The agenda as sections: overdue, due, leads waiting, silent clients; within Telegram's
    limit, the items that do not fit counted at the end."""
    lines: list[str] = []
    if agenda.overdue:
        lines += ["", _("<b>Overdue</b>")]
        lines += [
            "❗ " + fu_line(fu, agenda.clients.get(fu.client_id), zone, lang, agenda.now)
            for fu in agenda.overdue
        ]
    if agenda.upcoming:
        lines += ["", _("<b>Follow-ups</b>")]
        lines += [
            "🔔 " + fu_line(fu, agenda.clients.get(fu.client_id), zone, lang, agenda.now)
            for fu in agenda.upcoming
        ]
    if agenda.more:
        lines.append(_("…and {n} more: /followups").format(n=agenda.more))
    if agenda.tasks:
        lines += ["", _("<b>Tasks</b>")]
        lines += [
            ("❗ " if is_overdue(task, agenda.now) else "📌 ")
            + task_title(task, agenda.clients.get(task.client_id) if task.client_id else None)
            + " · "
            + deadline_text(task, zone, lang, agenda.now)
            for task in agenda.tasks
        ]
    if agenda.invoices:
        lines += ["", _("<b>Invoices due</b>")]
        lines += [
            invoice_line(
                invoice,
                agenda.clients[invoice.client_id].name
                if invoice.client_id in agenda.clients
                else None,
                zone,
                lang,
                agenda.now,
            )
            for invoice in agenda.invoices
        ]
    if agenda.owed:
        lines += ["", _("<b>Waiting for your reply</b>")]
        for conv in agenda.owed:
            client = agenda.clients.get(conv.client_id)
            assert conv.waiting_since is not None
            lines.append(
                _("💬 “{name}” — {waited} in {where}").format(
                    name=esc(shorten(client.name if client else "—", NAME)),
                    waited=duration(agenda.now - conv.waiting_since),
                    where=where(conv),
                )
            )
    if agenda.leads:
        lines += ["", _("<b>Leads waiting for an answer</b>")]
        for lead in agenda.leads:
            waited = agenda.now - (lead.received_at or lead.created_at)
            lines.append(
                _("⏰ “{name}” — waiting {waited}").format(
                    name=esc(shorten(lead.name, NAME)), waited=duration(waited)
                )
            )
    if agenda.silent:
        lines += ["", _("<b>Silent clients</b> (no touch for too long)")]
        for silent in agenda.silent:
            lines.append(
                _("🤐 “{name}” — last touch {ago} ago").format(
                    name=esc(shorten(silent.name, NAME)),
                    ago=duration(agenda.now - silent.last_touch),
                )
            )
        if agenda.silent_total > len(agenda.silent):
            lines.append(
                _("…and {n} more silent clients.").format(
                    n=agenda.silent_total - len(agenda.silent)
                )
            )
    text, _shown = fit(
        [title],
        lines,
        lambda n: _("…and more: /followups"),
    )
    return text


def agenda_keyboard(agenda: Agenda, zone: str) -> InlineKeyboardMarkup | None:
    """A button per item, labelled with its time and client: open the follow-up or the card."""
    buttons = []
    for fu in agenda.overdue + agenda.upcoming:
        client = agenda.clients.get(fu.client_id)
        icon = "❗" if fu.due_at <= agenda.now else "🔔"
        label = f"{icon} {local_time(fu.due_at, zone, agenda.now)} {client.name if client else '—'}"
        buttons.append(
            InlineKeyboardButton(
                text=label[:60], callback_data=FuCb(action="open", id=fu.id).pack()
            )
        )
    for task in agenda.tasks:
        icon = "❗" if is_overdue(task, agenda.now) else "📌"
        when = local_time(task.due_at, zone, agenda.now) if task.due_at else ""
        buttons.append(
            InlineKeyboardButton(
                text=f"{icon} {when} {task.what}"[:60],
                callback_data=TaskCb(action="open", id=task.id).pack(),
            )
        )
    for invoice in agenda.invoices:
        client = agenda.clients.get(invoice.client_id)
        buttons.append(
            InlineKeyboardButton(
                text=f"🧾 {short_label(invoice, zone)} {client.name if client else '—'}"[:60],
                callback_data=LeadCb(action="open", client_id=invoice.client_id).pack(),
            )
        )
    for conv in agenda.owed:
        client = agenda.clients.get(conv.client_id)
        buttons.append(
            InlineKeyboardButton(
                text=f"💬 {client.name if client else '—'}"[:60],
                callback_data=LeadCb(action="open", client_id=conv.client_id).pack(),
            )
        )
    for lead in agenda.leads:
        buttons.append(
            InlineKeyboardButton(
                text=f"⏰ {lead.name}"[:60],
                callback_data=LeadCb(action="open", client_id=lead.id).pack(),
            )
        )
    for silent in agenda.silent:
        buttons.append(
            InlineKeyboardButton(
                text=f"🤐 {silent.name}"[:60],
                callback_data=LeadCb(action="open", client_id=silent.client_id).pack(),
            )
        )
    return grid(buttons[:MAX_BUTTONS], 2) if buttons else None


def team_day_text(day: TeamDay, zone: str, lang: str) -> str:
    """The team chat's morning post: today's and overdue tasks with who does them, and the
    leads still waiting; names and what is due only, never contacts or notes."""
    lines: list[str] = []
    if day.tasks:
        lines += ["", _("<b>Tasks due today and overdue</b>")]
        for n, task in enumerate(day.tasks, 1):
            client = day.clients.get(task.client_id) if task.client_id else None
            who = day.people.get(task.assignee_id)
            lines.append(
                "{n}. {mark}{task} · {due} · {who}".format(
                    n=n,
                    mark="❗ " if is_overdue(task, day.now) else "",
                    task=task_title(task, client),
                    due=deadline_text(task, zone, lang, day.now),
                    who=esc(shorten(who.display_name, NAME)) if who else "—",
                )
            )
    if day.leads:
        lines += ["", _("<b>Leads waiting for an answer</b>")]
        for lead in day.leads:
            lines.append(
                _("⏰ “{name}” — waiting {waited}").format(
                    name=esc(shorten(lead.name, NAME)),
                    waited=duration(day.now - (lead.received_at or lead.created_at)),
                )
            )
    text, _shown = fit([_("☀️ The team's day:")], lines, lambda n: _("…and {n} more.").format(n=n))
    return text


def team_day_keyboard(day: TeamDay) -> InlineKeyboardMarkup | None:
    """Close a task (its author, assignee or an admin), take a waiting lead."""
    buttons = [
        InlineKeyboardButton(text=f"✅ {n}", callback_data=TaskCb(action="done", id=task.id).pack())
        for n, task in enumerate(day.tasks, 1)
    ]
    buttons += [
        InlineKeyboardButton(
            text=_("✋ {name}").format(name=shorten(lead.name, 40)),
            callback_data=LeadCb(action="take", client_id=lead.id).pack(),
        )
        for lead in day.leads
    ]
    return grid(buttons[:MAX_BUTTONS], 4) if buttons else None
