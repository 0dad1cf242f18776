"""Commands per second through the real dispatcher, exactly-once vs aiogram's defaults.

Run: .venv/bin/python bench/commands.py [--commands 600] [--users 30] [--runs 3]

"guarantee": our poller (an update is confirmed only after its transaction, which also records
its update_id and queues the answer in the outbox; the outbox worker sends it).
"aiogram": Dispatcher.start_polling (handlers as tasks, updates confirmed on read) with the same
handlers answering directly inside the handler, as a plain message.answer would.
Both run in this process against the fake Bot API server; latency = update queued → answer seen.
One command per user by default: the outbox paces answers at ~1 message/s per chat (Telegram's
limit), which a plain message.answer ignores, so several commands per chat measure the pacing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import TOKEN, FakeTelegram, median

from bot.app import ALLOWED_UPDATES, build_app
from bot.clock import Clock
from bot.settings import Settings
from bot.storage.repositories import Repos
from bot.telegram.middlewares import UnitOfWorkMiddleware
from bot.telegram.outbox import Replies, build_method, encode_markup


class DirectReplies(Replies):
    """Answers sent at once from inside the handler, like message.answer (no outbox)."""

    def __init__(self, repos: Repos, clock: Clock, bot: Any) -> None:
        super().__init__(repos, clock)
        self.bot = bot

    async def send(self, chat_id: int, text: str, *, reply_markup: Any = None, **kw: Any) -> None:
        payload = {"text": text, "parse_mode": kw.get("parse_mode", "HTML")}
        if reply_markup is not None:
            payload["reply_markup"] = encode_markup(reply_markup)
        await self.bot(build_method(chat_id, "sendMessage", payload))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def one_run(mode: str, commands: int, users: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="nudge-cmd-"))
    try:
        async with FakeTelegram(token=TOKEN) as fake:
            settings = Settings(
                _env_file=None,
                bot_token=TOKEN,
                telegram_api_url=fake.url,
                database_url=f"sqlite+aiosqlite:///{workdir / 'nudge.sqlite3'}",
                polling_timeout=1,
                log_level="WARNING",
                delivery_rate_per_second=100_000,
            )  # type: ignore[call-arg]
            app = build_app(settings)
            await app.db.migrate()
            app.dispatcher["bot_username"] = "nudge_test_bot"
            if mode == "aiogram":
                # Swap our unit-of-work middleware for one whose handlers answer directly.
                app.dispatcher.update.outer_middleware._middlewares = [
                    m
                    for m in app.dispatcher.update.outer_middleware._middlewares
                    if not isinstance(m, UnitOfWorkMiddleware)
                ]
                app.dispatcher.update.outer_middleware(
                    UnitOfWorkMiddleware(
                        app.db,
                        app.clock,
                        app.delivery,
                        app.alarm,
                        replies_factory=lambda r, c: DirectReplies(r, c, app.bot),
                    )
                )
                poll = asyncio.create_task(
                    app.dispatcher.start_polling(
                        app.bot,
                        handle_signals=False,
                        polling_timeout=1,
                        allowed_updates=list(ALLOWED_UPDATES),
                        close_bot_session=False,
                    )
                )
            else:
                app.delivery.start()
                poll = asyncio.create_task(app.poller.run())
            app.alarm.start()
            for u in range(users):  # onboard, not measured
                fake.send_text("/start", user_id=100 + u)
                fake.send_text("Москва", user_id=100 + u)
            await fake.wait_for("sendMessage", count=2 * users, timeout=120)
            mark = fake.mark()
            queued: dict[str, float] = {}
            started = time.monotonic()
            for i in range(commands):
                name = f"Client {i}"
                queued[name] = time.monotonic()
                fake.send_text(f"/lead {name}", user_id=100 + i % users)
            calls = await fake.wait_for(
                "sendMessage",
                lambda c: "Client " in str(c.params.get("text", "")),
                count=commands,
                since=mark,
                timeout=300,
            )
            elapsed = max(c.at for c in calls) - started
            latency = []
            for call in calls:
                name = call.params["text"].split("<b>")[1].split("</b>")[0]
                latency.append(call.at - queued[name])
            # One at a time, as a manager types: the latency a single command sees.
            single = []
            for i in range(min(50, users)):
                name = f"Solo {i}"
                mark = fake.mark()
                t0 = time.monotonic()
                fake.send_text(f"/lead {name}", user_id=100 + i)
                [answer] = await fake.wait_for(
                    "sendMessage",
                    lambda c, n=name: n in str(c.params.get("text", "")),
                    since=mark,
                    timeout=30,
                )
                single.append(answer.at - t0)
            if mode == "aiogram":
                await app.dispatcher.stop_polling()
            else:
                app.poller.stop()
            await poll
            await app.delivery.stop()
            await app.alarm.shutdown()
            await app.bot.session.close()
            await app.db.close()
        return {
            "rate": commands / elapsed,
            "p50": median(latency) * 1000,
            "p99": pct(latency, 0.99) * 1000,
            "one_p50": median(single) * 1000,
            "one_p99": pct(single, 0.99) * 1000,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"aiogram": [], "guarantee": []}
    for _ in range(args.runs):
        for mode in results:
            results[mode].append(await one_run(mode, args.commands, args.users))
    for mode, runs in results.items():
        print(
            f"{mode:9s}: {median([r['rate'] for r in runs]):6.1f} commands/s "
            f"({args.commands} queued at once: latency p50 "
            f"{median([r['p50'] for r in runs]):.0f} ms, "
            f"p99 {median([r['p99'] for r in runs]):.0f} ms); one at a time: latency p50 "
            f"{median([r['one_p50'] for r in runs]):.1f} ms, p99 "
            f"{median([r['one_p99'] for r in runs]):.1f} ms  ({args.runs} runs, medians)"
        )


if __name__ == "__main__":
    asyncio.run(main())
