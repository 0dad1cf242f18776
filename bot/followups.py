"""Follow-ups: scheduling, chase cadence, recurring series, snoozing and closing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.align import Window, chase_due, zone_country
from bot.dates import parse_when
from bot.recurrence import Recurrence, next_occurrence
from bot.storage.records import Client, FollowUp, Reminder, User
from bot.storage.repositories import Repos
from bot.storage.repositories.followups import DONE, FIRED, PENDING, SKIPPED, STOPPED

FU_KIND = "followup"
ONCE, CHASE, REPEAT = "once", "chase", "repeat"
CHASE_STEPS = 6
CHASE_WORDS = frozenset({"chase", "цепочка", "цепочку", "дожим"})

# What the quick buttons mean, said in the grammar every typed date goes through.
QUICK_PHRASES = {
    "15m": "через 15 минут",
    "1h": "через час",
    "tmr": "завтра",
    "mon": "в понедельник",
    "3d": "через 3 дня",
}


class FollowUpError(Exception):
    """A follow-up command that cannot be carried out; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Fired:
    """A follow-up whose time has come, and the row that takes over its series (if any)."""

    followup: FollowUp
    next: FollowUp | None


def user_zone(user: User, default_zone: str) -> ZoneInfo:
    """The zone a user's phrases are read in."""
    return ZoneInfo(user.timezone or default_zone)


