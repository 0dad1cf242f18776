"""When a task asks how far along (50%) and reminds (75%): working time, quiet hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.tasks import CHECK_50, CHECK_75, checkin_moments
from bot.storage.records import User

MSK = ZoneInfo("Europe/Moscow")
ZONE = "Europe/Moscow"
OLGA = User(
    id=1,
    first_name="Olga",
    username="olga",
    tg_language="ru",
    language="ru",
    timezone=ZONE,
    work_start_min=600,
    work_end_min=1140,
    work_days="12345",
    quiet_start_min=22 * 60,
    quiet_end_min=8 * 60,
    weekend_reminders=True,
    urgent_in_quiet=True,
    holiday_country=None,
    current_workspace_id=None,
    awaiting=None,
    blocked_at=None,
)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


def local(moments: list) -> list[tuple[str, str]]:
    return [(m.kind, m.at.astimezone(MSK).strftime("%a %d %H:%M")) for m in moments]


@pytest.mark.parametrize(
    ("start", "due", "expected"),
    [
        # Same day, four hours: plain halves.
        (at(1, 12), at(1, 16), [(CHECK_50, "Tue 01 14:00"), (CHECK_75, "Tue 01 15:00")]),
        # The case: Friday 18:00 → Monday noon asks on Monday morning, not at night.
        (at(4, 18), at(7, 12), [(CHECK_50, "Mon 07 10:30"), (CHECK_75, "Mon 07 11:15")]),
        # Two and a half working days.
        (at(1, 12), at(3, 19), [(CHECK_50, "Wed 02 15:30"), (CHECK_75, "Thu 03 12:45")]),
        # Under two hours: nothing but the deadline.
        (at(1, 12), at(1, 13, 30), []),
        # Evening window: 75% falls in quiet hours and would be held past the deadline.
        (at(1, 19), at(1, 23, 30), [(CHECK_50, "Tue 01 21:15")]),
    ],
)
def test_check_in_moments(start: datetime, due: datetime, expected: list) -> None:
    assert local(checkin_moments(start, due, OLGA, ZONE)) == expected


def test_a_new_year_holiday_is_not_working_time() -> None:
    """Dec 30 → Jan 12 in Russia: the January holidays are skipped."""
    moments = checkin_moments(at(30, 12), datetime(2027, 1, 12, 19, tzinfo=MSK), OLGA, ZONE)
    for m in moments:
        day = m.at.astimezone(MSK).date()
        assert not (datetime(2027, 1, 1).date() <= day <= datetime(2027, 1, 8).date())


def test_night_shift_hours_fall_back_to_plain_time() -> None:
    night = replace(OLGA, work_start_min=22 * 60, work_end_min=6 * 60, quiet_start_min=None)
    moments = checkin_moments(at(1, 12), at(3, 12), night, ZONE)
    assert local(moments) == [(CHECK_50, "Wed 02 12:00"), (CHECK_75, "Thu 03 00:00")]


@settings(max_examples=200, deadline=None)
@given(
    start_min=st.integers(0, 60 * 24 * 60),
    length_min=st.integers(0, 60 * 24 * 30),
    weekend=st.booleans(),
)
def test_check_ins_fall_inside_the_window_in_order(
    start_min: int, length_min: int, weekend: bool
) -> None:
    start = at(1, 0) + timedelta(minutes=start_min)
    due = start + timedelta(minutes=length_min)
    person = replace(OLGA, weekend_reminders=weekend)
    moments = checkin_moments(start, due, person, ZONE)
    if due - start < timedelta(hours=2):
        assert moments == []
    times = [m.at for m in moments]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(start < t < due for t in times)
    for t in times:  # never inside quiet hours
        hour = t.astimezone(MSK).hour
        assert not (hour >= 22 or hour < 8)
