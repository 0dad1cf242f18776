"""Follow-ups at scale: start-up with 100,000 pending follow-ups, and /today for a busy manager.

Run: .venv/bin/python bench/followups.py [--runs 5] [--idle 2] [--followups 100000]
     [--clients 5000] [--today-runs 60] [--only startup|today] [--profile] [--explain]

One database is seeded (raw SQL into a migrated SQLite file) and copied for every run: one
onboarded manager (Europe/Moscow, owner of the workspace, current_workspace_id set) with
--clients clients, --followups pending follow-ups (each with its pending "followup" reminder,
payload {"fu": id}) of which --due-today fall later today (local) and the rest over the next
--days days, plus --overdue fired (reminded, not acted on) follow-ups from the past week and
--leads waiting leads (their SLA ping already sent).

1. Start-up: spawn of `python -m bot` → its first getUpdates on the fake Bot API server (as in
   bench/startup.py), and peak RSS (time -v) after idling --idle s; the seeded database against
   an empty migrated one, --runs runs each, alternating (order flipped every round), after one
   untimed warm-up spawn. Targets: +0.5 s and +30 MB over the empty database.
2. /today in-process through the real dispatcher (build_app on the seeded copy, the bot pointed
   at the fake server): "commit" = feed_update until it returns (middleware, handler, outbox row,
   commit), with this process's CPU time over the same span beside it (steadier when other
   processes load the machine); "sent" = feed → the fake server receiving sendMessage, after one
   outbox pass (Delivery.run_once, with the per-chat 1 msg/s pacing lifted so repeated /today in
   one chat measure work, not the limiter). --warmup untimed updates first. Target: median
   commit < 50 ms. Breakdown: build_agenda alone (fresh read session each time), rendering the
   text and keyboard, and the median time of each SQL statement the /today path runs.
--profile adds a cProfile of 20 /today updates; --explain prints SQLite's plans for the
agenda's queries.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import re
import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from common import TOKEN, FakeTelegram, bot_env, median, spawn_bot, stop_bot
from seed import migrate
from sqlalchemy import event

from bot.app import App, build_app
from bot.i18n import speaking
from bot.scheduler.ratelimit import RateLimiter
from bot.services.agenda import build_agenda, day_end
from bot.settings import Settings
from bot.storage.repositories import Repos
from bot.views.agenda import agenda_keyboard, agenda_text

MANAGER = 1001
WORKSPACE = 1
ZONE = "Europe/Moscow"
WHAT = ["позвонить", "отправить КП", "уточнить бюджет", "напомнить про счёт", "созвон", ""]


def ts(at: datetime) -> str:
    """How SQLAlchemy stores our naive-UTC datetimes in SQLite (always with microseconds)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def seed_followups(
    path: Path,
    *,
    followups: int,
    clients: int,
    due_today: int,
    overdue: int,
    leads: int,
    days: int,
    now: datetime,
) -> dict[str, int]:
    """One manager with `clients` clients and their follow-ups (see the module docstring)."""
    await migrate(path)
    rnd = random.Random(1)
    zone = ZoneInfo(ZONE)
    today_end = day_end(now.astimezone(zone).date(), zone)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO users (id, first_name, tg_language, language, timezone, work_start_min,"
            " work_end_min, work_days, weekend_reminders, urgent_in_quiet, holiday_country,"
            " current_workspace_id, created_at, updated_at) VALUES"
            " (?, 'M', 'ru', 'ru', ?, 600, 1140, '12345', 1, 1, 'RU', ?, ?, ?)",
            (MANAGER, ZONE, WORKSPACE, ts(now - timedelta(days=400)), ts(now)),
        )
        conn.execute(
            "INSERT INTO workspaces (id, name, owner_id, invite_code, intake_secret, silent_days,"
            " created_at) VALUES (?, 'Agency', ?, 'inv1', 'sec1', 14, ?)",
            (WORKSPACE, MANAGER, ts(now - timedelta(days=400))),
        )
        conn.execute(
            "INSERT INTO memberships (workspace_id, user_id, role, joined_at)"
            " VALUES (?, ?, 'owner', ?)",
            (WORKSPACE, MANAGER, ts(now - timedelta(days=400))),
        )
        client_rows = []
        for n in range(1, clients + 1):
            created = now - timedelta(days=rnd.uniform(30, 365))
            if n <= leads:  # waiting leads: received over the last few hours, no answer yet
                received = now - timedelta(minutes=17 * n)
                client_rows.append((n, f"Лид {n}", "lead", received, None, None, received, MANAGER))
            else:
                touch = now - timedelta(days=rnd.uniform(0, 40))
                client_rows.append(
                    (n, f"Клиент {n}", "active", created, created, touch, created, MANAGER)
                )
        conn.executemany(
            "INSERT INTO clients (id, workspace_id, name, aliases, status, note, owner_id,"
            " received_at, first_response_at, first_response_by, last_touch_at, created_at,"
            " updated_at) VALUES (?, ?, ?, '', ?, '', ?, ?, ?, ?, ?, ?, ?)",
            [
                (n, WORKSPACE, name, status, MANAGER, ts(rec), ts(first) if first else None,
                 MANAGER if first else None, ts(touch) if touch else None, ts(made), ts(now))
                for n, name, status, rec, first, touch, made, _owner in client_rows
            ],
        )  # fmt: skip
        # Follow-ups: overdue (fired), later today, then evenly over the following days.
        dues: list[tuple[datetime, str]] = []
        for k in range(overdue):
            dues.append((now - timedelta(hours=1) - timedelta(days=7) * k / max(1, overdue), "f"))
        start = now + timedelta(minutes=10)
        window = max(timedelta(minutes=5), today_end - timedelta(minutes=1) - start)
        for k in range(due_today):
            dues.append((start + window * k / max(1, due_today), "p"))
        rest = followups - due_today
        later = now + timedelta(days=days) - today_end
        for k in range(rest):
            dues.append((today_end + later * (k + 0.5) / max(1, rest), "p"))
        fu_rows, rem_rows = [], []
        active = clients - leads
        for i, (due, st) in enumerate(dues, start=1):
            client = leads + 1 + rnd.randrange(active) if active > 0 else 1 + (i % clients)
            made = min(now, due) - timedelta(days=rnd.uniform(1, 20))
            fired = ts(due) if st == "f" else None
            state = "fired" if st == "f" else "pending"
            rem_rows.append(
                (i, WORKSPACE, client, MANAGER, ts(due), state, f'{{"fu": {i}}}', fired, ts(made))
            )
            fu_rows.append(
                (i, WORKSPACE, client, MANAGER, rnd.choice(WHAT), ts(due), state, i, fired,
                 ts(made))
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO reminders (id, workspace_id, kind, client_id, user_id, due_at, state,"
            " urgent, payload, fired_at, created_at) VALUES"
            " (?, ?, 'followup', ?, ?, ?, ?, 0, ?, ?, ?)",
            rem_rows,
        )
        conn.executemany(
            "INSERT INTO followups (id, workspace_id, client_id, user_id, what, mode, step,"
            " due_at, state, reminder_id, fired_at, created_at) VALUES"
            " (?, ?, ?, ?, ?, 'once', 0, ?, ?, ?, ?, ?)",
            fu_rows,
        )
        # The waiting leads' SLA pings went out already (fired): nothing fires at start-up.
        base = len(rem_rows)
        conn.executemany(
            "INSERT INTO reminders (id, workspace_id, kind, client_id, user_id, due_at, state,"
            " urgent, payload, fired_at, created_at) VALUES"
            " (?, ?, 'lead_sla', ?, ?, ?, 'fired', 1, '{}', ?, ?)",
            [
                (base + n, WORKSPACE, n, MANAGER, ts(rec + timedelta(minutes=15)),
                 ts(rec + timedelta(minutes=15)), ts(rec))
                for n, _name, status, rec, *_ in client_rows if status == "lead"
            ],
        )  # fmt: skip
    conn.close()
    pending_today = sum(1 for due, st in dues if st == "p" and due < today_end)
    return {
        "pending": sum(1 for _d, st in dues if st == "p"),
        "today": pending_today,
        "overdue": overdue,
        "leads": leads,
        "clients": clients,
        "mb": path.stat().st_size // (1 << 20),
    }


# ------------------------------------------------------------------------------ start-up


async def startup_once(template: Path | None, idle: float) -> tuple[float, float, int]:
    """(seconds to first getUpdates, peak RSS MB, exit code) on a copy of `template`."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-fu-start-"))
    try:
        if template is not None:
            shutil.copyfile(template, workdir / "nudge.sqlite3")
        async with FakeTelegram(token=TOKEN) as fake:
            proc, started = await spawn_bot(bot_env(fake, workdir, LOG_LEVEL="WARNING"), workdir)
            [first] = await fake.wait_for("getUpdates", timeout=60)
            ready = first.at - started
            await asyncio.sleep(idle)  # idle on purpose: peak RSS after settling is measured
            code, rss = await stop_bot(proc)
            sent = len(fake.calls_of("sendMessage"))
            if sent:
                print(f"  note: the bot sent {sent} message(s) during a start-up run")
            return ready, rss, code
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def startup(empty: Path, full: Path, runs: int, idle: float) -> dict[str, list[float]]:
    """Alternate empty/full start-ups; lists of times and RSS per kind."""
    out: dict[str, list[float]] = defaultdict(list)
    codes: set[int] = set()
    await startup_once(empty, 0.2)  # warm the OS caches and bytecode; not counted
    for r in range(runs):
        order = [("empty", empty), ("full", full)]
        for kind, template in order if r % 2 == 0 else order[::-1]:
            ready, rss, code = await startup_once(template, idle)
            out[f"{kind}_t"].append(ready)
            out[f"{kind}_rss"].append(rss)
            codes.add(code)
    out["codes"] = sorted(codes)  # type: ignore[assignment]
    return out


# ------------------------------------------------------------------------------ /today


class SqlTimer:
    """Times every statement the engines run (only while `on`)."""

    def __init__(self, app: App) -> None:
        self.on = False
        self.times: dict[str, list[float]] = defaultdict(list)
        for engine in {app.db.engine, app.db.read_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self._before)
            event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cur: Any, _stmt: str, *_a: Any) -> None:
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(self, conn: Any, _cur: Any, stmt: str, *_a: Any) -> None:
        started = conn.info["bench_t0"].pop()
        if self.on:
            self.times[" ".join(stmt.split())].append(time.perf_counter() - started)


def short_sql(stmt: str) -> str:
    """A statement shortened to its shape: verb, table, the WHERE clause."""
    stmt = re.sub(r"SELECT .*? FROM", "SELECT … FROM", stmt, count=1)
    stmt = re.sub(r"\(__\[POSTCOMPILE_[^]]*\]\)|\(\?(, \?)*\)", "(…)", stmt)
    return stmt if len(stmt) <= 150 else stmt[:147] + "…"


class Today:
    """The app on a copy of the seeded database, fed /today updates in-process."""

    def __init__(self, app: App, fake: FakeTelegram) -> None:
        self.app = app
        self.fake = fake
        self.update_id = 1_000_000
        self.message_id = 1

    def update(self, text: str = "/today") -> Any:
        """A /today from the manager's private chat, as Telegram would send it."""
        from aiogram.types import Update

        self.update_id += 1
        self.message_id += 1
        return Update.model_validate(
            {
                "update_id": self.update_id,
                "message": {
                    "message_id": self.message_id,
                    "date": int(time.time()),
                    "chat": {"id": MANAGER, "type": "private", "first_name": "M"},
                    "from": {
                        "id": MANAGER,
                        "is_bot": False,
                        "first_name": "M",
                        "language_code": "ru",
                    },
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
                },
            },
            context={"bot": self.app.bot},
        )

    async def once(self) -> tuple[float, float, float, str]:
        """(feed → commit s, its CPU s, feed → sendMessage seen by the server s, the answer).

        CPU = this process's CPU time (all threads, so the database thread too) over the
        feed: less sensitive than wall time to other processes competing for the cores.
        """
        update = self.update()
        mark = self.fake.mark()
        c0, t0 = time.process_time(), time.monotonic()
        await self.app.dispatcher.feed_update(self.app.bot, update)
        t1, c1 = time.monotonic(), time.process_time()
        await self.app.delivery.run_once()
        [call] = await self.fake.wait_for("sendMessage", since=mark, timeout=10)
        return t1 - t0, c1 - c0, call.at - t0, str(call.params.get("text", ""))


def describe(answer: str) -> str:
    """What the /today answer listed."""
    more = next((line for line in answer.splitlines() if "/followups" in line), "no 'more' line")
    return (
        f"{answer.count('❗')} overdue + {answer.count('🔔')} due listed, "
        f"{answer.count('⏰')} leads, {len(answer)} chars; {more!r}"
    )


@contextmanager
def profiled(enabled: bool) -> Iterator[cProfile.Profile | None]:
    """cProfile around the block when enabled."""
    if not enabled:
        yield None
        return
    prof = cProfile.Profile()
    prof.enable()
    try:
        yield prof
    finally:
        prof.disable()


async def explain(app: App) -> None:
    """SQLite's plans for the statements build_agenda runs."""
    from sqlalchemy import text

    now = ts(datetime.now(UTC))
    until = ts(datetime.now(UTC) + timedelta(days=1))
    queries = {
        "open_for_user": "SELECT * FROM followups WHERE user_id = :u AND state IN "
        "('pending', 'fired') AND due_at < :until ORDER BY due_at, id LIMIT 31",
        "count_open": "SELECT count(*) FROM followups WHERE user_id = :u AND state IN "
        "('pending', 'fired')",
        "waiting_leads": "SELECT * FROM clients WHERE workspace_id = 1 AND status = 'lead' "
        "AND first_response_at IS NULL ORDER BY received_at",
        "clients.many": "SELECT * FROM clients WHERE id IN (1, 2, 3)",
        "users_with_pending (start-up)": "SELECT user_id FROM reminders WHERE state = "
        "'pending' AND kind = 'digest'",
        "next_due (start-up)": "SELECT min(due_at) FROM reminders WHERE state = 'pending'",
        "claim_due (start-up)": "SELECT * FROM reminders WHERE state = 'pending' AND due_at "
        "<= :now ORDER BY due_at, id LIMIT 500",
    }
    async with app.db.reader() as s:
        for name, sql in queries.items():
            rows = await s.execute(
                text("EXPLAIN QUERY PLAN " + sql), {"u": MANAGER, "until": until, "now": now}
            )
            plan = "; ".join(r[3] for r in rows)
            print(f"  plan {name}: {plan}")


async def today_bench(template: Path, args: argparse.Namespace) -> dict[str, Any]:
    """/today latency, build_agenda alone, render, per-statement SQL times."""
    workdir = Path(tempfile.mkdtemp(prefix="nudge-fu-today-"))
    shutil.copyfile(template, workdir / "nudge.sqlite3")
    out: dict[str, Any] = {}
    try:
        async with FakeTelegram(token=TOKEN) as fake:
            settings = Settings(
                _env_file=None,
                bot_token=TOKEN,
                telegram_api_url=fake.url,
                database_url=f"sqlite+aiosqlite:///{workdir / 'nudge.sqlite3'}",
                log_level="WARNING",
                default_language="ru",
                default_timezone=ZONE,
            )  # type: ignore[call-arg]
            app = build_app(settings)
            await app.db.migrate()
            app.dispatcher["bot_username"] = "nudge_test_bot"
            # Repeated /today in one chat would otherwise wait for Telegram's 1 msg/s pacing.
            app.delivery.limiter = RateLimiter(
                app.clock, global_rate=1e6, chat_rate=1e6, chat_burst=1e6
            )
            timer = SqlTimer(app)
            bench = Today(app, fake)
            cold_commit, _cpu, cold_sent, answer = await bench.once()
            out["cold"] = (cold_commit, cold_sent)
            out["answer"] = describe(answer)
            for _ in range(args.warmup - 1):
                await bench.once()
            commit, cpu, sent = [], [], []
            for _ in range(args.today_runs):
                c, u, s, _a = await bench.once()
                commit.append(c)
                cpu.append(u)
                sent.append(s)
            out["commit"], out["cpu"], out["sent"] = commit, cpu, sent

            # Breakdown: build_agenda alone, in a fresh read session like a handler's.
            agenda_t, render_t = [], []
            for _ in range(args.today_runs):
                async with app.db.reader() as session:
                    repos = Repos(session)
                    user = await repos.users.get(MANAGER)
                    assert user is not None
                    t0 = time.perf_counter()
                    agenda = await build_agenda(repos, user, app.clock.now(), ZONE)
                    t1 = time.perf_counter()
                with speaking(app.i18n, "ru"):
                    t2 = time.perf_counter()
                    agenda_text(agenda, "<b>Сегодня</b>", ZONE, "ru")
                    agenda_keyboard(agenda, ZONE)
                    render_t.append(time.perf_counter() - t2)
                agenda_t.append(t1 - t0)
            out["agenda"], out["render"] = agenda_t, render_t

            # Per-statement times over some more /today updates (not part of the figures).
            timer.on = True
            for _ in range(min(30, args.today_runs)):
                await bench.once()
            timer.on = False
            out["sql"] = dict(timer.times)

            if args.profile:
                with profiled(True) as prof:
                    for _ in range(20):
                        await bench.once()
                assert prof is not None
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(45)
                out["profile"] = buf.getvalue()
            if args.explain:
                await explain(app)
            await app.delivery.stop()
            await app.alarm.shutdown()
            await app.bot.session.close()
            await app.db.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


# ------------------------------------------------------------------------------ main


def verdict(ok: bool) -> str:
    """How a figure stands against its target."""
    return "OK" if ok else "MISSED"


def each(st: dict[str, list[float]], kind: str) -> str:
    """Every run's time and RSS, in run order."""
    pairs = zip(st[f"{kind}_t"], st[f"{kind}_rss"], strict=True)
    return ", ".join(f"{t:.2f}s/{r:.0f}MB" for t, r in pairs)


def report_startup(st: dict[str, list[float]], args: argparse.Namespace) -> None:
    """Print the start-up medians against the targets."""
    et, ft = median(st["empty_t"]), median(st["full_t"])
    er, fr = median(st["empty_rss"]), median(st["full_rss"])
    print(f"start-up, spawn → first getUpdates, peak RSS after {args.idle:g} s idle")
    print(f"  ({args.runs} runs each, alternating, medians; exit codes {st['codes']})")
    print(f"  empty db:       {et:.3f} s, {er:.1f} MB")
    print(f"  {args.followups} pending: {ft:.3f} s, {fr:.1f} MB")
    print(
        f"  difference:     {ft - et:+.3f} s (target ≤ +0.5: {verdict(ft - et <= 0.5)}), "
        f"{fr - er:+.1f} MB (target ≤ +30: {verdict(fr - er <= 30)})"
    )
    print(f"  all runs: empty {each(st, 'empty')}; full {each(st, 'full')}")


def report_today(td: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the /today figures, the breakdown and the SQL statement times."""
    ms = 1000.0
    commit, sent = td["commit"], td["sent"]
    print(f"/today in-process, {len(commit)} runs after {args.warmup} warm-up(s):")
    print(f"  answer: {td['answer']}")
    print(
        f"  feed → commit (answer queued): median {median(commit) * ms:.1f} ms, "
        f"p95 {pct(commit, 0.95) * ms:.1f} ms, max {max(commit) * ms:.1f} ms "
        f"(target median < 50: {verdict(median(commit) < 0.050)})"
    )
    print(
        f"  CPU time of this process over the same span: median {median(td['cpu']) * ms:.1f} ms, "
        f"p95 {pct(td['cpu'], 0.95) * ms:.1f} ms"
    )
    print(
        f"  feed → sendMessage at the fake server: median {median(sent) * ms:.1f} ms, "
        f"p95 {pct(sent, 0.95) * ms:.1f} ms"
    )
    print(
        f"  first (cold) /today: commit {td['cold'][0] * ms:.1f} ms, "
        f"sendMessage {td['cold'][1] * ms:.1f} ms"
    )
    agenda, render = td["agenda"], td["render"]
    print(
        f"  build_agenda alone: median {median(agenda) * ms:.1f} ms, "
        f"p95 {pct(agenda, 0.95) * ms:.1f} ms; agenda_text + keyboard: median "
        f"{median(render) * ms:.2f} ms"
    )
    print("  SQL per /today (median ms × calls per update, slowest first):")
    n_sql = min(30, args.today_runs)
    rows = sorted(td["sql"].items(), key=lambda kv: -median(kv[1]))
    for stmt, values in rows:
        per = len(values) / max(1, n_sql)
        print(f"    {median(values) * ms:7.2f} ms ×{per:.0f}  {short_sql(stmt)}")
    if "profile" in td:
        print(td["profile"])


async def main() -> None:
    """Seed, measure both parts, print the figures against the targets."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="start-ups per database")
    parser.add_argument("--idle", type=float, default=2.0, help="idle seconds before SIGTERM")
    parser.add_argument("--followups", type=int, default=100_000, help="pending follow-ups")
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--due-today", type=int, default=50)
    parser.add_argument("--overdue", type=int, default=20)
    parser.add_argument("--leads", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--today-runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile 20 /today updates")
    parser.add_argument("--explain", action="store_true", help="print SQLite query plans")
    parser.add_argument("--only", choices=("startup", "today"), help="run one part only")
    args = parser.parse_args()
    args.warmup = max(1, args.warmup)

    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="nudge-fu-seed-"))
    try:
        empty, full = tmp / "empty.sqlite3", tmp / "full.sqlite3"
        await migrate(empty)
        t0 = time.monotonic()
        seeded = await seed_followups(
            full,
            followups=args.followups,
            clients=args.clients,
            due_today=args.due_today,
            overdue=args.overdue,
            leads=args.leads,
            days=args.days,
            now=datetime.now(UTC),
        )
        seed_s = time.monotonic() - t0
        print(
            f"{time.strftime('%Y-%m-%d %H:%M:%S')}: seeded in {seed_s:.1f} s ({seeded['mb']} MB); "
            f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
        )
        print(
            f"  1 manager ({ZONE}), {seeded['clients']} clients, {seeded['pending']} pending "
            f"follow-ups with pending reminders ({seeded['today']} due later today, the rest over "
            f"{args.days} days), {seeded['overdue']} overdue (fired), {seeded['leads']} waiting "
            f"leads"
        )

        if args.only != "today":
            report_startup(await startup(empty, full, args.runs, args.idle), args)
        if args.only != "startup":
            report_today(await today_bench(full, args), args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"total bench time {time.monotonic() - began:.0f} s; "
        f"load average now {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
