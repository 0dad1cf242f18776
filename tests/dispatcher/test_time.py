"""Time as a manager's first hour met it: end of day, quiet hours, chases after hours."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Harness
from tests.dispatcher.test_followups import setup
from tests.dispatcher.test_leads import buttons
from tests.dispatcher.test_limits import data_of


async def test_end_of_day_is_never_flagged_outside_the_working_day(harness: Harness) -> None:
    """A client in New York: «до конца дня» is the manager's 19:00, with no offer to move it."""
    await setup(harness, "Acme")
    await harness.send("/client Acme tz America/New_York")
    [ok] = await harness.send("/fu Acme до конца дня отправить отчёт")
    assert "19:00" in ok.text and not buttons(ok)


async def test_a_confirmation_in_quiet_hours_says_when_it_comes(harness: Harness) -> None:
    """Quiet 22–8: a reminder at 23:00 says it will come at 08:00."""
    await setup(harness, "Ромашка")
    [menu] = await harness.send("/settings")
    await harness.press(data_of(menu, "🌙 Тихие часы"))
    await harness.send("22-8")
    [ok] = await harness.send("/fu Ромашка сегодня в 23:00 проверить почту")
    assert "тихие часы" in ok.text and "08:00" in ok.text


async def test_a_chase_sent_after_hours_starts_the_next_working_day(harness: Harness) -> None:
    """A proposal chased on Tuesday 21:00 Moscow: first reminder Wednesday 10:00."""
    await setup(harness, "Ромашка")
    harness.clock.advance(timedelta(hours=8))  # 13:00 → 21:00 Moscow, Tuesday 24.11
    [ok] = await harness.send("/fu Ромашка цепочка")
    assert "ср 25.11 10:00" in ok.text


async def test_working_hours_in_words_and_overnight(harness: Harness) -> None:
    await setup(harness)
    [menu] = await harness.send("/settings")
    await harness.press(data_of(menu, "💼 Рабочие часы"))
    [night] = await harness.send("from 11pm to 7am")
    assert "Тихие часы" in night.text
    [ok] = await harness.send("с 9 до 18")
    assert "09:00–18:00" in ok.text
