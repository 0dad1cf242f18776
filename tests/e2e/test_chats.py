"""End to end: watched chats against the real `python -m bot` process polling the fake Telegram.

`/link` in a supergroup (only a team member who is an admin of the group), the reply clock in a
linked client chat (a client's message unanswered for the lead SLA pings the manager once, and
at twice it escalates once; a team reply or a mere pleasantry means nothing comes), and
Telegram Business (a new person's message makes a lead whose ping comes at the lead SLA; the
manager's own reply stops it).

About time. The lead SLA is an env setting: the clock tests run the bot with a four-second one
and keep their clients in status "lead", so the reply clock runs on it around the clock. The
pings are counted from the client's message date (whole seconds, the bot's wall clock); the
fake stamps calls with its monotonic clock, so the two are compared through one offset taken
when the message is queued. Each negative case runs in the same bot next to a control that does
get its ping, and is set up before it: once the control's escalation has come, the negative
case's would have come too. Nothing waits a fixed time except the bounded negative checks.

Every test ends by checking every call the bot made (all methods): into a client's group only
the /link confirmation, /link's refusals, the "added" line and the private-only line, and
nothing whatsoever to a Business chat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import make_i18n, speaking
from bot.views.groups import (
    added_text,
    cannot_read_text,
    link_refused,
    link_usage,
    linked_client_text,
    private_only_text,
)
from tests.e2e_support import BotProcess, bot_env, query
from tests.fakeapi import Call, FakeTelegram

pytestmark = pytest.mark.e2e

ANNA = 1  # the team's owner and every client's manager; her private chat has her id
CLIENT_PERSON, OTHER_PERSON = 5005, 5006  # people outside the team
BOT_ID = 123456  # the fake's bot
CLIENT_CHAT = -1001000000001  # Acme's group: the client's message nobody answers
ANSWERED_CHAT = -1001000000002  # Bolt's group: a team member answers in time
POLITE_CHAT = -1001000000003  # Cyan's group: the client only says thank you
NEW_GROUP = -1001000000009  # a group the bot has just been added to, not linked
TEAM_CHAT = -1002000000001
CONNECTION = "conn-e2e-1"
SLA_SECONDS = 4
# The fake's monotonic clock against the bot's wall clock (same machine) and the whole-second
# message date.
CLOCK_SLACK = 0.05
# How late a ping may come after its due time and still count as on time.
ON_TIME = 3.0
REFUSALS = ("start", "anonymous", "not_admin", "no_client", "other_team")


# ------------------------------------------------------------------ helpers


def to(chat_id: int, text: str) -> Callable[[Call], bool]:
    """A message accepted by Telegram for `chat_id` whose text contains `text`."""
    return lambda c: (
        c.status == 200
        and c.params.get("chat_id") == chat_id
        and text in str(c.params.get("text", ""))
    )


def mentions(text: str) -> Callable[[Call], bool]:
    """Any call (any method, any chat) with `text` in its text."""
    return lambda c: text in str(c.params.get("text", ""))


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def group_texts() -> set[str]:
    """Everything the bot may ever say in a client's group, in both languages, exactly."""
    i18n = make_i18n("ru")
    texts: set[str] = set()
    for lang in ("ru", "en"):
        with speaking(i18n, lang):
            linked = linked_client_text()
            texts |= {linked, linked + "\n" + cannot_read_text(), added_text()}
            texts |= {private_only_text(), link_usage(), *(link_refused(r) for r in REFUSALS)}
    return texts


def date_of(fake: FakeTelegram, update_id: int) -> int:
    """The date Telegram stamped on a message just queued (whole seconds, wall clock). Called
    with no await since the queueing, so the bot cannot have taken the update yet."""
    [update] = [u for u in fake.pending_updates if u["update_id"] == update_id]
    return (update.get("message") or update["business_message"])["date"]


def targets(call: Call) -> set[Any]:
    """The chats a call is about."""
    return {call.params.get(key) for key in ("chat_id", "from_chat_id")} - {None}


