"""Dispatcher-level tests of /fu, reminder buttons, chases, series, /today and the digest."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.methods import EditMessageText, SendMessage

from bot.storage.records import FollowUp
from bot.storage.repositories import Repos
from bot.views.followups import FuCb
from tests.conftest import Harness
from tests.dispatcher.test_leads import buttons, onboard

# START is Tue 2026-11-24 10:00 UTC = 13:00 in Moscow.


async def setup(h: Harness, *clients: str) -> None:
    """An onboarded Moscow manager with these clients, answered and active."""
    await onboard(h)
    for name in clients:
        await h.send(f"/lead {name}")
        await h.send(f"/client {name} status active")


async def followups(h: Harness) -> list[FollowUp]:
    """Every follow-up row, oldest first."""
    async with h.app.db.session() as s:
        return await Repos(s).followups.open_for_user(1001) + await _closed(s)


async def _closed(s: Any) -> list[FollowUp]:
    from sqlalchemy import select

    from bot.storage.models import FollowUpRow
    from bot.storage.records import plain

    rows = await s.scalars(
        select(FollowUpRow).where(FollowUpRow.state.in_(("done", "stopped", "skipped")))
    )
    return [plain(FollowUp, r) for r in rows]


async def run_until(h: Harness, at: datetime) -> list[SendMessage]:
    """Move the clock to `at`, fire what is due, deliver; the messages sent."""
    h.clock.set(at)
    before = len(h.session.requests)
    await h.app.alarm.run_due()
    await h.app.delivery.run_once()
    return [r for r in h.session.requests[before:] if isinstance(r, SendMessage)]


def no_digest(sent: list[SendMessage]) -> list[SendMessage]:
    """The sent messages other than morning digests."""
    return [m for m in sent if "Доброе утро" not in m.text]


def reminders_of(sent: list[SendMessage], name: str) -> list[SendMessage]:
    """Follow-up reminders about this client among the sent messages (digests left out)."""
    return [m for m in no_digest(sent) if "🔔" in m.text and name in m.text and m.reply_markup]


def cb(action: str, fu_id: int, arg: str = "") -> str:
    return FuCb(action=action, id=fu_id, arg=arg).pack()


async def test_fu_confirms_in_managers_clock_and_fires_once(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    [ok] = await harness.send("/fu Ромашка завтра в 11 отправить КП")
    assert "Ромашка" in ok.text and "ср 25.11 11:00" in ok.text and "отправить КП" in ok.text
    assert "у клиента" not in ok.text  # same zone: one clock
    [fu] = await followups(harness)
    assert fu.due_at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC) and fu.what == "отправить КП"
    assert no_digest(await run_until(harness, fu.due_at - timedelta(seconds=1))) == []
    sent = await run_until(harness, fu.due_at)
    [reminder] = reminders_of(sent, "Ромашка")
    assert buttons(reminder) == [
        "✅ Готово",
        "+15 мин",
        "+1 ч",
        "Завтра",
        "Понедельник",
        "🗓 Другое время",
    ]
    assert no_digest(await run_until(harness, fu.due_at + timedelta(days=2))) == []


async def test_client_zone_shows_both_clocks_and_offers_their_working_day(
    harness: Harness,
) -> None:
    await setup(harness, "Владимир")
    await harness.send("/client Владимир tz Asia/Vladivostok")
    [ok] = await harness.send("/fu Владимир пт 10:00 созвон")
    # 10:00 in Moscow is 17:00 in Vladivostok: inside their day, both clocks shown.
    assert "пт 27.11 17:00 у клиента (10:00 у вас)" in ok.text
    assert ok.reply_markup is None
    [late] = await harness.send("/fu Владимир завтра в 15:00 счёт")
    # 15:00 Moscow = 22:00 Vladivostok: outside; the offer is their next 10:00 (03:00 Moscow).
    assert "22:00 у клиента (15:00 у вас)" in late.text
    assert buttons(late) == ["Перенести на чт 26.11 10:00", "Оставить"]
    fu_id = max(f.id for f in await followups(harness))
    [moved] = await harness.press(late.reply_markup.inline_keyboard[0][0].callback_data)
    assert isinstance(moved, EditMessageText)
    assert "чт 26.11 10:00 у клиента (03:00 у вас)" in moved.text
    [fu] = [f for f in await followups(harness) if f.id == fu_id]
    assert fu.due_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


async def test_keep_leaves_the_typed_time(harness: Harness) -> None:
    await setup(harness, "Владимир")
    await harness.send("/client Владимир tz Asia/Vladivostok")
    await harness.send("/fu Владимир завтра в 15:00")
    before = await followups(harness)
    await harness.press(cb("keep", before[0].id))
    assert [f.due_at for f in await followups(harness)] == [before[0].due_at]


async def test_no_date_asks_when_with_buttons(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    [ask] = await harness.send("/fu Ромашка отправить договор")
    assert "Когда напомнить" in ask.text and "Ромашка" in ask.text
    assert buttons(ask) == ["Через час", "Завтра", "В пн", "Через 3 дня"]
    assert await followups(harness) == []
    pressed = await harness.press(ask.reply_markup.inline_keyboard[0][1].callback_data)
    [ok] = [m for m in pressed if isinstance(m, SendMessage)]
    assert "ср 25.11 10:00" in ok.text and "отправить договор" in ok.text
    [fu] = await followups(harness)
    assert fu.what == "отправить договор"
    # A second press of the same offer does nothing more.
    await harness.press(ask.reply_markup.inline_keyboard[0][1].callback_data)
    assert len(await followups(harness)) == 1


async def test_typed_answer_to_when(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка позвонить")
    [bad] = await harness.send("как-нибудь")
    assert "не нашёл дату" in bad.text and "<code>" in bad.text
    [ok] = await harness.send("в пятницу в 12")
    assert "пт 27.11 12:00" in ok.text and "позвонить" in ok.text


async def test_bad_input_stores_nothing(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    [empty] = await harness.send("/fu")
    assert "<code>/fu" in empty.text
    [unknown] = await harness.send("/fu Незнакомец завтра")
    assert "не нашёл клиента" in unknown.text.lower() or "Незнакомец" in unknown.text
    [past] = await harness.send("/fu Ромашка сегодня в 9:00")
    # «сегодня в 9» at 13:00 is gone.
    assert "прошло" in past.text or "прошл" in past.text
    assert await followups(harness) == []


async def test_snooze_moves_and_done_stops_and_asks_whats_next(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка через 10 минут позвонить")
    [fu] = await followups(harness)
    assert reminders_of(await run_until(harness, fu.due_at), "Ромашка")
    [note] = await harness.press(cb("snz", fu.id, "15m"))
    assert "Отложено до" in note.text
    assert no_digest(await run_until(harness, fu.due_at + timedelta(minutes=14))) == []
    [_again] = reminders_of(
        await run_until(harness, fu.due_at + timedelta(minutes=15, seconds=1)), "Ромашка"
    )
    done = await harness.press(cb("done", fu.id))
    assert any("✅ Готово." in m.text for m in done if isinstance(m, EditMessageText))
    [ask] = [m for m in done if isinstance(m, SendMessage)]
    assert "Что дальше" in ask.text and "Ромашка" in ask.text
    assert no_digest(await run_until(harness, fu.due_at + timedelta(days=3))) == []
    # The answer to "what's next?" becomes the client's next step and a new follow-up.
    [ok] = await harness.send("отправить договор завтра в 12")
    assert "сб 28.11 12:00" in ok.text  # the clock is on Friday 27.11 by now
    async with harness.app.db.session() as s:
        client = (await Repos(s).clients.in_workspace(fu.workspace_id))[0]
    assert client.next_step == "отправить договор"


async def test_reply_to_a_reminder_with_a_date_reschedules_it(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка через 5 минут")
    [fu] = await followups(harness)
    await run_until(harness, fu.due_at)
    async with harness.app.db.session() as s:
        from sqlalchemy import text

        message_id = await s.scalar(
            text("SELECT message_id FROM notifications WHERE kind='followup'")
        )
    [moved] = await harness.send(
        "завтра в 11",
        reply_to_message={
            "message_id": message_id,
            "date": 0,
            "chat": {"id": 1001, "type": "private"},
            "text": "🔔",
        },
    )
    assert "перенесено на" in moved.text.lower() and "ср 25.11 11:00" in moved.text
    [fu] = await followups(harness)
    assert fu.due_at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC) and fu.state == "pending"


async def test_chase_runs_its_cadence_and_stops_when_the_client_replies(
    harness: Harness,
) -> None:
    await setup(harness, "Ромашка")
    [ok] = await harness.send("/fu Ромашка цепочка КП")
    assert "6" in ok.text and "ср 25.11 13:00" in ok.text  # next working day, same time
    [step0] = await followups(harness)
    [first] = reminders_of(await run_until(harness, step0.due_at), "Ромашка")
    assert "Клиент ответил" in " ".join(buttons(first)) and "1 из 6" in first.text
    [step1] = [f for f in await followups(harness) if f.state == "pending"]
    assert step1.step == 1 and step1.due_at == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    await harness.press(cb("replied", step0.id))
    assert [f for f in await followups(harness) if f.state in ("pending", "fired")] == []
    assert no_digest(await run_until(harness, datetime(2027, 4, 1, tzinfo=UTC))) == []
    async with harness.app.db.session() as s:
        assert await Repos(s).clients.last_touch(step0.client_id, "in") is not None


async def test_chase_stops_by_itself_when_a_client_touch_is_logged(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка chase")
    [step0] = await followups(harness)
    async with harness.app.db.session() as s:
        await Repos(s).clients.add_touch(
            step0.client_id,
            user_id=None,
            kind="message",
            direction="in",
            at=harness.clock.now(),
            now=harness.clock.now(),
        )
    assert no_digest(await run_until(harness, datetime(2027, 4, 1, tzinfo=UTC))) == []


async def test_recurring_keeps_wall_clock_and_stops(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    [ok] = await harness.send("/fu Ромашка каждый пн 10:00 отчёт")
    assert "пн 30.11 10:00" in ok.text and "отчёт" in ok.text
    [first] = await followups(harness)
    sent = await run_until(harness, first.due_at)
    [reminder] = reminders_of(sent, "Ромашка")
    assert "⏹ Стоп" in buttons(reminder)
    [nxt] = [f for f in await followups(harness) if f.state == "pending"]
    assert nxt.due_at == first.due_at + timedelta(days=7)
    await harness.press(cb("stop", nxt.id))
    assert no_digest(await run_until(harness, datetime(2027, 1, 1, tzinfo=UTC))) == []


async def test_today_lists_overdue_first_then_due_and_waiting_leads(harness: Harness) -> None:
    await setup(harness, "Ромашка", "Лютик")
    [empty] = await harness.send("/today")
    assert "Ничего" in empty.text
    await harness.send("/fu Ромашка через 5 минут позвонить")
    await harness.send("/fu Лютик сегодня в 18 счёт")
    await harness.send("/lead Новый Лид")
    await run_until(harness, harness.clock.now() + timedelta(minutes=6))
    [today] = await harness.send("/today")
    text = today.text
    assert text.index("Просрочено") < text.index("Ромашка") < text.index("Лютик")
    assert text.index("Лютик") < text.index("Новый Лид")
    assert len(buttons(today)) == 3
    [week] = await harness.send("/week")
    assert "Лютик" in week.text


async def test_digest_comes_at_local_morning_and_not_on_an_empty_day(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    # Nothing due: Wednesday's 10:00 Moscow (07:00 UTC) passes in silence.
    assert no_digest(await run_until(harness, datetime(2026, 11, 25, 7, 0, 1, tzinfo=UTC))) == []
    await harness.send("/fu Ромашка пт 15:00 созвон")
    sent = await run_until(harness, datetime(2026, 11, 27, 7, 0, 1, tzinfo=UTC))
    [digest] = [m for m in sent if "Доброе утро" in m.text]
    assert "Ромашка" in digest.text and "15:00" in digest.text


async def test_digest_follows_a_move_to_another_zone(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка пт 15:00 созвон")
    await harness.send("/settings")
    async with harness.app.db.session() as s:
        await Repos(s).users.update(1001, harness.clock.now(), awaiting="tz")
    await harness.send("Владивосток")
    # Friday 10:00 in Vladivostok is Thursday 23:00 UTC.
    sent = await run_until(harness, datetime(2026, 11, 27, 0, 0, 1, tzinfo=UTC))
    assert [m for m in sent if "Доброе утро" in m.text]


async def test_silent_clients_appear_in_the_digest(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    sent = await run_until(harness, datetime(2026, 12, 10, 7, 0, 1, tzinfo=UTC))
    [digest] = [m for m in sent if "Доброе утро" in m.text]
    assert "Молчат" in digest.text and "Ромашка" in digest.text


async def test_client_card_shows_follow_ups_and_offers_one(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка завтра в 11 отправить КП")
    [card] = await harness.send("/client Ромашка")
    assert "🔔 Напоминание: 25.11 11:00 — отправить КП" in card.text
    assert buttons(card)[0] == "🔔 Напомнить"
    [ask] = await harness.press(card.reply_markup.inline_keyboard[0][0].callback_data)
    assert "Когда напомнить про «Ромашка»" in ask.text
    [ok] = await harness.send("в пятницу")
    assert "пт 27.11 10:00" in ok.text


async def test_recurring_series_keeps_10_local_across_berlin_spring_forward(
    harness: Harness,
) -> None:
    await onboard(harness, zone="Europe/Berlin")
    await harness.send("/lead Ромашка")
    await harness.send("/fu Ромашка каждый пн 10:00 отчёт")
    seen: list[datetime] = []
    while len(seen) < 20:
        [pending] = [f for f in await followups(harness) if f.state == "pending"]
        seen.append(pending.due_at)
        await run_until(harness, pending.due_at)
    # Winter: 10:00 CET is 09:00 UTC; from Sunday 28 March 2027 it is CEST, 08:00 UTC.
    assert all(d.hour == 9 for d in seen if d < datetime(2027, 3, 28, tzinfo=UTC))
    assert all(d.hour == 8 for d in seen if d > datetime(2027, 3, 28, tzinfo=UTC))
    assert datetime(2027, 3, 29, 8, 0, tzinfo=UTC) in seen
    assert all(
        b - a == timedelta(days=7) or b - a == timedelta(days=7, hours=-1)
        for a, b in itertools.pairwise(seen)
    )


@pytest.mark.parametrize(
    ("city", "before", "after"),
    [
        # 10:00 on Wednesday 25.11 in each zone, as UTC.
        ("Владивосток", datetime(2026, 11, 25, 0, 0), datetime(2026, 11, 25, 0, 0, 1)),
        ("Москва", datetime(2026, 11, 25, 7, 0), datetime(2026, 11, 25, 7, 0, 1)),
        ("Нью-Йорк", datetime(2026, 11, 25, 15, 0), datetime(2026, 11, 25, 15, 0, 1)),
    ],
)
async def test_digest_at_each_managers_own_morning(
    harness: Harness, city: str, before: datetime, after: datetime
) -> None:
    await onboard(harness, zone=city)
    await harness.send("/lead Ромашка")
    await harness.send("/client Ромашка status active")
    await harness.send("/fu Ромашка ср 16:00 созвон")
    early = await run_until(harness, before.replace(tzinfo=UTC) - timedelta(seconds=1))
    assert not [m for m in early if "Доброе утро" in m.text]
    sent = await run_until(harness, after.replace(tzinfo=UTC))
    [digest] = [m for m in sent if "Доброе утро" in m.text]
    assert "ср 25.11 16:00 · «Ромашка» — созвон" in digest.text


async def test_a_morning_digest_missed_by_downtime_is_not_sent_in_the_evening(
    harness: Harness,
) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка ср 16:00 созвон")
    # The bot "wakes up" at 20:00 Moscow on Wednesday: the reminder comes, the digest does not.
    sent = await run_until(harness, datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    assert reminders_of(sent, "Ромашка") and not [m for m in sent if "Доброе утро" in m.text]
    # Thursday morning: the digest lists the follow-up nobody acted on as overdue.
    sent = await run_until(harness, datetime(2026, 11, 26, 7, 0, 1, tzinfo=UTC))
    [digest] = [m for m in sent if "Доброе утро" in m.text]
    assert "Просрочено" in digest.text and "Ромашка" in digest.text


async def test_a_reply_to_a_reminder_wins_over_an_old_question(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка позвонить")  # asks "when?"; the manager moves on
    await harness.send("/fu Ромашка через 5 минут перезвонить")
    [fu] = await followups(harness)
    await run_until(harness, fu.due_at)
    [ask] = await harness.send("завтра в 12")
    # A new command dropped the old question: plain text is not read as its answer.
    assert "не понял" in ask.text.lower() or "/help" in ask.text
    assert len(await followups(harness)) == 1


async def test_quiet_hours_and_days_off_hold_a_reminder_back(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    async with harness.app.db.session() as s:
        await Repos(s).users.update(
            1001,
            harness.clock.now(),
            quiet_start_min=22 * 60,
            quiet_end_min=8 * 60,
            weekend_reminders=False,
        )
    await harness.send("/fu Ромашка сегодня в 23:00 письмо")  # Tuesday 23:00 Moscow: quiet
    await harness.send("/fu Ромашка сб 12:00 отчёт")  # Saturday: a day off
    sent = await run_until(harness, datetime(2026, 11, 24, 20, 0, 1, tzinfo=UTC))
    assert reminders_of(sent, "письмо") == []
    sent = await run_until(harness, datetime(2026, 11, 25, 5, 0, 1, tzinfo=UTC))  # 08:00
    assert reminders_of(sent, "письмо")
    assert (
        reminders_of(await run_until(harness, datetime(2026, 11, 28, 9, 0, 1, tzinfo=UTC)), "отчёт")
        == []
    )
    # Monday 10:00 Moscow, the start of the working day.
    assert reminders_of(
        await run_until(harness, datetime(2026, 11, 30, 7, 0, 1, tzinfo=UTC)), "отчёт"
    )


async def test_a_recurring_series_takes_a_new_rule(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка каждый пн 10:00 отчёт")
    [fu] = await followups(harness)
    [ask] = await harness.press(cb("at", fu.id))
    assert "каждый вт 11:00" in ask.text
    [ok] = await harness.send("каждую среду в 12")
    assert "ср в 12:00" in ok.text and "ср 25.11 12:00" in ok.text
    [fu] = [f for f in await followups(harness) if f.state == "pending"]
    assert fu.due_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC) and fu.what == "отчёт"


async def test_an_english_speaking_manager(harness: Harness) -> None:
    en = {"language": "en"}
    await harness.send("/start", **en)
    await harness.send("New York", **en)
    await harness.send("/lead Acme", **en)
    await harness.send("/client Acme tz Europe/London", **en)
    [ok] = await harness.send("/fu Acme fri 9am send the deck", **en)
    # 9:00 in New York is 14:00 in London.
    assert "Fri 27.11 14:00 client's time (09:00 yours)" in ok.text and "send the deck" in ok.text
    [series] = await harness.send("/fu Acme every month on the 1st invoice", **en)
    assert "monthly on day 1 at 10:00" in series.text and "Tue 01.12 10:00" in series.text
    [today] = await harness.send("/today", **en)
    assert "Leads waiting for an answer" in today.text and "“Acme”" in today.text


async def pending_rows(h: Harness) -> list[FollowUp]:
    return [f for f in await followups(h) if f.state == "pending"]


async def test_a_new_rule_given_after_a_reminder_replaces_the_old_one(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка каждый день в 15:00 отчёт")
    [first] = await followups(harness)
    await run_until(harness, first.due_at)  # Tuesday 15:00; Wednesday's row is made
    await harness.press(cb("at", first.id))
    await harness.send("каждую среду в 12")
    [only] = await pending_rows(harness)
    assert only.due_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC) and "BYDAY=WE" in (
        only.rule or ""
    )
    await run_until(harness, only.due_at)
    [nxt] = await pending_rows(harness)
    assert nxt.due_at == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def test_a_snoozed_occurrence_does_not_stall_its_series(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка каждый день в 15:00 отчёт")
    [first] = await followups(harness)
    await run_until(harness, first.due_at)
    await harness.press(cb("snz", first.id, "mon"))
    for day in (25, 26, 27, 28, 29):
        sent = await run_until(harness, datetime(2026, 11, day, 12, 0, tzinfo=UTC))
        assert len(reminders_of(sent, "Ромашка")) == 1, day
    # Monday 10:00: the snoozed Tuesday comes back on its own, the series does not double.
    sent = await run_until(harness, datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    assert len(reminders_of(sent, "Ромашка")) == 1
    assert [f.due_at.day for f in await pending_rows(harness)] == [30]


async def test_a_chase_step_snoozed_past_the_next_one_repeats_nothing(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка цепочка")
    [step0] = await followups(harness)
    await run_until(harness, step0.due_at)  # Wed 25.11 13:00 Moscow
    await harness.press(cb("snz", step0.id, "mon"))  # to Mon 30.11, past step 1 (Fri 27.11)
    sent = await run_until(harness, datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    assert ["2 из 6" in m.text for m in reminders_of(sent, "Ромашка")] == [True]
    sent = await run_until(harness, datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    assert ["1 из 6" in m.text for m in reminders_of(sent, "Ромашка")] == [True]
    assert [f.step for f in await pending_rows(harness)] == [2]


async def test_chase_steps_never_come_together(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))  # Friday 13:00 Moscow
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка цепочка")
    dues: list[datetime] = []
    for _ in range(6):
        [row] = await pending_rows(harness)
        dues.append(row.due_at)
        sent = await run_until(harness, row.due_at)
        assert len(reminders_of(sent, "Ромашка")) == 1
    assert dues == sorted(set(dues)) and dues[1] - dues[0] >= timedelta(days=1)
    assert await pending_rows(harness) == []


async def test_client_replied_on_an_older_chase_reminder_still_stops_it(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка цепочка")
    [step0] = await followups(harness)
    await run_until(harness, step0.due_at)
    [step1] = await pending_rows(harness)
    await run_until(harness, step1.due_at)  # step 0 is now superseded
    await harness.press(cb("replied", step0.id))
    assert await pending_rows(harness) == []
    assert no_digest(await run_until(harness, datetime(2027, 4, 1, tzinfo=UTC))) == []


async def test_a_reminder_held_for_quiet_hours_is_dropped_once_the_client_replies(
    harness: Harness,
) -> None:
    await setup(harness, "Владимир")
    await harness.send("/client Владимир tz Asia/Vladivostok")
    async with harness.app.db.session() as s:
        await Repos(s).users.update(
            1001, harness.clock.now(), quiet_start_min=22 * 60, quiet_end_min=8 * 60
        )
    await harness.send("/fu Владимир цепочка")
    [step0] = await followups(harness)
    # Step 0 is 10:00 in Vladivostok = 03:00 Moscow: fired, but held until 08:00.
    assert reminders_of(await run_until(harness, step0.due_at), "Владимир") == []
    await harness.press(cb("replied", step0.id))
    sent = await run_until(harness, datetime(2026, 11, 25, 5, 0, 1, tzinfo=UTC))  # 08:00
    assert reminders_of(sent, "Владимир") == []


async def test_a_past_or_far_date_keeps_the_question_open(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка позвонить")
    [past] = await harness.send("сегодня в 9")
    assert "уже прошло" in past.text
    [far] = await harness.send("31.12.2099 23:59")
    assert "слишком далеко" in far.text
    [ok] = await harness.send("завтра в 11")
    assert "ср 25.11 11:00" in ok.text and "позвонить" in ok.text
    [direct] = await harness.send("/fu Ромашка 31.12.2099 созвон")
    assert "слишком далеко" in direct.text
    assert len(await followups(harness)) == 1


async def test_tampered_buttons_and_long_text_are_refused_quietly(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка через 5 минут")
    [fu] = await followups(harness)
    for data in (
        cb("align", fu.id, "abc"),
        cb("align", fu.id, "99999999999999"),
        cb("snz", fu.id, "xx"),
    ):
        assert [m for m in await harness.press(data) if isinstance(m, SendMessage)] == []
    [fu_after] = await followups(harness)
    assert fu_after.due_at == fu.due_at
    [answer] = await harness.send("/fu " + "а " * 2000)
    assert "не нашёл клиента" in answer.text.lower()


async def test_a_yearly_follow_up_keeps_its_date(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    [ok] = await harness.send("/fu Ромашка ежегодно 1 марта продлить домен")
    assert "ежегодно 1 марта в 10:00 — продлить домен" in ok.text
    assert "пн 01.03.2027 10:00" in ok.text
