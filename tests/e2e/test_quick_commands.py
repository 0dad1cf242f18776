"""End to end: the quick commands `/call`, `/task`, `/invoice`, `/paid`, `/debts` against the
real `python -m bot` process polling the fake Telegram.

About time (as in test_followups.py). The lead SLA is an env setting, so the `/call` test
runs the bot with a four-second one. A task's check-ins and an invoice's chaser are set
through the real commands and then moved to a few seconds from now in the database (the
task's or invoice's own dates, its `reminders` rows, and the deadline stamped in their
payload); recording another lead (`rearm`) then makes the running bot re-read the earliest
due time, as every handled update that writes a reminder does. Nothing is sent on the bot's
behalf and nothing waits a fixed time for it: each wait is for the expected call with a
deadline. The one fixed wait is the bounded negative check (`nothing_more`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e_support import BotProcess, bot_env, execute, query, unstamp
from tests.fakeapi import Call, FakeTelegram

pytestmark = pytest.mark.e2e

CHAT = 1  # the manager's private chat (= their user id)
CLIENT = "Ромашка"
OTHER = "Лютик"  # another client, a lead nobody answers
# New clients recorded only to make the running bot re-arm its alarm, one per re-arm.
FLOWERS = ("Василёк", "Тюльпан", "Нарцисс", "Пион")
SLA_SECONDS = 4  # the lead response time the `/call` test runs with
LEAD_KINDS = ("lead_sla", "lead_escalation")
TASK_KINDS = ("task_50", "task_75", "task_due")
# Slack for comparing the fake's monotonic clock with the bot's wall clock (same machine).
CLOCK_SLACK = 0.05


def to(chat_id: int, text: str) -> Callable[[Call], bool]:
    """A message accepted by Telegram for `chat_id` whose text contains `text`."""
    return lambda c: (
        c.status == 200
        and c.params.get("chat_id") == chat_id
        and text in str(c.params.get("text", ""))
    )


def callbacks(call: Call) -> dict[str, str]:
    """The inline buttons of a recorded send/edit: callback_data -> label."""
    markup = call.params.get("reply_markup") or {}
    return {
        b["callback_data"]: b["text"]
        for row in markup.get("inline_keyboard", [])
        for b in row
        if "callback_data" in b
    }


def spaces(text: str) -> str:
    """Babel's group separators (no-break, narrow no-break) as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


class Nudge:
    """The bot process under test over its own database, and the fake Telegram."""

    def __init__(self, fake: FakeTelegram, workdir: Path, database_url: str, **env: str) -> None:
        self.fake = fake
        self.db = database_url
        self.process = BotProcess(bot_env(fake, workdir, DATABASE_URL=database_url, **env), workdir)
        self.flowers = iter(FLOWERS)

    async def start(self) -> None:
        """Spawn `python -m bot` and wait until it has talked to Telegram."""
        mark = self.fake.mark()
        await self.process.start()
        await self.fake.wait_for("getMe", since=mark, timeout=30)

    def send(self, text: str) -> None:
        self.fake.send_text(text, user_id=CHAT, language_code="ru")

    async def ask(self, text: str, expect: str) -> Call:
        """Send `text`; the bot's first reply in the chat containing `expect`."""
        mark = self.fake.mark()
        self.send(text)
        [reply] = await self.fake.wait_for("sendMessage", to(CHAT, expect), since=mark, timeout=30)
        return reply

    def press(self, call: Call, label: str) -> str:
        """Press the button labelled `label` on the message `call` sent; its data."""
        [data] = [d for d, text in callbacks(call).items() if text == label]
        self.fake.press(data, user_id=CHAT, message=call.response["result"], language_code="ru")
        return data

    def deliveries(self, kind: str) -> int:
        """Messages of this kind the bot has recorded as delivered to the manager (its log)."""
        return self.process.log().count(f"delivered chat={CHAT} kind={kind} ")

    async def nothing_more(
        self, predicate: Callable[[Call], bool], seen: int, since: int, seconds: float = 2.0
    ) -> None:
        """Bounded negative check: no sendMessage beyond the `seen` matching ones comes."""
        try:
            hits = await self.fake.wait_for(
                "sendMessage", predicate, count=seen + 1, since=since, timeout=seconds
            )
        except AssertionError:
            return  # the deadline passed with nothing more: as it should be
        raise AssertionError(f"came again: {hits[-1].params.get('text')!r}")

    async def onboard(self) -> None:
        """/start in Moscow."""
        self.send("/start")
        self.send("Москва")
        await self.fake.wait_for("sendMessage", to(CHAT, "Часовой пояс"), timeout=30)

    async def lead(self, name: str) -> Call:
        """Record a lead through `/lead`; its card."""
        return await self.ask(f"/lead {name}", f"Новый лид: <b>{name}")

    async def rearm(self) -> None:
        """Let the running bot re-read its alarm time: a handled update that writes a reminder
        (a new lead's response-time pings) re-arms the alarm at the earliest pending row."""
        await self.lead(next(self.flowers))

    async def client_id(self, name: str) -> int:
        [(client_id,)] = await query(self.db, "SELECT id FROM clients WHERE name=?", name)
        return client_id


