"""Dispatcher-level tests of leads, pings, clients and their buttons, on an injected clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage
from sqlalchemy import text

from bot.storage.repositories import Repos
from bot.views.leads import LeadCb
from tests.conftest import Harness


def buttons(method: Any) -> list[str]:
    """The texts of a message's inline buttons."""
    markup = method.reply_markup
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


async def fire(h: Harness, minutes: float) -> list[Any]:
    """Move the clock, let the alarm fire what is due, deliver; return the requests."""
    h.clock.advance(timedelta(minutes=minutes))
    before = len(h.session.requests)
    await h.app.alarm.run_due()
    await h.app.delivery.run_once()
    return h.session.requests[before:]


async def onboard(h: Harness, user_id: int = 1001, zone: str = "Москва") -> None:
    await h.send("/start", user_id=user_id)
    await h.send(zone, user_id=user_id)


async def lead_ids(h: Harness) -> list[int]:
    async with h.app.db.session() as s:
        user = await Repos(s).users.get(1001)
        assert user is not None and user.current_workspace_id is not None
        return [c.id for c in await Repos(s).clients.in_workspace(user.current_workspace_id)]


async def test_lead_card_splits_name_contact_and_note(harness: Harness) -> None:
    await onboard(harness)
    [card] = await harness.send("/lead Иван Петров, +7 999 123-45-67, заявка с сайта")
    assert "Новый лид: <b>Иван Петров</b>" in card.text
    assert "+7 999 123-45-67" in card.text and "заявка с сайта" in card.text
    assert "ответить до 13:15" in card.text  # 10:00 UTC = 13:00 in Moscow, SLA 15 min
    assert buttons(card) == ["Ответил ✅", "Позвоню через…", "Передать коллеге"]


async def test_bad_lead_input_stores_nothing(harness: Harness) -> None:
    await onboard(harness)
    [empty] = await harness.send("/lead")
    assert "<code>/lead Иван Петров" in empty.text
    [junk] = await harness.send("/lead ,,, !!!")
    assert "не нашёл" in junk.text.lower() or "не удалось" in junk.text.lower()
    assert await lead_ids(harness) == []


