"""Commands per second for the managers' everyday mix, beside two aiogram baselines.

Run: .venv/bin/python bench/quick.py [--mix daily|money|help] [--managers 100] [--commands 400]
     [--runs 5] [--warmup 20] [--json]

Everything is in this process, one update at a time, with no network: each Bot has the offline
session of tests/mocked.py (it answers sendMessage with a made-up Message), and updates go in
through Dispatcher.feed_update (building the Update object is not timed). Four setups, their
order rotated every run, each run on fresh SQLite files (WAL) in a temporary directory:

1. "echo": a bare aiogram Dispatcher with one `@router.message()` handler calling
   `message.answer(message.text)`.
2. "echo + txn": the same echo after one durable SQLite transaction per update, the least an
   exactly-once command must do: `BEGIN IMMEDIATE; INSERT INTO processed(update_id) VALUES (?);
   COMMIT` through aiosqlite directly (no SQLAlchemy), with the app's own PRAGMAs
   (bot/storage/db.py: journal_mode=WAL, synchronous=NORMAL, foreign_keys, busy_timeout).
   "echo + txn FULL" is the same with synchronous=FULL (an fsync per commit), for reference.
3. "Nudge": build_app over a FakeClock (Tue 2026-11-24 13:00 Moscow; the outbox's pacing sleeps
   pass at once on it), --managers managers onboarded (/start, Москва), each with three leads
   (Acme, Globex, Initech). The mix, the managers taking turns:
   - daily (default; the performance issue's): /lead <new name> @<username> ·
     /call Acme 20м обсудили бюджет · /fu Globex завтра 11:00 прислать КП ·
     /task Initech отчёт по рекламе до пт 18:00 !
   - money: /call · /task · /invoice <c> 120 000 ₽ до 5.12 #<n> · /paid #<n>, one manager
     with five active clients (the figure of the calls-and-payments issue).
   - help: /help alone (no client, no fuzzy search: the floor of a command's own work).
   Timed per command: feed_update (middleware, handler, its transaction) plus
   Delivery.run_once (the answer taken from the outbox, sent, marked sent) — the work until the
   answer is out. After each run the rows are counted: every timed command must have written
   its lead, touch, follow-up, task, invoice or payment, its processed_updates row and sent one
   message, or the bench fails.

--warmup untimed updates run first in each setup. Printed: medians over --runs of commands/s
(commands / summed time), of each run's p50 and p95 ms per command, and of this process's CPU
time per command (all threads: aiosqlite's too; steadier than wall time on a busy machine); per
command type for Nudge; then Nudge's share of the durable ceiling (echo + txn) and its slowdown
against both baselines, by wall and by CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import logging
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from aiogram import Bot, Dispatcher, Router
from aiogram.methods import SendMessage
from aiogram.types import Message, Update
from common import median, offline_app

from tests.mocked import RecordingSession, mocked_bot, script_updates

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday: "до пт" and "до 5.12" are ahead
MANAGER = 1001
CLIENTS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")
# The app's PRAGMAs (bot/storage/db.py, _sqlite_pragmas).
APP_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=2000")
TXN = "aiosqlite directly (no SQLAlchemy): BEGIN IMMEDIATE, INSERT, COMMIT; WAL, synchronous=NORMAL"

# (command type, wall seconds, CPU seconds of this process, wall seconds of the delivery part)
Sample = tuple[str, float, float, float]


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Updates:
    """Private-chat text updates with distinct update_id and message_id."""

    def __init__(self, bot: Bot, clock: Callable[[], datetime] | None = None) -> None:
        self.bot = bot
        self.clock = clock or (lambda: datetime.now(UTC))
        self._ids = itertools.count(1)

    def make(self, text: str, user_id: int = MANAGER) -> Update:
        n = next(self._ids)
        message: dict[str, Any] = {
            "message_id": n,
            "date": int(self.clock().timestamp()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ivan", "language_code": "ru"},
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return Update.model_validate(
            {"update_id": 100_000 + n, "message": message}, context={"bot": self.bot}
        )


def sends(session: RecordingSession) -> int:
    return sum(isinstance(r, SendMessage) for r in session.requests)


# --- the baselines ---------------------------------------------------------------------------


async def echo_run(
    commands: int, warmup: int, workdir: Path, synchronous: str | None
) -> list[Sample]:
    """A bare aiogram echo; with `synchronous`, after one SQLite transaction per update."""
    bot, session = mocked_bot()
    router = Router()
    db: aiosqlite.Connection | None = None
    if synchronous is not None:
        db = await aiosqlite.connect(workdir / f"echo-{synchronous}.sqlite3", isolation_level=None)
        for pragma in (*APP_PRAGMAS, f"synchronous={synchronous}"):
            await db.execute(f"PRAGMA {pragma}")
        await db.execute("CREATE TABLE processed (update_id INTEGER PRIMARY KEY)")

        @router.message()
        async def echo_txn(message: Message, event_update: Update) -> None:
            assert db is not None
            await db.execute("BEGIN IMMEDIATE")
            try:
                await db.execute(
                    "INSERT INTO processed (update_id) VALUES (?)", (event_update.update_id,)
                )
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")
            await message.answer(message.text or "")

    else:

        @router.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    updates = Updates(bot)
    try:
        for i in range(warmup):
            await dispatcher.feed_update(bot, updates.make(f"warm-up {i}"))
        sent_before = sends(session)
        samples: list[Sample] = []
        gc.collect()
        for i in range(commands):
            update = updates.make(f"/call Acme 20м обсудили бюджет {i}")
            c0, t0 = time.process_time(), time.perf_counter()
            await dispatcher.feed_update(bot, update)
            samples.append(("echo", time.perf_counter() - t0, time.process_time() - c0, 0.0))
        assert sends(session) - sent_before == commands, "the echo did not answer every update"
        if db is not None:
            async with db.execute("SELECT count(*) FROM processed") as cur:
                row = await cur.fetchone()
            assert row is not None and row[0] == warmup + commands, "a transaction went missing"
        return samples
    finally:
        if db is not None:
            await db.close()
        await bot.session.close()


# --- Nudge -----------------------------------------------------------------------------------


# A timed command: (type, text, manager)
Command = tuple[str, str, int]
KINDS = {
    "help": ["/help"],
    "daily": ["/lead", "/call", "/fu", "/task"],
    "money": ["/call", "/task", "/invoice", "/paid"],
}
DAILY_LEADS = ("Acme", "Globex", "Initech")


def managers_of(mix_name: str, managers: int) -> list[int]:
    """The managers' Telegram ids (the money mix has one)."""
    return [MANAGER + i for i in range(1 if mix_name == "money" else managers)]


