"""Tasks in one line: assignee, deadline, urgency; the 50/75 check-ins; /tasks and its buttons."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.storage.models import TaskRow
from bot.storage.records import Task, plain
from tests.conftest import Harness
from tests.dispatcher.test_followups import run_until, setup
from tests.dispatcher.test_leads import buttons, onboard
from tests.dispatcher.test_limits import data_of
from tests.dispatcher.test_teams import invite_code

MSK = ZoneInfo("Europe/Moscow")
ANNA, OLGA, STRANGER = 1001, 1002, 1003


async def tasks(h: Harness) -> list[Task]:
    """Every task row, oldest first."""
    async with h.app.db.session() as s:
        rows = await s.scalars(select(TaskRow).order_by(TaskRow.id))
        return [plain(Task, r) for r in rows]


def with_name(h: Harness, user_id: int, username: str, language: str = "ru") -> dict[str, Any]:
    """A message's `from` carrying a Telegram @username."""
    return {"from": {**h.user(user_id, language, username.title()), "username": username}}


async def team_with_olga(h: Harness) -> None:
    """Anna (Moscow) has client Acme; Olga (@olga) joined her team."""
    await setup(h, "Acme")
    await h.send("/start", user_id=OLGA, **with_name(h, OLGA, "olga"))
    await h.send("Москва", user_id=OLGA, **with_name(h, OLGA, "olga"))
    code = await invite_code(h, ANNA)
    await h.send(f"/start {code}", user_id=OLGA, **with_name(h, OLGA, "olga"))


def to(sent: list[Any], chat: int) -> list[SendMessage]:
    """The messages sent to one chat."""
    return [m for m in sent if isinstance(m, SendMessage) and m.chat_id == chat]


async def test_the_issue_example_gives_olga_an_urgent_task_for_acme(harness: Harness) -> None:
    await team_with_olga(harness)
    sent = await harness.send("/task Acme отчёт по рекламе @olga до пт 18:00 !")
    [mine] = to(sent, ANNA)
    assert "отчёт по рекламе" in mine.text and "Acme" in mine.text and "🔥" in mine.text
    assert "пт 27.11 18:00" in mine.text and "olga" in mine.text
    [hers] = to(sent, OLGA)
    assert "отчёт по рекламе" in hers.text and "Ivan" in hers.text
    [task] = await tasks(harness)
    assert task.assignee_id == OLGA and task.author_id == ANNA and task.urgent
    assert task.due_at == datetime(2026, 11, 27, 18, 0, tzinfo=MSK)


async def test_check_ins_at_half_and_three_quarters_then_overdue_to_the_author(
    harness: Harness,
) -> None:
    """Tue 13:00 → Tue 17:00: asked at 15:00 (how far?), reminded at 16:00, overdue at 17:00."""
    await team_with_olga(harness)
    await harness.send("/task Acme макет @olga сегодня в 17:00")
    half = to(await run_until(harness, datetime(2026, 11, 24, 15, 0, tzinfo=MSK)), OLGA)
    assert len(half) == 1 and "Как продвигается" in half[0].text
    assert buttons(half[0])[:4] == ["≤30%", "~50%", "~70%", "✅ Готово"]
    await harness.press(data_of(half[0], "~50%"), user_id=OLGA)
    three = await run_until(harness, datetime(2026, 11, 24, 16, 0, tzinfo=MSK))
    assert {m.chat_id for m in three if "Прошло три четверти" in m.text} == {ANNA, OLGA}
    assert all("~50%" in m.text for m in three if "три четверти" in m.text)
    due = await run_until(harness, datetime(2026, 11, 24, 17, 0, tzinfo=MSK))
    assert [m.chat_id for m in due if "Срок вышел" in m.text] == [ANNA, OLGA]
    later = await run_until(harness, datetime(2026, 11, 25, 17, 0, tzinfo=MSK))
    assert not [m for m in later if "макет" in m.text]


async def test_a_short_window_gets_no_check_ins_and_done_stops_everything(
    harness: Harness,
) -> None:
    await setup(harness, "Acme")
    await harness.send("/task Acme позвонить юристу через 90 минут")
    assert to(await run_until(harness, datetime(2026, 11, 24, 14, 20, tzinfo=MSK)), ANNA) == []
    await harness.send("/task Acme счёт до завтра")
    [listing] = await harness.send("/tasks")
    await harness.press(data_of(listing, "✅ 1"))
    [task, _other] = await tasks(harness)
    assert task.state == "done"
    late = await run_until(harness, datetime(2026, 11, 24, 15, 0, tzinfo=MSK))
    assert not [m for m in late if "позвонить юристу" in m.text]


async def test_friday_evening_task_due_monday_noon_asks_on_monday(harness: Harness) -> None:
    await setup(harness, "Acme")
    harness.clock.set(datetime(2026, 11, 27, 18, 0, tzinfo=MSK))
    await harness.send("/task Acme презентация до пн 12:00")
    weekend = await run_until(harness, datetime(2026, 11, 30, 9, 59, tzinfo=MSK))
    assert not [m for m in weekend if "презентация" in m.text]
    monday = await run_until(harness, datetime(2026, 11, 30, 10, 30, tzinfo=MSK))
    assert [m for m in monday if "Как продвигается" in m.text]


