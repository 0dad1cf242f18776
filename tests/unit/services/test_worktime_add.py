"""Adding working time: an SLA clock that stops outside the client's hours, days and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.align import Window, add_working_time, align

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = Window("Europe/Moscow", 600, 1140)
BERLIN_OFFICE = Window("Europe/Berlin", 600, 1140, country="DE")
# Round the clock every day: the DST switch falls inside working time, so it must be counted.
BERLIN_ALWAYS = Window("Europe/Berlin", 0, 1440, "1234567", country="DE")
MINUTE = timedelta(minutes=1)


def _first_russian_working_day_after(day: date) -> date:
    """Straight from the `holidays` calendar, not through the code under test."""
    cal = holidays.country_holidays("RU", years=[day.year, day.year + 1])
    transfers = getattr(cal, "weekend_workdays", set())
    while True:
        day += timedelta(days=1)
        if day not in cal and (day.isoweekday() <= 5 or day in transfers):
            return day


NEW_YEAR = _first_russian_working_day_after(date(2026, 12, 31))


@pytest.mark.parametrize(
    ("start", "amount", "window", "due"),
    [
        # Friday 18:30 with a 2-hour SLA: half an hour on Friday, an hour and a half on Monday.
        (datetime(2026, 11, 27, 18, 30, tzinfo=MSK), timedelta(hours=2), MOSCOW,
         datetime(2026, 11, 30, 11, 30, tzinfo=MSK)),
        # Before work the clock starts at 10:00.
        (datetime(2026, 11, 24, 7, 15, tzinfo=MSK), timedelta(hours=1), MOSCOW,
         datetime(2026, 11, 24, 11, 0, tzinfo=MSK)),
        # Used up exactly at the end of the day: due then, not next morning.
        (datetime(2026, 11, 24, 17, 0, tzinfo=MSK), timedelta(hours=2), MOSCOW,
         datetime(2026, 11, 24, 19, 0, tzinfo=MSK)),
        # One minute more spills into the next morning.
        (datetime(2026, 11, 24, 17, 0, tzinfo=MSK), timedelta(hours=2, minutes=1), MOSCOW,
         datetime(2026, 11, 25, 10, 1, tzinfo=MSK)),
        # A message at 19:00 sharp is after hours.
        (datetime(2026, 11, 24, 19, 0, tzinfo=MSK), timedelta(minutes=30), MOSCOW,
         datetime(2026, 11, 25, 10, 30, tzinfo=MSK)),
        # Nothing to add: the start itself, moved into the window.
        (datetime(2026, 11, 28, 12, 0, tzinfo=MSK), timedelta(0), MOSCOW,
         datetime(2026, 11, 30, 10, 0, tzinfo=MSK)),
        (datetime(2026, 11, 24, 12, 0, tzinfo=MSK), timedelta(0), MOSCOW,
         datetime(2026, 11, 24, 12, 0, tzinfo=MSK)),
        # Two working days of 9 hours and an hour: Tuesday 12:00 → Thursday 13:00.
        (datetime(2026, 11, 24, 12, 0, tzinfo=MSK), timedelta(hours=19), MOSCOW,
         datetime(2026, 11, 26, 13, 0, tzinfo=MSK)),
        # Seconds count too.
        (datetime(2026, 11, 24, 18, 59, 30, tzinfo=MSK), timedelta(seconds=45), MOSCOW,
         datetime(2026, 11, 25, 10, 0, 15, tzinfo=MSK)),
        # Dec 31, 2026 is a day off in Russia; the clock waits out the January holidays.
        (datetime(2026, 12, 31, 17, 0, tzinfo=MSK), timedelta(hours=4), MOSCOW,
         datetime(NEW_YEAR.year, NEW_YEAR.month, NEW_YEAR.day, 14, 0, tzinfo=MSK)),
        # A start given in another zone is read in the window's: 16:30 UTC is 19:30 in Moscow.
        (datetime(2026, 11, 24, 16, 30, tzinfo=UTC), timedelta(hours=1), MOSCOW,
         datetime(2026, 11, 25, 11, 0, tzinfo=MSK)),
        # Berlin office hours across the spring switch (Sunday, March 29, 2026): Friday 18:00 + 2h
        # is Monday 11:00 summer time, 09:00 UTC.
        (datetime(2026, 3, 27, 18, 0, tzinfo=BERLIN), timedelta(hours=2), BERLIN_OFFICE,
         datetime(2026, 3, 30, 9, 0, tzinfo=UTC)),
        # ...and across the autumn one (Sunday, October 25, 2026): Monday 11:00 winter time.
        (datetime(2026, 10, 23, 18, 0, tzinfo=BERLIN), timedelta(hours=2), BERLIN_OFFICE,
         datetime(2026, 10, 26, 10, 0, tzinfo=UTC)),
        # Working round the clock, the lost spring hour is not worked: 4 hours from 23:00 winter
        # time reach 04:00 summer time, five on the wall clock.
        (datetime(2026, 3, 28, 23, 0, tzinfo=BERLIN), timedelta(hours=4), BERLIN_ALWAYS,
         datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)),
        # ...and the repeated autumn hour is worked twice: 4 hours from 23:00 reach 02:00 again.
        (datetime(2026, 10, 24, 23, 0, tzinfo=BERLIN), timedelta(hours=4), BERLIN_ALWAYS,
         datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
        # Christmas Eve is worked in Germany; Christmas and Boxing Day (Friday, Saturday) are not.
        (datetime(2026, 12, 24, 18, 0, tzinfo=BERLIN), timedelta(hours=3), BERLIN_OFFICE,
         datetime(2026, 12, 28, 12, 0, tzinfo=BERLIN)),
    ],
)  # fmt: skip
def test_add_working_time(
    start: datetime, amount: timedelta, window: Window, due: datetime
) -> None:
    result = add_working_time(start, amount, window)
    assert result == due
    assert result.tzinfo is UTC


def test_new_year_lands_after_the_january_holidays() -> None:
    # Whatever the calendar's exact rest days, they cover the first week of January.
    assert NEW_YEAR.year == 2027 and NEW_YEAR > date(2027, 1, 8)
    assert MOSCOW.works_on(NEW_YEAR)


def test_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_time(datetime(2026, 11, 24, 12, 0, tzinfo=MSK), -MINUTE, MOSCOW)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_working_time(datetime(2026, 11, 24, 12, 0), MINUTE, MOSCOW)


def test_an_amount_beyond_two_years_is_refused() -> None:
    # Nine hours a day, about 250 days a year: 5000 hours need well over two years.
    with pytest.raises(ValueError, match="runs past"):
        add_working_time(datetime(2026, 11, 24, 12, 0, tzinfo=MSK), timedelta(hours=5000), MOSCOW)


def test_a_year_of_working_time_is_fine() -> None:
    start = datetime(2026, 11, 24, 12, 0, tzinfo=MSK)
    due = add_working_time(start, timedelta(hours=9 * 240), MOSCOW)
    assert timedelta(days=300) < due - start < timedelta(days=400)


# The reference: one minute at a time, with nothing shared with the code under test but the
# window's notion of a working day.
def _working_minute(at: datetime, window: Window) -> bool:
    """Whether the minute starting at the UTC moment at is worked in the window."""
    local = at.astimezone(window.tz)
    minute = local.hour * 60 + local.minute
    return window.start_min <= minute < window.end_min and window.works_on(local.date())


def _reference(start: datetime, minutes: int, window: Window) -> datetime:
    """The end of the minutes-th working minute from start, walking minute by minute."""
    at, left = start, minutes
    while left:
        if _working_minute(at, window):
            left -= 1
        at += MINUTE
    return at


def _worked(start: datetime, end: datetime, window: Window) -> int:
    """Working minutes in [start, end), walking minute by minute."""
    count, at = 0, start
    while at < end:
        count += _working_minute(at, window)
        at += MINUTE
    return count


_WINDOWS = [
    MOSCOW,
    BERLIN_OFFICE,
    BERLIN_ALWAYS,
    # Spans the Berlin switch at 02:00/03:00: an hour lost in March, one repeated in October.
    Window("Europe/Berlin", 60, 300, "1234567", country="DE"),
    # Starts inside New York's repeated hour (01:00–02:00 in November).
    Window("America/New_York", 90, 480, "12345", country="US"),
    Window("Asia/Vladivostok", 540, 1080, "1234", country="RU"),
    Window("Asia/Kolkata", 570, 1110, "123456", country="IN"),
]
# Near the 2026 DST switches of Europe and the USA, and the Russian New Year, or anywhere.
_ANCHORS = [
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 3, 28, tzinfo=UTC),
    datetime(2026, 10, 24, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 12, 30, tzinfo=UTC),
]
_STARTS = st.one_of(
    st.builds(
        lambda anchor, minutes: anchor + timedelta(minutes=minutes),
        st.sampled_from(_ANCHORS),
        st.integers(min_value=-3 * 1440, max_value=3 * 1440),
    ),
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
    ).map(lambda at: at.replace(second=0, microsecond=0)),
)
# Hypothesis favours small numbers; the second half makes multi-day walks as common as short ones.
_MINUTES = st.integers(min_value=0, max_value=600) | st.integers(min_value=600, max_value=3 * 1440)
_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


@_SETTINGS
@given(_STARTS, _MINUTES, st.sampled_from(_WINDOWS))
def test_matches_a_minute_by_minute_count(start: datetime, minutes: int, window: Window) -> None:
    due = add_working_time(start, timedelta(minutes=minutes), window)
    assert due >= start
    assert _worked(start, due, window) == minutes
    if minutes:
        # The earliest such moment: the clock runs out at the end of a working minute.
        assert due == _reference(start, minutes, window)
    else:
        assert due == align(start, window)


@_SETTINGS
@given(
    _STARTS,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    st.sampled_from(_WINDOWS),
)
def test_monotonic_in_amount(
    start: datetime, first: timedelta, second: timedelta, window: Window
) -> None:
    less, more = sorted((first, second))
    earlier = add_working_time(start, less, window)
    later = add_working_time(start, more, window)
    assert start <= earlier <= later
    # The extra time is worked between the two results, so they part by at least that much.
    assert later - earlier >= more - less
