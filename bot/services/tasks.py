"""Tasks and promises: deadlines, the 50/75 check-ins in working time, done, moved, reassigned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.services.align import Window, holiday_country, local_wall
from bot.services.quiet import release_at
from bot.storage.records import Reminder, Task, User
from bot.storage.repositories import Repos
from bot.storage.repositories.tasks import CANCELLED, DONE, OPEN

CHECK_50, CHECK_75, TASK_DUE = "task_50", "task_75", "task_due"
TASK_KINDS = (CHECK_50, CHECK_75, TASK_DUE)
# Below this a check-in only interrupts: the deadline itself is reminder enough.
MIN_WINDOW = timedelta(hours=2)
# A deadline this far away is counted in working time, so nobody is asked on a Saturday night.
WORKING_TIME_FROM = timedelta(hours=20)
# Further ahead than this is a typo, not a plan.
MAX_AHEAD = timedelta(days=5 * 366)
# What the progress buttons report.
PROGRESS = (30, 50, 70, 100)


class TaskError(Exception):
    """A task command that cannot be carried out; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Checkin:
    """One reminder a task owes: which, and when."""

    kind: str
    at: datetime


def person_window(person: User, default_zone: str) -> Window | None:
    """The person's working hours as a window; None for hours across midnight (a night
    shift), which are counted in plain time instead."""
    try:
        return Window(
            zone=person.timezone or default_zone,
            start_min=person.work_start_min,
            end_min=person.work_end_min,
            work_days=person.work_days,
            country=holiday_country(person, default_zone),
        )
    except ValueError:
        return None


def _working_spans(
    start: datetime, end: datetime, window: Window
) -> list[tuple[datetime, datetime]]:
    """The pieces of [start, end) that fall inside the window's working hours."""
    zone = window.tz
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    spans: list[tuple[datetime, datetime]] = []
    while day <= last:
        if window.works_on(day):
            opens = local_wall(day, window.start_min, zone)
            closes = local_wall(day, window.end_min, zone)
            lo, hi = max(opens, start), min(closes, end)
            if lo < hi:
                spans.append((lo, hi))
        day += timedelta(days=1)
    return spans


def _share(spans: list[tuple[datetime, datetime]], fraction: float) -> datetime:
    """The moment when `fraction` of the spans' total length has passed."""
    total = sum(((b - a) for a, b in spans), timedelta())
    left = total * fraction
    for a, b in spans:
        if b - a >= left:
            return a + left
        left -= b - a
    return spans[-1][1]


def checkin_moments(
    start: datetime, due: datetime, assignee: User, default_zone: str
) -> list[Checkin]:
    """When to ask the assignee how far along (50%) and to remind them (75%).

    Skipped for windows under two hours. A deadline days away is split in the assignee's
    working time, so a Friday-evening task due Monday noon asks on Monday morning, not on
    Saturday night; a check-in that quiet hours would hold past the deadline is dropped.
    """
    if due - start < MIN_WINDOW:
        return []
    window = person_window(assignee, default_zone)
    spans = (
        _working_spans(start, due, window)
        if window is not None and due - start >= WORKING_TIME_FROM
        else []
    )
    worked = sum(((b - a) for a, b in spans), timedelta())
    moments: list[Checkin] = []
    for kind, fraction in ((CHECK_50, 0.5), (CHECK_75, 0.75)):
        if worked >= MIN_WINDOW / 2:
            at = _share(spans, fraction)
        else:
            at = start + (due - start) * fraction
        at = release_at(assignee, at, urgent=False, default_zone=default_zone)
        at = at.astimezone(UTC).replace(second=0, microsecond=0)
        if at <= start or at >= due or (moments and at <= moments[-1].at):
            continue
        moments.append(Checkin(kind, at))
    return moments


def check_deadline(due: datetime, now: datetime) -> None:
    """Refuse a deadline in the past or absurdly far ahead."""
    if due <= now:
        raise TaskError("past")
    if due - now > MAX_AHEAD:
        raise TaskError("far")


