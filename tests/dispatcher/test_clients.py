"""Clients as a manager's first hour met them: statuses, search, duplicates, names, time."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from aiogram.methods import SendMessage

from bot.storage.repositories import Repos
from tests.conftest import Harness
from tests.dispatcher.test_followups import setup
from tests.dispatcher.test_leads import buttons, fire, lead_ids, onboard
from tests.dispatcher.test_limits import data_of


def texts(requests: list[Any]) -> list[str]:
    """The texts of the messages sent."""
    return [r.text for r in requests if isinstance(r, SendMessage)]


async def test_a_waiting_lead_switched_to_active_is_answered_then(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Иван Петров, +7 999 123-45-67")
    harness.clock.advance(timedelta(minutes=5))
    [card] = await harness.send("/client Иван status active")
    assert "ответили за 5 минут" in card.text.lower() or "5 минут" in card.text
    assert not [t for t in texts(await fire(harness, 60)) if "ждёт ответа" in t]


async def test_lost_or_paused_stops_the_clock(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Иван Петров, +7 999 123-45-67")
    await harness.send("/client Иван status lost")
    assert not [t for t in texts(await fire(harness, 60)) if "Иван" in t]


async def test_search_by_phone_email_username_company_and_latin(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Пётр Иванов, +7 999 123-45-67, peter@acme.io, @peter_i")
    await harness.send("/lead Анна Петрова, +7 912 000-11-22")
    for query in ("999 123 45 67", "89991234567", "999 123", "peter@acme.io", "peter_i", "ivanov"):
        [found] = await harness.send(f"/clients {query}")
        assert "Пётр Иванов" in " ".join(buttons(found)), query
        assert "Анна" not in " ".join(buttons(found)), query
    [by_latin] = await harness.send("/client petrova")
    assert "Анна Петрова" in by_latin.text


async def test_the_same_person_is_not_made_twice(harness: Harness) -> None:
    """A /lead with a known phone asks; «it is them» logs the request and restarts the clock."""
    await onboard(harness)
    await harness.send("/lead Ольга Смирнова, +7 999 123-45-67")
    await harness.send("/client Ольга status active")
    [question] = await harness.send("/lead Оля, 8 999 123 45 67, хочет ещё лендинг")
    assert "Ольга Смирнова" in question.text
    sent = await harness.press(data_of(question, "Это «Ольга Смирнова»: записать обращение"))
    assert any("Ольга Смирнова" in t for t in texts(sent))
    assert len(await lead_ids(harness)) == 1
    pings = texts(await fire(harness, 16))
    assert any("Ольга Смирнова" in t for t in pings)  # the answer clock runs again
    [card] = await harness.send("/client Ольга")
    assert "хочет ещё лендинг" in card.text
    [again] = await harness.send("/lead Оля, +7 999 123-45-67")
    sent = await harness.press(data_of(again, "Это новый клиент"))
    assert len(await lead_ids(harness)) == 2


async def test_a_lead_without_a_name_is_asked_for_one(harness: Harness) -> None:
    await onboard(harness)
    [question] = await harness.send("/lead 🦄🦄🦄, @unicorn")
    assert "Как зовут" in question.text and "@unicorn" in question.text
    assert await lead_ids(harness) == []
    [card] = await harness.send("Единорог Петрович")
    assert "Единорог Петрович" in card.text and "@unicorn" in card.text


async def test_a_londoners_holidays_are_british_until_chosen(harness: Harness) -> None:
    await onboard(harness, zone="London")
    [settings] = await harness.send("/settings")
    assert "Великобритания (по часовому поясу)" in settings.text


async def test_an_old_forward_is_received_when_written_and_pinged_at_once(
    harness: Harness,
) -> None:
    """Forwarded after its SLA: one immediate ping saying how long it has waited — not
    "late: the bot was unavailable"."""
    await onboard(harness)
    written = harness.clock.now() - timedelta(hours=3)
    forward: dict[str, Any] = {
        "message_id": 60,
        "date": int(time.time()),
        "chat": {"id": 1001, "type": "private"},
        "from": harness.user(),
        "forward_origin": {
            "type": "hidden_user",
            "sender_user_name": "Мария Клиентова",
            "date": int(written.timestamp()),
        },
        "text": "Добрый день, нужна реклама",
    }
    [offer] = await harness.feed({"message": forward})
    await harness.press(data_of(offer, "Сделать лидом"))
    pings = [t for t in texts(await fire(harness, 0.1)) if "Мария" in t]
    assert len(pings) == 1
    assert "3 часа" in pings[0] and "недоступен" not in pings[0]
    async with harness.app.db.session() as s:
        [client] = await Repos(s).clients.in_workspace(
            (await Repos(s).users.get(1001)).current_workspace_id  # type: ignore[union-attr]
        )
    assert client.received_at == written.replace(microsecond=0)


async def test_a_command_handled_after_downtime_keeps_its_own_time(harness: Harness) -> None:
    """A /lead sent an hour before the bot read it was received then, not at reading."""
    await setup(harness)
    sent_at = harness.clock.now() - timedelta(hours=1)
    await harness.send("/lead Поздний Лид, +7 999 555-44-33", date=int(sent_at.timestamp()))
    [card] = await harness.send("/client Поздний")
    assert "ждёт ответа 1 час" in card.text


async def test_an_impossible_date_is_refused_as_a_whole(harness: Harness) -> None:
    """«30.02» and «25:00» are refused with the reason; nothing is stored or half-read."""
    from tests.dispatcher.test_followups import followups

    await setup(harness, "Ромашка")
    for phrase in ("30.02 в 10", "завтра в 25:00", "31 апреля"):
        [reply] = await harness.send(f"/fu Ромашка {phrase} позвонить")
        assert "не бывает" in reply.text, phrase
    [vague] = await harness.send("/fu Ромашка сегодня ночью позвонить")
    assert "неопределённо" in vague.text
    assert await followups(harness) == []
    [morning] = await harness.send("/fu Ромашка завтра утром позвонить")
    assert "10:00" in morning.text and "утром" not in morning.text


async def test_back_from_pause_a_lead_is_pinged_again_and_the_pause_not_counted(
    harness: Harness,
) -> None:
    await onboard(harness)
    await harness.send("/lead Ольга, +7 999 123-45-67")
    await harness.send("/client Ольга status paused")
    harness.clock.advance(timedelta(days=3))
    [card] = await harness.send("/client Ольга status lead")
    assert "3 дня" not in card.text
    pings = [t for t in texts(await fire(harness, 16)) if "Лид «Ольга» ждёт ответа" in t]
    assert len(pings) == 1 and "16 минут" in pings[0]


async def test_back_from_pause_to_active_is_answered_at_once(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Ольга, +7 999 123-45-67")
    await harness.send("/client Ольга status paused")
    harness.clock.advance(timedelta(days=3))
    [card] = await harness.send("/client Ольга status active")
    assert "ждёт ответа" not in card.text and "Ответил" not in str(card.reply_markup)


async def test_a_client_is_found_by_company(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Пётр Иванов, +7 999 123-45-67")
    await harness.send("/client Пётр company ООО Ромашка")
    [card] = await harness.send("/client Ромашка")
    assert "Пётр Иванов" in card.text and "Компания: ООО Ромашка" in card.text


async def test_a_phone_is_read_in_the_managers_country(harness: Harness) -> None:
    """A Berlin manager's `0151 23456789` is a German number, not a Russian one."""
    await onboard(harness, zone="Berlin")
    await harness.send("/lead Hans Müller, hans@example.de")
    [card] = await harness.send("/client Hans phone 0151 23456789")
    assert "📞 +49 1512 3456789" in card.text
