"""Follow-ups: scheduling, chase cadence, recurring series, snoozing and closing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.parsing.dates import When, parse_when
from bot.parsing.recurrence import Recurrence, next_occurrence
from bot.services.align import Window, chase_steps, holiday_country, zone_country
from bot.storage.records import Client, FollowUp, Reminder, User
from bot.storage.repositories import Repos
from bot.storage.repositories.followups import DONE, FIRED, PENDING, SKIPPED, STOPPED

FU_KIND = "followup"
ONCE, CHASE, REPEAT = "once", "chase", "repeat"
CHASE_STEPS = 6
# Further ahead than this is a typo (31.12.9999), not a plan.
MAX_AHEAD = timedelta(days=5 * 366)
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


def read_when(text: str, user: User, now: datetime, default_zone: str) -> When:
    """A typed date in the writer's zone and working day: the aware moment or None, the rest
    of the text, and why nothing was read when the date is impossible, vague or too far."""
    found = parse_when(
        text,
        now.astimezone(user_zone(user, default_zone)),
        workday_start=time(user.work_start_min // 60, user.work_start_min % 60),
        workday_end=time(user.work_end_min // 60, user.work_end_min % 60),
        country=holiday_country(user, default_zone),
    )
    return found


def read_deadline(text: str, user: User, now: datetime, default_zone: str) -> When:
    """A typed deadline: as read_when, but a day without a clock time means the end of the
    writer's working day on it ("до пт" is Friday evening, not Friday morning)."""
    end = time(user.work_end_min // 60 % 24, user.work_end_min % 60)
    return parse_when(
        text,
        now.astimezone(user_zone(user, default_zone)),
        workday_start=end,
        workday_end=end,
        country=holiday_country(user, default_zone),
    )


def quick_time(choice: str, user: User, now: datetime, default_zone: str) -> datetime:
    """The moment a quick button (+15 min, +1 h, tomorrow, Monday, in 3 days) stands for."""
    if choice not in QUICK_PHRASES:
        raise FollowUpError("stale")  # not a button we ever made
    at = read_when(QUICK_PHRASES[choice], user, now, default_zone).at
    assert at is not None, choice
    return at


def client_window(client: Client, manager: User, default_zone: str) -> Window:
    """The client's working window: their zone, the manager's hours, their country's holidays."""
    zone = client.timezone or manager.timezone or default_zone
    mine = holiday_country(manager, default_zone)
    country = zone_country(client.timezone, mine) if client.timezone else mine
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


def _check_due(at: datetime, now: datetime) -> None:
    """Refuse a moment in the past or absurdly far ahead (a typo like 31.12.9999)."""
    if at <= now:
        raise FollowUpError("past")
    if at - now > MAX_AHEAD:
        raise FollowUpError("far")


async def _retire(repos: Repos, rows: list[FollowUp]) -> None:
    """Rows closed or moved: their alarms are off, and a message of theirs still held back
    (quiet hours, a day off) is not sent stale."""
    ids = [row.reminder_id for row in rows if row.reminder_id is not None]
    for reminder_id in ids:
        await repos.reminders.cancel(reminder_id)
    await repos.outbox.cancel_for_reminders(ids)


async def schedule_once(
    repos: Repos, client: Client, user: User, at: datetime, what: str, now: datetime
) -> FollowUp:
    """A single follow-up at `at`."""
    _check_due(at, now)
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
        due_at=chase_steps(_minute(now), window)[0],
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
    """Give a recurring series a new rule: every open row goes, one row of the new rule comes."""
    if fu.mode != REPEAT:
        raise FollowUpError("closed")
    closed = await repos.followups.close_series(fu.series, SKIPPED, now)
    if not closed:
        raise FollowUpError("closed")
    await _retire(repos, closed)
    zone = fu.zone or "UTC"
    return await _next_row(
        repos, fu, now, next_occurrence(rec, zone, now), rule=rec.rule, started_at=now
    )


async def reschedule(repos: Repos, fu: FollowUp, at: datetime, now: datetime) -> FollowUp:
    """Move an open follow-up to `at` (snooze, another time, a reply with a date).

    A row that has fired keeps its fired_at: its series has already moved on to the next
    row, so when the moved one fires again it neither advances nor closes the series.
    """
    if fu.state not in (PENDING, FIRED):
        raise FollowUpError("closed")
    _check_due(at, now)
    await _retire(repos, [fu])
    fu = await repos.followups.update(fu.id, due_at=at, state=PENDING)
    return await _arm(repos, fu, now)


async def mark_done(repos: Repos, fu: FollowUp, now: datetime) -> FollowUp:
    """Close one follow-up as done; a series goes on with its next row."""
    if fu.state not in (PENDING, FIRED):
        raise FollowUpError("closed")
    await _retire(repos, [fu])
    if fu.state == PENDING and fu.fired_at is None:
        # Done ahead of time: the series still owes its next occurrence or step.
        await _advance(repos, fu, now)
    return await repos.followups.update(fu.id, state=DONE, closed_at=now)


async def stop_series(repos: Repos, fu: FollowUp, now: datetime) -> int:
    """Stop a chase or recurring series (or a single follow-up): nothing more fires."""
    closed = await repos.followups.close_series(fu.series, STOPPED, now)
    await _retire(repos, closed)
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
        await _retire(repos, await repos.followups.close_series(series_id, STOPPED, now))
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
    if fu.fired_at is not None:
        # A snoozed occurrence coming back: its series went on when it first fired.
        return Fired(await repos.followups.update(fu.id, state=FIRED), None)
    # An earlier occurrence nobody acted on is superseded by this one: one overdue per series.
    await _retire(repos, await repos.followups.close_series(fu.series, SKIPPED, now, (FIRED,)))
    fired = await repos.followups.update(fu.id, state=FIRED, fired_at=now)
    return Fired(fired, await _advance(repos, fired, now))


async def _advance(repos: Repos, fu: FollowUp, now: datetime) -> FollowUp | None:
    """Make the series' next row: the next chase step still ahead, or the next occurrence."""
    if fu.mode == ONCE or await repos.followups.has_pending(fu.series, exclude=fu.id):
        return None
    if fu.mode == CHASE and fu.started_at is not None:
        client = await repos.clients.get(fu.client_id)
        user = await repos.users.get(fu.user_id)
        if client is None or user is None:
            return None
        steps = chase_steps(_minute(fu.started_at), client_window(client, user, fu.zone or "UTC"))
        # Steps that fell due while the bot was down are not sent in a burst: the next one is.
        ahead = [(i, due) for i, due in enumerate(steps) if i > fu.step and due > now]
        if not ahead:
            return None
        step, due = ahead[0]
        return await _next_row(repos, fu, now, due, step=step)
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
    started_at: datetime | None = None,
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
        started_at=started_at or fu.started_at,
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
