"""A restart over a current database imports neither Alembic nor numpy: start-up stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.storage.db import MIGRATIONS_DIR, SCHEMA_HEAD

CHECK = """
import asyncio, sys
from bot.storage.db import Database

async def main():
    db = Database({url!r})
    await db.migrate()
    await db.close()

asyncio.run(main())
import bot.app  # everything a start imports
print(sorted(m for m in ("alembic", "numpy") if m in sys.modules))
"""


def test_schema_head_is_the_newest_migration() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


def _start(url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(url=url)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_restart_imports_neither_alembic_nor_numpy(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nudge.sqlite3'}"
    assert _start(url) == "['alembic']"  # the first start creates the schema with Alembic
    assert _start(url) == "[]"
