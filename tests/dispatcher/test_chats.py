"""Watched chats: /link, the reply clock in a client's group, pings, escalation, Business chats.

START is Tue 2026-11-24 13:00 in Moscow; the team's reply SLA is 2 working hours (10–19).
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.methods import SendMessage

from bot.storage.repositories import Repos
from tests.conftest import Harness
from tests.dispatcher.test_followups import run_until, setup
from tests.dispatcher.test_leads import buttons, onboard
from tests.dispatcher.test_limits import data_of

MSK = ZoneInfo("Europe/Moscow")
ANNA, BORIS, CLIENT_PERSON, STRANGER = 1001, 1002, 5005, 1009
CLIENT_CHAT, TEAM_CHAT = -1001234567890, -1009876543210
_ids = itertools.count(500)


def in_group(
    h: Harness, text: str, user_id: int, chat_id: int = CLIENT_CHAT, **extra: Any
) -> dict[str, Any]:
    """A message in a supergroup."""
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "supergroup", "title": "Acme × Agency"},
        "from": h.user(user_id, name="Client" if user_id == CLIENT_PERSON else "Anna"),
        "text": text,
        **extra,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


async def say(h: Harness, text: str, user_id: int, chat_id: int = CLIENT_CHAT) -> list[Any]:
    """Feed a group message; the messages the bot sent."""
    return [
        m for m in await h.feed(in_group(h, text, user_id, chat_id)) if isinstance(m, SendMessage)
    ]


async def linked(h: Harness) -> None:
    """Anna (Moscow) has client Acme; she is an admin of Acme's group and links it."""
    await setup(h, "Acme")
    h.session.members[(CLIENT_CHAT, ANNA)] = "administrator"
    [ok] = await say(h, "/link client Acme", ANNA)
    assert "Чат подключён" in ok.text and "Acme" not in ok.text


def to(sent: list[Any], chat: int) -> list[SendMessage]:
    return [m for m in sent if isinstance(m, SendMessage) and m.chat_id == chat]


def every_send(h: Harness) -> list[SendMessage]:
    return [r for r in h.session.requests if isinstance(r, SendMessage)]


def nothing_internal_in_the_client_chat(h: Harness) -> None:
    """Into a client's chat the bot only ever sends the link confirmation and /link's answers."""
    for m in every_send(h):
        if m.chat_id == CLIENT_CHAT:
            assert "ждёт ответа" not in m.text and "Написали" not in m.text, m.text
            assert "Acme" not in m.text and "Менеджер" not in m.text, m.text


async def test_only_a_team_member_who_is_a_group_admin_links(harness: Harness) -> None:
    await setup(harness, "Acme")
    [refused] = await say(harness, "/link client Acme", ANNA)  # a plain member of the group
    assert "только админ" in refused.text
    [stranger] = await say(harness, "/link client Acme", STRANGER)
    assert "/start" in stranger.text
    [usage] = await say(harness, "/link", ANNA)
    assert "/link team" in usage.text
    harness.session.members[(CLIENT_CHAT, ANNA)] = "creator"
    [unknown] = await say(harness, "/link client Нетакого", ANNA)
    assert "ровно одного клиента" in unknown.text
    [ok] = await say(harness, "/link client Acme", ANNA)
    assert "Чат подключён" in ok.text
    async with harness.app.db.session() as s:
        chat = await Repos(s).chats.get(CLIENT_CHAT)
    assert chat is not None and chat.kind == "client" and chat.linked_by == ANNA


