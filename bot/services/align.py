"""Client-side working windows: moving a follow-up into the client's working hours and days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.core import get_global
from dateutil.relativedelta import relativedelta

from bot.parsing.dates import _holidays, _local
from bot.parsing.worktime import in_window
from bot.storage.records import User

STANDARD_WEEK = "12345"
# Far more than any run of holidays; only a calendar with no working days at all runs out.
_MAX_SEARCH_DAYS = 366

# Step 0 is None because "the next working day" depends on the calendar, not a fixed offset.
CHASE_OFFSETS: tuple[relativedelta | None, ...] = (
    None,
    relativedelta(days=3),
    relativedelta(weeks=1),
    relativedelta(weeks=2),
    relativedelta(months=1),
    relativedelta(months=3),
)


def zone_country(zone: str | None, fallback: str = "RU") -> str:
    """The ISO country of an IANA zone if the `holidays` package knows it; else fallback."""
    if not zone:
        return fallback
    territories = get_global("zone_territories")
    # CLDR keys only canonical names, so old ones (Europe/Kiev, Asia/Calcutta) go through aliases.
    country = territories.get(zone) or territories.get(get_global("zone_aliases").get(zone, ""))
    # Etc/* zones map to "ZZ" and a few Antarctic ones to "001": no country to take holidays from.
    if not country or _holidays(country) is None:
        return fallback
    return str(country)


def holiday_country(user: User, default_zone: str) -> str:
    """Whose public holidays count for a person: the country they chose, else their zone's
    (a Londoner gets GB's until they choose), else Russia's."""
    return user.holiday_country or zone_country(user.timezone or default_zone)


@lru_cache(maxsize=64)
def _year_calendar(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """One country's days off and transferred working weekend days in one year."""
    if _holidays(country) is None:
        return frozenset(), frozenset()  # unknown country: the weekdays alone decide
    import holidays  # lazy, as in bot.parsing.dates: the package is slow to import

    # A fresh single-year calendar, frozen, so lookups never grow a shared expanding calendar.
    cal = holidays.country_holidays(country, years=year)
    transfers = getattr(cal, "weekend_workdays", ())  # older releases do not record transfers
    return frozenset(cal), frozenset(d for d in transfers if d.year == year)


def is_working_day(day: date, country: str, work_days: str = STANDARD_WEEK) -> bool:
    """Whether day is worked, given work_days (ISO weekday digits) and the country's calendar."""
    days_off, transfers = _year_calendar(country.upper(), day.year)
    if day in days_off:
        return False
    if str(day.isoweekday()) in work_days:
        return True
    # A working Saturday decreed by the government binds the standard week only: someone who
    # chose their own days (say Mon–Thu) has not agreed to work it.
    return work_days == STANDARD_WEEK and day in transfers


@dataclass(frozen=True)
class Window:
    """Daily working hours in a zone, on given ISO weekdays, with a country's holidays off."""

    zone: str
    start_min: int
    end_min: int
    work_days: str = STANDARD_WEEK
    country: str = "RU"

    def __post_init__(self) -> None:
        """Reject windows that would make the search for a working moment loop or misbehave."""
        ZoneInfo(self.zone)  # raises ZoneInfoNotFoundError for a zone that does not exist
        if not 0 <= self.start_min < self.end_min <= 24 * 60:
            raise ValueError(f"window must be 0 <= start < end <= 1440: {self}")
        if not self.work_days or not set(self.work_days) <= set("1234567"):
            raise ValueError(f"work_days must be ISO weekday digits: {self.work_days!r}")

    @property
    def tz(self) -> ZoneInfo:
        """The window's zone (ZoneInfo caches instances, so this is cheap)."""
        return ZoneInfo(self.zone)

    def works_on(self, day: date) -> bool:
        """Whether day is a working day in this window's country and work days."""
        return is_working_day(day, self.country, self.work_days)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after day."""
        for n in range(1, _MAX_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=n)
            if self.works_on(candidate):
                return candidate
        raise ValueError(f"no working day within a year after {day} for {self}")


def _require_aware(at: datetime) -> None:
    """Refuse naive datetimes: their zone would be a guess."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetime must be time-zone aware")


def _minute_of_day(local: datetime) -> int:
    """Minutes from local midnight, seconds dropped (09:59:59 is still before a 10:00 start)."""
    return local.hour * 60 + local.minute