Start = Callable[..., Awaitable[Nudge]]


@pytest.fixture
async def start_bot(fake: FakeTelegram, tmp_path: Path, database_url: str) -> AsyncIterator[Start]:
    """Start the bot (once per test) with extra environment settings."""
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


# ------------------------------------------------------------------ 1. /call answers a lead


def waiting(name: str) -> Callable[[Call], bool]:
    """The lead's SLA ping or its escalation (both say «Лид «name» ждёт ответа»)."""
    return to(CHAT, f"Лид «{name}» ждёт ответа")


async def test_call_answers_a_waiting_lead_and_no_ping_follows(start_bot: Start) -> None:
    bot = await start_bot(LEAD_RESPONSE_SLA=str(SLA_SECONDS))
    start = bot.fake.mark()
    card = await bot.lead(CLIENT)
    reply = await bot.ask(f"/call {CLIENT} 5 мин договорились", f"Звонок записан: «{CLIENT}»")
    text = reply.params["text"]
    assert "Длительность: 5 минут." in text
    assert re.search(r"На лид ответили за \d+ секунд[аы]?\.", text), text
    # The ping is due SLA_SECONDS after the lead was sent (the message's date, in whole
    # seconds): the call must have come before it, or the check below proves nothing.
    assert reply.at - card.at < SLA_SECONDS - 1.5, "the call came too late to test anything"

    client = await bot.client_id(CLIENT)
    assert await query(
        bot.db, "SELECT kind, direction, duration_s, summary FROM touches WHERE client_id=?", client
    ) == [("call", "out", 300, "договорились")]
    [(first_response,)] = await query(
        bot.db, "SELECT first_response_at FROM clients WHERE id=?", client
    )
    assert first_response is not None
    assert sorted(
        await query(
            bot.db,
            f"SELECT kind, state FROM reminders WHERE client_id=? AND kind IN {LEAD_KINDS}",
            client,
        )
    ) == [("lead_escalation", "cancelled"), ("lead_sla", "cancelled")]

    # The control: a lead nobody answers does get its ping and escalation. They were set
    # after Ромашка's, so once they have come, Ромашка's would have come too.
    control = await bot.lead(OTHER)
    [ping] = await bot.fake.wait_for("sendMessage", waiting(OTHER), since=start, timeout=30)
    assert ping.at - control.at >= SLA_SECONDS - 1.5  # counted from the whole-second date
    [_ping, escalation] = await bot.fake.wait_for(
        "sendMessage", waiting(OTHER), count=2, since=start, timeout=30
    )
    assert "ждёт ответа уже" in escalation.params["text"]
    await bot.nothing_more(waiting(CLIENT), seen=0, since=start, seconds=1.0)
    assert bot.deliveries("lead_sla") == 1 and bot.deliveries("lead_escalation") == 1