def mix(
    mix_name: str, commands: int, managers: list[int], first_number: int, with_invoices: bool
) -> list[Command]:
    """The timed commands, the managers taking turns: in the daily mix every manager sends
    one command before anyone sends the next, as a hundred people at work at once would."""
    out: list[Command] = []
    number = first_number
    if mix_name == "help":
        return [("/help", "/help", managers[i % len(managers)]) for i in range(commands)]
    if mix_name == "daily":
        for _cycle in itertools.count():
            for kind, template in (
                ("/lead", "/lead Лид{n} @lead{n}"),
                ("/call", "/call Acme 20м обсудили бюджет"),
                ("/fu", "/fu Globex завтра 11:00 прислать КП"),
                ("/task", "/task Initech отчёт по рекламе до пт 18:00 !"),
            ):
                for manager in managers:
                    number += 1
                    if len(out) == commands:
                        return out
                    out.append((kind, template.format(n=number), manager))
    for cycle in itertools.count():
        for manager in managers:
            client = CLIENTS[cycle % len(CLIENTS)]
            step = [
                ("/call", f"/call {client} 20м обсудили бюджет"),
                ("/task", f"/task {client} отчёт по рекламе до пт 18:00 !"),
            ]
            if with_invoices:
                number += 1
                step += [
                    ("/invoice", f"/invoice {client} 120 000 ₽ до 5.12 #{number}"),
                    ("/paid", f"/paid #{number}"),
                ]
            for kind, text in step:
                if len(out) == commands:
                    return out
                out.append((kind, text, manager))
    return out