def nothing_internal(
    calls: Iterable[Call], client_chats: Iterable[int], business_chats: Iterable[int] = ()
) -> None:
    """Into a client's group only the allowed lines (reading the group, e.g. getChatMember,
    is fine); to a Business chat nothing at all, and nothing on a Business connection."""
    allowed, groups, private = group_texts(), set(client_chats), set(business_chats)
    for i, call in enumerate(calls):
        where = targets(call)
        what = f"#{i} {call.method} {call.params}"
        assert not where & private, f"a call to a Business chat: {what}"
        assert "business_connection_id" not in call.params, f"a call on the connection: {what}"
        if where & groups and not call.method.lower().startswith("get"):
            assert call.method == "sendMessage", f"not a plain message in a client chat: {what}"
            assert call.params.get("text") in allowed, f"said in a client chat: {what}"


class Nudge:
    """The bot process under test over its own database, and the fake Telegram."""

    def __init__(self, fake: FakeTelegram, workdir: Path, database_url: str, **env: str) -> None:
        self.fake = fake
        self.db = database_url
        self.process = BotProcess(bot_env(fake, workdir, DATABASE_URL=database_url, **env), workdir)
        # Wall clock minus the fake's monotonic clock: turns a call's `at` into a wall time.
        self.offset = time.time() - time.monotonic()

    async def start(self) -> None:
        """Spawn `python -m bot` and wait until it has talked to Telegram."""
        mark = self.fake.mark()
        await self.process.start()
        await self.fake.wait_for("getMe", since=mark, timeout=30)

    def wall(self, call: Call) -> float:
        """When the fake received the call, as a wall-clock timestamp."""
        return call.at + self.offset

    async def ask(
        self, text: str, expect: str, *, chat_id: int = ANNA, user_id: int = ANNA
    ) -> Call:
        """Send `text` (privately, or in a group); the bot's first reply containing `expect`."""
        mark = self.fake.mark()
        if chat_id == user_id:
            self.fake.send_text(text, user_id=user_id, language_code="ru", first_name="Анна")
        else:
            self.say(chat_id, text, user_id)
        [reply] = await self.fake.wait_for(
            "sendMessage", to(chat_id, expect), since=mark, timeout=30
        )
        return reply

    def say(self, chat_id: int, text: str, user_id: int) -> int:
        """A message in a supergroup; its date (whole seconds, as Telegram stamps it)."""
        name = "Клиент" if user_id in (CLIENT_PERSON, OTHER_PERSON) else "Анна"
        update_id = self.fake.send_text(
            text,
            user_id=user_id,
            chat_id=chat_id,
            chat_type="supergroup",
            chat_title=f"Группа {chat_id}",
            first_name=name,
            language_code="ru",
        )
        return date_of(self.fake, update_id)

    async def onboard(self) -> None:
        """/start in Moscow."""
        self.fake.send_text("/start", user_id=ANNA, language_code="ru", first_name="Анна")
        self.fake.send_text("Москва", user_id=ANNA, language_code="ru", first_name="Анна")
        await self.fake.wait_for("sendMessage", to(ANNA, "Часовой пояс"), timeout=30)

    async def answered_lead(self, name: str) -> None:
        """A lead whose own response clock is stopped at once by a call, so only the chat's
        reply clock can ping about it; the lead stays in status "lead"."""
        await self.ask(f"/lead {name}", f"Новый лид: <b>{name}")
        await self.ask(f"/call {name} 1 мин", f"Звонок записан: «{name}»")

    async def link_client(self, chat_id: int, name: str) -> None:
        """Anna, an admin of the group, links it to the client."""
        self.fake.set_member(chat_id, ANNA, "administrator")
        with speaking(make_i18n("ru"), "ru"):
            linked = linked_client_text()
        reply = await self.ask(f"/link client {name}", "Чат подключён", chat_id=chat_id)
        assert reply.params["text"] == linked

    async def until(self, sql: str, *args: Any, what: str, timeout: float = 10.0) -> list[tuple]:
        """Poll the database until the query returns rows (the bot handled the update)."""
        deadline = time.monotonic() + timeout
        while not (found := await query(self.db, sql, *args)):
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)
        return found

    async def nothing_more(
        self, predicate: Callable[[Call], bool], seen: int, since: int, seconds: float = 1.5
    ) -> None:
        """Bounded negative check: no call (any method) beyond the `seen` matching ones comes."""
        try:
            hits = await self.fake.wait_for(
                "*", predicate, count=seen + 1, since=since, timeout=seconds
            )
        except AssertionError:
            return  # the deadline passed with nothing more: as it should be
        raise AssertionError(f"came again: {hits[-1].method} {hits[-1].params.get('text')!r}")


