"""End to end: commands survive crashes and redelivery; stop, backup, health and logs."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.storage.coordination import libpq_url
from tests.e2e_support import (
    TOKEN,
    BotProcess,
    bot_env,
    delivered_count,
    execute,
    is_sqlite,
    query,
    run_to_exit,
    sqlite_path,
    wait_until,
)
from tests.fakeapi import FakeTelegram

pytestmark = pytest.mark.e2e


def to(chat_id: int, text: str):  # type: ignore[no-untyped-def]
    return lambda c: c.params.get("chat_id") == chat_id and text in str(c.params.get("text", ""))


def rows(db: Path, sql: str) -> list[tuple]:
    """Read a SQLite file that is not the bot's live database (a backup copy)."""
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql).fetchall()


@asynccontextmanager
async def writes_held(url: str) -> AsyncIterator[None]:
    """Another connection holds the bot's writes back until the block ends: SQLite's write
    lock (BEGIN IMMEDIATE); on PostgreSQL a lock on the tables every /lead writes first (its
    update's claim, then the client), which reads still pass."""
    if is_sqlite(url):
        lock = sqlite3.connect(sqlite_path(url), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        return
    conn = await asyncpg.connect(libpq_url(url))
    try:
        await conn.execute("BEGIN")
        await conn.execute("LOCK TABLE processed_updates, clients IN EXCLUSIVE MODE")
        yield
        await conn.execute("ROLLBACK")
    finally:
        await conn.close()


async def waiting_for_a_lock(url: str) -> bool:
    """True while a session on this PostgreSQL database waits for a lock another holds."""
    sql = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    return (await query(url, sql))[0][0] > 0


async def onboard(fake: FakeTelegram, user_id: int) -> None:
    fake.send_text("/start", user_id=user_id)
    fake.send_text("Москва", user_id=user_id)
    await fake.wait_for("sendMessage", to(user_id, "Часовой пояс"), timeout=30)


# The leads queued ahead of the /link in the batch test: few enough to be handled well within
# a batch's 0.2 s on either backend (PostgreSQL's round trips make twenty take about that
# long, and a batch closed just before the /link would leave nothing uncommitted to kill).
AHEAD = 5


def got_update(fake: FakeTelegram, update_id: int) -> bool:
    """True once a getUpdates answer has handed this update to the bot."""
    return any(
        any(u.get("update_id") == update_id for u in c.response.get("result", []) or [])
        for c in fake.calls_of("getUpdates")
    )


async def test_lead_survives_a_locked_database_and_sigkill(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    env = bot_env(fake, tmp_path, DATABASE_URL=database_url)
    bot = await BotProcess(env, tmp_path).start()
    try:
        await onboard(fake, 1)
        await wait_until(lambda: delivered_count(bot, 1) == 2, what="onboarding recorded")
        async with writes_held(database_url):  # the handler cannot write until this ends
            update_id = fake.send_text("/lead Иван Петров, +7 999 123-45-67", user_id=1)
            await wait_until(lambda: got_update(fake, update_id), what="the bot to read it")
            if not is_sqlite(database_url):  # the handler's transaction waits for the lock
                await wait_until(lambda: waiting_for_a_lock(database_url), what="the handler")
            await bot.kill()  # mid-handler: nothing of it was committed
        bot = await BotProcess(bot.env, tmp_path).start()
        await fake.wait_for("sendMessage", to(1, "Новый лид"), timeout=30)
        await wait_until(lambda: delivered_count(bot, 1) >= 1, what="the card's delivery")
        assert await query(database_url, "SELECT name FROM clients") == [("Иван Петров",)]
        assert len(fake.calls_of("sendMessage", chat_id=1)) == 3  # greeting, zone, card
    finally:
        await bot.ensure_dead()


async def test_sigkill_in_the_middle_of_a_batch_applies_every_update_once_after_restart(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    """One getUpdates answer: 5 leads, a /link whose getChatMember the fake leaves unanswered,
    35 more leads. Killed while it waits, the bot has committed none of the batch (it is one
    transaction); after a restart every update is applied exactly once."""
    managers = list(range(101, 111))
    group = -100_777
    bot = await BotProcess(bot_env(fake, tmp_path, DATABASE_URL=database_url), tmp_path).start()
    try:
        for user_id in managers:
            await onboard(fake, user_id)
        # A first lead loads what a lead needs, so the batch below is not cut short by it.
        fake.send_text("/lead Разогрев", user_id=managers[0])
        await fake.wait_for("sendMessage", to(managers[0], "Разогрев"), timeout=30)
        fake.set_member(group, managers[0], "administrator")
        release = fake.hold("getChatMember")
        names = [f"Лид{m}x{i}" for i in range(4) for m in managers]
        # Queued without yielding to the loop: one getUpdates answer carries all of them.
        ids = [fake.send_text(f"/lead {name}", user_id=int(name[3:6])) for name in names[:AHEAD]]
        ids.append(
            fake.send_text(
                "/link team",
                user_id=managers[0],
                chat_id=group,
                chat_type="supergroup",
                chat_title="Команда",
            )
        )
        ids += [fake.send_text(f"/lead {name}", user_id=int(name[3:6])) for name in names[AHEAD:]]
        await wait_until(lambda: bool(fake.held), timeout=30, what="the /link's getChatMember")
        assert got_update(fake, ids[-1])  # the whole batch was read in one answer
        # The leads ahead were handled, and not all are committed: the process dies inside a
        # batch's transaction (a batch closes after 50 updates or 0.2 s, usually none is).
        lids = "SELECT count(*) FROM clients WHERE name LIKE 'Лид%'"
        [(committed,)] = await query(database_url, lids)
        assert committed < AHEAD, committed
        await bot.kill()
        release.set()
        fake._holds.clear()
        bot = await BotProcess(bot.env, tmp_path).start()
        for name in names:
            await fake.wait_for("sendMessage", to(int(name[3:6]), name), timeout=60)
        await fake.wait_for("sendMessage", to(group, "Теперь это чат команды"), timeout=60)
        leads = await query(database_url, "SELECT name FROM clients WHERE name LIKE 'Лид%'")
        assert sorted(r[0] for r in leads) == sorted(names)
        handled = {
            r[0] for r in await query(database_url, "SELECT update_id FROM processed_updates")
        }
        assert set(ids) <= handled
        cards = [c for c in fake.calls_of("sendMessage") if "Новый лид" in c.params["text"]]
        # Only cards of committed leads could go out before the kill, and no card goes twice
        # unless it was in flight at the kill (at most one per chat).
        assert len(names) + 1 <= len(cards) <= len(names) + 1 + committed
        assert len(fake.calls_of("sendMessage", chat_id=group)) == 1
    finally:
        await bot.ensure_dead()


async def test_redelivered_update_is_not_applied_twice(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    bot = await BotProcess(bot_env(fake, tmp_path, DATABASE_URL=database_url), tmp_path).start()
    try:
        await onboard(fake, 2)
        update_id = fake.send_text("/lead Acme Corp", user_id=2)
        await fake.wait_for("sendMessage", to(2, "Новый лид"), timeout=30)
        fake.redeliver(update_id)
        fake.send_text("/help", user_id=2)  # handled after the redelivered one
        await fake.wait_for("sendMessage", to(2, "Что я умею"), timeout=30)
        assert await query(database_url, "SELECT count(*) FROM clients") == [(1,)]
        cards = [
            c for c in fake.calls_of("sendMessage", chat_id=2) if "Новый лид" in c.params["text"]
        ]
        assert len(cards) == 1
    finally:
        await bot.ensure_dead()


async def test_sigterm_keeps_undelivered_replies_for_the_next_start(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    bot = await BotProcess(bot_env(fake, tmp_path, DATABASE_URL=database_url), tmp_path).start()
    try:
        await onboard(fake, 3)
        fake.fail_next("sendMessage", status=500, times=2, chat_id=3)
        mark = fake.mark()
        fake.send_text("/help", user_id=3)
        await fake.wait_for("sendMessage", lambda c: c.status == 500, since=mark, timeout=30)
        assert await bot.terminate() == 0
        pending = "SELECT count(*) FROM notifications WHERE state='pending'"
        assert await query(database_url, pending) == [(1,)]
        bot = await BotProcess(bot.env, tmp_path).start()
        await fake.wait_for(
            "sendMessage",
            lambda c: c.status == 200 and to(3, "<b>Что я умею</b>")(c),
            since=mark,
            timeout=30,
        )
        await wait_until(lambda: delivered_count(bot, 3) >= 1, what="delivery record")
        assert await bot.terminate() == 0
        accepted = [
            c
            for c in fake.calls_of("sendMessage", chat_id=3)
            if c.status == 200 and "<b>Что я умею</b>" in c.params["text"]
        ]
        assert len(accepted) == 1
    finally:
        await bot.ensure_dead()


@pytest.mark.sqlite_only  # a SQLite file copied with SQLite's backup, opened as a new bot's
async def test_backup_while_commands_arrive(fake: FakeTelegram, tmp_path: Path) -> None:
    bot = await BotProcess(bot_env(fake, tmp_path), tmp_path).start()
    try:
        await onboard(fake, 4)
        for i in range(5):
            fake.send_text(f"/lead Клиент {i}", user_id=4)
        await fake.wait_for("sendMessage", to(4, "Новый лид"), count=5, timeout=30)
        for i in range(5, 15):  # more keep coming while the backup runs
            fake.send_text(f"/lead Клиент {i}", user_id=4)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "backup",
            str(tmp_path / "copy.sqlite3"),
            cwd=tmp_path,
            env=bot.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err
        assert b"backup written" in out
        names = {r[0] for r in rows(tmp_path / "copy.sqlite3", "SELECT name FROM clients")}
        assert {f"Клиент {i}" for i in range(5)} <= names
        assert rows(tmp_path / "copy.sqlite3", "PRAGMA integrity_check") == [("ok",)]
        # A fresh bot process opens the copy.
        copy_dir = tmp_path / "restored"
        copy_dir.mkdir()
        (tmp_path / "copy.sqlite3").rename(copy_dir / "nudge.sqlite3")
        assert await bot.terminate() == 0
        started = fake.mark()
        restored = await BotProcess(bot_env(fake, copy_dir), copy_dir).start()
        try:
            # On a busy machine a cold start takes a while: wait until it polls.
            await fake.wait_for("getUpdates", since=started, timeout=90)
            mark = fake.mark()
            fake.send_text("/clients", user_id=4)
            # Lead cards still in the copied outbox go out too; the listing is the other message.
            [listing] = await fake.wait_for(
                "sendMessage",
                lambda c: to(4, "Клиент")(c) and "Новый лид" not in c.params["text"],
                since=mark,
                timeout=30,
            )
            # The restored clients are listed (as text or as buttons, whatever the wording).
            assert re.search(r"Клиент \d+", json.dumps(listing.params, ensure_ascii=False))
        finally:
            await restored.ensure_dead()
    finally:
        await bot.ensure_dead()


async def test_intake_twice_health_and_no_secrets_in_logs(
    fake: FakeTelegram, tmp_path: Path, unused_tcp_port: int, database_url: str
) -> None:
    env = bot_env(
        fake,
        tmp_path,
        DATABASE_URL=database_url,
        INTAKE_PORT=str(unused_tcp_port),
        LOG_LEVEL="DEBUG",
    )
    bot = await BotProcess(env, tmp_path).start()
    try:
        await onboard(fake, 5)
        [(secret,)] = await query(database_url, "SELECT intake_secret FROM workspaces")
        base = f"http://127.0.0.1:{unused_tcp_port}"
        async with aiohttp.ClientSession() as http:
            await wait_until(lambda: "HTTP server listening" in bot.log(), what="the HTTP server")
            for _ in range(2):
                async with http.post(
                    f"{base}/intake/{secret}",
                    json={"name": "Вера", "phone": "+79990000001"},
                    headers={"Idempotency-Key": "site-form-1"},
                ) as resp:
                    assert resp.status in (200, 201)
            async with http.get(f"{base}/healthz") as resp:
                health = await resp.json()
                assert resp.status == 200 and "notifications_pending" in health
        await fake.wait_for("sendMessage", to(5, "Вера"), timeout=30)
        assert await query(database_url, "SELECT count(*) FROM clients") == [(1,)]
        assert await bot.terminate() == 0
        log = bot.log()
        assert "delivered chat=5" in log
        assert TOKEN not in log and TOKEN.split(":")[1] not in log and secret not in log
    finally:
        await bot.ensure_dead()


async def test_database_from_a_newer_version_is_refused(tmp_path: Path, database_url: str) -> None:
    env = bot_env(None, tmp_path, DATABASE_URL=database_url, TELEGRAM_API_URL="http://127.0.0.1:9")
    if is_sqlite(database_url):  # a file holding only the newer version's stamp
        await execute(
            database_url, "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"
        )
        await execute(database_url, "INSERT INTO alembic_version VALUES ('9999_future')")
    else:  # the server's database is made at the current head: stamp it newer
        await execute(database_url, "UPDATE alembic_version SET version_num = '9999_future'")
    code, err = await run_to_exit(env, tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "newer version" in err
    assert await query(database_url, "SELECT version_num FROM alembic_version") == [
        ("9999_future",)
    ]
    if is_sqlite(database_url):  # nothing was migrated over it
        assert (
            rows(sqlite_path(database_url), "SELECT name FROM sqlite_master WHERE name='users'")
            == []
        )


def catches_sigterm(pid: int) -> bool:
    """True once the process has a handler for SIGTERM (Linux: SigCgt in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
async def test_sigterm_during_start_up_exits_zero(fake: FakeTelegram, tmp_path: Path) -> None:
    bot = await BotProcess(bot_env(fake, tmp_path), tmp_path).start()
    try:
        assert bot.proc is not None
        pid = bot.proc.pid
        # The interpreter's own start (some 20 ms) cannot be guarded; everything after can.
        await wait_until(lambda: catches_sigterm(pid), timeout=10, what="a SIGTERM handler")
        # Installed before anything slow: the imports still run, no database is open yet.
        assert not (tmp_path / "nudge.sqlite3").exists()
        assert await bot.terminate(timeout=5) == 0
        assert "Traceback" not in bot.log()
        assert not fake.calls_of("getMe")
    finally:
        await bot.ensure_dead()


async def test_sigterm_while_the_api_is_unreachable_exits_zero_quickly(tmp_path: Path) -> None:
    env = bot_env(None, tmp_path, TELEGRAM_API_URL="http://127.0.0.1:9")
    bot = await BotProcess(env, tmp_path).start()
    try:
        await wait_until(
            lambda: "Telegram is unreachable" in bot.log(), timeout=30, what="a getMe retry"
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.terminate(timeout=10) == 0
        assert loop.time() - started < 5
        assert "Traceback" not in bot.log() and "stopped" in bot.log()
    finally:
        await bot.ensure_dead()


async def test_another_process_polling_with_the_token_is_named_once(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    bot = await BotProcess(bot_env(fake, tmp_path), tmp_path).start()

    async def rival() -> None:
        """A second poller on the same token: each of its getUpdates ends the bot's (409)."""
        url = f"{fake.url}/bot{TOKEN}/getUpdates"
        async with aiohttp.ClientSession() as http:
            while True:
                async with http.post(url, data={"timeout": "5"}) as resp:
                    await resp.read()

    def conflicts() -> int:
        """409 answers to the bot's own polls (the rival sends no allowed_updates)."""
        return sum(
            1
            for c in fake.calls_of("getUpdates")
            if c.status == 409 and "allowed_updates" in c.params
        )

    await fake.wait_for("getUpdates", timeout=30)
    other = asyncio.create_task(rival())
    try:
        await wait_until(lambda: conflicts() >= 2, timeout=20, what="two conflicted polls")
        line = "another process is polling with this token: stop it"
        assert bot.log().count(line) == 1, bot.log()
        assert "retrying every 5 s" in bot.log()
        other.cancel()
        fake.send_text("/help", user_id=6)
        await fake.wait_for("sendMessage", to(6, "Что я умею"), timeout=30)
        assert await bot.terminate() == 0
    finally:
        other.cancel()
        await bot.ensure_dead()


def delete_database(db: Path) -> None:
    """Remove the SQLite file and its WAL companions, as a careless clean-up would."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


@pytest.mark.sqlite_only  # a SQLite file deleted under the running bot
async def test_a_deleted_database_is_noticed_and_not_silently_recreated(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "nudge.sqlite3"
    created = f"created a new empty database at {db}"
    bot = await BotProcess(bot_env(fake, tmp_path), tmp_path).start()
    try:
        await onboard(fake, 7)
        assert bot.log().count(created) == 1
        delete_database(db)
        # "replaced" if a new connection made SQLite create an empty file there meanwhile.
        lost = f"ERROR bot.storage.db: the database file {db} was "
        await wait_until(lambda: lost in bot.log(), timeout=20, what="the loss to be noticed")
        assert "while the bot was running" in bot.log() and bot.log().count(lost) == 1
        assert bot.proc is not None and bot.proc.returncode is None
        assert await bot.terminate() == 0
        bot = await BotProcess(bot.env, tmp_path).start()
        await wait_until(lambda: bot.log().count(created) == 2, timeout=30, what="the new database")
    finally:
        await bot.ensure_dead()
