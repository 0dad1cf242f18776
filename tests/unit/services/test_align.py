"""Client working windows: countries of zones, working days, alignment and the chase cadence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.services.align import (
    CHASE_OFFSETS,
    Window,
    _year_calendar,
    align,
    chase_due,
    chase_steps,
    is_inside,
    is_working_day,
    zone_country,
)

MSK = ZoneInfo("Europe/Moscow")
VVO = ZoneInfo("Asia/Vladivostok")
NYC = ZoneInfo("America/New_York")
MOSCOW = Window("Europe/Moscow", 600, 1140)
NEW_YORK = Window("America/New_York", 600, 1140, country="US")


def _msk(*args: int) -> datetime:
    """A Moscow wall-clock moment."""
    return datetime(*args, tzinfo=MSK)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("America/New_York", "US"),
        ("Asia/Vladivostok", "RU"),
        ("Europe/Berlin", "DE"),
        ("Europe/Kiev", "UA"),  # an old name, known to CLDR only as an alias
    ],
)
def test_zone_country(zone: str, country: str) -> None:
    assert zone_country(zone) == country


@pytest.mark.parametrize(
    "zone", [None, "", "UTC", "Etc/GMT+3", "Antarctica/Troll", "Mars/Olympus_Mons"]
)
def test_zone_country_falls_back(zone: str | None) -> None:
    assert zone_country(zone) == "RU"
    assert zone_country(zone, fallback="DE") == "DE"


def test_working_day_knows_russian_transfers() -> None:
    # Saturday 2025-11-01 was made working; Thursday 2026-12-31 was made a day off.
    assert is_working_day(date(2025, 11, 1), "RU")
    assert not is_working_day(date(2025, 11, 1), "US")
    assert not is_working_day(date(2026, 12, 31), "RU")
    assert is_working_day(date(2026, 12, 30), "RU")


def test_transfers_bind_only_the_standard_week() -> None:
    assert not is_working_day(date(2025, 11, 1), "RU", "1234")
    assert is_working_day(date(2025, 11, 1), "RU", "123456")
    # A public holiday stays off whatever days someone works.
    assert not is_working_day(date(2026, 12, 31), "RU", "1234567")
    assert not is_working_day(date(2027, 1, 2), "RU", "1234567")


def test_unknown_country_goes_by_weekdays() -> None:
    assert is_working_day(date(2027, 1, 1), "XX")
    assert not is_working_day(date(2027, 1, 2), "XX")
    assert is_working_day(date(2027, 1, 2), "XX", "6")


def test_holiday_calendars_are_cached_per_country_and_year() -> None:
    is_working_day(date(2026, 5, 4), "RU")
    before = _year_calendar.cache_info()
    is_working_day(date(2026, 5, 5), "ru")
    after = _year_calendar.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"zone": "Europe/Moscow", "start_min": 1140, "end_min": 600},
        {"zone": "Europe/Moscow", "start_min": 600, "end_min": 600},
        {"zone": "Europe/Moscow", "start_min": 600, "end_min": 1500},
        {"zone": "Europe/Moscow", "start_min": 600, "end_min": 1140, "work_days": ""},
        {"zone": "Europe/Moscow", "start_min": 600, "end_min": 1140, "work_days": "158"},
    ],
)
def test_window_rejects_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Window(**kwargs)  # type: ignore[arg-type]


def test_window_rejects_unknown_zone() -> None:
    with pytest.raises(KeyError):  # ZoneInfoNotFoundError is a KeyError
        Window("Mars/Olympus_Mons", 600, 1140)


def test_inside_is_returned_unchanged() -> None:
    at = _msk(2026, 11, 24, 12, 34, 56)
    assert align(at, MOSCOW) is at
    assert is_inside(at, MOSCOW)


def test_early_morning_moves_to_the_start_of_that_day() -> None:
    at = datetime(2026, 11, 24, 3, 0, tzinfo=NYC)
    assert align(at, NEW_YORK) == datetime(2026, 11, 24, 10, 0, tzinfo=NYC)


def test_the_end_of_the_working_day_is_inside_and_later_is_not() -> None:
    """«До конца дня» (19:00) is never flagged as outside the working day; 19:01 is."""
    assert is_inside(_msk(2026, 11, 24, 18, 59, 59), MOSCOW)
    assert is_inside(_msk(2026, 11, 24, 19, 0), MOSCOW)
    assert not is_inside(_msk(2026, 11, 24, 19, 1), MOSCOW)
    assert align(_msk(2026, 11, 24, 19, 1), MOSCOW) == _msk(2026, 11, 25, 10, 0)


def test_a_chase_after_hours_starts_on_the_next_working_day_not_the_one_after() -> None:
    """A proposal sent on Tuesday at 21:00 is chased on Wednesday at the start of the day."""
    steps = chase_steps(_msk(2026, 11, 24, 21, 0), MOSCOW)
    assert steps[0] == _msk(2026, 11, 25, 10, 0).astimezone(UTC)


def test_friday_evening_moves_to_monday() -> None:
    assert align(_msk(2026, 11, 20, 20, 0), MOSCOW) == _msk(2026, 11, 23, 10, 0)


def test_saturday_moves_to_monday() -> None:
    assert not is_inside(_msk(2026, 11, 21, 12, 0), MOSCOW)
    assert align(_msk(2026, 11, 21, 12, 0), MOSCOW) == _msk(2026, 11, 23, 10, 0)


def test_transferred_saturday_is_worked() -> None:
    assert align(_msk(2025, 11, 1, 8, 0), MOSCOW) == _msk(2025, 11, 1, 10, 0)


def test_thanksgiving_in_new_york() -> None:
    assert not is_working_day(date(2026, 11, 26), "US")
    at = datetime(2026, 11, 26, 11, 0, tzinfo=NYC)
    assert align(at, NEW_YORK) == datetime(2026, 11, 27, 10, 0, tzinfo=NYC)
    # The same Thursday is an ordinary working day for a Moscow client.
    assert is_inside(_msk(2026, 11, 26, 11, 0), MOSCOW)


def test_russian_new_year_holidays() -> None:
    # holidays 0.109: Dec 31 is a transferred day off, Jan 1–8 are holidays, Jan 9–10 a weekend.
    off = [date(2026, 12, 31) + timedelta(days=n) for n in range(11)]
    assert not any(is_working_day(day, "RU") for day in off)
    assert is_working_day(date(2027, 1, 11), "RU")
    assert align(_msk(2026, 12, 30, 19, 30), MOSCOW) == _msk(2027, 1, 11, 10, 0)
    assert align(_msk(2027, 1, 4, 12, 0), MOSCOW) == _msk(2027, 1, 11, 10, 0)


def test_moscow_afternoon_is_vladivostok_night() -> None:
    window = Window("Asia/Vladivostok", 600, 1140)
    at = _msk(2026, 11, 24, 14, 0)
    assert at.astimezone(VVO).hour == 21
    aligned = align(at, window)
    assert aligned == datetime(2026, 11, 25, 10, 0, tzinfo=VVO)
    # Returned in the caller's zone: 10:00 in Vladivostok is 03:00 in Moscow.
    assert aligned.tzinfo is MSK
    assert (aligned.hour, aligned.minute) == (3, 0)


def test_custom_window_and_six_day_week() -> None:
    window = Window("Europe/Moscow", 540, 1080, work_days="123456")
    assert align(_msk(2026, 11, 21, 8, 0), window) == _msk(2026, 11, 21, 9, 0)
    assert is_inside(_msk(2026, 11, 21, 17, 59), window)
    assert align(_msk(2026, 11, 21, 18, 0), window) == _msk(2026, 11, 23, 9, 0)
    assert align(_msk(2026, 11, 23, 9, 30), window) == _msk(2026, 11, 23, 9, 30)


def test_start_in_a_dst_gap_moves_forward() -> None:
    # 2026-03-08 02:30 does not exist in New York: clocks jump from 02:00 to 03:00.
    window = Window("America/New_York", 150, 600, work_days="1234567", country="US")
    aligned = align(datetime(2026, 3, 8, 1, 0, tzinfo=NYC), window)
    assert aligned == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert (aligned.hour, aligned.minute) == (3, 30)
    assert is_inside(aligned, window)


def test_start_in_the_repeated_hour_follows_at() -> None:
    # 2026-11-01 01:00–02:00 happens twice in New York; the start must not land before at.
    window = Window("America/New_York", 105, 600, work_days="1234567", country="US")
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert align(first, window) == datetime(2026, 11, 1, 5, 45, tzinfo=UTC)
    assert align(second, window) == datetime(2026, 11, 1, 6, 45, tzinfo=UTC)


def test_align_keeps_utc_and_refuses_naive() -> None:
    aligned = align(datetime(2026, 11, 21, 9, 0, tzinfo=UTC), MOSCOW)
    assert aligned.tzinfo is UTC
    assert aligned == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        align(datetime(2026, 11, 21, 9, 0), MOSCOW)
    with pytest.raises(ValueError):
        is_inside(datetime(2026, 11, 21, 9, 0), MOSCOW)


def test_align_finds_the_first_inside_moment() -> None:
    # Every 37 minutes across the New Year holidays in Vladivostok with the Russian calendar.
    window = Window("Asia/Vladivostok", 600, 1140)
    at = datetime(2026, 12, 24, tzinfo=UTC)
    while at < datetime(2027, 1, 16, tzinfo=UTC):
        aligned = align(at, window)
        assert aligned >= at
        assert is_inside(aligned, window)
        assert aligned == at or not is_inside(aligned - timedelta(minutes=1), window)
        assert align(aligned, window) == aligned
        at += timedelta(minutes=37)


def _local_steps(steps: list[datetime], zone: ZoneInfo = MSK) -> list[str]:
    """Steps as readable local wall-clock strings."""
    return [step.astimezone(zone).strftime("%a %Y-%m-%d %H:%M") for step in steps]


def test_chase_offsets_are_six() -> None:
    assert len(CHASE_OFFSETS) == 6
    assert CHASE_OFFSETS[0] is None


def test_chase_after_a_friday_proposal() -> None:
    start = _msk(2026, 11, 27, 15, 0)
    first = chase_due(start, 0, MOSCOW)
    assert first == _msk(2026, 11, 30, 15, 0)
    assert first.tzinfo is UTC
    # Friday + 3 days is that same Monday, so the list must push it a day on.
    assert chase_due(start, 1, MOSCOW) == first
    assert _local_steps(chase_steps(start, MOSCOW)) == [
        "Mon 2026-11-30 15:00",
        "Tue 2026-12-01 15:00",
        "Fri 2026-12-04 15:00",
        "Fri 2026-12-11 15:00",
        "Mon 2026-12-28 10:00",  # Sunday 2026-12-27 → Monday's start
        "Mon 2027-03-01 10:00",  # Saturday 2027-02-27 → Monday's start
    ]


def test_chase_skips_the_new_year_holidays() -> None:
    start = _msk(2026, 12, 30, 15, 0)
    assert chase_due(start, 0, MOSCOW) == _msk(2027, 1, 11, 15, 0)
    # +3 days and +1 week both fall in the holidays and align to Monday 10:00, before step 0.
    assert chase_due(start, 1, MOSCOW) == _msk(2027, 1, 11, 10, 0)
    assert _local_steps(chase_steps(start, MOSCOW)) == [
        "Mon 2027-01-11 15:00",
        "Tue 2027-01-12 15:00",
        "Wed 2027-01-13 15:00",
        "Thu 2027-01-14 15:00",
        "Mon 2027-02-01 10:00",  # Saturday 2027-01-30 → Monday's start
        "Tue 2027-03-30 15:00",
    ]


def test_chase_month_step_clamps_to_the_end_of_february() -> None:
    start = _msk(2025, 1, 31, 15, 0)
    assert chase_due(start, 4, MOSCOW) == _msk(2025, 2, 28, 15, 0)


def test_chase_keeps_wall_clock_across_dst() -> None:
    start = datetime(2026, 10, 28, 15, 0, tzinfo=NYC)  # EDT, UTC-4
    assert chase_due(start, 2, NEW_YORK) == datetime(2026, 11, 4, 20, 0, tzinfo=UTC)  # EST


def test_chase_uses_the_clients_calendar_day() -> None:
    # Friday 23:00 in Moscow is already Saturday in Vladivostok; the next working day is Monday.
    window = Window("Asia/Vladivostok", 600, 1140)
    start = _msk(2026, 11, 27, 23, 0)
    assert chase_due(start, 0, window) == datetime(2026, 11, 30, 10, 0, tzinfo=VVO)


def test_chase_step_out_of_range() -> None:
    with pytest.raises(IndexError):
        chase_due(_msk(2026, 11, 27, 15, 0), 6, MOSCOW)
    with pytest.raises(IndexError):
        chase_due(_msk(2026, 11, 27, 15, 0), -1, MOSCOW)


@pytest.mark.parametrize(
    ("start", "window"),
    [
        (_msk(2026, 11, 27, 15, 0), MOSCOW),
        (_msk(2026, 12, 30, 15, 0), MOSCOW),
        (_msk(2026, 11, 24, 14, 0), Window("Asia/Vladivostok", 600, 1140)),
        (datetime(2026, 11, 25, 18, 30, tzinfo=NYC), NEW_YORK),
        (_msk(2026, 1, 31, 9, 0), Window("Europe/Moscow", 540, 1080, work_days="123456")),
    ],
)
def test_chase_steps_are_six_increasing_inside_utc(start: datetime, window: Window) -> None:
    steps = chase_steps(start, window)
    assert len(steps) == 6
    assert all(step.tzinfo is UTC for step in steps)
    assert all(is_inside(step, window) for step in steps)
    assert all(a < b for a, b in pairwise(steps))
    assert steps[0] > start