Start = Callable[..., Awaitable[Nudge]]


@pytest.fixture
async def start_bot(fake: FakeTelegram, tmp_path: Path, database_url: str) -> AsyncIterator[Start]:
    """Start the bot (once per test) with extra environment settings; Anna is onboarded."""
    started: list[Nudge] = []

    async def start(**env: str) -> Nudge:
        bot = Nudge(fake, tmp_path, database_url, **env)
        started.append(bot)
        await bot.start()
        await bot.onboard()
        return bot

    try:
        yield start
    finally:
        for bot in started:
            await bot.process.ensure_dead()


# ------------------------------------------------------------------ 1. /link


def bot_added(chat_id: int, by: int) -> dict[str, Any]:
    """The my_chat_member update of the bot being added to a supergroup."""
    me = {"id": BOT_ID, "is_bot": True, "first_name": "Nudge", "username": "nudge_test_bot"}
    return {
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "supergroup", "title": f"Группа {chat_id}"},
            "from": {"id": by, "is_bot": False, "first_name": "Анна", "language_code": "ru"},
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": me},
            "new_chat_member": {"status": "member", "user": me},
        }
    }


@pytest.mark.sqlite_only  # time budget: who may /link, asked of the fake Telegram, not of storage
async def test_only_a_team_member_who_is_a_group_admin_links(start_bot: Start) -> None:
    bot = await start_bot()
    fake = bot.fake
    await bot.ask("/lead Acme", "Новый лид: <b>Acme")
    [(acme,)] = await query(bot.db, "SELECT id FROM clients WHERE name='Acme'")

    # Added to a group: one line on what the bot does there. (The lines below go to several
    # groups: the bot keeps to Telegram's 20 messages a minute per group, 3 at once.)
    fake.add_update(bot_added(NEW_GROUP, ANNA))
    [hello] = await fake.wait_for("sendMessage", to(NEW_GROUP, "Nudge"), timeout=30)
    assert "/link client" in hello.params["text"]
    # Any other command in a group: one line that it works in private, with a button there.
    private = await bot.ask("/clients", "личном чате", chat_id=NEW_GROUP)
    assert buttons(private) == ["Открыть чат"]

    # Anna is in the team but only a member of the group (the fake's default): refused.
    mark = fake.mark()
    refused = await bot.ask("/link client Acme", "Привязать чат", chat_id=CLIENT_CHAT)
    assert refused.params["text"] == "Привязать чат может только админ этой группы."
    [asked] = fake.calls_of("getChatMember", chat_id=CLIENT_CHAT, user_id=ANNA)
    assert asked.response["result"]["status"] == "member" and fake.calls.index(asked) >= mark
    assert await query(bot.db, "SELECT * FROM chats") == []

    # An admin of the group who is not in the team (never started the bot): refused too.
    fake.set_member(CLIENT_CHAT, CLIENT_PERSON, "administrator")
    stranger = await bot.ask(
        "/link client Acme", "/start", chat_id=CLIENT_CHAT, user_id=CLIENT_PERSON
    )
    assert "привяжите чат" in stranger.params["text"]
    assert await query(bot.db, "SELECT * FROM chats") == []

    # Anna made an admin: linked. The bot (an admin by default) can read the group.
    fake.set_member(CLIENT_CHAT, ANNA, "administrator")
    mark = fake.mark()
    linked = await bot.ask("/link client Acme", "Чат подключён", chat_id=CLIENT_CHAT)
    assert "Acme" not in linked.params["text"] and "⚠️" not in linked.params["text"]
    checked = {c.params["user_id"] for c in fake.calls_of("getChatMember")[-2:]}
    assert checked == {ANNA, BOT_ID} and fake.calls.index(linked) > mark
    assert await query(
        bot.db,
        "SELECT kind, client_id, linked_by, active, chat_type FROM chats WHERE chat_id=?",
        CLIENT_CHAT,
    ) == [("client", acme, ANNA, 1, "supergroup")]

    # The team's chat, linked by its creator; the bot is only a member there (privacy mode on),
    # so it says it can't read the messages.
    fake.set_member(TEAM_CHAT, ANNA, "creator")
    fake.set_member(TEAM_CHAT, BOT_ID, "member")
    team = await bot.ask("/link team", "Теперь это чат команды", chat_id=TEAM_CHAT)
    assert "⚠️ Я не вижу сообщений" in team.params["text"]
    assert await query(bot.db, "SELECT kind, client_id FROM chats WHERE chat_id=?", TEAM_CHAT) == [
        ("team", None)
    ]

    nothing_internal(fake.calls, [CLIENT_CHAT, NEW_GROUP])


