"""Dispatcher-level tests of /start, /settings, /help and /invite with a mocked Telegram."""

from __future__ import annotations

from aiogram.types import ReplyKeyboardMarkup

from bot.storage.repositories import Repos
from bot.views.settings import SettingsCb
from tests.conftest import Harness


async def test_start_in_russian_asks_for_time_zone(harness: Harness) -> None:
    [reply] = await harness.send("/start", language="ru")
    assert "Привет, Ivan" in reply.text
    assert "часовом поясе" in reply.text
    assert isinstance(reply.reply_markup, ReplyKeyboardMarkup)
    assert reply.reply_markup.keyboard[0][0].request_location


async def test_start_in_english(harness: Harness) -> None:
    [reply] = await harness.send("/start", language="en")
    assert "Hi, Ivan" in reply.text
    assert "time zone" in reply.text


async def test_unknown_language_falls_back_to_default(harness: Harness) -> None:
    [reply] = await harness.send("/start", language="de")
    assert "Привет" in reply.text


async def test_city_sets_time_zone_and_survives(harness: Harness) -> None:
    await harness.send("/start")
    [reply] = await harness.send("Владивосток")
    assert "Владивосток" in reply.text or "Vladivostok" in reply.text
    async with harness.app.db.session() as session:
        user = await Repos(session).users.get(1001)
    assert user is not None and user.timezone == "Asia/Vladivostok"


async def test_offset_and_typo(harness: Harness) -> None:
    await harness.send("/start", language="en")
    [reply] = await harness.send("Nwe York", language="en")
    assert "Did you mean" in reply.text
    [reply] = await harness.send("UTC+5", language="en")
    assert "UTC+5" in reply.text


async def test_garbage_time_zone_gets_an_example(harness: Harness) -> None:
    await harness.send("/start")
    [reply] = await harness.send("qwertyzzz")
    assert "Не знаю часовой пояс «qwertyzzz»" in reply.text
    assert "UTC+3" in reply.text


async def test_location_sets_time_zone(harness: Harness) -> None:
    await harness.send("/start")
    before = len(harness.session.requests)
    await harness.feed(
        {
            "message": {
                "message_id": 50,
                "date": 0,
                "chat": {"id": 1001, "type": "private"},
                "from": harness.user(),
                "location": {"latitude": 40.71, "longitude": -74.0},
            }
        }
    )
    [reply] = harness.session.requests[before:]
    assert "UTC-5" in reply.text
    async with harness.app.db.session() as session:
        user = await Repos(session).users.get(1001)
    assert user is not None and user.timezone == "America/New_York"


async def test_settings_toggle_language_and_weekends(harness: Harness) -> None:
    await harness.send("/start")
    await harness.send("Москва")
    [shown] = await harness.send("/settings")
    assert "Москва" in shown.text and "пн–пт 10:00–19:00" in shown.text
    [edit] = await harness.press(SettingsCb(action="lang").pack())
    assert "Language: English" in edit.text
    [edit] = await harness.press(SettingsCb(action="weekend").pack())
    assert "Reminders on weekends: off" in edit.text
    [edit] = await harness.press(SettingsCb(action="urgent").pack())
    assert "Lead alerts in quiet hours and at night: off" in edit.text
    [shown] = await harness.send("/settings")
    assert "Settings" in shown.text and "on weekends: off" in shown.text


async def test_working_and_quiet_hours(harness: Harness) -> None:
    await harness.send("/start")
    await harness.send("Москва")
    await harness.press(SettingsCb(action="work").pack())
    [reply] = await harness.send("пн-сб 9:30-18")
    assert "пн–сб 09:30–18:00" in reply.text
    await harness.press(SettingsCb(action="quiet").pack())
    [reply] = await harness.send("когда-нибудь")
    assert "Не понял «когда-нибудь»" in reply.text and "22-8" in reply.text
    [reply] = await harness.send("22-8")
    assert "22:00–08:00" in reply.text


async def test_help_lists_commands_in_english(harness: Harness) -> None:
    [reply] = await harness.send("/help", language="en")
    assert "/settings" in reply.text and "What I can do" in reply.text


async def test_invite_and_join(harness: Harness) -> None:
    await harness.send("/start", user_id=1)
    [reply] = await harness.send("/invite", user_id=1)
    link = reply.text.split("\n")[-1]
    assert link.startswith("https://t.me/nudge_test_bot?start=join_")
    code = link.split("start=")[1]
    sent = await harness.send(f"/start {code}", user_id=2)
    [joined, _greeting] = [m for m in sent if m.chat_id == 2]
    # No first name poses as a team's name; the owner hears who joined.
    assert "Вы в команде «без названия, владелец — Ivan»" in joined.text
    [told] = [m for m in sent if m.chat_id == 1]
    assert "Новый участник" in told.text and "Ivan" in told.text
    [again, _] = await harness.send(f"/start {code}", user_id=2)
    assert "уже в команде" in again.text
    [bad, _] = await harness.send("/start join_nope", user_id=3)
    assert "больше не действует" in bad.text


async def test_redelivered_update_is_applied_once(harness: Harness) -> None:
    update = {
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1001, "type": "private"},
            "from": harness.user(),
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        }
    }
    first = await harness.feed(update, update_id=77)
    second = await harness.feed(update, update_id=77)
    assert len(first) == 1 and second == []


async def test_help_names_every_command_the_bot_handles(harness: Harness) -> None:
    """Every command a router answers is in /help (with its example), in both languages."""
    from aiogram.filters import Command

    handled: set[str] = set()
    routers = [harness.app.dispatcher]
    while routers:
        router = routers.pop()
        routers.extend(router.sub_routers)
        for handler in router.message.handlers:
            for f in handler.filters or []:
                if isinstance(f.callback, Command):
                    handled |= {str(c) for c in f.callback.commands}
    assert {"task", "tasks", "invoice", "paid", "debts", "currency", "call"} <= handled
    for language in ("ru", "en"):
        [reply] = await harness.send("/help", language=language)
        missing = {c for c in handled if f"/{c}" not in reply.text}
        assert not missing, (language, missing)