async def test_an_unanswered_client_message_pings_once_then_escalates_once(
    harness: Harness,
) -> None:
    await linked(harness)
    assert await say(harness, "Добрый день! Когда будет макет?", CLIENT_PERSON) == []
    assert to(await run_until(harness, datetime(2026, 11, 24, 14, 59, tzinfo=MSK)), ANNA) == []
    [ping] = to(await run_until(harness, datetime(2026, 11, 24, 15, 1, tzinfo=MSK)), ANNA)
    assert "«Acme» ждёт ответа 2 часа" in ping.text and "Когда будет макет?" in ping.text
    assert "https://t.me/c/1234567890/" in ping.text
    assert buttons(ping) == ["✍️ Отвечу", "👤 Поручить…", "⏰ +30 мин", "🚫 Ответ не нужен"]
    [escalation] = to(await run_until(harness, datetime(2026, 11, 24, 17, 1, tzinfo=MSK)), ANNA)
    assert "🚨" in escalation.text
    later = await run_until(harness, datetime(2026, 11, 25, 17, 0, tzinfo=MSK))
    assert not [m for m in later if "ждёт ответа" in m.text]
    nothing_internal_in_the_client_chat(harness)


async def test_a_team_reply_before_the_sla_prevents_both(harness: Harness) -> None:
    await linked(harness)
    await say(harness, "Пришлите счёт, пожалуйста", CLIENT_PERSON)
    await say(harness, "Сейчас пришлю", ANNA)
    later = await run_until(harness, datetime(2026, 11, 25, 19, 0, tzinfo=MSK))
    assert not [m for m in later if "ждёт ответа" in m.text]
    [card] = await harness.send("/client Acme")
    assert "Пришлите счёт" in card.text  # the client's message is on the card as a touch


async def test_a_pleasantry_starts_no_clock_but_a_new_question_does(harness: Harness) -> None:
    await linked(harness)
    await say(harness, "Спасибо!", CLIENT_PERSON)
    assert not to(await run_until(harness, datetime(2026, 11, 24, 18, 0, tzinfo=MSK)), ANNA)
    await say(harness, "А когда созвон?", CLIENT_PERSON)
    sent = to(await run_until(harness, datetime(2026, 11, 25, 11, 0, tzinfo=MSK)), ANNA)
    [ping] = [m for m in sent if "ждёт ответа" in m.text]
    assert "А когда созвон?" in ping.text


async def test_a_friday_evening_message_is_due_on_monday_morning(harness: Harness) -> None:
    await linked(harness)
    harness.clock.set(datetime(2026, 11, 27, 18, 30, tzinfo=MSK))
    await say(harness, "Посмотрите договор", CLIENT_PERSON)
    weekend = await run_until(harness, datetime(2026, 11, 30, 11, 29, tzinfo=MSK))
    assert not [m for m in weekend if "ждёт ответа" in m.text]
    [ping] = to(await run_until(harness, datetime(2026, 11, 30, 11, 31, tzinfo=MSK)), ANNA)
    assert "Посмотрите договор" in ping.text


async def test_escalation_goes_to_the_team_chat_without_the_clients_words(
    harness: Harness,
) -> None:
    await linked(harness)
    harness.session.members[(TEAM_CHAT, ANNA)] = "administrator"
    [ok] = await say(harness, "/link team", ANNA, TEAM_CHAT)
    assert "чат команды" in ok.text
    await say(harness, "Секретный бюджет 5 млн, когда ответ?", CLIENT_PERSON)
    sent = await run_until(harness, datetime(2026, 11, 24, 17, 1, tzinfo=MSK))
    [team] = to(sent, TEAM_CHAT)
    assert "Acme" in team.text and "Секретный" not in team.text
    nothing_internal_in_the_client_chat(harness)


async def test_ping_buttons_no_reply_needed_and_crafted_presses(harness: Harness) -> None:
    await linked(harness)
    await say(harness, "Есть вопрос по проекту", CLIENT_PERSON)
    [ping] = to(await run_until(harness, datetime(2026, 11, 24, 15, 1, tzinfo=MSK)), ANNA)
    data = data_of(ping, "🚫 Ответ не нужен")
    await onboard(harness, STRANGER)
    await harness.press(data, user_id=STRANGER)  # another team's user: refused, nothing changes
    async with harness.app.db.session() as s:
        [conv_id] = [int(data.split(":")[2])]
        conv = await Repos(s).chats.get_conversation(conv_id)
    assert conv is not None and conv.waiting_since is not None
    await harness.press(data)
    later = await run_until(harness, datetime(2026, 11, 24, 19, 0, tzinfo=MSK))
    assert not [m for m in later if "🚨" in m.text]