def read_when(
    text: str, user: User, now: datetime, default_zone: str
) -> tuple[datetime | None, str]:
    """A typed date in the writer's zone and working day: (aware moment or None, the rest)."""
    found = parse_when(
        text,
        now.astimezone(user_zone(user, default_zone)),
        workday_start=time(user.work_start_min // 60, user.work_start_min % 60),
        workday_end=time(user.work_end_min // 60, user.work_end_min % 60),
        country=user.holiday_country,
    )
    return found.at, found.rest


def quick_time(choice: str, user: User, now: datetime, default_zone: str) -> datetime:
    """The moment a quick button (+15 min, +1 h, tomorrow, Monday, in 3 days) stands for."""
    at, _rest = read_when(QUICK_PHRASES[choice], user, now, default_zone)
    assert at is not None, choice
    return at


def client_window(client: Client, manager: User, default_zone: str) -> Window:
    """The client's working window: their zone, the manager's hours, their country's holidays."""
    zone = client.timezone or manager.timezone or default_zone
    country = (
        zone_country(client.timezone, manager.holiday_country)
        if client.timezone
        else manager.holiday_country
    )
    return Window(
        zone=zone,
        start_min=manager.work_start_min,
        end_min=manager.work_end_min,
        work_days=manager.work_days,
        country=country,
    )


def _minute(at: datetime) -> datetime:
    """The cadence keeps whole minutes; the exact start is kept to compare replies with."""
    return at.replace(second=0, microsecond=0)


async def _arm(repos: Repos, fu: FollowUp, now: datetime) -> FollowUp:
    """Give the follow-up a due item the alarm clock wakes up for."""
    reminder_id = await repos.reminders.add(
        fu.workspace_id,
        FU_KIND,
        fu.due_at,
        now=now,
        client_id=fu.client_id,
        user_id=fu.user_id,
        payload={"fu": fu.id},
    )
    return await repos.followups.update(fu.id, reminder_id=reminder_id)


async def schedule_once(
    repos: Repos, client: Client, user: User, at: datetime, what: str, now: datetime
) -> FollowUp:
    """A single follow-up at `at`."""
    if at <= now:
        raise FollowUpError("past")
    fu = await repos.followups.add(
        workspace_id=client.workspace_id,
        client_id=client.id,
        user_id=user.id,
        due_at=at,
        now=now,
        what=what,
    )
    return await _arm(repos, fu, now)


async def start_chase(
    repos: Repos, client: Client, user: User, window: Window, what: str, now: datetime
) -> FollowUp:
    """The chase cadence after a proposal sent now: its first step is pending."""
    open_chases = await repos.followups.open_chases(client.id)
    if open_chases:
        raise FollowUpError("chasing")
    fu = await repos.followups.add(
        workspace_id=client.workspace_id,
        client_id=client.id,
        user_id=user.id,
        due_at=chase_due(_minute(now), 0, window),
        now=now,
        what=what,
        mode=CHASE,
        zone=window.zone,
        started_at=now,
    )
    return await _arm(repos, fu, now)


async def start_repeat(
    repos: Repos,
    client: Client,
    user: User,
    rec: Recurrence,
    zone: str,
    what: str,
    now: datetime,
) -> FollowUp:
    """A recurring follow-up; only its next occurrence is stored as pending."""
    fu = await repos.followups.add(
        workspace_id=client.workspace_id,
        client_id=client.id,
        user_id=user.id,
        due_at=next_occurrence(rec, zone, now),
        now=now,
        what=what,
        mode=REPEAT,
        rule=rec.rule,
        zone=zone,
        started_at=now,
    )
    return await _arm(repos, fu, now)


async def change_rule(repos: Repos, fu: FollowUp, rec: Recurrence, now: datetime) -> FollowUp:
    """Give a recurring series a new rule; its next occurrence moves accordingly."""
    if fu.mode != REPEAT or fu.state not in (PENDING, FIRED):
        raise FollowUpError("closed")
    zone = fu.zone or "UTC"
    await repos.followups.close_series(fu.series, SKIPPED, now, states=(FIRED,))
    if fu.state == FIRED:
        fu = await _next_row(repos, fu, now, next_occurrence(rec, zone, now), rule=rec.rule)
        return fu
    await repos.reminders.cancel(fu.reminder_id)
    fu = await repos.followups.update(
        fu.id, rule=rec.rule, due_at=next_occurrence(rec, zone, now), started_at=now
    )
    return await _arm(repos, fu, now)


async def reschedule(repos: Repos, fu: FollowUp, at: datetime, now: datetime) -> FollowUp:
    """Move an open follow-up to `at` (snooze, another time, a reply with a date)."""
    if fu.state not in (PENDING, FIRED):
        raise FollowUpError("closed")
    if at <= now:
        raise FollowUpError("past")
    await repos.reminders.cancel(fu.reminder_id)
    fu = await repos.followups.update(fu.id, due_at=at, state=PENDING, fired_at=None)
    return await _arm(repos, fu, now)


async def mark_done(repos: Repos, fu: FollowUp, now: datetime) -> FollowUp:
    """Close one follow-up as done; a series goes on with its next row."""
    if fu.state not in (PENDING, FIRED):
        raise FollowUpError("closed")
    await repos.reminders.cancel(fu.reminder_id)
    if fu.state == PENDING and fu.mode != ONCE:
        # Done ahead of time: the series still owes its next occurrence or step.
        await _advance(repos, fu, now)
    return await repos.followups.update(fu.id, state=DONE, closed_at=now)


async def stop_series(repos: Repos, fu: FollowUp, now: datetime) -> int:
    """Stop a chase or recurring series (or a single follow-up): nothing more fires."""
    closed = await repos.followups.close_series(fu.series, STOPPED, now)
    for row in closed:
        await repos.reminders.cancel(row.reminder_id)
    return len(closed)


async def client_replied(
    repos: Repos, client: Client, user_id: int | None, now: datetime, summary: str = ""
) -> int:
    """Log a touch from the client and stop every chase of theirs; how many chases stopped."""
    await repos.clients.add_touch(
        client.id,
        user_id=user_id,
        kind="message",
        direction="in",
        at=now,
        now=now,
        summary=summary,
    )
    return await stop_chases(repos, client.id, now)


async def stop_chases(repos: Repos, client_id: int, now: datetime) -> int:
    """Stop the client's chases (the client has answered)."""
    series = {fu.series for fu in await repos.followups.open_chases(client_id)}
    for series_id in series:
        for row in await repos.followups.close_series(series_id, STOPPED, now):
            await repos.reminders.cancel(row.reminder_id)
    return len(series)


async def fire(repos: Repos, reminder: Reminder, now: datetime) -> Fired | None:
    """The follow-up behind a due reminder, marked fired, with its series' next row made.

    None when there is nothing to say: the follow-up was moved, closed, or (a chase) the
    client has answered since the proposal.
    """
    fu_id = reminder.payload_dict().get("fu")
    fu = await repos.followups.get(fu_id) if isinstance(fu_id, int) else None
    if fu is None or fu.state != PENDING or fu.reminder_id != reminder.id:
        return None
    if fu.mode == CHASE and fu.started_at is not None:
        replied = await repos.clients.last_touch(fu.client_id, "in")
        if replied is not None and replied >= fu.started_at:
            await stop_chases(repos, fu.client_id, now)
            return None
    # An earlier occurrence nobody acted on is superseded by this one: one overdue per series.
    await repos.followups.close_series(fu.series, SKIPPED, now, states=(FIRED,))
    fired = await repos.followups.update(fu.id, state=FIRED, fired_at=now)
    return Fired(fired, await _advance(repos, fired, now))


async def _advance(repos: Repos, fu: FollowUp, now: datetime) -> FollowUp | None:
    """Make the series' next row: the next chase step or the next occurrence."""
    if fu.mode == ONCE or await repos.followups.has_pending(fu.series, exclude=fu.id):
        return None  # a snoozed occurrence fires again without starting a second next row
    if fu.mode == CHASE and fu.started_at is not None and fu.step + 1 < CHASE_STEPS:
        client = await repos.clients.get(fu.client_id)
        user = await repos.users.get(fu.user_id)
        if client is None or user is None:
            return None
        window = client_window(client, user, fu.zone or "UTC")
        due = chase_due(_minute(fu.started_at), fu.step + 1, window)
        return await _next_row(repos, fu, now, max(due, now), step=fu.step + 1)
    if fu.mode == REPEAT and fu.rule:
        rec = Recurrence.from_rule(fu.rule)
        zone = fu.zone or "UTC"
        anchor = (fu.started_at or fu.due_at).astimezone(ZoneInfo(zone)).date()
        due = next_occurrence(rec, zone, max(fu.due_at, now), anchor)
        return await _next_row(repos, fu, now, due)
    return None


async def _next_row(
    repos: Repos,
    fu: FollowUp,
    now: datetime,
    due: datetime,
    *,
    step: int | None = None,
    rule: str | None = None,
) -> FollowUp:
    """A new pending row continuing fu's series."""
    row = await repos.followups.add(
        workspace_id=fu.workspace_id,
        client_id=fu.client_id,
        user_id=fu.user_id,
        due_at=due,
        now=now,
        what=fu.what,
        mode=fu.mode,
        series_id=fu.series,
        rule=rule or fu.rule,
        zone=fu.zone,
        step=fu.step if step is None else step,
        started_at=fu.started_at,
    )
    return await _arm(repos, row, now)


async def followup_of_message(repos: Repos, chat_id: int, message_id: int) -> FollowUp | None:
    """The follow-up a reminder message in this chat was about (a reply reschedules it)."""
    reminder_id = await repos.outbox.reminder_of_message(chat_id, message_id)
    if reminder_id is None:
        return None
    reminder = await repos.reminders.get(reminder_id)
    if reminder is None or reminder.kind != FU_KIND:
        return None
    fu_id = reminder.payload_dict().get("fu")
    return await repos.followups.get(fu_id) if isinstance(fu_id, int) else None