def count_rows(db_path: Path) -> dict[str, int]:
    """Rows that the mixes write (-1 for a table this checkout does not have)."""
    queries = {
        "clients": "SELECT count(*) FROM clients",
        "touches": "SELECT count(*) FROM touches WHERE kind = 'call'",
        "followups": "SELECT count(*) FROM followups",
        "tasks": "SELECT count(*) FROM tasks",
        "invoices": "SELECT count(*) FROM invoices",
        "invoices_paid": "SELECT count(*) FROM invoices WHERE state != 'open'",
        "payments": "SELECT count(*) FROM payments",
        "processed": "SELECT count(*) FROM processed_updates",
    }
    conn = sqlite3.connect(db_path)
    try:
        counts = {}
        for name, sql in queries.items():
            try:
                counts[name] = conn.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:
                counts[name] = -1
        return counts
    finally:
        conn.close()


class Nudge:
    """The real app, fed one update at a time, its answer delivered after each."""

    def __init__(self, workdir: Path, name: str = "nudge", **settings: Any) -> None:
        self.path = workdir / f"{name}.sqlite3"
        self.app, self.clock, self.session = offline_app(self.path, START, **settings)
        bot = self.app.bot
        self.updates = Updates(bot, self.clock.now)

    async def send(self, text: str, user_id: int = MANAGER) -> None:
        update = self.updates.make(text, user_id)
        await self.app.dispatcher.feed_update(self.app.bot, update)
        await self.app.delivery.run_once()

    async def timed(self, kind: str, text: str, user_id: int) -> Sample:
        update = self.updates.make(text, user_id)
        c0, t0 = time.process_time(), time.perf_counter()
        await self.app.dispatcher.feed_update(self.app.bot, update)
        t1 = time.perf_counter()
        await self.app.delivery.run_once()
        t2 = time.perf_counter()
        return kind, t2 - t0, time.process_time() - c0, t2 - t1

    async def timed_batch(self, commands: list[Command]) -> list[Sample]:
        """The real poller on one getUpdates answer carrying `commands`, then delivery until
        every answer is out; each command gets an equal share of the time."""
        updates = [self.updates.make(text, manager) for _kind, text, manager in commands]
        poller = self.app.poller
        script_updates(self.app.bot, poller, updates)
        c0, t0 = time.process_time(), time.perf_counter()
        await poller.run()
        t1 = time.perf_counter()
        while await self.app.delivery.run_once():
            pass
        t2 = time.perf_counter()
        cpu, n = time.process_time() - c0, len(commands)
        return [(kind, (t2 - t0) / n, cpu / n, (t2 - t1) / n) for kind, _t, _m in commands]


