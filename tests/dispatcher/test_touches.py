"""Calls and other touches in one line: duration, summary, next step; notes, meetings, mail, /in."""

from __future__ import annotations

from tests.conftest import Harness
from tests.dispatcher.test_followups import followups, setup
from tests.dispatcher.test_leads import fire, onboard


async def test_a_call_with_length_summary_and_next_step(harness: Harness) -> None:
    await setup(harness, "Acme")
    sent = await harness.send("/call Acme 20м обсудили бюджет, next: пт 11:00 отправить КП")
    assert "Длительность: 20 минут" in sent[0].text
    assert any("пт 27.11 11:00" in m.text and "отправить КП" in m.text for m in sent)
    [fu] = await followups(harness)
    assert fu.what == "отправить КП"
    [card] = await harness.send("/client Acme")
    assert "обсудили бюджет" in card.text and "Следующий шаг: пт 11:00 отправить КП" in card.text


async def test_a_call_answers_a_waiting_lead(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Ольга, +7 999 123-45-67")
    [logged] = await harness.send("/call Ольга 5 мин договорились о встрече")
    assert "На лид ответили" in logged.text
    assert not [m for m in await fire(harness, 60) if "ждёт ответа" in (m.text or "")]


async def test_notes_meetings_mail_and_the_clients_word(harness: Harness) -> None:
    await setup(harness, "Acme")
    await harness.send("/fu Acme цепочка")
    for command, word in (
        ("/note Acme звонить после 15:00", "Заметка"),
        ("/meet Acme показали прототип", "Встреча"),
        ("/mail Acme отправили договор", "Письмо"),
    ):
        [ok] = await harness.send(command)
        assert word in ok.text, command
    [got] = await harness.send("/in Acme просят счёт")
    assert "Цепочка остановлена" in got.text
    assert [f for f in await followups(harness) if f.state == "pending"] == []
    [card] = await harness.send("/client Acme")
    for text in ("показали прототип", "отправили договор", "просят счёт", "звонить после 15:00"):
        assert text in card.text, text
    [example] = await harness.send("/meet")
    assert "<code>/meet" in example.text


async def test_a_call_by_name_alone_asks_how_it_went(harness: Harness) -> None:
    """/call Acme: ✅ talked logs the call; 📵 no answer sets «call again» in an hour;
    ⏰ asked to call back asks when."""
    from tests.dispatcher.test_limits import data_of
    from tests.dispatcher.test_questions import sends

    await onboard(harness)
    await harness.send("/lead Acme, +7 999 123-45-67")
    [question] = await harness.send("/call Acme")
    assert "Как прошёл" in question.text
    [no_answer] = sends(
        await harness.press(data_of(question, "📵 Не ответили: перезвонить через час"))
    )
    assert "14:00" in no_answer.text and "перезвонить: не ответили" in no_answer.text
    [lead] = await harness.send("/client Acme")
    assert "ждёт ответа" in lead.text  # no contact made: the lead still waits
    [question] = await harness.send("/call Acme")
    [talked] = sends(await harness.press(data_of(question, "✅ Поговорили")))
    assert "На лид ответили" in talked.text
    [question] = await harness.send("/call Acme")
    [when] = sends(await harness.press(data_of(question, "⏰ Просили перезвонить…")))
    assert "Когда напомнить" in when.text
