"""The outbox under Telegram's faults, crashes and bursts: a fake clock, a scripted Telegram."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message
from sqlalchemy import event, text

from bot.clock import FakeClock, SystemClock
from bot.scheduler.delivery import URGENT_MAX_BACKOFF, Delivery
from bot.scheduler.ratelimit import RateLimiter
from bot.storage.db import Database
from bot.storage.repositories import Repos
from bot.views.leads import LeadCb

T = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"


@dataclass
class Sent:
    """One request the scripted Telegram saw."""

    at: datetime
    chat_id: int
    text: str
    outcome: str


class ScriptedTelegram(BaseSession):
    """Answers each chat's sends from a script ("429", "500", "403", "400", "hang"), else OK."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.script: dict[int, list[str]] = defaultdict(list)
        self.calls: list[Sent] = []
        self.on_call: Callable[[Sent], Awaitable[None]] | None = None
        self._ids = itertools.count(1)
        self._never = asyncio.Event()

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        """Record the call, then answer as scripted."""
        chat_id = int(method.chat_id)  # type: ignore[attr-defined]
        outcome = self.script[chat_id].pop(0) if self.script[chat_id] else "ok"
        call = Sent(self.clock.now(), chat_id, str(getattr(method, "text", "")), outcome)
        self.calls.append(call)
        if self.on_call is not None:
            await self.on_call(call)
        if outcome == "hang":  # the process dies while this request is in flight
            await self._never.wait()
        if outcome == "429":
            raise TelegramRetryAfter(method, "Too Many Requests: retry after 1", 1)
        if outcome == "500":
            raise TelegramServerError(method, "Internal Server Error")
        if outcome == "403":
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        if outcome == "400":
            raise TelegramBadRequest(method, "Bad Request: can't parse entities")
        return Message(  # type: ignore[return-value]
            message_id=next(self._ids),
            date=int(T.timestamp()),
            chat=Chat(id=chat_id, type="private"),
            text=getattr(method, "text", None),
        )

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        """Not used."""
        yield b""

    async def close(self) -> None:
        """Nothing to close."""

    def to(self, chat_id: int, outcome: str | None = None) -> list[Sent]:
        """The calls to one chat (optionally only those answered with `outcome`)."""
        return [
            c
            for c in self.calls
            if c.chat_id == chat_id and (outcome is None or c.outcome == outcome)
        ]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database in a temporary folder."""
    database = Database(database_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


def make(
    db: Database, *, global_rate: float = 30.0, fake_timer: bool = False, **kwargs: Any
) -> tuple[Delivery, ScriptedTelegram, FakeClock]:
    """A delivery worker over `db` with a fake clock at T and a scripted Telegram."""
    # With `fake_timer` a pass's length is measured on the fake clock too: it ends after
    # PASS_SLICE seconds of pacing instead of running every row in the batch.
    clock = FakeClock(T)
    session = ScriptedTelegram(clock)
    limiter = RateLimiter(clock, global_rate=global_rate)
    if fake_timer:
        kwargs["timer"] = lambda: clock.now().timestamp()
    return Delivery(db, Bot(TOKEN, session=session), clock, limiter, **kwargs), session, clock


async def queue(
    db: Database,
    chat_id: int,
    text: str,
    *,
    kind: str = "fu",
    at: datetime = T,
    **extra: Any,
) -> None:
    """Put one message in the outbox, due at `at`."""
    async with db.session() as s:
        await Repos(s).outbox.add(
            chat_id, {"text": text, "parse_mode": None, **extra}, kind=kind, now=at, due_at=at
        )


async def drain(delivery: Delivery, clock: FakeClock, limit: float = 600.0) -> None:
    """Run passes, moving the clock to each next due time, until nothing is pending."""
    end = clock.now() + timedelta(seconds=limit)
    while clock.now() < end:
        if await delivery.run_once():
            continue
        async with delivery.db.reader() as s:
            nxt = await Repos(s).outbox.next_time()
        if nxt is None:
            return
        clock.set(max(nxt, clock.now() + timedelta(milliseconds=10)))
    raise AssertionError("the outbox did not drain")


async def states(db: Database) -> dict[str, str]:
    """Each message's text and state."""
    async with db.reader() as s:
        rows = await s.execute(text("SELECT payload, state FROM notifications ORDER BY id"))
        return {json.loads(payload)["text"]: state for payload, state in rows}


# --------------------------------------------------------------- 429 and 5xx timing