# ------------------------------------------------------------------ 2. task check-ins


async def compress_task(db: str, task_id: int, offsets: dict[str, float]) -> dict[str, datetime]:
    """Start the task now and move its pending reminders to `offsets` seconds from now (the
    deadline to `task_due`'s); the payloads carry the new deadline, or the bot drops them as
    stale. The new due time of each kind."""
    now = datetime.now(UTC)
    at = {kind: now + timedelta(seconds=s) for kind, s in offsets.items()}
    due = at["task_due"]
    payload = json.dumps({"task": task_id, "due": due.timestamp()})
    assert await execute(
        db, "UPDATE tasks SET started_at=?, due_at=? WHERE id=?", now, due, task_id
    )
    for kind, when in at.items():
        moved = await execute(
            db,
            "UPDATE reminders SET due_at=?, payload=? "
            "WHERE ref_id=? AND kind=? AND state='pending'",
            when,
            payload,
            task_id,
            kind,
        )
        assert moved == 1, f"task {task_id} has no pending {kind} reminder to move"
    return at


async def test_task_checkins_come_on_time_once_and_take_progress(start_bot: Start) -> None:
    hours = 2  # the shortest window that gets check-ins
    bot = await start_bot()
    await bot.lead(CLIENT)
    words = f"{hours} часа"
    card = await bot.ask(f"/task {CLIENT} макет через {words}", f"📌 «макет» — {CLIENT}")
    assert set(callbacks(card).values()) == {"✅ Готово", "📅 Перенести", "👤 Передать"}
    [(task_id, started, due, assignee)] = await query(
        bot.db, "SELECT id, started_at, due_at, assignee_id FROM tasks"
    )
    assert assignee == CHAT
    window = unstamp(due) - unstamp(started)
    assert timedelta(hours=hours) - timedelta(seconds=5) <= window <= timedelta(hours=hours)
    reminders = dict(
        await query(
            bot.db,
            "SELECT kind, due_at FROM reminders WHERE ref_id=? AND state='pending' "
            f"AND kind IN {TASK_KINDS}",
            task_id,
        )
    )
    assert set(reminders) == set(TASK_KINDS)
    # Half and three quarters of the window (to the minute), and the deadline itself.
    half, three_quarters = unstamp(reminders["task_50"]), unstamp(reminders["task_75"])
    assert abs(half - (unstamp(started) + window / 2)) < timedelta(minutes=1)
    assert abs(three_quarters - (unstamp(started) + window * 3 / 4)) < timedelta(minutes=1)
    assert reminders["task_due"] == due

    checkin, quarter, deadline = (
        to(CHAT, "Как продвигается"),
        to(CHAT, "Прошло три четверти времени"),
        to(CHAT, "Срок вышел"),
    )
    mark, clock = bot.fake.mark(), time.monotonic()
    offsets = {"task_50": 2.0, "task_75": 3.0, "task_due": 4.0}
    at = await compress_task(bot.db, task_id, offsets)
    await bot.rearm()

    [ask] = await bot.fake.wait_for("sendMessage", checkin, since=mark, timeout=30)
    assert ask.at >= clock + offsets["task_50"] - CLOCK_SLACK, "the 50% check-in came early"
    assert ask.params["text"].startswith("⏳ Прошла половина времени до срока: «макет» — Ромашка")
    assert list(callbacks(ask).values()) == ["≤30%", "~50%", "~70%", "✅ Готово", "📅 Перенести"]

    bot.press(ask, "~50%")
    await bot.fake.wait_for("sendMessage", to(CHAT, "Записал: «макет»"), since=mark, timeout=30)
    assert await query(bot.db, "SELECT progress, state FROM tasks WHERE id=?", task_id) == [
        (50, "open")
    ]

    [late] = await bot.fake.wait_for("sendMessage", quarter, since=mark, timeout=30)
    [over] = await bot.fake.wait_for("sendMessage", deadline, since=mark, timeout=30)
    assert late.at >= clock + offsets["task_75"] - CLOCK_SLACK, "the 75% reminder came early"
    assert over.at >= clock + offsets["task_due"] - CLOCK_SLACK, "the deadline came early"
    assert ask.at < late.at < over.at
    assert over.params["text"].startswith("🚨 Срок вышел: «макет» — Ромашка")
    # The deadline goes to the author with the task's own buttons (here also the assignee:
    # one person, one message).
    assert set(callbacks(over).values()) == {"✅ Готово", "📅 Перенести", "👤 Передать"}

    # Each fired by the alarm at its time, never early; each message exactly once.
    fired = dict(
        await query(
            bot.db,
            f"SELECT kind, fired_at FROM reminders WHERE ref_id=? AND kind IN {TASK_KINDS} "
            "AND state='fired'",
            task_id,
        )
    )
    assert set(fired) == set(TASK_KINDS)
    for kind, when in at.items():
        assert when <= unstamp(fired[kind]) < when + timedelta(seconds=10), kind
    await bot.nothing_more(
        lambda c: checkin(c) or quarter(c) or deadline(c), seen=3, since=mark, seconds=2.0
    )
    assert [bot.deliveries(kind) for kind in TASK_KINDS] == [1, 1, 1]