async def test_a_removed_bot_stops_watching_and_the_owner_hears(harness: Harness) -> None:
    await linked(harness)
    update = {
        "my_chat_member": {
            "chat": {"id": CLIENT_CHAT, "type": "supergroup", "title": "Acme × Agency"},
            "from": harness.user(ANNA),
            "date": int(time.time()),
            "old_chat_member": {
                "status": "member",
                "user": {"id": 123456, "is_bot": True, "first_name": "N"},
            },
            "new_chat_member": {
                "status": "left",
                "user": {"id": 123456, "is_bot": True, "first_name": "N"},
            },
        }
    }
    [told] = to(await harness.feed(update), ANNA)
    assert "удалили из чата" in told.text
    await say(harness, "Ау?", CLIENT_PERSON)
    assert not to(await run_until(harness, datetime(2026, 11, 25, 19, 0, tzinfo=MSK)), ANNA)


def business(h: Harness, text: str, from_id: int, **extra: Any) -> dict[str, Any]:
    """A Business message in Anna's private chat with a person."""
    sender = (
        {**h.user(from_id), "first_name": "Пётр", "last_name": "Иванов", "username": "petr_iv"}
        if from_id != ANNA
        else h.user(ANNA)
    )
    return {
        "business_message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": {"id": CLIENT_PERSON, "type": "private", "first_name": "Пётр"},
            "from": sender,
            "text": text,
            "business_connection_id": "conn-1",
            **extra,
        }
    }


async def connect(h: Harness, enabled: bool = True) -> list[Any]:
    return await h.feed(
        {
            "business_connection": {
                "id": "conn-1",
                "user": h.user(ANNA),
                "user_chat_id": ANNA,
                "date": int(time.time()),
                "rights": {"can_reply": True, "can_read_messages": True},
                "is_enabled": enabled,
            }
        }
    )


async def test_a_business_message_from_a_new_person_makes_a_lead(harness: Harness) -> None:
    await onboard(harness)
    [hello] = to(await connect(harness), ANNA)
    assert "Business подключён" in hello.text
    assert await harness.feed(business(harness, "Здравствуйте, нужен сайт", CLIENT_PERSON)) == []
    [lead] = await harness.send("/client Пётр")
    assert "Пётр Иванов" in lead.text and "@petr_iv" in lead.text and "ждёт ответа" in lead.text
    await harness.feed(business(harness, "Добрый день! Расскажите подробнее", ANNA))
    later = await run_until(harness, datetime(2026, 11, 24, 18, 0, tzinfo=MSK))
    assert not [m for m in later if "ждёт ответа" in m.text]
    [card] = await harness.send("/client Пётр")
    assert "ответили" in card.text.lower()
    assert not [m for m in every_send(harness) if m.chat_id == CLIENT_PERSON]


async def test_business_echoes_and_away_messages_are_nobodys(harness: Harness) -> None:
    await onboard(harness)
    await connect(harness)
    await harness.feed(business(harness, "Вопрос по счёту", CLIENT_PERSON))
    await harness.send("/client Пётр status active")
    await harness.feed(business(harness, "Я в отпуске", ANNA, is_from_offline=True))
    later = await run_until(harness, datetime(2026, 11, 24, 16, 0, tzinfo=MSK))
    assert not [m for m in later if "ждёт ответа" in m.text]  # the lead was answered by status
    await harness.feed(business(harness, "И ещё вопрос?", CLIENT_PERSON))
    sent = to(await run_until(harness, datetime(2026, 11, 25, 10, 0, tzinfo=MSK)), ANNA)
    [ping] = [m for m in sent if "ждёт ответа" in m.text and "Доброе утро" not in m.text]
    assert "личном чате" in ping.text and "t.me/c" not in ping.text
    [off] = to(await connect(harness, enabled=False), ANNA)
    assert "отключён" in off.text
    await harness.feed(business(harness, "Ау?", CLIENT_PERSON))
    assert not to(await run_until(harness, datetime(2026, 11, 27, 10, 0, tzinfo=MSK)), ANNA)[1:]