# ------------------------------------------------------------------ 2. the reply clock


async def test_an_unanswered_client_pings_once_then_escalates_once(start_bot: Start) -> None:
    bot = await start_bot(LEAD_RESPONSE_SLA=str(SLA_SECONDS))
    fake = bot.fake
    start = fake.mark()
    for name, chat in (("Bolt", ANSWERED_CHAT), ("Cyan", POLITE_CHAT), ("Acme", CLIENT_CHAT)):
        await bot.answered_lead(name)
        await bot.link_client(chat, name)
    waiting = (
        "SELECT waiting_since FROM conversations WHERE chat_id=? AND waiting_since IS NOT NULL"
    )
    answered = "SELECT 1 FROM conversations WHERE chat_id=? AND last_ours_at IS NOT NULL"

    # Bolt's client asks; a team member (Anna) answers in the group well before the SLA.
    asked = bot.say(ANSWERED_CHAT, "Пришлите счёт, пожалуйста", CLIENT_PERSON)
    await bot.until(waiting, ANSWERED_CHAT, what="Bolt's clock to start")
    bot.say(ANSWERED_CHAT, "Сейчас пришлю", ANNA)
    await bot.until(answered, ANSWERED_CHAT, what="Anna's answer to be seen")
    assert time.time() - asked < SLA_SECONDS - 1, "answered too late to test anything"
    assert await query(bot.db, waiting, ANSWERED_CHAT) == []

    # Cyan's client only thanks: logged as their message, no clock.
    bot.say(POLITE_CHAT, "Спасибо!", OTHER_PERSON)
    [(cyan,)] = await query(bot.db, "SELECT id FROM clients WHERE name='Cyan'")
    await bot.until(
        "SELECT 1 FROM touches WHERE client_id=? AND direction='in' AND summary='Спасибо!'",
        cyan,
        what="the thanks to be logged",
    )
    assert await query(bot.db, waiting, POLITE_CHAT) == []

    # The control, last: Acme's client asks and nobody answers.
    sent_at = bot.say(CLIENT_CHAT, "Добрый день! Когда будет макет?", CLIENT_PERSON)
    [ping] = await fake.wait_for("sendMessage", to(ANNA, "💬 «Acme» ждёт ответа"), timeout=30)
    assert sent_at + SLA_SECONDS - CLOCK_SLACK <= bot.wall(ping) <= sent_at + SLA_SECONDS + ON_TIME
    text = ping.params["text"]
    assert "Когда будет макет?" in text and "https://t.me/c/1000000001/" in text, text
    assert buttons(ping) == ["✍️ Отвечу", "👤 Поручить…", "⏰ +30 мин", "🚫 Ответ не нужен"]
    # No team chat is linked: the escalation comes to the team's owner privately.
    [escalation] = await fake.wait_for("sendMessage", to(ANNA, "🚨 «Acme» ждёт ответа"), timeout=30)
    assert (
        sent_at + 2 * SLA_SECONDS - CLOCK_SLACK
        <= bot.wall(escalation)
        <= sent_at + 2 * SLA_SECONDS + ON_TIME
    )
    assert "Менеджер: Анна" in escalation.params["text"]

    # Exactly one of each for Acme; none for Bolt, Cyan, or any lead's own clock (all three
    # leads were due before Acme's escalation).
    await bot.nothing_more(mentions("ждёт ответа"), seen=2, since=start)
    about = [c.params["text"] for c in fake.calls[start:] if "ждёт ответа" in str(c.params)]
    assert len(about) == 2 and all("«Acme»" in t for t in about), about
    assert await query(bot.db, "SELECT status FROM clients WHERE name='Acme'") == [("lead",)]
    # Acme's two fired; Bolt's two were set and cancelled by the answer; Cyan never had any.
    assert sorted(
        await query(
            bot.db,
            "SELECT c.chat_id, r.kind, r.state FROM reminders r "
            "JOIN conversations c ON c.id = r.ref_id WHERE r.kind LIKE 'reply%'",
        )
    ) == sorted(
        [
            (CLIENT_CHAT, "reply_escalation", "fired"),
            (CLIENT_CHAT, "reply_sla", "fired"),
            (ANSWERED_CHAT, "reply_escalation", "cancelled"),
            (ANSWERED_CHAT, "reply_sla", "cancelled"),
        ]
    )
    nothing_internal(fake.calls, [CLIENT_CHAT, ANSWERED_CHAT, POLITE_CHAT])