def _clock(minutes: int, fold: int = 0) -> time:
    """A wall-clock time from minutes after midnight."""
    return time(minutes // 60, minutes % 60, fold=fold)


def is_inside(at: datetime, window: Window) -> bool:
    """Whether the aware moment at falls inside the window on one of its working days."""
    _require_aware(at)
    local = at.astimezone(window.tz)
    minute = _minute_of_day(local)
    # The end of the working day ("до конца дня") is still inside it.
    return window.works_on(local.date()) and (
        minute == window.end_min or in_window(minute, window.start_min, window.end_min)
    )


def align(at: datetime, window: Window) -> datetime:
    """The first moment at or after the aware at inside the window, in at's tzinfo."""
    _require_aware(at)
    zone = window.tz
    local = at.astimezone(zone)
    day, minute = local.date(), _minute_of_day(local)
    if window.works_on(day) and minute < window.end_min:
        if minute >= window.start_min:
            return at
        # Keep fold: in the repeated hour after a fall-back, the start must be the second one,
        # or it would land before at.
        start = _local(day, _clock(window.start_min, local.fold), zone)
    else:
        # _local moves a start that falls in a DST gap forward by the gap's length.
        start = _local(window.next_working_day(day), _clock(window.start_min), zone)
    return start.astimezone(at.tzinfo)


def local_wall(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The aware moment `minutes` after local midnight of `day` (1440 is the next midnight)."""
    return _local(day + timedelta(days=minutes // 1440), _clock(minutes % 1440), zone)


def chase_due(start: datetime, step: int, window: Window) -> datetime:
    """Due moment (aware UTC) of 0-based chase step `step` for a proposal sent at start."""
    _require_aware(start)
    if not 0 <= step < len(CHASE_OFFSETS):
        raise IndexError(f"chase step must be 0..{len(CHASE_OFFSETS) - 1}: {step}")
    zone = window.tz
    # The client's zone decides both the calendar day and the time of day that are kept.
    local = start.astimezone(zone)
    offset = CHASE_OFFSETS[step]
    day = window.next_working_day(local.date()) if offset is None else local.date() + offset
    # A proposal sent after hours is chased at the start of that day's window, not the day
    # after: "the next working day" never skips one.
    minute = _minute_of_day(local)
    if not window.start_min <= minute < window.end_min:
        clock = _clock(window.start_min)
    else:
        clock = local.time().replace(fold=0)  # its fold belongs to its own day
    due = _local(day, clock, zone)
    return align(due, window).astimezone(UTC)


def chase_steps(start: datetime, window: Window) -> list[datetime]:
    """All chase due moments (aware UTC), strictly increasing."""
    zone = window.tz
    steps: list[datetime] = []
    for step in range(len(CHASE_OFFSETS)):
        due = chase_due(start, step, window)
        if steps and due <= steps[-1]:
            # Alignment folded two steps onto one moment (Friday +3 days is Monday, like step 0):
            # a day after the previous one, same wall clock, keeps the client from a double nudge.
            previous = steps[-1].astimezone(zone)
            nudged = _local(
                previous.date() + timedelta(days=1), previous.time().replace(fold=0), zone
            )
            due = align(nudged, window).astimezone(UTC)
        steps.append(due)
    return steps


# An SLA is hours or days; walking further than this means the window is broken, not the amount.
_MAX_ADD_DAYS = 2 * _MAX_SEARCH_DAYS


def add_working_time(start: datetime, amount: timedelta, window: Window) -> datetime:
    """The moment `amount` of the window's working time after `start` (aware, returned in UTC):
    time outside working hours, on days off and holidays does not count. A Friday 18:30 message with
    a 2-hour reply SLA in a 10–19 window is due Monday 11:30."""
    _require_aware(start)
    if amount < timedelta(0):
        raise ValueError(f"working time to add must not be negative: {amount}")
    zone = window.tz
    # Work in UTC: differences between aware moments in one ZoneInfo are wall-clock differences,
    # which would count a DST switch inside the window as an hour more or less than passed.
    at = align(start, window).astimezone(UTC)
    first = day = at.astimezone(zone).date()
    remaining = amount
    while (day - first).days <= _MAX_ADD_DAYS:
        # local_wall keeps a day's end right on DST days (and 1440 is the next midnight).
        end = local_wall(day, window.end_min, zone).astimezone(UTC)
        # max(): in a fall-back overlap at can be the second pass of a wall time past the end.
        today = max(end - at, timedelta(0))
        if remaining <= today:
            return at + remaining
        remaining -= today
        day = window.next_working_day(day)
        at = local_wall(day, window.start_min, zone).astimezone(UTC)
    raise ValueError(f"{amount} of working time runs past {_MAX_ADD_DAYS} days in {window}")