async def test_another_teams_member_cannot_relink_a_chat(harness: Harness) -> None:
    await linked(harness)
    await onboard(harness, STRANGER)
    harness.session.members[(CLIENT_CHAT, STRANGER)] = "administrator"
    [refused] = await say(harness, "/link team", STRANGER)
    assert "другой команде" in refused.text
    async with harness.app.db.session() as s:
        chat = await Repos(s).chats.get(CLIENT_CHAT)
    assert chat is not None and chat.kind == "client"


async def test_the_reply_sla_is_a_team_setting(harness: Harness) -> None:
    await linked(harness)
    [shown] = await harness.send("/sla")
    assert "2 часа рабочего времени" in shown.text
    [bad] = await harness.send("/sla reply никогда")
    assert "<code>/sla reply 2h</code>" in bad.text
    [ok] = await harness.send("/sla reply 30 минут")
    assert "30 минут" in ok.text
    await say(harness, "Когда будет отчёт?", CLIENT_PERSON)
    [ping] = to(await run_until(harness, datetime(2026, 11, 24, 13, 31, tzinfo=MSK)), ANNA)
    assert "Когда будет отчёт?" in ping.text


async def test_the_team_chat_gives_tasks_and_sees_what_is_late(harness: Harness) -> None:
    from tests.dispatcher.test_tasks import team_with_olga

    await team_with_olga(harness)  # Ivan (1001) owns the team with client Acme; Olga joined
    harness.session.members[(TEAM_CHAT, ANNA)] = "administrator"
    await say(harness, "/link team", ANNA, TEAM_CHAT)
    sent = await say(
        harness, "/task@nudge_test_bot Acme смета @olga сегодня в 17:00", ANNA, TEAM_CHAT
    )
    [here] = to(sent, TEAM_CHAT)
    assert "смета" in here.text and "Acme" in here.text
    assert to(sent, 1002), "the assignee is told privately"
    late = await run_until(harness, datetime(2026, 11, 24, 17, 1, tzinfo=MSK))
    assert [m for m in to(late, TEAM_CHAT) if "Срок вышел" in m.text]
    [other] = await say(harness, "/today", ANNA, TEAM_CHAT)
    assert "личном чате" in other.text  # everything else stays private
    await onboard(harness, STRANGER)
    [refused] = await say(harness, "/task Acme чужая задача", STRANGER, TEAM_CHAT)
    assert "не в команде" in refused.text


async def test_a_lead_escalation_goes_to_the_team_chat(harness: Harness) -> None:
    await onboard(harness)
    harness.session.members[(TEAM_CHAT, ANNA)] = "administrator"
    await say(harness, "/link team", ANNA, TEAM_CHAT)
    await harness.send("/lead Ольга, +7 999 123-45-67")
    sent = await run_until(harness, datetime(2026, 11, 24, 13, 31, tzinfo=MSK))
    [team] = to(sent, TEAM_CHAT)
    assert "Ольга" in team.text and "+7" not in team.text


async def test_the_team_chat_gets_a_morning_post_with_buttons(harness: Harness) -> None:
    from tests.dispatcher.test_tasks import tasks, team_with_olga

    await team_with_olga(harness)
    harness.session.members[(TEAM_CHAT, ANNA)] = "administrator"
    await say(harness, "/link team", ANNA, TEAM_CHAT)
    await harness.send("/task Acme отчёт @olga завтра 15:00")
    await harness.send("/lead Ольга, +7 999 123-45-67")
    sent = await run_until(harness, datetime(2026, 11, 25, 10, 0, tzinfo=MSK))
    [post] = [m for m in to(sent, TEAM_CHAT) if "День команды" in m.text]
    assert "отчёт" in post.text and "Olga" in post.text and "Ольга" in post.text
    assert "+7" not in post.text
    await harness.feed(
        {
            "callback_query": {
                "id": "q1",
                "from": harness.user(1002, name="Olga"),
                "chat_instance": "1",
                "data": data_of(post, "✅ 1"),
                "message": {
                    "message_id": 9,
                    "date": int(time.time()),
                    "chat": {"id": TEAM_CHAT, "type": "supergroup", "title": "Team"},
                    "text": "…",
                },
            }
        }
    )
    [task] = await tasks(harness)
    assert task.state == "done"
    again = await run_until(harness, datetime(2026, 11, 26, 10, 0, tzinfo=MSK))
    assert [m for m in to(again, TEAM_CHAT) if "День команды" in m.text]  # every working day