# ------------------------------------------------------------------ 3. invoice chasers

# An amount as Babel writes it in Russian: groups split by a (narrow) no-break space.
SP = "[\u00a0\u202f ]"
INVOICE_BUTTONS = ["✅ Оплачен", "💸 Оплачен частично", "🗓 Перенесли на…"]
FIRST_CHASER = 2  # services/invoices: steps 0 and 1 come before and on the due day


async def invoice_id(db: str, number: str) -> int:
    [(found,)] = await query(db, "SELECT id FROM invoices WHERE number=?", number)
    return found


async def pending_invoice_reminders(db: str, inv: int) -> list[tuple]:
    return await query(
        db,
        "SELECT id, due_at, payload FROM reminders "
        "WHERE kind='invoice' AND ref_id=? AND state='pending'",
        inv,
    )


def chaser_of(number: str, name: str) -> Callable[[Call], bool]:
    """An overdue reminder about this invoice (not the /invoice confirmation or /paid reply)."""
    return to(CHAT, f"⚠️ Счёт #{number} для «{name}» просрочен на ")


async def test_invoice_chaser_comes_when_overdue_and_stops_after_paid(start_bot: Start) -> None:
    bot = await start_bot()
    await bot.lead(CLIENT)
    moscow = datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow"))
    day = (moscow + timedelta(days=10)).strftime("%d.%m")
    made = await bot.ask(f"/invoice {CLIENT} 120 000 ₽ до {day} #45", f"Счёт #45 для «{CLIENT}»")
    due_day = f"[а-я]{{2}} {day}(\\.\\d{{4}})?"  # `пт 11.12`, with the year in late December
    assert re.search(
        f"Счёт #45 для «{CLIENT}»: 120{SP}000,00{SP}₽, оплатить до {due_day}\\.",
        made.params["text"],
    ), made.params["text"]
    assert list(callbacks(made).values()) == INVOICE_BUTTONS
    inv = await invoice_id(bot.db, "45")
    [(reminder, _due, _payload)] = await pending_invoice_reminders(bot.db, inv)

    # The invoice fell due two days ago, and its first overdue chaser is due in two seconds.
    now = datetime.now(UTC)
    due, chase_at = now - timedelta(days=2), now + timedelta(seconds=2)
    payload = {"inv": inv, "step": FIRST_CHASER, "due": int(due.timestamp()), "held": []}
    assert await execute(bot.db, "UPDATE invoices SET due_at=? WHERE id=?", due, inv) == 1
    assert (
        await execute(
            bot.db,
            "UPDATE reminders SET due_at=?, payload=? WHERE id=? AND state='pending'",
            chase_at,
            json.dumps(payload),
            reminder,
        )
        == 1
    )
    chaser = chaser_of("45", CLIENT)
    mark, clock = bot.fake.mark(), time.monotonic()
    await bot.rearm()
    [chase] = await bot.fake.wait_for("sendMessage", chaser, since=mark, timeout=30)
    assert chase.at >= clock + 2 - CLOCK_SLACK, "the chaser came early"
    text = spaces(chase.params["text"])
    assert text.startswith(f"⚠️ Счёт #45 для «{CLIENT}» просрочен на 2 дня (срок был "), text
    assert "): 120 000,00 ₽." in text and "\nСледующее напоминание: " in text
    assert list(callbacks(chase).values()) == INVOICE_BUTTONS
    [(state, fired_at)] = await query(
        bot.db, "SELECT state, fired_at FROM reminders WHERE id=?", reminder
    )
    assert state == "fired" and unstamp(fired_at) >= chase_at

    # The chaser armed the next one (days away). Make it due in a few seconds too, so that
    # only /paid stands between it and a second chaser.
    [(following, _due, _payload)] = await pending_invoice_reminders(bot.db, inv)
    again_at = datetime.now(UTC) + timedelta(seconds=4)
    assert await execute(bot.db, "UPDATE reminders SET due_at=? WHERE id=?", again_at, following)
    clock = time.monotonic()
    await bot.rearm()
    paid = await bot.ask("/paid #45", f"«{CLIENT}» оплатил счёт #45 полностью")
    assert paid.at < clock + 4, "/paid came after the next chaser was due: nothing to stop"
    assert spaces(paid.params["text"]) == (
        f"✅ «{CLIENT}» оплатил счёт #45 полностью (120 000,00 ₽). Напоминания по нему выключены."
    )
    assert await pending_invoice_reminders(bot.db, inv) == []
    assert await query(bot.db, "SELECT state FROM reminders WHERE id=?", following) == [
        ("cancelled",)
    ]
    assert await query(bot.db, "SELECT state, paid FROM invoices WHERE id=?", inv) == [
        ("paid", "120000.00")
    ]
    # Past the time the cancelled chaser was due, and then some: no second chaser.
    left = clock + 4 - time.monotonic()
    await bot.nothing_more(chaser, seen=1, since=mark, seconds=max(left, 0) + 2.0)
    assert bot.deliveries("invoice") == 1