async def test_unanswered_lead_pings_once_then_escalates_once(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Acme Corp")
    assert [r for r in await fire(harness, 14) if isinstance(r, SendMessage)] == []
    [ping] = [r for r in await fire(harness, 1) if isinstance(r, SendMessage)]
    assert ping.chat_id == 1001
    assert "Лид «Acme Corp» ждёт ответа 15 минут" in ping.text
    assert buttons(ping) == ["Ответил ✅", "Позвоню через…", "Передать коллеге"]
    assert [r for r in await fire(harness, 14) if isinstance(r, SendMessage)] == []
    [escalation] = [r for r in await fire(harness, 1) if isinstance(r, SendMessage)]
    assert "Acme Corp" in escalation.text and "30 минут" in escalation.text
    assert [r for r in await fire(harness, 60) if isinstance(r, SendMessage)] == []


async def test_answer_before_sla_means_no_ping_and_double_tap_counts_once(
    harness: Harness,
) -> None:
    await onboard(harness)
    await harness.send("/lead Иван Петров, +7 999 123-45-67")
    [client_id] = await lead_ids(harness)
    harness.clock.advance(timedelta(minutes=3))
    [edit] = await harness.press(LeadCb(action="ans", client_id=client_id).pack(), message_id=7)
    assert isinstance(edit, EditMessageText) and edit.message_id == 7
    assert "Ответили за 3 минуты" in edit.text
    assert await harness.press(LeadCb(action="ans", client_id=client_id).pack()) == []
    assert [r for r in await fire(harness, 60) if isinstance(r, SendMessage)] == []
    [card] = await harness.send("/client Иван")
    assert "На лид ответили за 3 минуты" in card.text
    assert card.text.count("ответ (Ivan)") == 1


async def test_call_command_stops_the_clock(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Мария Соколова, maria@example.com")
    harness.clock.advance(timedelta(minutes=5))
    [reply] = await harness.send("/call Мария договорились о брифе")
    assert "Мария Соколова" in reply.text and "5 минут" in reply.text
    assert [r for r in await fire(harness, 60) if isinstance(r, SendMessage)] == []
    [card] = await harness.send("/client мария")
    assert "договорились о брифе" in card.text


async def test_ping_after_downtime_is_marked_late(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Acme Corp")
    sent = [r for r in await fire(harness, 75) if isinstance(r, SendMessage)]
    assert len(sent) == 2  # the ping and the escalation, in due order
    assert "15 минут" not in sent[0].text or "опозданием" in sent[0].text
    assert all("пока бот был недоступен" in m.text for m in sent)


async def test_client_card_edit_search_and_access(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Иван Петров, +7 999 123-45-67")
    await harness.send("/lead Иван Сидоров")
    [several] = await harness.send("/client иван")
    assert "Несколько" in several.text or "несколько" in several.text
    assert len(buttons(several)) == 2
    [card] = await harness.send("/client Петров tz Asia/Almaty")
    assert "Алматы" in card.text
    [bad] = await harness.send("/client Петров tz Марс")
    assert "Марс" in bad.text and "Asia/Almaty" in bad.text
    [found] = await harness.send("/clients Петрв")
    assert buttons(found)[0].startswith("Иван Петров")
    # Someone from another team cannot press buttons on these clients.
    await onboard(harness, user_id=2002)
    ids = await lead_ids(harness)
    await harness.press(LeadCb(action="ans", client_id=ids[0]).pack(), user_id=2002)
    answers = [r for r in harness.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
    assert answers[-1].show_alert
    async with harness.app.db.session() as s:
        client = await Repos(s).clients.get(ids[0])
    assert client is not None and client.first_response_at is None


async def test_forwarded_message_becomes_a_lead(harness: Harness) -> None:
    await onboard(harness)
    forwarded = {
        "forward_origin": {
            "type": "user",
            "date": int(harness.clock.now().timestamp()) - 120,
            "sender_user": {
                "id": 555,
                "is_bot": False,
                "first_name": "Ольга",
                "username": "olga_k",
            },
        }
    }
    [offer] = await harness.send("Здравствуйте! Нужен сайт, бюджет 150000", **forwarded)
    assert "Ольга" in offer.text and offer.reply_parameters is not None
    make = offer.reply_markup.inline_keyboard[0][0].callback_data
    # The button works from the kept draft, whatever the callback's message carries.
    sent = await harness.press(make, message_id=99)
    card = next(r for r in sent if isinstance(r, SendMessage))
    assert "Ольга" in card.text and "@olga_k" in card.text and "150000" in card.text
    assert "+7150000" not in card.text
    [ping] = [r for r in await fire(harness, 13) if isinstance(r, SendMessage)]
    assert "Ольга" in ping.text  # the clock started at the client's message, 2 min earlier


async def test_pass_to_colleague_moves_the_ping(harness: Harness) -> None:
    await onboard(harness, user_id=1001)
    [invite] = await harness.send("/invite", user_id=1001)
    code = invite.text.split("start=")[1]
    await harness.send(f"/start {code}", user_id=3003)
    await harness.send("Москва", user_id=3003)
    await harness.send("/lead Acme Corp", user_id=1001)
    [client_id] = await lead_ids(harness)
    [menu] = await harness.press(LeadCb(action="pass", client_id=client_id).pack())
    assert isinstance(menu, EditMessageReplyMarkup)
    sent = await harness.press(
        LeadCb(action="passto", client_id=client_id, arg="3003").pack(), message_id=3
    )
    to_colleague = [r for r in sent if isinstance(r, SendMessage) and r.chat_id == 3003]
    assert len(to_colleague) == 1 and "Acme Corp" in to_colleague[0].text
    [ping] = [r for r in await fire(harness, 15) if isinstance(r, SendMessage)]
    assert ping.chat_id == 3003


async def test_call_in_reminds_later(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Acme Corp")
    [client_id] = await lead_ids(harness)
    sent = await harness.press(LeadCb(action="callin", client_id=client_id, arg="30").pack())
    note = next(r for r in sent if isinstance(r, SendMessage))
    assert "13:30" in note.text
    await fire(harness, 15)  # the SLA ping (the callback is not an answer)
    [call] = [
        r
        for r in await fire(harness, 15)
        if isinstance(r, SendMessage) and "позвонить" in r.text.lower()
    ]
    assert "Acme Corp" in call.text


async def test_double_tap_on_a_forward_offer_makes_one_lead(harness: Harness) -> None:
    await onboard(harness)
    origin = {
        "type": "user",
        "date": int(harness.clock.now().timestamp()),
        "sender_user": {"id": 556, "is_bot": False, "first_name": "Глеб"},
    }
    [offer] = await harness.send("Нужен сайт", forward_origin=origin)
    make = offer.reply_markup.inline_keyboard[0][0].callback_data
    await harness.press(make, message_id=99)
    await harness.press(make, message_id=99)
    # Another user cannot use someone else's draft.
    await onboard(harness, user_id=2002)
    await harness.press(make, message_id=99, user_id=2002)
    async with harness.app.db.session() as s:
        count = await s.scalar(text("SELECT count(*) FROM clients"))
    assert count == 1


async def test_answer_on_a_client_card_keeps_the_card(harness: Harness) -> None:
    await onboard(harness)
    await harness.send("/lead Acme Corp")
    [client_id] = await lead_ids(harness)
    [edit] = await harness.press(LeadCb(action="ans", client_id=client_id, arg="card").pack())
    assert isinstance(edit, EditMessageText)
    assert "👤 <b>Acme Corp</b>" in edit.text and "История" in edit.text
    assert buttons(edit) == [
        "🔔 Напомнить",
        "Статус",
        "Часовой пояс",
        "Передать коллеге",
        "📜 История",
    ]


async def test_a_ping_held_for_quiet_hours_is_dropped_once_answered(harness: Harness) -> None:
    await onboard(harness)
    async with harness.app.db.session() as s:
        # Quiet all day, and lead alerts wait for quiet hours too.
        await Repos(s).users.update(
            1001,
            harness.clock.now(),
            quiet_start_min=0,
            quiet_end_min=1439,
            urgent_in_quiet=False,
        )
    await harness.send("/lead Acme Corp")
    [client_id] = await lead_ids(harness)
    assert [r for r in await fire(harness, 15) if isinstance(r, SendMessage)] == []
    await harness.press(LeadCb(action="ans", client_id=client_id).pack())
    assert [r for r in await fire(harness, 24 * 60) if isinstance(r, SendMessage)] == []


async def test_settings_are_private(harness: Harness) -> None:
    sent = await harness.feed(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -100, "type": "supergroup", "title": "Team"},
                "from": harness.user(4242),
                "text": "/settings",
                "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
            }
        }
    )
    # No crash and nothing personal posted into a group: only the pointer to the private chat.
    [pointer] = sent
    assert "Europe" not in pointer.text and "Москва" not in pointer.text
    assert pointer.reply_markup.inline_keyboard[0][0].url == "https://t.me/nudge_test_bot"
