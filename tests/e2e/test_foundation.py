"""End to end: the real bot process against the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e_support import (
    ROOT,
    TOKEN,
    BotProcess,
    bot_env,
    delivered_count,
    run_to_exit,
    wait_until,
)
from tests.fakeapi import FakeTelegram

pytestmark = pytest.mark.e2e


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path, database_url: str) -> AsyncIterator[BotProcess]:
    env = bot_env(fake, tmp_path, DATABASE_URL=database_url)
    process = await BotProcess(env, tmp_path).start()
    try:
        yield process
    finally:
        await process.ensure_dead()


def _text_to(chat_id: int):  # type: ignore[no-untyped-def]
    return lambda call: call.params.get("chat_id") == chat_id


@pytest.mark.sqlite_only  # replies and the menu, nothing of storage: once is enough
async def test_start_speaks_the_users_language(fake: FakeTelegram, bot: BotProcess) -> None:
    fake.send_text("/start", user_id=1, language_code="ru", first_name="Иван")
    fake.send_text("/start", user_id=2, language_code="en", first_name="John")
    [ru] = await fake.wait_for("sendMessage", _text_to(1), timeout=30)
    [en] = await fake.wait_for("sendMessage", _text_to(2), timeout=30)
    assert "Привет, Иван" in ru.params["text"] and "часовом поясе" in ru.params["text"]
    assert "Hi, John" in en.params["text"] and "time zone" in en.params["text"]
    # The command menu is set per language.
    langs = {c.params.get("language_code") for c in await fake.wait_for("setMyCommands", count=3)}
    assert {"ru", "en"} <= langs


@pytest.mark.sqlite_only  # time budget: SIGKILL on PostgreSQL is in test_reliability, test_leads
async def test_time_zone_survives_sigkill(
    fake: FakeTelegram, bot: BotProcess, tmp_path: Path
) -> None:
    fake.send_text("/start", user_id=5, language_code="ru")
    await fake.wait_for("sendMessage", _text_to(5), timeout=30)
    mark = fake.mark()
    fake.send_text("Владивосток", user_id=5, language_code="ru")
    [confirm] = await fake.wait_for("sendMessage", _text_to(5), since=mark, timeout=15)
    assert "Владивосток" in confirm.params["text"]
    # A kill between Telegram's acceptance and the outbox recording it is the one
    # at-least-once window; wait until the bot has recorded both answers as delivered.
    await wait_until(lambda: delivered_count(bot, 5) == 2, what="delivery records")
    await bot.kill()

    again = await BotProcess(bot.env, tmp_path).start()
    try:
        mark = fake.mark()
        fake.send_text("/settings", user_id=5, language_code="ru")
        [shown] = await fake.wait_for("sendMessage", _text_to(5), since=mark, timeout=30)
        assert "Владивосток (UTC+10)" in shown.params["text"]
        # Nothing that was confirmed before the kill is answered twice.
        texts = [c.params["text"] for c in fake.calls_of("sendMessage", chat_id=5)]
        assert sum("Часовой пояс: Владивосток" in t and "✅" in t for t in texts) == 1
        assert await again.terminate() == 0
    finally:
        await again.ensure_dead()


@pytest.mark.sqlite_only  # the process's exit and log, nothing of storage: once is enough
async def test_sigterm_exits_zero_and_logs_no_token(fake: FakeTelegram, bot: BotProcess) -> None:
    fake.send_text("/help", user_id=9, language_code="en")
    await fake.wait_for("sendMessage", _text_to(9), timeout=30)
    assert await bot.terminate() == 0
    log = bot.log()
    assert "stopped" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BOT_TOKEN": None}, "BOT_TOKEN is not set"),
        ({"BOT_TOKEN": ""}, "BOT_TOKEN is not set: get one from @BotFather"),
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
        ({"DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE"),
        ({"LEAD_RESPONSE_SLA": "soon"}, "LEAD_RESPONSE_SLA"),
        ({"DATABASE_URL": "sqlite+aiosqlite:////proc/nope/db.sqlite3"}, "database"),
        ({"DATABASE_URL": "postgresql+asyncpg://nudge@127.0.0.1:9/nudge"}, "database"),
    ],
)
async def test_bad_configuration_exits_2_with_one_line(
    tmp_path: Path, env: dict[str, str | None], expected: str
) -> None:
    base = bot_env(None, tmp_path, TELEGRAM_API_URL="http://127.0.0.1:9")
    base.update(env)  # type: ignore[arg-type]
    code, err = await run_to_exit({k: v for k, v in base.items() if v is not None}, tmp_path)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert expected in lines[0] and "Traceback" not in err
    assert "not-a-token" not in err


@pytest.mark.sqlite_only  # .env.example's default database is a SQLite file
async def test_env_example_with_only_a_token_starts_and_keeps_retrying(tmp_path: Path) -> None:
    """The README's first path: `cp .env.example .env`, fill in BOT_TOKEN, run."""
    example = (ROOT / ".env.example").read_text()
    (tmp_path / ".env").write_text(
        example.replace("\nBOT_TOKEN=\n", f"\nBOT_TOKEN={TOKEN}\n").replace(
            "\nTELEGRAM_API_URL=\n", "\nTELEGRAM_API_URL=http://127.0.0.1:9\n"
        )
    )
    env = {
        k: v
        for k, v in bot_env(None, tmp_path).items()
        if k in ("PATH", "HOME", "PYTHONPATH", "PYTHONUNBUFFERED")
    }
    bot = await BotProcess(env, tmp_path).start()
    try:
        # A second retry line means it got past the settings and the database and waits it out.
        await wait_until(
            lambda: bot.log().count("Telegram is unreachable") >= 2, timeout=30, what="retries"
        )
        assert bot.proc is not None and bot.proc.returncode is None
        log = bot.log()
        assert f"created a new empty database at {tmp_path / 'data' / 'nudge.sqlite3'}" in log
        assert "INTAKE_PORT" not in log and "Traceback" not in log
        assert await bot.terminate(timeout=10) == 0
    finally:
        await bot.ensure_dead()
