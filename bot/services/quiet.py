"""When a reminder may reach a person: quiet hours and the weekend policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.parsing.worktime import in_window
from bot.storage.records import User


def release_at(user: User | None, at: datetime, *, urgent: bool, default_zone: str) -> datetime:
    """The first instant at or after `at` when this person wants to be pinged.

    Urgent items (lead pings) go out at once unless the user chose to hold them in quiet
    hours; ordinary ones wait for the end of quiet hours, and on days off (when weekend
    reminders are off) for the start of the next working day.
    """
    if user is None or (urgent and user.urgent_in_quiet):
        return at
    zone = ZoneInfo(user.timezone or default_zone)
    local = at.astimezone(zone)
    for _ in range(14):  # a fortnight is more than any combination of rules can hold back
        moved = _after_quiet(user, local)
        if not urgent and not user.weekend_reminders:
            moved = _after_day_off(user, moved)
        if moved == local:
            break
        local = moved
    return local.astimezone(at.tzinfo)


def _wall(local: datetime, minutes: int, days: int = 0) -> datetime:
    """Local wall-clock `minutes` after midnight, `days` later, resolved in the zone."""
    base = (local + timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    naive = base.replace(tzinfo=None) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=local.tzinfo)


def _after_quiet(user: User, local: datetime) -> datetime:
    """Move past the quiet window if `local` falls in it."""
    start, end = user.quiet_start_min, user.quiet_end_min
    if start is None or end is None:
        return local
    minute = local.hour * 60 + local.minute
    if not in_window(minute, start, end):
        return local
    crosses_midnight = start > end
    days = 1 if crosses_midnight and minute >= start else 0
    return _wall(local, end, days)


def _after_day_off(user: User, local: datetime) -> datetime:
    """On a day off, wait for the start of the next working day."""
    if str(local.isoweekday()) in user.work_days:
        return local
    for days in range(1, 8):
        candidate = _wall(local, user.work_start_min, days)
        if str(candidate.isoweekday()) in user.work_days:
            return candidate
    return local