async def test_link_says_up_front_when_the_bot_cannot_read_the_chat(harness: Harness) -> None:
    from tests.mocked import ADMIN_RIGHTS, BOT_ID

    await setup(harness, "Acme")
    harness.session.members[(CLIENT_CHAT, ANNA)] = "administrator"
    harness.session.members[(CLIENT_CHAT, BOT_ID)] = "member"  # privacy mode on, not an admin
    [ok] = await say(harness, "/link client Acme", ANNA)
    assert "Чат подключён" in ok.text and "@BotFather" in ok.text
    bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "N"}
    demoted = {
        "my_chat_member": {
            "chat": {"id": CLIENT_CHAT, "type": "supergroup", "title": "Acme × Agency"},
            "from": harness.user(ANNA),
            "date": int(time.time()),
            "old_chat_member": {"status": "administrator", "user": bot_user, **ADMIN_RIGHTS},
            "new_chat_member": {"status": "member", "user": bot_user},
        }
    }
    [told] = to(await harness.feed(demoted), ANNA)
    assert "больше не админ" in told.text


async def test_many_silences_at_once_come_as_one_message_and_sit_in_today(
    harness: Harness,
) -> None:
    names = [f"Клиент{n}" for n in range(7)]
    await setup(harness, *names)
    for n, name in enumerate(names):
        chat = CLIENT_CHAT - n
        harness.session.members[(chat, ANNA)] = "administrator"
        await say(harness, f"/link client {name}", ANNA, chat)
        await say(harness, "Есть вопрос", CLIENT_PERSON, chat)
    sent = to(await run_until(harness, datetime(2026, 11, 24, 15, 1, tzinfo=MSK)), ANNA)
    assert len(sent) == 1 and "7 клиентов ждут ответа" in sent[0].text
    assert all(name in sent[0].text for name in names)
    [today] = await harness.send("/today")
    assert "Ждут вашего ответа" in today.text and all(name in today.text for name in names)


async def test_a_basic_group_has_no_link_and_a_migrated_one_keeps_its_watch(
    harness: Harness,
) -> None:
    basic = -4242
    await setup(harness, "Acme")
    harness.session.members[(basic, ANNA)] = "administrator"

    def basic_message(text: str, user_id: int, chat_id: int = basic, **extra: Any) -> dict:
        update = in_group(harness, text, user_id, chat_id, **extra)
        update["message"]["chat"] = {"id": chat_id, "type": "group", "title": "Acme chat"}
        return update

    await harness.feed(basic_message("/link client Acme", ANNA))
    await harness.feed(basic_message("Где счёт?", CLIENT_PERSON))
    sent = to(await run_until(harness, datetime(2026, 11, 24, 15, 1, tzinfo=MSK)), ANNA)
    [ping] = [m for m in sent if "ждёт ответа" in m.text]
    assert "«Acme chat»" in ping.text and "t.me/c" not in ping.text
    # The group becomes a supergroup: Telegram says so in the old chat, then the new id speaks.
    await harness.feed(basic_message("", ANNA, migrate_to_chat_id=CLIENT_CHAT))
    await say(harness, "Сейчас пришлю", ANNA)  # the team answers in the new supergroup
    async with harness.app.db.session() as s:
        chat = await Repos(s).chats.get(CLIENT_CHAT)
        conv = await Repos(s).chats.conversation(CLIENT_CHAT)
    assert chat is not None and chat.kind == "client" and chat.chat_type == "supergroup"
    assert conv is not None and conv.waiting_since is None
