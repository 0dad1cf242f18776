"""What a due reminder says, and to whom: turns a fired row into outbox messages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.i18n import pick_language, speaking
from bot.services.agenda import (
    DIGEST_KIND,
    TEAM_DIGEST_KIND,
    build_agenda,
    build_team_day,
    last_digest_at,
    schedule_digest,
    schedule_team_digest,
)
from bot.services.chats import REPLY_KIND, REPLY_KINDS, manager_of, still_owed
from bot.services.followups import FU_KIND, fire
from bot.services.invoices import INVOICE_KIND, fire_invoice
from bot.services.leads import CALLBACK_KIND, ESCALATION_KIND, LEAD_KINDS, SLA_KIND, still_waiting
from bot.services.quiet import release_at
from bot.services.tasks import CHECK_50, TASK_DUE, TASK_KINDS, still_due
from bot.settings import Settings
from bot.storage.records import Client, Reminder, User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.agenda import agenda_keyboard, agenda_text, team_day_keyboard, team_day_text
from bot.views.chats import escalation_text, reply_keyboard, reply_ping_text, said_lines
from bot.views.common import contacts_line, duration, esc
from bot.views.followups import fu_details, fu_keyboard, moment
from bot.views.invoices import invoice_keyboard, reminder_text
from bot.views.leads import lead_card, lead_keyboard
from bot.views.tasks import checkin_text, progress_keyboard, task_keyboard

log = logging.getLogger("nudge.notify")

# A reminder fired this much after its due time was held up by downtime, and says so.
LATE_AFTER = timedelta(seconds=60)
# A digest held up longer than this (the bot was down all morning) is skipped, not sent late.
STALE_DIGEST = timedelta(hours=6)


class Notifier:
    """Renders each kind of due reminder in its recipient's language."""

    def __init__(self, i18n: I18n, settings: Settings) -> None:
        self.i18n = i18n
        self.settings = settings

    async def __call__(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """Queue the message(s) this reminder owes."""
        if reminder.kind in LEAD_KINDS:
            await self._lead(repos, replies, reminder, now)
        elif reminder.kind == CALLBACK_KIND:
            await self._callback(repos, replies, reminder, now)
        elif reminder.kind == FU_KIND:
            await self._followup(repos, replies, reminder, now)
        elif reminder.kind in REPLY_KINDS:
            await self._reply(repos, replies, reminder, now)
        elif reminder.kind in TASK_KINDS:
            await self._task(repos, replies, reminder, now)
        elif reminder.kind == TEAM_DIGEST_KIND:
            await self._team_digest(repos, replies, reminder, now)
        elif reminder.kind == DIGEST_KIND:
            await self._digest(repos, replies, reminder, now)
        elif reminder.kind == INVOICE_KIND:
            await self._invoice(repos, replies, reminder, now)
        else:
            log.warning("reminder %s has unknown kind %r; skipped", reminder.id, reminder.kind)

    async def _callback(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """ "Call in N minutes" has come: remind the person who promised the call."""
        client = await repos.clients.get(reminder.client_id) if reminder.client_id else None
        person = await repos.users.get(reminder.user_id) if reminder.user_id else None
        if client is None or person is None or person.blocked_at is not None:
            return
        contacts = await repos.clients.contacts(client.id)
        with speaking(self.i18n, pick_language(person, None, self.settings.default_language)):
            text = _("📞 Time to call “{name}”.").format(name=esc(client.name))
            if contacts:
                text += "\n" + contacts_line(contacts)
            text += self._late(reminder, now)
            markup = lead_keyboard(client)
        await self._queue(replies, person, reminder, text, markup, now)

    async def _followup(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """A follow-up has come due: remind its owner, with Done / Snooze / Another time."""
        fired = await fire(repos, reminder, now)
        if fired is None:
            return  # moved, closed, or the chased client has answered
        fu = fired.followup
        client = await repos.clients.get(fu.client_id)
        person = await repos.users.get(fu.user_id)
        if client is None or person is None or person.blocked_at is not None:
            return
        zone = person.timezone or self.settings.default_timezone
        lang = pick_language(person, None, self.settings.default_language)
        with speaking(self.i18n, lang):
            text = fu_details(fu, client, zone, lang, now)
            if fired.next is not None:
                text += "\n" + _("Next reminder: {when}.").format(
                    when=moment(fired.next.due_at, zone, lang, now)
                )
            text += self._late(reminder, now)
            markup = fu_keyboard(fu)
        await self._queue(replies, person, reminder, text, markup, now)

    async def _digest(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """The morning digest: the day's agenda and silent clients; nothing on an empty day."""
        person = await repos.users.get(reminder.user_id) if reminder.user_id else None
        if person is None:
            return
        # Tomorrow's digest is armed first, so an empty day or an error still keeps the habit.
        await schedule_digest(repos, person, now, self.settings.default_timezone)
        morning = last_digest_at(person, now, self.settings.default_timezone)
        if person.blocked_at is not None or morning is None or now - morning > STALE_DIGEST:
            return  # a morning digest read in the evening (after downtime) only confuses
        agenda = await build_agenda(repos, person, now, self.settings.default_timezone, silent=True)
        if agenda.empty and not agenda.silent:
            return
        zone = person.timezone or self.settings.default_timezone
        lang = pick_language(person, None, self.settings.default_language)
        with speaking(self.i18n, lang):
            title = _("☀️ Good morning! Your day, {date}:").format(
                date=format_date(now.astimezone(ZoneInfo(zone)), "EEE d MMMM", locale=lang)
            )
            text = agenda_text(agenda, title, zone, lang)
            markup = agenda_keyboard(agenda, zone)
        await self._queue(replies, person, reminder, text, markup, now)

    async def _task(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """A task's 50% question to its assignee, its 75% reminder to the assignee and the
        author, or its deadline to the author (and the assignee)."""
        task = await still_due(repos, reminder)
        if task is None:
            return  # done, dropped, or its deadline moved since
        client = await repos.clients.get(task.client_id) if task.client_id else None
        assignee = await repos.users.get(task.assignee_id)
        if reminder.kind == CHECK_50:
            to = [task.assignee_id]
        elif reminder.kind == TASK_DUE:
            to = [task.author_id, task.assignee_id]
        else:
            to = [task.assignee_id, task.author_id]
        if reminder.kind == TASK_DUE:
            # Overdue is the team's business too: its chat sees what is late and whose it is,
            # on the clock of the team's owner (as its morning post).
            workspace = await repos.workspaces.get(task.workspace_id)
            owner = await repos.users.get(workspace.owner_id) if workspace else None
            team_zone = (owner.timezone if owner else None) or self.settings.default_timezone
            await self._to_team_chat(
                repos,
                replies,
                reminder,
                task.workspace_id,
                lambda: checkin_text(
                    TASK_DUE,
                    task,
                    client,
                    assignee,
                    team_zone,
                    self.settings.default_language,
                    now,
                ),
                lambda: task_keyboard(task),
            )
        people = await repos.users.many(sorted(set(to)))
        for person_id in dict.fromkeys(to):
            person = people.get(person_id)
            if person is None or person.blocked_at is not None:
                continue
            if await repos.workspaces.membership(task.workspace_id, person_id) is None:
                continue  # left the team: its clients' tasks are none of theirs any more
            zone = person.timezone or self.settings.default_timezone
            lang = pick_language(person, None, self.settings.default_language)
            with speaking(self.i18n, lang):
                text = checkin_text(reminder.kind, task, client, assignee, zone, lang, now)
                text += self._late(reminder, now)
                markup = (
                    progress_keyboard(task)
                    if person_id == task.assignee_id and reminder.kind != TASK_DUE
                    else task_keyboard(task)
                )
            await self._queue(replies, person, reminder, text, markup, now)

    async def _reply(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """A client's message still unanswered at the SLA: a private ping to their manager
        (or whoever took it); at twice the SLA, to the team chat, else the team's owner."""
        owed = await still_owed(repos, reminder)
        workspace = await repos.workspaces.get(owed[0].workspace_id) if owed else None
        if owed is None or workspace is None:
            return  # answered meanwhile, or marked as needing no reply
        conv, client = owed
        manager = await repos.users.get(manager_of(client, workspace))
        if reminder.kind == REPLY_KIND:
            person = await repos.users.get(reminder.user_id) if reminder.user_id else manager
            if person is None or person.blocked_at is not None:
                return
            with speaking(self.i18n, pick_language(person, None, self.settings.default_language)):
                text = reply_ping_text(conv, client, now) + self._late(reminder, now)
                markup = reply_keyboard(conv)
            await self._queue(replies, person, reminder, text, markup, now, client.id)
            return
        # The team chat learns who waits and for how long; what they wrote stays private.
        if await self._to_team_chat(
            repos,
            replies,
            reminder,
            workspace.id,
            lambda: escalation_text(conv, client, manager, now),
            lambda: reply_keyboard(conv),
        ):
            return
        owner = await repos.users.get(workspace.owner_id)
        if owner is None or owner.blocked_at is not None:
            return
        with speaking(self.i18n, pick_language(owner, None, self.settings.default_language)):
            text = escalation_text(conv, client, manager, now)
            text += said_lines(conv)
            markup = reply_keyboard(conv)
        await self._queue(replies, owner, reminder, text, markup, now, client.id)

    async def _team_digest(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """The team chat's morning post; the next one is armed first, while the chat is linked."""
        workspace = await repos.workspaces.get(reminder.workspace_id)
        chat = await repos.chats.team_chat(reminder.workspace_id) if workspace else None
        owner = await repos.users.get(workspace.owner_id) if workspace else None
        if workspace is None or chat is None or owner is None:
            return  # no team chat any more: the habit ends with it
        zone = owner.timezone or self.settings.default_timezone
        await schedule_team_digest(repos, workspace.id, owner, now, self.settings.default_timezone)
        if now - reminder.due_at > STALE_DIGEST:
            return  # a morning post read in the evening (after downtime) only confuses
        day = await build_team_day(repos, workspace.id, owner, now, self.settings.default_timezone)
        if day.empty:
            return
        lang = self.settings.default_language
        await self._to_team_chat(
            repos,
            replies,
            reminder,
            workspace.id,
            lambda: team_day_text(day, zone, lang),
            lambda: team_day_keyboard(day),
        )

    async def _queue(
        self,
        replies: Replies,
        person: User,
        reminder: Reminder,
        text: str,
        markup: InlineKeyboardMarkup | None,
        now: datetime,
        client_id: int | None = None,
    ) -> None:
        """Put the reminder's message in the outbox, held back for quiet hours if it may be;
        `client_id` names the client when a burst is summarised."""
        await replies.send(
            person.id,
            text,
            reply_markup=markup,
            kind=reminder.kind,
            due_at=reminder.due_at,
            client_id=client_id,
            not_before=release_at(
                person, now, urgent=reminder.urgent, default_zone=self.settings.default_timezone
            ),
            reminder_id=reminder.id,
        )

    @staticmethod
    def _late(reminder: Reminder, now: datetime) -> str:
        """A line saying the reminder is late because the bot was down, or nothing."""
        late = now - reminder.due_at
        if late <= LATE_AFTER:
            return ""
        return "\n" + _("(late by {late}: the bot was unavailable)").format(late=duration(late))

    async def _lead(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """The 15-minute ping to the lead's owner, or the escalation to the workspace owner."""
        if reminder.client_id is None:
            return
        client = await still_waiting(repos, reminder.client_id)
        if client is None:
            return  # answered meanwhile: nobody needs a ping
        workspace = await repos.workspaces.get(client.workspace_id)
        if workspace is None:
            return
        if reminder.kind == ESCALATION_KIND and await self._to_team_chat(
            repos, replies, reminder, workspace.id, self._lead_escalation(client, now)
        ):
            return  # the team chat sees it: the whole team, the owner among them
        recipient_id = reminder.user_id or (
            client.owner_id if reminder.kind == SLA_KIND else workspace.owner_id
        )
        recipient = await repos.users.get(recipient_id) if recipient_id else None
        if recipient is None or recipient.blocked_at is not None:
            # A person who blocked the bot cannot be reached; Telegram would answer 403 again.
            log.warning("lead %s: %s has no reachable recipient", client.id, reminder.kind)
            return
        contacts = await repos.clients.contacts(client.id)
        lang = pick_language(recipient, None, self.settings.default_language)
        waited = now - (client.received_at or client.created_at)
        with speaking(self.i18n, lang):
            if reminder.kind == ESCALATION_KIND:
                owner = await repos.users.get(client.owner_id) if client.owner_id else None
                text = _("🚨 Lead “{name}” has been waiting for an answer for {waited}.").format(
                    name=esc(client.name), waited=duration(waited)
                )
                text += "\n" + _("Owner: {who}").format(
                    who=esc(owner.display_name if owner else "—")
                )
            else:
                text = _("⏰ Lead “{name}” is waiting for an answer: {waited}.").format(
                    name=esc(client.name), waited=duration(waited)
                )
            if contacts:
                text += "\n" + contacts_line(contacts)
            text += self._late(reminder, now)
            markup = lead_keyboard(client)
        await self._queue(replies, recipient, reminder, text, markup, now)

    def _lead_escalation(self, client: Client, now: datetime) -> Callable[[], str]:
        """The lead escalation for the team chat: who waits and how long, no contacts."""

        def text() -> str:
            waited = now - (client.received_at or client.created_at)
            return _("🚨 Lead “{name}” has been waiting for an answer for {waited}.").format(
                name=esc(client.name), waited=duration(waited)
            )

        return text

    async def _to_team_chat(
        self,
        repos: Repos,
        replies: Replies,
        reminder: Reminder,
        workspace_id: int,
        text: Callable[[], str],
        markup: Callable[[], InlineKeyboardMarkup | None] | None = None,
    ) -> bool:
        """Post to the team's chat, in the bot's default language; False when it has none."""
        chat = await repos.chats.team_chat(workspace_id)
        if chat is None:
            return False
        with speaking(self.i18n, self.settings.default_language):
            body, buttons = text(), markup() if markup else None
        await replies.send(
            chat.chat_id,
            body,
            reply_markup=buttons,
            kind=reminder.kind,
            due_at=reminder.due_at,
            reminder_id=reminder.id,
        )
        return True

    async def _invoice(
        self, repos: Repos, replies: Replies, reminder: Reminder, now: datetime
    ) -> None:
        """An invoice falls due or is overdue: remind its manager, with Paid / Partly / Moved."""
        due = await fire_invoice(repos, reminder, now, self.settings.default_timezone)
        if due is None or due.person.blocked_at is not None:
            return  # paid, moved, or nobody to tell
        zone = due.person.timezone or self.settings.default_timezone
        lang = pick_language(due.person, None, self.settings.default_language)
        with speaking(self.i18n, lang):
            text = reminder_text(due, zone, lang, now) + self._late(reminder, now)
            markup = invoice_keyboard(due.invoice, single=True)
        await self._queue(replies, due.person, reminder, text, markup, now)


async def announce_lead(
    repos: Repos,
    replies: Replies,
    i18n: I18n,
    settings: Settings,
    client: Client,
    sla: timedelta,
    now: datetime,
    *,
    again: bool = False,
    request: str | None = None,
) -> int:
    """Send a new lead's card to everyone in its team (`again`: a known client's new request);
    how many got it."""
    contacts = await repos.clients.contacts(client.id)
    members = await repos.workspaces.members(client.workspace_id)
    people = await repos.users.many([m.user_id for m in members])
    sent = 0
    for member in members:
        person = people.get(member.user_id)
        if person is None or person.blocked_at is not None:
            continue
        with speaking(i18n, pick_language(person, None, settings.default_language)):
            text = (
                (
                    _("🌐 Your client “{name}” wrote again via the website.").format(
                        name=esc(client.name)
                    )
                    if again
                    else _("🌐 A lead from the website.")
                )
                + "\n\n"
                + lead_card(
                    client,
                    contacts,
                    zone=person.timezone or settings.default_timezone,
                    now=now,
                    sla=sla,
                    request=request,
                )
            )
            markup = lead_keyboard(client)
        await replies.send(person.id, text, reply_markup=markup, kind="lead_new")
        sent += 1
    return sent
