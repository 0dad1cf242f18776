"""/help and the command menu: every command with one example, in the user's language."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import BotCommand
from aiogram.utils.i18n import gettext as _

from bot.views.common import duration


def commands() -> list[BotCommand]:
    """The command menu in the current locale."""
    return [
        BotCommand(command="lead", description=_("New lead: /lead Ivan, +7 999 123-45-67")),
        BotCommand(command="clients", description=_("Clients and search")),
        BotCommand(command="client", description=_("Client card: /client Ivan")),
        BotCommand(command="call", description=_("Log a call: /call Ivan")),
        BotCommand(command="fu", description=_("Follow-up: /fu Ivan tomorrow 11:00")),
        BotCommand(command="note", description=_("A note on a client: /note Ivan …")),
        BotCommand(command="in", description=_("The client wrote: /in Ivan …")),
        BotCommand(command="task", description=_("A task: /task Ivan report @olga Fri 18:00")),
        BotCommand(command="tasks", description=_("My tasks and the ones I gave")),
        BotCommand(command="invoice", description=_("An invoice: /invoice Ivan 120k by 5.12")),
        BotCommand(command="paid", description=_("A payment: /paid #45 or /paid Ivan 50k")),
        BotCommand(command="debts", description=_("Who owes what, by age")),
        BotCommand(command="today", description=_("Today: due, overdue, waiting leads")),
        BotCommand(command="week", description=_("The week ahead")),
        BotCommand(command="followups", description=_("All follow-ups")),
        BotCommand(command="intake", description=_("Website form intake URL")),
        BotCommand(command="sla", description=_("Lead response time")),
        BotCommand(command="silent", description=_("When a client counts as silent")),
        BotCommand(command="settings", description=_("Time zone, hours, language")),
        BotCommand(command="team", description=_("Your teams, members and roles")),
        BotCommand(command="invite", description=_("Invite a colleague")),
        BotCommand(command="cancel", description=_("Drop the open question")),
        BotCommand(command="help", description=_("What I can do")),
    ]


def help_text(sla: timedelta) -> str:
    """The command list with examples; `sla` is the team's lead response time."""
    return "\n".join(
        [
            _("<b>What I can do</b>"),
            "",
            _("/lead — a new lead; if nobody answers it within {sla}, I ping you:").format(
                sla=duration(sla)
            ),
            "<code>"
            + _("/lead Ivan Petrov, +7 999 123-45-67, request from the website")
            + "</code>",
            _("Forward me a client's message and I offer to make it a lead."),
            _("/clients — all clients, or a search: <code>/clients ivan</code>"),
            _(
                "/client — a client's card: <code>/client Ivan</code>; an edit: "
                "<code>/client Ivan tz Asia/Almaty</code>"
            ),
            _(
                "/call — log a call: <code>/call Ivan 20m agreed on the budget, next: Fri "
                "11:00 send the proposal</code>"
            ),
            _(
                "/note, /meet, /mail — a note, a meeting, an e-mail: "
                "<code>/meet Ivan showed the prototype</code>"
            ),
            _("/in — the client wrote or called us: <code>/in Ivan asked for the invoice</code>"),
            _("/fu — a follow-up: <code>/fu Ivan tomorrow 11:00 send the proposal</code>"),
            _("<code>/fu Ivan chase</code> — remind until the client answers"),
            _("<code>/fu Ivan every Mon 10:00 report</code> — a recurring follow-up"),
            _(
                "/task — a promise with a deadline: <code>/task Ivan ad report @olga by Fri "
                "18:00 !</code> (<code>!</code> — urgent)"
            ),
            _("/tasks — my tasks and the ones I gave: done, move, reassign"),
            _("/invoice — an invoice: <code>/invoice Ivan 120 000 ₽ by 5.12 #45</code>"),
            _("/paid — a payment: <code>/paid #45</code> or <code>/paid Ivan 50k</code>"),
            _("/debts — unpaid invoices by client and age"),
            _("/currency — the team's invoice currency: <code>/currency USD</code>"),
            _("/today, /week — what is due and overdue; /followups — all follow-ups"),
            _("/intake — the URL your website posts leads to"),
            _("/sla — how long a lead may wait: <code>/sla 10</code>"),
            _("/silent — days without a touch before a client is silent: <code>/silent 14</code>"),
            _("/settings — time zone, working hours, quiet hours, language"),
            _("/team — your teams, their members and roles; switch the current team"),
            _("/invite — a link that adds a colleague to your team"),
            _("/cancel — drop the question I asked (or type “отмена”)"),
            _(
                "/link — in a group, by its admin: <code>/link team</code> (the team's chat) or "
                "<code>/link client Acme</code> (a client's chat, watched for unanswered messages)"
            ),
            _("/start — the greeting and your time zone, again"),
            _("/help — this list"),
        ]
    )