# ------------------------------------------------------------------ 3. Telegram Business


@pytest.mark.sqlite_only  # time budget: a lead's clock; the reply clock runs on both backends above
async def test_a_business_message_from_a_new_person_makes_a_lead(start_bot: Start) -> None:
    bot = await start_bot(LEAD_RESPONSE_SLA=str(SLA_SECONDS))
    fake = bot.fake
    start = fake.mark()
    fake.business_connection(CONNECTION, user_id=ANNA)
    await fake.wait_for("sendMessage", to(ANNA, "Business подключён"), timeout=30)
    assert await query(
        bot.db, "SELECT user_id, user_chat_id, is_enabled FROM business_connections"
    ) == [(ANNA, ANNA, 1)]
    lead = "SELECT status, source, owner_id, first_response_at FROM clients WHERE name=?"

    # Мария writes first; Anna answers her in that chat before the SLA: no ping for Мария.
    update_id = fake.business_message(
        "Здравствуйте, сколько стоит лендинг?",
        connection_id=CONNECTION,
        chat_id=OTHER_PERSON,
        user_id=OTHER_PERSON,
        first_name="Мария",
        last_name="Смирнова",
    )
    asked = date_of(fake, update_id)
    await bot.until(lead, "Мария Смирнова", what="Мария's lead")
    fake.business_message(
        "Добрый день! Пришлю расчёт сегодня",
        connection_id=CONNECTION,
        chat_id=OTHER_PERSON,
        user_id=ANNA,
    )
    [(status, source, owner, answered)] = await bot.until(
        lead + " AND first_response_at IS NOT NULL", "Мария Смирнова", what="Anna's answer"
    )
    assert (status, source, owner) == ("lead", "business", ANNA) and answered
    assert time.time() - asked < SLA_SECONDS - 1, "answered too late to test anything"

    # The control, after: Пётр writes and nobody answers.
    update_id = fake.business_message(
        "Здравствуйте, нужен сайт",
        connection_id=CONNECTION,
        chat_id=CLIENT_PERSON,
        user_id=CLIENT_PERSON,
        first_name="Пётр",
        last_name="Иванов",
        username="petr_iv",
    )
    sent_at = date_of(fake, update_id)
    [(status, source, owner, answered)] = await bot.until(lead, "Пётр Иванов", what="Пётр's lead")
    assert (status, source, owner, answered) == ("lead", "business", ANNA, None)
    [(petr,)] = await query(bot.db, "SELECT id FROM clients WHERE name='Пётр Иванов'")
    assert await query(bot.db, "SELECT kind, value FROM contacts WHERE client_id=?", petr) == [
        ("username", "@petr_iv")
    ]
    # His conversation is watched, but its own clock starts with his next message: the lead's
    # clock already runs for this one.
    assert await query(
        bot.db,
        "SELECT connection_id, chat_type, waiting_since FROM conversations WHERE client_id=?",
        petr,
    ) == [(CONNECTION, "private", None)]
    [ping] = await fake.wait_for(
        "sendMessage", to(ANNA, "Лид «Пётр Иванов» ждёт ответа"), timeout=30
    )
    assert sent_at + SLA_SECONDS - CLOCK_SLACK <= bot.wall(ping) <= sent_at + SLA_SECONDS + ON_TIME
    # Its escalation (to the owner, Anna) comes at twice the SLA: by then Мария's would have.
    [_, escalation] = await fake.wait_for(
        "sendMessage", to(ANNA, "Лид «Пётр Иванов» ждёт ответа"), count=2, timeout=30
    )
    assert "ждёт ответа уже" in escalation.params["text"]
    await bot.nothing_more(mentions("ждёт ответа"), seen=2, since=start)
    assert not [c for c in fake.calls[start:] if "Мария" in str(c.params)]
    nothing_internal(fake.calls, [], [CLIENT_PERSON, OTHER_PERSON])