# ------------------------------------------------------------------ 4. partial payment, /debts


async def test_partial_payment_leaves_the_rest_in_debts(start_bot: Start) -> None:
    bot = await start_bot()
    await bot.lead(CLIENT)
    made = await bot.ask(f"/invoice {CLIENT} 100 000 #7", f"Счёт #7 для «{CLIENT}»")
    assert spaces(made.params["text"]).startswith(
        f"🧾 Счёт #7 для «{CLIENT}»: 100 000,00 ₽, без срока оплаты."
    )
    part = await bot.ask("/paid #7 40 000", f"«{CLIENT}» оплатил")
    assert spaces(part.params["text"]) == (
        f"💸 «{CLIENT}» оплатил 40 000,00 ₽ по счёту #7: осталось 60 000,00 ₽ из 100 000,00 ₽."
    )
    debts = await bot.ask("/debts", "Всего: ")
    text = debts.params["text"]
    assert re.search(f"Всего: 60{SP}000,00{SP}₽\n", text), text
    assert re.search(f"«{CLIENT}»: <b>60{SP}000,00{SP}₽</b> — срок не наступил 60{SP}000", text)
    assert list(callbacks(debts).values()) == [CLIENT]
    inv = await invoice_id(bot.db, "7")
    assert await query(bot.db, "SELECT state, amount, paid FROM invoices WHERE id=?", inv) == [
        ("open", "100000.00", "40000.00")
    ]
    assert await query(bot.db, "SELECT amount FROM payments WHERE invoice_id=?", inv) == [
        ("40000.00",)
    ]
