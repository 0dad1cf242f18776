"""Edges of watched chats: moved and re-linked chats, a removed bot, crafted presses, slashes.

START is Tue 2026-11-24 13:00 in Moscow; the team's reply SLA is 2 working hours (10–19).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from bot.storage.repositories import Repos
from bot.views.chats import ReplyCb
from bot.views.leads import LeadCb
from tests.conftest import Harness
from tests.dispatcher.test_chats import (
    ANNA,
    CLIENT_CHAT,
    CLIENT_PERSON,
    MSK,
    TEAM_CHAT,
    business,
    connect,
    in_group,
    linked,
    say,
    to,
)
from tests.dispatcher.test_followups import run_until
from tests.dispatcher.test_leads import onboard
from tests.mocked import ADMIN_RIGHTS, BOT_ID

OTHER_TEAM_CHAT = -1005555555555


def _bot_status(h: Harness, chat_id: int, old: str, new: str) -> dict[str, Any]:
    bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "N"}
    return {
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "supergroup", "title": "Team"},
            "from": h.user(ANNA),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot_user, **_rights(old)},
            "new_chat_member": {"status": new, "user": bot_user, **_rights(new)},
        }
    }


def _rights(status: str) -> dict[str, Any]:
    return ADMIN_RIGHTS if status == "administrator" else {}


def _press_in_group(h: Harness, data: str, chat_id: int, user_id: int = ANNA) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": str(time.time_ns()),
            "from": h.user(user_id),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 9,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "supergroup", "title": "Team"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Nudge"},
                "text": "…",
            },
        }
    }


async def test_moving_the_team_chat_stops_posts_to_the_old_group(harness: Harness) -> None:
    """/link team in a second group leaves the first one active too; team_chat() then picks
    the old group (insertion order), so lead escalations keep going to a chat the team left."""
    await onboard(harness)
    for chat in (TEAM_CHAT, OTHER_TEAM_CHAT):
        harness.session.members[(chat, ANNA)] = "administrator"
        await say(harness, "/link team", ANNA, chat)
    await harness.send("/lead Ольга, +7 999 123-45-67")
    sent = await run_until(harness, datetime(2026, 11, 24, 13, 31, tzinfo=MSK))
    assert to(sent, TEAM_CHAT) == [], "the old team chat still gets the team's posts"
    assert [m for m in to(sent, OTHER_TEAM_CHAT) if "Ольга" in m.text]


async def test_a_crafted_card_press_in_the_team_chat_shows_no_contacts(harness: Harness) -> None:
    """LeadCb 'open' has no chat check: pressed on any bot message in a group (the team chat's
    morning post has LeadCb buttons) it posts the full client card, contacts and notes, there."""
    await onboard(harness)
    harness.session.members[(TEAM_CHAT, ANNA)] = "administrator"
    await say(harness, "/link team", ANNA, TEAM_CHAT)
    await harness.send("/lead Ольга, +7 999 123-45-67, бюджет 5 млн")
    async with harness.app.db.session() as s:
        user = await Repos(s).users.get(ANNA)
        assert user is not None and user.current_workspace_id is not None
        [lead] = await Repos(s).clients.in_workspace(user.current_workspace_id)
    crafted = LeadCb(action="open", client_id=lead.id).pack()
    sent = await harness.feed(_press_in_group(harness, crafted, TEAM_CHAT))
    leaked = [m for m in to(sent, TEAM_CHAT) if "+7" in m.text or "999" in m.text]
    assert leaked == [], leaked[0].text if leaked else ""


async def test_a_removed_bot_drops_the_clock_it_can_no_longer_stop(harness: Harness) -> None:
    """Removed from a client chat with a message waiting, the bot can't see the answer, yet it
    still pings, escalates, and lists the chat in /today for ever (Business disconnect retires
    its clocks; a group removal does not)."""
    await linked(harness)
    await say(harness, "Когда будет макет?", CLIENT_PERSON)
    harness.clock.set(datetime(2026, 11, 24, 13, 30, tzinfo=MSK))
    await harness.feed(_bot_status(harness, CLIENT_CHAT, "administrator", "left"))
    sent = await run_until(harness, datetime(2026, 11, 24, 17, 1, tzinfo=MSK))
    assert not [m for m in sent if "ждёт ответа" in m.text], [m.text for m in sent]
    [today] = await harness.send("/today")
    assert "Ждут вашего ответа" not in today.text


async def test_a_new_business_lead_writing_twice_gets_one_ping(harness: Harness) -> None:
    """The first message starts the lead clock; a second one before any answer starts a reply
    clock too (lead SLA), so the manager gets two pings and two escalations for one person."""
    await onboard(harness)
    await connect(harness)
    await harness.feed(business(harness, "Здравствуйте, нужен сайт", CLIENT_PERSON))
    harness.clock.set(datetime(2026, 11, 24, 13, 2, tzinfo=MSK))
    await harness.feed(business(harness, "Сколько стоит?", CLIENT_PERSON))
    sent = to(await run_until(harness, datetime(2026, 11, 24, 13, 20, tzinfo=MSK)), ANNA)
    pings = [m for m in sent if "Пётр" in m.text]
    assert len(pings) == 1, [m.text for m in pings]


async def test_service_messages_start_no_clock(harness: Harness) -> None:
    """_is_service misses e.g. the auto-delete timer, a renamed forum topic and the
    supergroup's migrate_from_chat_id message: each, from the client, starts the clock."""
    await linked(harness)
    for extra in (
        {"message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}},
        {"forum_topic_edited": {"name": "Макеты"}},
        {"migrate_from_chat_id": -4001},
    ):
        update = in_group(harness, "", CLIENT_PERSON)
        del update["message"]["text"]
        update["message"].update(extra)
        await harness.feed(update)
    sent = to(await run_until(harness, datetime(2026, 11, 24, 15, 1, tzinfo=MSK)), ANNA)
    assert not [m for m in sent if "ждёт ответа" in m.text], [m.text for m in sent]


async def test_a_crafted_snooze_on_an_answered_chat_is_refused_quietly(harness: Harness) -> None:
    """ReplyCb with t='' passes the stamp check when nothing is waiting; 'snz'/'to' then hit
    `assert conv.waiting_since is not None` and the update fails."""
    await linked(harness)
    await say(harness, "Вопрос", CLIENT_PERSON)
    await say(harness, "Ответ", ANNA)
    async with harness.app.db.session() as s:
        conv = await Repos(s).chats.conversation(CLIENT_CHAT, 0, "")
    assert conv is not None and conv.waiting_since is None
    await harness.press(ReplyCb(action="snz", id=conv.id).pack())  # raises AssertionError


async def test_the_team_chat_morning_post_comes_back_with_the_bot(harness: Harness) -> None:
    """A morning post that fires while the bot is out of the team chat returns without arming
    the next one; re-adding the bot (link kept, active again) never brings the post back."""
    await onboard(harness)
    harness.session.members[(TEAM_CHAT, ANNA)] = "administrator"
    await say(harness, "/link team", ANNA, TEAM_CHAT)
    await harness.send("/lead Ольга, +7 999 123-45-67")  # keeps the team's day non-empty
    harness.clock.set(datetime(2026, 11, 24, 14, 0, tzinfo=MSK))
    await harness.feed(_bot_status(harness, TEAM_CHAT, "administrator", "left"))
    await run_until(harness, datetime(2026, 11, 25, 10, 0, tzinfo=MSK))
    harness.clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=MSK))
    await harness.feed(_bot_status(harness, TEAM_CHAT, "left", "administrator"))
    sent = await run_until(harness, datetime(2026, 11, 26, 10, 0, tzinfo=MSK))
    assert [m for m in to(sent, TEAM_CHAT) if "День команды" in m.text]