async def test_two_429s_and_a_500_cost_about_their_own_waits(db: Database) -> None:
    """Issue 1: retry_after is honoured as given, and a 429 does not feed the 5xx backoff."""
    delivery, telegram, _clock = make(db)
    telegram.script[7] = ["429", "429", "500"]
    await queue(db, 7, "Lead «Пётр» is waiting", kind="lead_sla")
    await drain(delivery, _clock)
    [accepted] = telegram.to(7, "ok")
    assert [c.outcome for c in telegram.to(7)] == ["429", "429", "500", "ok"]
    assert accepted.at - T <= timedelta(seconds=4)


async def test_a_refused_send_costs_other_chats_nothing(db: Database) -> None:
    """Issue 2: a 429 gives its slot of the overall budget back."""
    delivery, telegram, _clock = make(db, global_rate=1.0, concurrency=1)
    telegram.script[1] = ["429"]
    await queue(db, 1, "first", at=T - timedelta(seconds=1))
    await queue(db, 2, "second")
    await delivery.run_once()
    [other] = telegram.to(2, "ok")
    assert other.at == T  # not a second later, as if the refused send had used the slot


async def test_urgent_backoff_keeps_probing_every_few_seconds(db: Database) -> None:
    """Issue 4: eight 500s in a row delay a lead ping by seconds, not by minutes."""
    delivery, telegram, clock = make(db)
    telegram.script[7] = ["500"] * 8
    await queue(db, 7, "Lead «Пётр» is waiting", kind="lead_sla")
    await drain(delivery, clock)
    calls = telegram.to(7)
    assert [c.outcome for c in calls] == ["500"] * 8 + ["ok"]
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(calls)]
    assert max(gaps) <= URGENT_MAX_BACKOFF + 1.0
    assert calls[-1].at - calls[0].at <= timedelta(seconds=30)  # was 255 s


async def test_any_success_ends_every_backoff(db: Database) -> None:
    """Issue 4: once Telegram answers again, a chat deep in backoff is retried at once."""
    delivery, telegram, clock = make(db)
    telegram.script[1] = ["500"] * 6
    await queue(db, 1, "a reminder")
    for _ in range(6):
        await drain_until_called(delivery, telegram, clock, 1)
    assert [c.outcome for c in telegram.to(1)] == ["500"] * 6
    await queue(db, 2, "another chat", at=clock.now())
    await drain(delivery, clock)
    [elsewhere] = telegram.to(2, "ok")
    [retried] = telegram.to(1, "ok")
    assert retried.at - elsewhere.at < timedelta(seconds=2)  # not the 32 s the backoff had left


async def drain_until_called(
    delivery: Delivery, telegram: ScriptedTelegram, clock: FakeClock, chat_id: int
) -> None:
    """Advance to the chat's next try and make it."""
    before = len(telegram.to(chat_id))
    for _ in range(100):
        await delivery.run_once()
        if len(telegram.to(chat_id)) > before:
            return
        async with delivery.db.reader() as s:
            nxt = await Repos(s).outbox.next_time()
        assert nxt is not None
        clock.set(max(nxt, clock.now()))
    raise AssertionError("the chat was never tried")


# --------------------------------------------------------------- crashes


async def test_a_crash_repeats_only_the_message_in_flight(db: Database) -> None:
    """Issue 3: each accepted message is recorded before the next; a kill resends one."""
    delivery, telegram, _clock = make(db)
    for chat in range(1, 11):
        await queue(db, chat, f"message {chat}")
    telegram.script[6] = ["hang"]
    worker = asyncio.create_task(delivery.run_once())
    try:
        await settle(lambda: delivery.sent == 9)  # all but the hung request were accepted
        assert await pending(db) == 1  # and each was recorded as soon as it was
        # The process dies here (no clean-up runs); a new one starts on the same database.
        again, telegram2, clock2 = make(db)
        await drain(again, clock2)
        assert [c.text for c in telegram2.calls] == ["message 6"]
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker


async def settle(done: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the worker run until `done()` holds (or fail after `seconds`)."""
    for _ in range(int(seconds / 0.01)):
        if done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the worker did not get there")


async def pending(db: Database) -> int:
    """How many messages are still owed."""
    async with db.reader() as s:
        count, _oldest = await Repos(s).outbox.stats()
        return count


# --------------------------------------------------------------- order and bursts


async def test_an_answer_goes_ahead_of_queued_notifications(db: Database) -> None:
    """Issue 6: the reply to a command is not queued behind the chat's notifications."""
    delivery, telegram, clock = make(db)
    for i in range(8):
        await queue(db, 5, f"reminder {i}", at=T - timedelta(minutes=10 - i))
    await queue(db, 5, "help", kind="reply")
    await drain(delivery, clock)
    texts = [c.text for c in telegram.to(5)]
    assert texts == ["help"] + [f"reminder {i}" for i in range(8)]  # the rest in due order


async def test_an_answer_queued_mid_burst_goes_next(db: Database) -> None:
    """Issue 6: a command answered while the chat drains a backlog waits a few seconds at most."""
    delivery, telegram, clock = make(db, fake_timer=True)
    for i in range(20):
        await queue(db, 5, f"reminder {i}", at=T - timedelta(minutes=30 - i))

    async def command_arrives(call: Sent) -> None:
        if call.text == "reminder 1":
            await queue(db, 5, "help", kind="reply", at=clock.now())

    telegram.on_call = command_arrives
    await drain(delivery, clock)
    texts = [c.text for c in telegram.to(5)]
    assert texts.index("help") < 8, texts  # not behind all 18 remaining reminders
    assert [t for t in texts if t != "help"] == [f"reminder {i}" for i in range(20)]


async def make_leads(db: Database, user_id: int, names: list[str]) -> list[int]:
    """A user (English) with a workspace and these leads; their ids."""
    async with db.session() as s:
        repos = Repos(s)
        await repos.users.seen(user_id, first_name="Bob", username=None, tg_language="en", now=T)
        ws = await repos.workspaces.create("W", user_id, T)
        return [
            (await repos.clients.create(ws.id, name, owner_id=user_id, now=T)).id for name in names
        ]


def lead_buttons(client_id: int) -> dict[str, Any]:
    """The stored form of a lead card's keyboard."""
    data = LeadCb(action="ans", client_id=client_id).pack()
    return {
        "type": "inline",
        "data": {"inline_keyboard": [[{"text": "✅", "callback_data": data}]]},
    }


async def test_a_burst_of_lead_news_is_one_message_in_its_place(db: Database) -> None:
    """Issue 6: more than five lead cards and pings waiting for one chat go out as one."""
    names = [f"Client {i}" for i in range(12)]
    ids = await make_leads(db, 9, names)
    delivery, telegram, clock = make(db)
    await queue(db, 9, "earlier reminder", at=T - timedelta(minutes=5))
    for n, client_id in enumerate(ids):
        at = T - timedelta(minutes=4) + timedelta(seconds=n)
        await queue(
            db, 9, f"card {n}", kind="lead_new", at=at, reply_markup=lead_buttons(client_id)
        )
    await queue(db, 9, f"ping {0}", kind="lead_sla", at=T, reply_markup=lead_buttons(ids[0]))
    await queue(db, 9, "later reminder", at=T + timedelta(seconds=1))
    clock.advance(timedelta(seconds=1))
    await drain(delivery, clock)
    texts = [c.text for c in telegram.to(9)]
    assert len(texts) == 3 and texts[0] == "earlier reminder" and texts[2] == "later reminder"
    summary = texts[1]
    assert summary.startswith("12 new leads: Client 0, Client 1,")  # one entry per lead
    assert all(name in summary for name in names) and "/today" in summary
    assert list((await states(db)).values()).count("superseded") == 13


async def test_a_huge_burst_fits_in_one_telegram_message(db: Database) -> None:
    names = [f"Клиент с очень длинным названием компании номер {i}" for i in range(300)]
    ids = await make_leads(db, 9, names)
    delivery, telegram, clock = make(db)
    for n, client_id in enumerate(ids):
        await queue(db, 9, f"card {n}", kind="lead_new", reply_markup=lead_buttons(client_id))
    await drain(delivery, clock)
    [summary] = [c.text for c in telegram.to(9)]
    assert len(summary) <= 4096 and summary.startswith("300 new leads: Клиент")
    shown = summary.count("Клиент с очень")
    assert 10 < shown < 300 and f"… and {300 - shown} more" in summary


async def test_five_waiting_leads_still_come_one_by_one(db: Database) -> None:
    ids = await make_leads(db, 9, [f"Client {i}" for i in range(5)])
    delivery, telegram, clock = make(db)
    for n, client_id in enumerate(ids):
        await queue(db, 9, f"card {n}", kind="lead_new", reply_markup=lead_buttons(client_id))
    await drain(delivery, clock)
    assert [c.text for c in telegram.to(9)] == [f"card {n}" for n in range(5)]


# --------------------------------------------------------------- bad rows, blocked chats


async def test_a_message_telegram_refuses_is_logged_and_blocks_nothing(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 7: a 400 is an ERROR naming kind and chat, never the text; the rest goes out."""
    delivery, telegram, _clock = make(db)
    telegram.script[1] = ["400"]
    await queue(db, 1, "secret words one", kind="fu")
    await queue(db, 1, "after it")
    broken = {"type": "inline", "data": {"inline_keyboard": "secret words two"}}
    await queue(db, 2, "secret words two", kind="digest", reply_markup=broken)
    await queue(db, 2, "also after it")
    await queue(db, 3, "another chat")
    with caplog.at_level(logging.INFO, logger="nudge.delivery"):
        await delivery.run_once()
    accepted = sorted(c.text for c in telegram.calls if c.outcome == "ok")
    assert accepted == ["after it", "also after it", "another chat"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("chat=1" in e and "kind=fu" in e for e in errors)
    assert any("chat=2" in e and "kind=digest" in e for e in errors)
    logged = caplog.text + "".join(str(r.exc_info) for r in caplog.records)
    assert "secret words" not in logged and TOKEN.split(":")[1] not in logged
    final = await states(db)
    assert final["secret words one"] == "failed" and final["secret words two"] == "failed"


async def test_a_blocked_colleague_is_reported_to_whoever_passed_the_lead(db: Database) -> None:
    """Issue 8: the sender of a passed lead hears, in their language, that it did not arrive."""
    [client_id] = await make_leads(db, 1, ["Acme Corp"])
    async with db.session() as s:
        await Repos(s).users.seen(2, first_name="Dana", username=None, tg_language="en", now=T)
    delivery, telegram, clock = make(db)
    telegram.script[2] = ["403"]
    card = {"on_behalf_of": 1, "client_id": client_id, "reply_markup": lead_buttons(client_id)}
    await queue(db, 2, "Bob passed you a lead: Acme Corp", kind="reply", **card)
    await queue(db, 2, "a reminder for Dana")
    await drain(delivery, clock)
    assert len(telegram.to(2)) == 1  # given up at the first 403, the rest with it
    [notice] = [c.text for c in telegram.to(1)]
    assert notice == "Could not pass “Acme Corp” to Dana: they have blocked the bot."


async def test_a_blocked_chat_without_a_sender_tells_nobody(db: Database) -> None:
    delivery, telegram, clock = make(db)
    telegram.script[2] = ["403"]
    await queue(db, 2, "a reminder", kind="fu")
    await drain(delivery, clock)
    assert [c.chat_id for c in telegram.calls] == [2]


# --------------------------------------------------------------- pacing many chats at once


async def test_fifty_chats_waiting_for_the_overall_limit_all_go_in_due_order(
    db: Database,
) -> None:
    """Fifty chats queue for the 30/s budget in one pass: none stalls, and they go in due order."""
    # A wait shorter than the clock's microsecond once left the fake clock standing still, and
    # every waiting chat asked again forever.
    delivery, telegram, clock = make(db)
    for chat in range(1, 51):
        await queue(db, chat, f"answer {chat}", kind="reply", at=T + timedelta(milliseconds=chat))
    clock.advance(timedelta(seconds=1))
    assert await asyncio.wait_for(delivery.run_once(), 10) == 50
    assert [c.chat_id for c in telegram.calls] == list(range(1, 51))


async def test_on_the_real_clock_chats_waiting_for_a_slot_go_in_due_order(db: Database) -> None:
    """With a real clock the waiting chats do not race for each freed slot: due order holds."""
    clock = SystemClock()
    session = ScriptedTelegram(clock)  # type: ignore[arg-type]
    limiter = RateLimiter(clock, global_rate=40.0)
    delivery = Delivery(db, Bot(TOKEN, session=session), clock, limiter)
    first_due = clock.now() - timedelta(seconds=1)
    for chat in range(1, 61):
        await queue(db, chat, f"n{chat}", at=first_due + timedelta(milliseconds=chat))
    began = time.monotonic()
    await asyncio.wait_for(delivery.run_once(), 10)
    assert [c.chat_id for c in session.calls] == list(range(1, 61))
    assert 0.4 < time.monotonic() - began < 3.0  # 20 beyond the burst of 40, at 40/s


async def test_messages_accepted_together_are_recorded_in_one_commit(db: Database) -> None:
    """Marking sent costs a transaction per batch of answers, not one per message."""
    delivery, telegram, _clock = make(db)
    for chat in range(1, 21):
        await queue(db, chat, f"message {chat}")
    commits = 0

    def count(*_args: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", count)
    try:
        assert await delivery.run_once() == 20
    finally:
        event.remove(db.engine.sync_engine, "commit", count)
    assert len(telegram.calls) == 20 and await pending(db) == 0
    assert commits <= 3, commits
