"""Every question's buttons work once and only for what they were asked about; /cancel."""

from __future__ import annotations

import time
from typing import Any

from aiogram.methods import SendMessage

from tests.conftest import Harness
from tests.dispatcher.test_followups import followups, setup
from tests.dispatcher.test_leads import buttons
from tests.dispatcher.test_limits import data_of


def sends(requests: list[Any]) -> list[SendMessage]:
    """Only the new messages among the requests (not keyboard edits)."""
    return [r for r in requests if isinstance(r, SendMessage)]


def alerts(h: Harness) -> list[str]:
    """The texts of every answerCallbackQuery so far."""
    return [r.text or "" for r in h.session.requests if type(r).__name__ == "AnswerCallbackQuery"]


async def test_an_old_when_keyboard_cannot_act_on_a_later_question(harness: Harness) -> None:
    """Draft ids are reused by SQLite; the token on the button keeps questions apart."""
    await setup(harness, "Acme", "Алёна")
    [first] = await harness.send("/fu Acme")
    await harness.press(data_of(first, "Завтра"))  # answers and closes the first question
    [second] = await harness.send("/fu Алёна")
    before = len(await followups(harness))
    await harness.press(data_of(first, "Через 3 дня"))  # the old keyboard again
    assert len(await followups(harness)) == before
    assert "уже ответили" in alerts(harness)[-1] or "устарела" in alerts(harness)[-1]
    [_confirm] = sends(await harness.press(data_of(second, "Завтра")))
    names = {f.client_id for f in await followups(harness)}
    assert len(names) == 2


async def test_whats_next_pressed_twice_makes_one_follow_up(harness: Harness) -> None:
    await setup(harness, "Ромашка")
    await harness.send("/fu Ромашка через 5 минут позвонить")
    [fu] = await followups(harness)
    from tests.dispatcher.test_followups import cb

    sent = await harness.press(cb("done", fu.id))
    [question] = [m for m in sent if "Что дальше" in (m.text or "")]
    await harness.press(data_of(question, "Через 3 дня"))
    await harness.press(data_of(question, "Через 3 дня"))
    open_ = [f for f in await followups(harness) if f.state == "pending"]
    assert len(open_) == 1
    assert "уже ответили" in alerts(harness)[-1]


async def test_make_it_a_lead_after_no_says_it_was_answered(harness: Harness) -> None:
    await setup(harness)
    forward: dict[str, Any] = {
        "message_id": 50,
        "date": int(time.time()),
        "chat": {"id": 1001, "type": "private"},
        "from": harness.user(),
        "forward_origin": {"type": "hidden_user", "sender_user_name": "Клиент", "date": 1},
        "text": "Здравствуйте, нужен сайт",
    }
    [offer] = await harness.feed({"message": forward})
    await harness.press(data_of(offer, "Нет"))
    sent = await harness.press(data_of(offer, "Сделать лидом"))
    assert sent == []
    assert "уже ответили" in alerts(harness)[-1]


async def test_cancel_drops_the_open_question(harness: Harness) -> None:
    """After «отмена» a typed date is not read as the old question's answer."""
    await setup(harness, "Ромашка")
    [question] = await harness.send("/fu Ромашка")
    [cancelled] = await harness.send("отмена")
    assert "отменил" in cancelled.text.lower()
    [after] = await harness.send("завтра в 11")
    assert "Ромашка" not in after.text
    await harness.press(data_of(question, "Завтра"))
    assert await followups(harness) == []
    [again] = await harness.send("/cancel")
    assert "Отменять нечего" in again.text or "отменил" in again.text.lower()


async def test_buttons_of_an_ambiguous_name_offer_the_candidates(harness: Harness) -> None:
    """`/call Иван обсудили бюджет` with two Ivans: a choice, then the call is logged."""
    await setup(harness, "Иван Петров", "Иван Сидоров")
    [choice] = await harness.send("/call Иван обсудили бюджет")
    assert "Иван Петров" in " ".join(buttons(choice)) and "Иван Сидоров" in " ".join(
        buttons(choice)
    )
    petrov = next(b for b in buttons(choice) if b.startswith("Иван Петров"))
    [logged] = sends(await harness.press(data_of(choice, petrov)))
    assert "Иван Петров" in logged.text
    [card] = await harness.send("/client Иван Петров")
    assert "обсудили бюджет" in card.text
    assert await harness.press(data_of(choice, petrov)) == []  # once


async def test_an_unknown_name_offers_to_create_the_client(harness: Harness) -> None:
    await setup(harness)
    [offer] = await harness.send("/fu Ольга Смирнова завтра в 11 отправить КП")
    assert "Ольга Смирнова" in offer.text
    [confirm] = sends(await harness.press(data_of(offer, "➕ Новый клиент «Ольга Смирнова»")))
    assert "Ольга Смирнова" in confirm.text and "11:00" in confirm.text


async def test_a_name_with_an_edit_word_still_opens_the_card(harness: Harness) -> None:
    await setup(harness, "Студия Next")
    [card] = await harness.send("/client Студия Next")
    assert "👤 <b>Студия Next</b>" in card.text
    [card] = await harness.send("/client Студия Next note позвонить в среду")
    assert "позвонить в среду" in card.text


async def test_a_picker_shows_ten_and_more(harness: Harness) -> None:
    await setup(harness, *[f"Ромашка {i}" for i in range(25)])
    [listing] = await harness.send("/clients Ромашка")
    assert len(buttons(listing)) == 11 and buttons(listing)[-1] == "Ещё ›"
    [page] = await harness.press(data_of(listing, "Ещё ›"))
    assert len(buttons(page)) == 11
    [punct] = await harness.send("/clients %")
    assert "<code>" in punct.text and not punct.reply_markup


async def test_a_search_list_opens_card_after_card(harness: Harness) -> None:
    """A /clients list is not a question: each of its buttons works, again and again."""
    await setup(harness, "Acme", "Beta")
    [listing] = await harness.send("/clients")
    for label in (buttons(listing)[0], buttons(listing)[1], buttons(listing)[0]):
        [card] = sends(await harness.press(data_of(listing, label)))
        assert label.split(" · ")[0] in card.text
