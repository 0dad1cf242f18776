"""`python -m bot`: run the bot, or look after its database (migrate, backup, copy-to)."""

from __future__ import annotations

import logging
import re
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

    from pydantic import ValidationError

EXIT_CONFIG = 2
TOKEN_HINT = "get one from @BotFather (/newbot) and put it into .env as BOT_TOKEN=123456:ABC…"


class RedactingFilter(logging.Filter):
    """Keeps the bot token (and any token-shaped string) out of every log line."""

    _TOKEN_RE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once and blank out secrets."""
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "***")
        message = self._TOKEN_RE.sub("***", message)
        record.msg, record.args = message, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self.secrets:
                text = text.replace(secret, "***")
            record.exc_text = self._TOKEN_RE.sub("***", text)
        return True


def _settings_error(exc: ValidationError) -> str:
    """One line naming the bad settings, never echoing their values."""
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        if error["type"] == "missing" and name == "BOT_TOKEN":
            parts.append(f"{name} is not set: {TOKEN_HINT}")
        elif error["type"] == "missing":
            parts.append(f"{name} is not set")
        else:
            parts.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def fail(message: str) -> int:
    """Print one clear line on stderr and return the configuration exit code."""
    # A driver's error may span lines; the operator gets one.
    print(f"nudge: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_CONFIG


def cmd_backup(argv: list[str]) -> int:
    """`python -m bot backup FILE`: a consistent copy of the database, safe while running."""
    from pathlib import Path

    from bot.settings import StorageSettings
    from bot.storage.backup import BackupError, backup, is_postgresql, redact

    if len(argv) != 1:
        return fail("usage: python -m bot backup FILE")
    url = StorageSettings().database_url
    try:
        size = backup(url, Path(argv[0]))
    except BackupError as exc:
        return fail(redact(str(exc), url))
    restore = ", pg_dump's custom format: restore it with pg_restore" if is_postgresql(url) else ""
    print(f"nudge: backup written to {argv[0]} ({size // 1024} KiB{restore})")
    return 0


def cmd_migrate(argv: list[str]) -> int:
    """`python -m bot migrate`: bring the schema to this version's and say which it is."""
    import asyncio

    from bot.settings import StorageSettings
    from bot.storage.backup import hide_password, redact
    from bot.storage.db import Database, DatabaseError

    if argv:
        return fail("usage: python -m bot migrate")
    url = StorageSettings().database_url

    async def migrate() -> str:
        db = Database(url)
        try:
            return await db.migrate()
        finally:
            await db.close()

    try:
        revision = asyncio.run(migrate())
    except DatabaseError as exc:
        return fail(redact(str(exc), url))
    print(f"nudge: database schema is at {revision} ({hide_password(url)})")
    return 0


def cmd_copy_to(argv: list[str]) -> int:
    """`python -m bot copy-to URL`: copy the database into an empty one and verify the copy."""
    import asyncio

    from bot.settings import StorageSettings
    from bot.storage.backup import hide_password, redact
    from bot.storage.copy import CopyError, copy_database
    from bot.storage.db import DatabaseError

    if len(argv) != 1:
        return fail(
            "usage: python -m bot copy-to URL, where URL is a new empty database "
            "such as postgresql+asyncpg://nudge:PASSWORD@db.example:5432/nudge"
        )
    source, target = StorageSettings().database_url, argv[0]
    if target.startswith(("postgresql://", "postgres://")):
        # Without a driver SQLAlchemy picks psycopg2, which the bot does not install.
        return fail("the target URL must start with postgresql+asyncpg:// (as DATABASE_URL will)")
    try:
        copied = asyncio.run(copy_database(source, target))
    except (CopyError, DatabaseError) as exc:
        return fail(redact(str(exc), source, target))
    width = max(len(name) for name in copied.counts)
    for name, count in copied.counts.items():
        print(f"  {name:<{width}}  {count:>8}")
    print(
        f"nudge: copied {copied.total} rows from {hide_password(source)} into "
        f"{hide_password(target)} (schema {copied.revision}) and verified them row by row"
    )
    return 0


COMMANDS = {"backup": cmd_backup, "migrate": cmd_migrate, "copy-to": cmd_copy_to}
USAGE = (
    "`python -m bot` (run the bot), `python -m bot migrate`, `python -m bot backup FILE` "
    "or `python -m bot copy-to URL`"
)


def _stop_before_loop(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM/SIGINT while starting up, before the event loop listens: nothing is open yet."""
    raise SystemExit(0)


def main(argv: list[str]) -> int:
    """Entry point; returns the process exit code."""
    if not argv:
        # Imports and set-up take seconds; a stop asked for meanwhile is a clean exit 0, not 143.
        # run() hands both signals over to the event loop once it is up.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _stop_before_loop)

    import asyncio

    from pydantic import ValidationError

    from bot.settings import Settings

    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    if argv:
        return fail(f"unknown command {argv[0]!r}; use {USAGE}")

    try:
        settings = Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        others_missing = any(
            e["type"] == "missing" and e["loc"] != ("bot_token",) for e in exc.errors()
        )
        hint = " (see .env.example)" if others_missing else ""
        return fail(_settings_error(exc) + hint)
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter([settings.bot_token.get_secret_value()]))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # Alembic and APScheduler narrate every step at INFO; their warnings are enough.
    # aiosqlite logs every statement with its parameters at DEBUG, intake secrets included.
    for noisy in ("alembic", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))

    from bot.app import StartupError, build_app, run
    from bot.storage.db import DatabaseError

    try:
        app = build_app(settings)
        asyncio.run(run(app))
    except (StartupError, DatabaseError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 0
    finally:
        # The closed loop restored the default handlers; we are exiting, so a late signal
        # must not turn a clean exit into 143.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # 1 when this instance lost its lead over delivery: a supervisor starts it again.
    return app.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
