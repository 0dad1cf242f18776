"""A restart over a current database loads nothing it needs only later: start-up stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.storage.db import MIGRATIONS_DIR, SCHEMA_HEAD

# Each is loaded on first use instead: Alembic to migrate, numpy and rapidfuzz by the first
# client or time zone search, phonenumbers by the first lead text or phone shown, aiohttp's
# server (bot.web) only with lead intake on, Babel's global data by the first currency code.
LAZY = ("alembic", "numpy", "rapidfuzz", "phonenumbers", "aiohttp.web", "bot.web")

CHECK = """
import asyncio, sys
from bot.storage.db import Database

async def main():
    db = Database({url!r})
    await db.migrate()
    await db.close()

asyncio.run(main())
import babel.core
from bot.app import build_app  # everything a start imports
from bot.settings import Settings

settings = Settings(_env_file=None, bot_token="123456:TEST-TOKEN-abcdefghijklmnopqrstu")
build_app(settings)  # and everything it sets up before the first getUpdates
loaded = [m for m in {lazy!r} if m in sys.modules]
if babel.core._global_data is not None:
    loaded.append("babel global data")
print(sorted(loaded))
"""


def test_schema_head_is_the_newest_migration() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


def _start(url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(url=url, lazy=LAZY)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_restart_loads_nothing_it_needs_only_later(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}"
    assert _start(url) == "['alembic']"  # the first start creates the schema with Alembic
    assert _start(url) == "[]"
