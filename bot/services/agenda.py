"""The manager's agenda (/today, /week, the morning digest) and when the digest is due."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.accounts import current_workspace
from bot.storage.records import Client, Conversation, FollowUp, Invoice, Task, User
from bot.storage.repositories import Repos

DIGEST_KIND = "digest"
TEAM_DIGEST_KIND = "team_digest"
# Enough for one screen; the rest is counted, not listed.
LIST_LIMIT = 30


@dataclass(frozen=True)
class Silent:
    """A client nobody has touched for too long."""

    client_id: int
    name: str
    last_touch: datetime


@dataclass(frozen=True)
class Agenda:
    """What a manager has on their plate from now until `until`."""

    now: datetime
    until: datetime
    overdue: list[FollowUp]
    upcoming: list[FollowUp]
    leads: list[Client]
    clients: dict[int, Client]
    silent: list[Silent] = field(default_factory=list)
    silent_total: int = 0
    more: int = 0
    # Tasks I do that fall due in the period or are overdue, and those I gave that are overdue.
    tasks: list[Task] = field(default_factory=list)
    # Unpaid invoices I watch that fall due in the period or are overdue.
    invoices: list[Invoice] = field(default_factory=list)
    # Watched chats where a client of mine waits for our reply.
    owed: list[Conversation] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing due, nothing overdue and no lead waiting."""
        return not (
            self.overdue or self.upcoming or self.leads or self.tasks or self.invoices or self.owed
        )


def day_end(local_day: date, zone: ZoneInfo, days: int = 1) -> datetime:
    """Local midnight `days` after the start of `local_day`, as UTC."""
    midnight = datetime.combine(local_day + timedelta(days=days), time(0), tzinfo=zone)
    return midnight.astimezone(UTC)


async def build_agenda(
    repos: Repos,
    user: User,
    now: datetime,
    default_zone: str,
    *,
    days: int = 1,
    silent: bool = False,
) -> Agenda:
    """Overdue follow-ups, those due in the next `days` local days, and waiting leads."""
    zone = ZoneInfo(user.timezone or default_zone)
    until = day_end(now.astimezone(zone).date(), zone, days)
    due = await repos.followups.open_for_user(user.id, until, limit=LIST_LIMIT + 1)
    total = await repos.followups.count_open(user.id, until) if len(due) > LIST_LIMIT else len(due)
    due = due[:LIST_LIMIT]
    overdue = [fu for fu in due if fu.due_at <= now]
    upcoming = [fu for fu in due if fu.due_at > now]
    leads: list[Client] = []
    found = await current_workspace(repos, user)
    silent_rows: list[Silent] = []
    silent_total = 0
    if found is not None:
        workspace = found[0]
        leads = [
            c
            for c in await repos.clients.waiting_leads(workspace.id)
            if c.owner_id in (None, user.id)
        ][:LIST_LIMIT]
        if silent:
            rows, silent_total = await repos.clients.silent(
                workspace.id, user.id, now - timedelta(days=workspace.silent_days)
            )
            silent_rows = [Silent(cid, name, last) for cid, name, last in rows]
    teams = [w.id for w, _role in await repos.workspaces.of_user(user.id)]
    tasks = [
        t
        for t in await repos.tasks.open_of(user.id, teams, until)
        if t.assignee_id == user.id or (t.due_at is not None and t.due_at <= now)
    ][:LIST_LIMIT]
    invoices = [
        i
        for i in await repos.invoices.open_in(teams)
        if i.user_id == user.id and i.due_at is not None and i.due_at < until
    ][:LIST_LIMIT]
    owed = await repos.chats.waiting(teams)
    wanted = (
        {fu.client_id for fu in due}
        | {t.client_id for t in tasks if t.client_id}
        | {i.client_id for i in invoices}
        | {c.client_id for c in owed}
    )
    clients = {c.id: c for c in await repos.clients.many(sorted(wanted))}
    owners = {w.id: w.owner_id for w, _role in await repos.workspaces.of_user(user.id)}
    owed = [
        c
        for c in owed
        if c.client_id in clients
        and (clients[c.client_id].owner_id or owners.get(c.workspace_id)) == user.id
    ][:LIST_LIMIT]
    return Agenda(
        now=now,
        until=until,
        overdue=overdue,
        upcoming=upcoming,
        leads=leads,
        clients=clients,
        silent=silent_rows,
        silent_total=silent_total,
        more=max(0, total - len(due)),
        tasks=tasks,
        invoices=invoices,
        owed=owed,
    )