async def test_relinking_a_chat_to_another_client_files_messages_under_it(
    harness: Harness,
) -> None:
    """open_conversation() finds the (chat, topic) row made under the old link and keeps its
    client_id and workspace_id: after /link client Beta the chat's messages still go to Acme
    (and, across two teams, to the old team's manager with the client's words)."""
    from tests.dispatcher.test_followups import setup

    await setup(harness, "Acme", "Beta")
    harness.session.members[(CLIENT_CHAT, ANNA)] = "administrator"
    await say(harness, "/link client Acme", ANNA)
    await say(harness, "Вопрос от Acme", CLIENT_PERSON)
    await say(harness, "Ответ", ANNA)
    await say(harness, "/link client Beta", ANNA)
    await say(harness, "Вопрос от Beta: когда счёт?", CLIENT_PERSON)
    [ping] = to(await run_until(harness, datetime(2026, 11, 24, 15, 1, tzinfo=MSK)), ANNA)
    assert "«Beta»" in ping.text, ping.text


async def test_a_client_message_starting_with_a_slash_starts_the_clock(harness: Harness) -> None:
    """Any text starting with '/' is taken as a command: the client gets 'I work in a private
    chat' and their message (a path, another bot's command) never starts the clock."""
    await linked(harness)
    sent = await say(harness, "/home/acme/site не открывается, посмотрите?", CLIENT_PERSON)
    assert to(sent, CLIENT_CHAT) == [], sent[0].text
    later = to(await run_until(harness, datetime(2026, 11, 24, 15, 1, tzinfo=MSK)), ANNA)
    assert [m for m in later if "ждёт ответа" in m.text]