async def invoices_work(nudge: Nudge) -> bool:
    """Whether /invoice stores an invoice and /paid pays it in this checkout."""
    before = count_rows(nudge.path)
    if before["invoices"] < 0 or before["payments"] < 0:
        return False
    try:
        await nudge.send(f"/invoice {CLIENTS[0]} 1 000 ₽ #9999999")
        await nudge.send("/paid #9999999")
    except Exception as exc:  # a handler still being written
        print(f"note: the /invoice probe failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return False
    after = count_rows(nudge.path)
    return (
        after["invoices"] == before["invoices"] + 1 and after["payments"] == before["payments"] + 1
    )


async def nudge_run(
    mix_name: str, managers: int, commands: int, warmup: int, workdir: Path, batch: int = 1
) -> tuple[list[Sample], bool]:
    """(samples, whether /invoice and /paid were in the mix)."""
    # Batched, the answers of a batch go out together: Telegram's overall 30/s would be the
    # figure, so it is lifted (each chat still gets one answer per batch, see mix()).
    nudge = (
        Nudge(workdir)
        if batch == 1
        else Nudge(workdir, f"nudge-batch{batch}", delivery_rate_per_second=100_000)
    )
    await nudge.app.db.migrate()
    people = managers_of(mix_name, managers)
    try:
        for manager in people:
            await nudge.send("/start", manager)
            await nudge.send("Москва", manager)
            for name in DAILY_LEADS if mix_name == "daily" else CLIENTS:
                await nudge.send(f"/lead {name}", manager)
                if mix_name == "money":
                    await nudge.send(f"/client {name} status active", manager)
        with_invoices = mix_name == "money" and await invoices_work(nudge)
        for _kind, text, manager in mix(mix_name, warmup, people, 5000, with_invoices):
            await nudge.send(text, manager)
        planned = mix(mix_name, commands, people, 10_000, with_invoices)
        before, sent_before = count_rows(nudge.path), sends(nudge.session)
        samples: list[Sample] = []
        gc.collect()
        if batch > 1:
            for start in range(0, len(planned), batch):
                samples += await nudge.timed_batch(planned[start : start + batch])
        else:
            for kind, text, manager in planned:
                samples.append(await nudge.timed(kind, text, manager))
        after = count_rows(nudge.path)
        verify(planned, before, after, sends(nudge.session) - sent_before)
        return samples, with_invoices
    finally:
        await nudge.app.db.close()


def verify(
    planned: list[Command], before: dict[str, int], after: dict[str, int], sent: int
) -> None:
    """Every timed command did its write and sent its answer."""
    kinds = [kind for kind, _text, _manager in planned]
    n = {
        kind: kinds.count(kind) for kind in ("/lead", "/call", "/fu", "/task", "/invoice", "/paid")
    }
    expected = {
        "clients": n["/lead"],
        "touches": n["/call"],
        "followups": n["/fu"],
        "tasks": n["/task"],
        "invoices": n["/invoice"],
        "payments": n["/paid"],
        "invoices_paid": n["/paid"],
        "processed": len(planned),
    }
    grown = {name: after[name] - before[name] for name in expected}
    if grown != expected or sent != len(planned):
        raise SystemExit(
            f"the timed commands did not all do their work: rows grown {grown}, "
            f"expected {expected}; messages sent {sent}, expected {len(planned)}"
        )


# --- the report ------------------------------------------------------------------------------


def summarise(runs: list[list[Sample]], kinds: list[str] | None = None) -> dict[str, float]:
    """Medians over runs: commands/s, p50 and p95 ms, CPU ms per command, delivery's share."""
    rates, p50s, p95s, cpus, shares = [], [], [], [], []
    for samples in runs:
        picked = [s for s in samples if kinds is None or s[0] in kinds]
        if not picked:
            continue
        times = [s[1] for s in picked]
        rates.append(len(times) / sum(times))
        p50s.append(median(times) * 1000)
        p95s.append(pct(times, 0.95) * 1000)
        cpus.append(sum(s[2] for s in picked) / len(picked) * 1000)
        shares.append(sum(s[3] for s in picked) / sum(times))
    return {
        "commands_per_run": sum(1 for s in runs[0] if kinds is None or s[0] in kinds),
        "commands_per_s": median(rates),
        "ms_p50": median(p50s),
        "ms_p95": median(p95s),
        "cpu_ms_per_command": median(cpus),
        "delivery_share": median(shares),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=400, help="timed commands per setup")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20, help="untimed updates per setup")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--mix", choices=sorted(KINDS), default="daily")
    parser.add_argument("--managers", type=int, default=100, help="managers taking turns (daily)")
    parser.add_argument(
        "--batch", type=int, default=50, help="updates per getUpdates answer in the batched setup"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    setups: dict[str, Callable[[Path], Awaitable[list[Sample]]]] = {
        "echo": lambda d: echo_run(args.commands, args.warmup, d, None),
        "echo + txn": lambda d: echo_run(args.commands, args.warmup, d, "NORMAL"),
        "echo + txn FULL": lambda d: echo_run(args.commands, args.warmup, d, "FULL"),
    }
    batched = f"Nudge, batches of {args.batch}"
    results: dict[str, list[list[Sample]]] = {name: [] for name in [*setups, "Nudge", batched]}
    with_invoices: set[bool] = set()
    started = time.monotonic()
    order = list(results)
    for run in range(args.runs):
        workdir = Path(tempfile.mkdtemp(prefix="nudge-quick-"))
        try:
            shift = run % len(order)
            for name in order[shift:] + order[:shift]:
                if name == "Nudge":
                    samples, invoiced = await nudge_run(
                        args.mix, args.managers, args.commands, args.warmup, workdir
                    )
                    with_invoices.add(invoiced)
                elif name == batched:
                    samples, _ = await nudge_run(
                        args.mix, args.managers, args.commands, args.warmup, workdir, args.batch
                    )
                else:
                    samples = await setups[name](workdir)
                results[name].append(samples)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = {name: summarise(runs) for name, runs in results.items()}
    kinds = KINDS[args.mix]
    if args.mix == "money" and True not in with_invoices:
        kinds = kinds[:2]
    for kind in kinds:
        rows[f"  {kind}"] = summarise(results["Nudge"], [kind])
    ratios = {
        "ceiling_share": rows["Nudge"]["commands_per_s"] / rows["echo + txn"]["commands_per_s"],
        "batched_ceiling_share": rows[batched]["commands_per_s"]
        / rows["echo + txn"]["commands_per_s"],
        "vs_echo": rows["echo"]["commands_per_s"] / rows["Nudge"]["commands_per_s"],
        "vs_echo_txn": rows["echo + txn"]["commands_per_s"] / rows["Nudge"]["commands_per_s"],
        "cpu_vs_echo": rows["Nudge"]["cpu_ms_per_command"] / rows["echo"]["cpu_ms_per_command"],
        "cpu_vs_echo_txn": rows["Nudge"]["cpu_ms_per_command"]
        / rows["echo + txn"]["cpu_ms_per_command"],
    }
    skipped = args.mix == "money" and False in with_invoices
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "commands": args.commands,
        "runs": args.runs,
        "warmup": args.warmup,
        "txn": TXN,
        "mix": args.mix,
        "managers": len(managers_of(args.mix, args.managers)),
        "invoices_in_mix": not skipped,
        "rows": rows,
        "ratios": ratios,
        "seconds": time.monotonic() - started,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(
        f"{args.commands} commands per setup, one at a time, after {args.warmup} untimed; "
        f"medians of {args.runs} runs; in-process, Telegram mocked; mix {args.mix!r} from "
        f"{report['managers']} manager(s)"
    )
    print(f"{'':17s} {'commands/s':>10s} {'ms p50':>7s} {'ms p95':>7s} {'CPU ms/cmd':>10s}")
    for name, row in rows.items():
        print(
            f"{name:17s} {row['commands_per_s']:10.0f} {row['ms_p50']:7.2f} "
            f"{row['ms_p95']:7.2f} {row['cpu_ms_per_command']:10.2f}"
        )
    print(
        f"Nudge: {rows['Nudge']['delivery_share']:.0%} of the time is the outbox pass "
        "(answer read, sent, marked sent), the rest feed_update"
    )
    print(
        f"Nudge mix: {ratios['ceiling_share']:.1%} of the durable ceiling (echo + txn) one "
        f"update at a time, {ratios['batched_ceiling_share']:.1%} in batches of {args.batch}"
    )
    print(
        f"Nudge mix vs bare echo:  {ratios['vs_echo']:.2f}× slower "
        f"(CPU per command: {ratios['cpu_vs_echo']:.2f}×)"
    )
    print(
        f"Nudge mix vs echo + txn: {ratios['vs_echo_txn']:.2f}× slower "
        f"(CPU per command: {ratios['cpu_vs_echo_txn']:.2f}×)"
    )
    print(f"txn: {TXN}")
    if skipped:
        print(
            "note: /invoice stored no invoice in this checkout, so /invoice and /paid were "
            "skipped"
            + (" in some runs" if True in with_invoices else "")
            + " and the mix is /call and /task only"
        )
    print(f"({report['seconds']:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