def _mornings(user: User, now: datetime, default_zone: str, step: int) -> list[datetime]:
    """The user's digest moments (UTC) for a fortnight from today, forwards or backwards."""
    zone = ZoneInfo(user.timezone or default_zone)
    today = now.astimezone(zone).date()
    start = time(user.work_start_min // 60, user.work_start_min % 60)
    found = []
    for days in range(0, 15):
        day = today + timedelta(days=days * step)
        if not user.weekend_reminders and str(day.isoweekday()) not in user.work_days:
            continue
        # Through UTC and back: a start inside a DST gap moves forward instead of vanishing.
        found.append(datetime.combine(day, start, tzinfo=zone).astimezone(UTC))
    return found


def next_digest_at(user: User, now: datetime, default_zone: str) -> datetime:
    """The start of the user's next working day (any day with weekend reminders on), in UTC."""
    for at in _mornings(user, now, default_zone, 1):
        if at > now:
            return at
    return now + timedelta(days=1)  # a user with no working days at all still hears weekly


def last_digest_at(user: User, now: datetime, default_zone: str) -> datetime | None:
    """The latest digest moment at or before now, if any in the last fortnight."""
    for at in _mornings(user, now, default_zone, -1):
        if at <= now:
            return at
    return None


async def schedule_digest(repos: Repos, user: User, now: datetime, default_zone: str) -> None:
    """(Re)arm the user's one pending morning digest for their next working morning."""
    await repos.reminders.cancel_for_user(user.id, DIGEST_KIND)
    if user.timezone is None or user.blocked_at is not None:
        return  # not onboarded yet, or unreachable: nothing to wake up for
    workspace_id = user.current_workspace_id
    if workspace_id is None:
        return
    await repos.reminders.add(
        workspace_id, DIGEST_KIND, next_digest_at(user, now, default_zone), now=now, user_id=user.id
    )


def digest_key(user: User | None) -> tuple[object, ...] | None:
    """The settings a digest's time depends on; a change re-arms it."""
    if user is None:
        return None
    return (
        user.timezone,
        user.work_start_min,
        user.work_days,
        user.weekend_reminders,
        user.blocked_at is None,
        user.current_workspace_id,
    )


async def ensure_digests(repos: Repos, now: datetime, default_zone: str) -> int:
    """Arm a digest for every reachable, set-up user who has none, in one insert; how many."""
    armed = await repos.reminders.users_with_pending(DIGEST_KIND)
    missing = [
        user
        for user in await repos.users.reachable()
        if user.id not in armed and user.timezone is not None and user.current_workspace_id
    ]
    await repos.reminders.add_many(
        [
            (
                user.current_workspace_id,
                DIGEST_KIND,
                next_digest_at(user, now, default_zone),
                user.id,
            )
            for user in missing
            if user.current_workspace_id is not None
        ],
        now=now,
    )
    return len(missing)


@dataclass(frozen=True)
class TeamDay:
    """What the team chat's morning post lists: today's and overdue tasks, waiting leads."""

    now: datetime
    tasks: list[Task]
    leads: list[Client]
    clients: dict[int, Client]
    people: dict[int, User]

    @property
    def empty(self) -> bool:
        """Nothing due and no lead waiting."""
        return not (self.tasks or self.leads)


async def build_team_day(
    repos: Repos, workspace_id: int, owner: User, now: datetime, default_zone: str
) -> TeamDay:
    """The team's day as its owner's calendar has it."""
    zone = ZoneInfo(owner.timezone or default_zone)
    until = day_end(now.astimezone(zone).date(), zone)
    tasks = (await repos.tasks.due_in_team(workspace_id, until))[:LIST_LIMIT]
    leads = (await repos.clients.waiting_leads(workspace_id))[:LIST_LIMIT]
    wanted = {t.client_id for t in tasks if t.client_id}
    clients = {c.id: c for c in await repos.clients.many(sorted(wanted))}
    people = await repos.users.many(sorted({t.assignee_id for t in tasks}))
    return TeamDay(now, tasks, leads, clients, people)


async def schedule_team_digest(
    repos: Repos, workspace_id: int, owner: User, now: datetime, default_zone: str
) -> None:
    """(Re)arm the team chat's one morning post for the owner's next working morning."""
    await repos.reminders.cancel_for_ref((TEAM_DIGEST_KIND,), workspace_id)
    await repos.reminders.add(
        workspace_id,
        TEAM_DIGEST_KIND,
        next_digest_at(replace(owner, weekend_reminders=False), now, default_zone),
        now=now,
        ref_id=workspace_id,
    )