async def _arm(repos: Repos, task: Task, assignee: User, now: datetime, default_zone: str) -> None:
    """Replace the task's reminders with the ones its deadline calls for now."""
    await retire(repos, task)
    if task.due_at is None or task.state != OPEN:
        return
    payload = {"task": task.id, "due": task.due_at.timestamp()}
    start = max(task.started_at, now)
    for checkin in checkin_moments(start, task.due_at, assignee, default_zone):
        await repos.reminders.add(
            task.workspace_id,
            checkin.kind,
            checkin.at,
            now=now,
            client_id=task.client_id,
            user_id=task.assignee_id,
            ref_id=task.id,
            urgent=task.urgent,
            payload=payload,
        )
    await repos.reminders.add(
        task.workspace_id,
        TASK_DUE,
        task.due_at,
        now=now,
        client_id=task.client_id,
        user_id=task.author_id,
        ref_id=task.id,
        urgent=task.urgent,
        payload=payload,
    )


async def retire(repos: Repos, task: Task) -> None:
    """Turn off the task's pending reminders, and the messages of fired ones still held back
    for quiet hours: a deadline met or moved must not ring in the morning."""
    await repos.reminders.cancel_for_ref(TASK_KINDS, task.id)
    await repos.outbox.cancel_for_reminders(await repos.reminders.ids_for_ref(TASK_KINDS, task.id))


async def create_task(
    repos: Repos,
    *,
    workspace_id: int,
    client_id: int | None,
    author: User,
    assignee: User,
    what: str,
    urgent: bool,
    due_at: datetime | None,
    now: datetime,
    default_zone: str,
) -> Task:
    """Store a task and arm its check-ins and deadline (an undated one waits for a date)."""
    if due_at is not None:
        check_deadline(due_at, now)
    task = await repos.tasks.add(
        workspace_id=workspace_id,
        client_id=client_id,
        author_id=author.id,
        assignee_id=assignee.id,
        what=what,
        urgent=urgent,
        due_at=due_at,
        now=now,
    )
    await _arm(repos, task, assignee, now, default_zone)
    return task


async def set_deadline(
    repos: Repos, task: Task, due_at: datetime, now: datetime, default_zone: str
) -> Task:
    """Give the task a (new) deadline; the time to it counts from now."""
    check_deadline(due_at, now)
    task = await repos.tasks.update(task.id, due_at=due_at, started_at=now)
    assignee = await repos.users.get(task.assignee_id)
    if assignee is not None:
        await _arm(repos, task, assignee, now, default_zone)
    return task


async def reassign(
    repos: Repos, task: Task, assignee: User, now: datetime, default_zone: str
) -> Task:
    """Give the task to another member; the check-ins go to them."""
    task = await repos.tasks.update(task.id, assignee_id=assignee.id)
    await _arm(repos, task, assignee, now, default_zone)
    return task


async def finish(repos: Repos, task: Task, by: int, now: datetime) -> Task:
    """Mark the task done and stop its reminders."""
    await retire(repos, task)
    return await repos.tasks.update(task.id, state=DONE, progress=100, done_at=now, done_by=by)


async def cancel(repos: Repos, task: Task, now: datetime) -> Task:
    """Drop the task and stop its reminders."""
    await retire(repos, task)
    return await repos.tasks.update(task.id, state=CANCELLED, done_at=now)


async def report_progress(repos: Repos, task: Task, percent: int, by: int, now: datetime) -> Task:
    """The assignee says how far along; 100% is done."""
    if percent >= 100:
        return await finish(repos, task, by, now)
    return await repos.tasks.update(task.id, progress=percent)


def end_of_working_day(person: User, now: datetime, default_zone: str) -> datetime:
    """The end of the person's working day today, or of their next working day once today's
    is over or today is a day off."""
    window = person_window(person, default_zone)
    if window is None:
        return now + timedelta(hours=8)
    day = now.astimezone(window.tz).date()
    end = local_wall(day, window.end_min, window.tz)
    if not window.works_on(day) or end <= now:
        end = local_wall(window.next_working_day(day), window.end_min, window.tz)
    return end


async def still_due(repos: Repos, reminder: Reminder) -> Task | None:
    """The task a fired reminder is about, if it still stands: open, same deadline."""
    if reminder.ref_id is None:
        return None
    task = await repos.tasks.get(reminder.ref_id)
    if task is None or task.state != OPEN or task.due_at is None:
        return None
    if reminder.payload_dict().get("due") != task.due_at.timestamp():
        return None  # the deadline moved after this reminder was made
    return task


def is_overdue(task: Task, now: datetime) -> bool:
    """Open and past its deadline."""
    return task.state == OPEN and task.due_at is not None and task.due_at <= now


# What the "no deadline yet" buttons mean, in the grammar every typed deadline goes through.
DEADLINE_PHRASES = {"eod": "сегодня до конца дня", "tmr": "завтра", "fri": "в пятницу"}