async def test_no_deadline_asks_with_buttons_and_keeps_the_task(harness: Harness) -> None:
    await setup(harness, "Acme")
    [ask] = await harness.send("/task Acme подготовить договор")
    assert buttons(ask) == ["Сегодня до конца дня", "Завтра", "В пятницу", "Без срока"]
    [task] = await tasks(harness)
    assert task.due_at is None and task.what == "подготовить договор"
    [moved] = await harness.send("в четверг 15:00")
    assert "чт 26.11 15:00" in moved.text
    [task] = await tasks(harness)
    assert task.due_at == datetime(2026, 11, 26, 15, 0, tzinfo=MSK)
    await harness.send("/task Acme второй договор")
    [done] = await harness.press(data_of((await harness.send("/tasks"))[0], "📅 2"))
    assert "Новый срок" in done.text


async def test_a_stranger_named_as_assignee_gets_the_invite_offer(harness: Harness) -> None:
    await setup(harness, "Acme")
    [offer] = await harness.send("/task Acme бриф @petya завтра")
    assert "@petya" in offer.text and "/invite" in offer.text
    assert await tasks(harness) == []
    [made] = to(await harness.press(data_of(offer, "✋ Сделаю сам")), ANNA)
    [task] = await tasks(harness)
    assert task.assignee_id == ANNA and task.what == "бриф" and "бриф" in made.text
    assert to(await harness.press(data_of(offer, "✋ Сделаю сам")), ANNA) == []  # once
    assert len(await tasks(harness)) == 1


async def test_bad_input_stores_nothing_and_shows_an_example(harness: Harness) -> None:
    await setup(harness, "Acme")
    for bad in ("/task", "/task Acme 31.02", "/task Acme вчера", "/task Acme отчёт 31.02 10:00"):
        [reply] = await harness.send(bad)
        assert "<code>" in reply.text, bad
    assert await tasks(harness) == []


async def test_task_without_a_client_and_in_english(harness: Harness) -> None:
    await onboard(harness)
    [ok] = await harness.send("/task renew the domain tomorrow 12:00", language="en")
    assert "renew the domain" in ok.text and "Deadline" in ok.text
    [task] = await tasks(harness)
    assert task.client_id is None


async def test_tasks_show_in_today_and_on_the_card(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/task Acme отчёт сегодня 18:00")
    [today] = await harness.send("/today")
    assert "Задачи" in today.text and "отчёт" in today.text
    [card] = await harness.send("/client Acme")
    assert "задача: отчёт" in card.text


async def test_reassign_and_crafted_buttons_of_another_team(harness: Harness) -> None:
    await team_with_olga(harness)
    await harness.send("/task Acme смета завтра")
    [listing] = await harness.send("/tasks")
    [people] = await harness.press(data_of(listing, "👤 1"))
    sent = await harness.press(data_of(people, "Olga (@olga)"))
    assert any("olga" in m.text for m in to(sent, ANNA))
    assert any("смета" in m.text for m in to(sent, OLGA))
    [task] = await tasks(harness)
    assert task.assignee_id == OLGA
    await onboard(harness, STRANGER)
    for action in ("done", "move", "who", "open", "pg"):
        data = f"tk:{action}:{task.id}:50:"
        assert to(await harness.press(data, user_id=STRANGER), STRANGER) == []
    [task] = await tasks(harness)
    assert task.state == "open" and task.assignee_id == OLGA


async def test_a_moved_deadline_moves_the_check_ins(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/task Acme аудит сегодня в 17:00")
    [listing] = await harness.send("/tasks")
    await harness.press(data_of(listing, "📅 1"))
    await harness.send("завтра 17:00")
    old = await run_until(harness, datetime(2026, 11, 24, 17, 30, tzinfo=MSK))
    assert not [m for m in old if "аудит" in m.text]
    new = await run_until(harness, datetime(2026, 11, 25, 17, 0, tzinfo=MSK))
    assert [m for m in new if "Срок вышел" in m.text and "аудит" in m.text]
    assert harness.clock.now() - datetime(2026, 11, 25, 17, 0, tzinfo=MSK) == timedelta(0)


async def test_the_card_is_one_dated_timeline_of_calls_tasks_invoices_and_payments(
    harness: Harness,
) -> None:
    await setup(harness, "Acme")
    await harness.send("/call Acme 10м обсудили смету")
    harness.clock.advance(timedelta(minutes=5))
    await harness.send("/task Acme смета до пт")
    harness.clock.advance(timedelta(minutes=5))
    await harness.send("/invoice Acme 120 000 ₽ до 5.12 #45")
    harness.clock.advance(timedelta(minutes=5))
    await harness.send("/paid #45 20 000")
    [card] = await harness.send("/client Acme")
    history = card.text.replace("\xa0", " ").split("История")[1].splitlines()[1:]
    assert [line[0] for line in history[:4]] == ["💰", "🧾", "📌", "📞"]
    assert "20 000,00 ₽" in history[0] and "#45" in history[0]
    assert "счёт: #45 120 000,00 ₽" in history[1]
    for n in range(60):  # a long history stays within Telegram's limit
        await harness.send(f"/task Acme задача номер {n} {'x' * 300} до пт")
    [card] = await harness.send("/client Acme")
    assert len(card.text) <= 4096 and "История" in card.text


async def test_today_shows_invoices_due_and_overdue(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/invoice Acme 5000 $ до 25.11 #7")
    await harness.send("/invoice Acme 9000 до 20.12 #8")
    harness.clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=MSK))
    [today] = await harness.send("/today")
    text = today.text.replace("\xa0", " ")
    assert "Счета к оплате" in text and "#7" in text and "Acme" in text
    assert "#8" not in text
    assert "🧾 #7 Acme" in buttons(today)
