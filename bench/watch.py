"""Messages per second through the watched-chat watcher and pings per second through the clock,
beside the durable ceiling (echo + one SQLite transaction per update), in one run.

Run: .venv/bin/python bench/watch.py [--chats 1000] [--rounds 4] [--gap 5] [--runs 3] [--json]

Everything is in this process, one update at a time, with no network, as in bench/quick.py:
the real app (build_app) over a FakeClock (Tue 2026-11-24 13:00 Moscow) with the offline
session of tests/mocked.py; updates go in through Dispatcher.feed_update (building the Update
object is not timed). Each run, on fresh SQLite files (WAL) in a temporary directory:

Setup (not timed): the team's owner onboards (/start, Москва); --chats active clients owned by
them, each with its linked supergroup (-1000000000001, -1000000000002, …). The first chat is
linked through the real `/link client Ромашка` by the owner as a group admin; the other
clients and `chats` rows are inserted directly through the repositories
(Repos.clients.create, Repos.chats.link) in one transaction, for speed. Two extra linked chats
take --warmup untimed messages first (left out of every count below).

Load (timed per message: feed_update — the UnitOfWork middleware with its update_id dedup, the
router chain, groups.on_group_message and its one transaction): --rounds rounds; in each every
chat gets one message, the messages of a round spread evenly over --gap seconds of the fake
clock (a message every --gap seconds per chat). Per chat the senders alternate, client and team
(the owner), odd chats starting with the team: a client's message starts the reply clock
(an incoming touch, the conversation waiting, a ping and an escalation reminder armed), the
team's stops it (both reminders cancelled). After the rounds half the chats are left waiting.

The clock (timed): the fake clock is set just past the last ping's due time (the team's SLA: 2
working hours); then Alarm.run_due (claims the due reminders, renders the pings into the outbox)
and Delivery.run_once until the outbox is empty (sent through the mocked session; the per-chat
pacing sleeps pass at once on the fake clock). Then the same for the escalations at twice the
SLA (no team chat is linked, so they go to the owner too).

The baselines, run in the same process between the Nudge runs (order rotated): bench/quick.py's
bare aiogram echo and "echo + txn" (the echo after BEGIN IMMEDIATE; INSERT; COMMIT through
aiosqlite with the app's PRAGMAs, synchronous=NORMAL), as many updates as the watcher gets.

After each run the rows are counted and must be exactly what the load implies (conversations,
incoming touches, reply reminders pending/cancelled/fired, processed update ids, messages sent),
or the bench fails. Printed: medians over --runs of messages/s (messages / summed time), p50 and
p95 ms per message, CPU ms per message (all threads); per side for the watcher; pings/s through
the clock (alarm and delivery apart); the watcher's slowdown against both baselines.
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
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram.methods import SendMessage
from aiogram.types import Update
from common import median, offline_app
from quick import TXN, Sample, Updates, echo_run, pct, sends

from bot.services.chats import REPLY_ESCALATION_KIND, REPLY_KIND
from bot.storage.repositories import Repos

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tue 13:00 in Moscow: inside working hours
OWNER = 1001
FIRST_CLIENT_PERSON = 5_000_000
CHAT_BASE = -1_000_000_000_000  # supergroup ids: -100…0001, -100…0002, …
WARMUP_CHATS = 2
FIRST_LINKED = "Ромашка"  # the client linked through the real /link command
CLIENT_TEXT = "Добрый день! Когда будет макет по заказу №{n}?"
TEAM_TEXT = "Пришлём сегодня до шести, спасибо, что напомнили."

# One clock phase: reminders fired, messages sent, and the seconds each part took.
Phase = dict[str, float]


def chat_id(i: int) -> int:
    """The supergroup id of the i-th chat (0-based)."""
    return CHAT_BASE - (i + 1)


def client_speaks(round_no: int, i: int) -> bool:
    """In round r, chat i's message is the client's when r + i is even (else the team's)."""
    return (round_no + i) % 2 == 0


class Watched:
    """The real app with one team, its linked client chats, and group messages to feed."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "nudge.sqlite3"
        self.app, self.clock, self.session = offline_app(self.path, START)
        bot = self.app.bot
        self.private = Updates(bot, self.clock.now)
        self._update_ids = itertools.count(1_000_000)
        self._message_ids = itertools.count(1)

    async def feed(self, update: Update) -> None:
        await self.app.dispatcher.feed_update(self.app.bot, update)

    async def send_private(self, text: str) -> None:
        await self.feed(self.private.make(text, OWNER))
        await self.drain()

    async def drain(self) -> int:
        """Deliver the outbox until nothing is left to try; how many rows were tried."""
        tried = 0
        while n := await self.app.delivery.run_once():
            tried += n
        return tried

    def group_message(self, chat: int, from_id: int, text: str) -> Update:
        """A text message in a supergroup, dated now on the fake clock."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(self.clock.now().timestamp()),
            "chat": {"id": chat, "type": "supergroup", "title": f"Чат {-chat}"},
            "from": {"id": from_id, "is_bot": False, "first_name": "U", "language_code": "ru"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return Update.model_validate(
            {"update_id": next(self._update_ids), "message": message},
            context={"bot": self.app.bot},
        )

    def say(self, round_no: int, i: int, chat: int | None = None) -> tuple[str, Update]:
        """Chat i's message in this round: (side, update)."""
        chat = chat_id(i) if chat is None else chat
        if client_speaks(round_no, i):
            text = CLIENT_TEXT.format(n=round_no * 10_000 + i)
            return "client", self.group_message(chat, FIRST_CLIENT_PERSON + i, text)
        return "team", self.group_message(chat, OWNER, TEAM_TEXT)


async def setup(w: Watched, chats: int) -> tuple[int, int]:
    """Onboard the owner, make and link the clients; the bench clients' id range."""
    await w.app.db.migrate()
    await w.send_private("/start")
    await w.send_private("Москва")
    now = w.clock.now()
    async with w.app.db.session() as session:
        repos = Repos(session)
        [(workspace, _role)] = await repos.workspaces.of_user(OWNER)
        ids = []
        for i in range(chats + WARMUP_CHATS):
            name = FIRST_LINKED if i == 0 else f"Клиент {i:04d}"
            client = await repos.clients.create(
                workspace.id, name, owner_id=OWNER, now=now, status="active"
            )
            ids.append(client.id)
            if i == 0:
                continue  # linked below through /link, as a user would
            await repos.chats.link(
                chat_id(i),
                workspace_id=workspace.id,
                kind="client",
                client_id=client.id,
                title=f"Чат {-chat_id(i)}",
                chat_type="supergroup",
                by=OWNER,
                now=now,
            )
    # The first chat the real way: the owner is an admin of the group and links it.
    w.session.members[(chat_id(0), OWNER)] = "administrator"
    before = sends(w.session)
    await w.feed(w.group_message(chat_id(0), OWNER, f"/link client {FIRST_LINKED}"))
    await w.drain()
    answers = [r for r in w.session.requests[-1:] if isinstance(r, SendMessage)]
    async with w.app.db.reader() as session:
        link = await Repos(session).chats.get(chat_id(0))
    if sends(w.session) - before != 1 or link is None or link.client_id != ids[0]:
        raise SystemExit(
            f"/link client {FIRST_LINKED} did not link chat {chat_id(0)}: "
            f"{[a.text for a in answers]}"
        )
    return ids[0], ids[chats - 1]


def count_rows(db_path: Path, lo: int, hi: int) -> dict[str, int]:
    """The rows the watcher and the clock write, for the bench clients (ids lo..hi) only."""
    reply = f"kind IN ('{REPLY_KIND}', '{REPLY_ESCALATION_KIND}')"
    mine = f"client_id BETWEEN {lo} AND {hi}"
    queries = {
        "chats": f"SELECT count(*) FROM chats WHERE kind = 'client' AND {mine}",
        "conversations": f"SELECT count(*) FROM conversations WHERE {mine}",
        "waiting": f"SELECT count(*) FROM conversations WHERE {mine} AND waiting_since IS NOT NULL",
        "touches_in": f"SELECT count(*) FROM touches WHERE {mine} AND direction = 'in'",
        "touches_other": f"SELECT count(*) FROM touches WHERE {mine} AND direction != 'in'",
        "pings_pending": f"SELECT count(*) FROM reminders WHERE {mine} AND kind = '{REPLY_KIND}'"
        " AND state = 'pending'",
        "escalations_pending": f"SELECT count(*) FROM reminders WHERE {mine}"
        f" AND kind = '{REPLY_ESCALATION_KIND}' AND state = 'pending'",
        "reminders_cancelled": f"SELECT count(*) FROM reminders WHERE {mine} AND {reply}"
        " AND state = 'cancelled'",
        "pings_fired": f"SELECT count(*) FROM reminders WHERE {mine} AND kind = '{REPLY_KIND}'"
        " AND state = 'fired'",
        "escalations_fired": f"SELECT count(*) FROM reminders WHERE {mine}"
        f" AND kind = '{REPLY_ESCALATION_KIND}' AND state = 'fired'",
        # Every manager's burst of pings (and of escalations) goes out as one summary message.
        "reply_summaries_sent": "SELECT count(*) FROM notifications WHERE kind = 'reply_summary'"
        " AND state = 'sent'",
        "processed": "SELECT count(*) FROM processed_updates",
    }
    conn = sqlite3.connect(db_path)
    try:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in queries.items()}
    finally:
        conn.close()


def expected_rows(chats: int, rounds: int) -> dict[str, int]:
    """What the load must leave behind (before the clock runs)."""
    client_msgs = sum(client_speaks(r, i) for r in range(rounds) for i in range(chats))
    waiting = sum(client_speaks(rounds - 1, i) for i in range(chats))
    return {
        "client_msgs": client_msgs,
        "waiting": waiting,
        "conversations": chats,
        "touches_in": client_msgs,
        "touches_other": 0,
        "pings_pending": waiting,
        "escalations_pending": waiting,
        # Every client message starts a clock (the chat's last word was ours or none); every
        # team message after one cancels both of its reminders.
        "reminders_cancelled": 2 * (client_msgs - waiting),
    }


def check(label: str, got: dict[str, int], want: dict[str, int]) -> None:
    wrong = {k: (got[k], v) for k, v in want.items() if k in got and got[k] != v}
    if wrong:
        raise SystemExit(f"{label}: rows (got, expected) differ: {wrong}")


async def clock_phase(w: Watched, kind: str) -> Phase:
    """Set the fake clock just past the last pending `kind` reminder, fire and deliver."""
    async with w.app.db.reader() as session:
        pending = await Repos(session).reminders.next_due()  # warms the reader, untimed
    conn = sqlite3.connect(w.path)
    try:
        [(last,)] = conn.execute(
            "SELECT max(due_at) FROM reminders WHERE kind = ? AND state = 'pending'", (kind,)
        ).fetchall()
    finally:
        conn.close()
    assert pending is not None and last is not None, f"no pending {kind} reminder"
    due = datetime.fromisoformat(last)
    w.clock.set((due if due.tzinfo else due.replace(tzinfo=UTC)) + timedelta(seconds=1))
    sent_before = sends(w.session)
    gc.collect()
    fake0 = w.clock.now()
    c0, t0 = time.process_time(), time.perf_counter()
    fired = await w.app.alarm.run_due()
    t1 = time.perf_counter()
    await w.drain()
    t2 = time.perf_counter()
    return {
        # The outbox's pacing waits pass at once on the fake clock, but they do pass.
        "fake_s": (w.clock.now() - fake0).total_seconds(),
        "fired": fired,
        "sent": sends(w.session) - sent_before,
        "alarm_s": t1 - t0,
        "delivery_s": t2 - t1,
        "wall_s": t2 - t0,
        "cpu_s": time.process_time() - c0,
    }


async def nudge_run(
    chats: int, rounds: int, gap: float, warmup: int, workdir: Path
) -> tuple[list[Sample], dict[str, Phase], dict[str, int]]:
    """(per-message samples, the clock's two phases, the rows counted at the end)."""
    w = Watched(workdir)
    try:
        lo, hi = await setup(w, chats)
        for n in range(warmup):  # two spare chats: not counted (their clients are outside lo..hi)
            spare = chats + n % WARMUP_CHATS
            _side, update = w.say(n // WARMUP_CHATS, n % WARMUP_CHATS, chat_id(spare))
            await w.feed(update)
        for spare in range(chats, chats + WARMUP_CHATS):  # answered: no ping from them later
            await w.feed(w.group_message(chat_id(spare), OWNER, TEAM_TEXT))
        processed_before = count_rows(w.path, lo, hi)["processed"]
        await w.drain()
        sent_before = sends(w.session)
        step = timedelta(seconds=gap / chats)
        samples: list[Sample] = []
        gc.collect()
        for r in range(rounds):
            for i in range(chats):
                w.clock.advance(step)
                side, update = w.say(r, i)
                c0, t0 = time.process_time(), time.perf_counter()
                await w.feed(update)
                samples.append((side, time.perf_counter() - t0, time.process_time() - c0, 0.0))
        want = expected_rows(chats, rounds)
        got = count_rows(w.path, lo, hi)
        check("after the messages", got, {**want, "chats": chats})
        if got["processed"] - processed_before != chats * rounds:
            raise SystemExit("not every message was recorded as processed")
        if sends(w.session) != sent_before:
            raise SystemExit("the watcher sent messages; it should send nothing while it watches")
        phases = {
            "pings": await clock_phase(w, REPLY_KIND),
            "escalations": await clock_phase(w, REPLY_ESCALATION_KIND),
        }
        waiting = want["waiting"]
        for name, phase in phases.items():
            # One manager owns every client here: each phase's pings reach them as one summary.
            if phase["fired"] != waiting or phase["sent"] != 1:
                raise SystemExit(
                    f"{name}: fired {phase['fired']:.0f}, sent {phase['sent']:.0f}, "
                    f"expected {waiting} fired and one summary sent"
                )
        after = count_rows(w.path, lo, hi)
        check(
            "after the clock",
            after,
            {
                "pings_pending": 0,
                "escalations_pending": 0,
                "pings_fired": waiting,
                "escalations_fired": waiting,
                "reply_summaries_sent": 2,
                "reminders_cancelled": want["reminders_cancelled"],
                "waiting": waiting,
            },
        )
        return samples, phases, after
    finally:
        await w.app.db.close()


# --- the report ------------------------------------------------------------------------------


def summarise(runs: list[list[Sample]], side: str | None = None) -> dict[str, float]:
    """Medians over runs: messages/s, p50 and p95 ms, CPU ms per message."""
    rates, p50s, p95s, cpus = [], [], [], []
    for samples in runs:
        picked = [s for s in samples if side is None or s[0] == side]
        times = [s[1] for s in picked]
        rates.append(len(times) / sum(times))
        p50s.append(median(times) * 1000)
        p95s.append(pct(times, 0.95) * 1000)
        cpus.append(sum(s[2] for s in picked) / len(picked) * 1000)
    return {
        "messages_per_run": sum(1 for s in runs[0] if side is None or s[0] == side),
        "messages_per_s": median(rates),
        "ms_p50": median(p50s),
        "ms_p95": median(p95s),
        "cpu_ms_per_message": median(cpus),
    }


def summarise_phase(runs: list[Phase]) -> dict[str, float]:
    """Medians over runs of one clock phase."""
    return {
        "fired_per_run": runs[0]["fired"],
        "per_s": median([p["fired"] / p["wall_s"] for p in runs]),
        "alarm_per_s": median([p["fired"] / p["alarm_s"] for p in runs]),
        "delivery_per_s": median([p["sent"] / p["delivery_s"] for p in runs]),
        "cpu_ms_per_ping": median([p["cpu_s"] / p["fired"] * 1000 for p in runs]),
        "paced_fake_s": median([p["fake_s"] for p in runs]),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000, help="watched client chats")
    parser.add_argument("--rounds", type=int, default=4, help="messages per chat")
    parser.add_argument("--gap", type=float, default=5.0, help="fake seconds between a chat's")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20, help="untimed updates per setup")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args()
    if args.chats < 2 or args.rounds < 1:
        parser.error("--chats 2 or more and --rounds 1 or more, so that some chats wait")
    logging.basicConfig(level=logging.ERROR)

    messages = args.chats * args.rounds
    baselines: dict[str, Callable[[Path], Awaitable[list[Sample]]]] = {
        "echo": lambda d: echo_run(messages, args.warmup, d, None),
        "echo + txn": lambda d: echo_run(messages, args.warmup, d, "NORMAL"),
    }
    results: dict[str, list[list[Sample]]] = {name: [] for name in [*baselines, "watcher"]}
    phases: dict[str, list[Phase]] = {"pings": [], "escalations": []}
    rows: dict[str, int] = {}
    started = time.monotonic()
    order = list(results)
    for run in range(args.runs):
        workdir = Path(tempfile.mkdtemp(prefix="nudge-watch-"))
        try:
            shift = run % len(order)
            for name in order[shift:] + order[:shift]:
                if name == "watcher":
                    samples, ran, rows = await nudge_run(
                        args.chats, args.rounds, args.gap, args.warmup, workdir
                    )
                    for phase, figures in ran.items():
                        phases[phase].append(figures)
                else:
                    samples = await baselines[name](workdir)
                results[name].append(samples)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    table = {name: summarise(runs) for name, runs in results.items()}
    table["  client (starts)"] = summarise(results["watcher"], "client")
    table["  team (stops)"] = summarise(results["watcher"], "team")
    clock = {name: summarise_phase(runs) for name, runs in phases.items()}
    watcher = table["watcher"]
    ratios = {
        "vs_echo": table["echo"]["messages_per_s"] / watcher["messages_per_s"],
        "vs_echo_txn": table["echo + txn"]["messages_per_s"] / watcher["messages_per_s"],
        "cpu_vs_echo_txn": watcher["cpu_ms_per_message"]
        / table["echo + txn"]["cpu_ms_per_message"],
    }
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "chats": args.chats,
        "rounds": args.rounds,
        "gap_s": args.gap,
        "runs": args.runs,
        "warmup": args.warmup,
        "txn": TXN,
        "setup": "clients and chat links inserted through the repositories (for speed); the "
        "first chat linked with /link client",
        "updates": table,
        "clock": clock,
        "ratios": ratios,
        "rows_last_run": rows,
        "seconds": time.monotonic() - started,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    waiting = clock["pings"]["fired_per_run"]
    print(
        f"{args.chats} watched chats × {args.rounds} messages (one per chat every {args.gap:g} s "
        f"of the fake clock), one at a time; medians of {args.runs} runs; in-process, "
        "Telegram mocked"
    )
    print(
        f"setup: 1 team, {args.chats} active clients created and {args.chats - 1} chat links "
        "inserted through the repositories (for speed); 1 chat linked with /link client"
    )
    print(f"{'':18s} {'messages/s':>10s} {'ms p50':>7s} {'ms p95':>7s} {'CPU ms/msg':>10s}")
    for name, row in table.items():
        print(
            f"{name:18s} {row['messages_per_s']:10.0f} {row['ms_p50']:7.2f} "
            f"{row['ms_p95']:7.2f} {row['cpu_ms_per_message']:10.2f}"
        )
    print(
        f"the clock, {waiting:.0f} unanswered chats "
        "(alarm: claim + render into the outbox; delivery: send + mark sent):"
    )
    print(f"{'':18s} {'pings/s':>10s} {'alarm/s':>8s} {'deliv./s':>8s} {'CPU ms/ping':>11s}")
    for name, row in clock.items():
        print(
            f"{'  ' + name:18s} {row['per_s']:10.0f} {row['alarm_per_s']:8.0f} "
            f"{row['delivery_per_s']:8.0f} {row['cpu_ms_per_ping']:11.2f}"
        )
    print(
        "  each phase's pings reach the one manager as a single summary message "
        "(a burst is folded into “N clients are waiting for a reply”)"
    )
    print(
        f"watcher vs bare echo:  {ratios['vs_echo']:.1f}× slower; vs echo + txn (the durable "
        f"ceiling): {ratios['vs_echo_txn']:.1f}× slower (CPU per message: "
        f"{ratios['cpu_vs_echo_txn']:.1f}×)"
    )
    print(
        f"rows (last run): {rows['conversations']} conversations, {rows['touches_in']} incoming "
        f"touches, {rows['reminders_cancelled']} reply reminders cancelled, "
        f"{rows['pings_fired']} pings + {rows['escalations_fired']} escalations fired, "
        "each phase sent as one summary"
    )
    print(f"txn: {TXN}")
    print(f"({report['seconds']:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
