"""Run the fake Telegram API standalone: `python -m tests.fakeapi --port 8081 --token 123:ABC`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from tests.fakeapi.server import FakeTelegram


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT/SIGTERM; print the base URL as the first stdout line."""
    fake = FakeTelegram(args.token, bot_id=args.bot_id, username=args.username, port=args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with fake:
        print(fake.url, flush=True)
        print(f"token {fake.token}; control API at {fake.url}/_control/...", file=sys.stderr)
        await stop.wait()


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakeapi", description=__doc__)
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-id", type=int, default=123456)
    parser.add_argument("--username", default="nudge_test_bot")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
