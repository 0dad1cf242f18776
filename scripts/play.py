"""Play a manager's session against the real bot and the fake Bot API, printing what they see.

Run: .venv/bin/python scripts/play.py   (ports 8091/8092 on 127.0.0.1, a temporary database)
"""

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"
ROOT = Path(__file__).resolve().parent.parent


async def main() -> None:
    """Onboarding, settings, a lead and its ping, the client card, intake, a forward."""
    work = Path(tempfile.mkdtemp(prefix="nudge-play-"))
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeapi", "--port", "8091", "--token", TOKEN],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    fake.stdout.readline()
    env = dict(
        os.environ,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL="http://127.0.0.1:8091",
        DATABASE_URL=f"sqlite+aiosqlite:///{work}/n.sqlite3",
        LEAD_RESPONSE_SLA="6",
        INTAKE_PORT="8092",
        PUBLIC_URL="https://nudge.example.com",
        LOG_LEVEL="WARNING",
    )
    bot = subprocess.Popen([sys.executable, "-m", "bot"], cwd=work, env=env)
    seen = 0
    async with aiohttp.ClientSession() as http:

        async def say(text, **kw):
            nonlocal seen
            body = {"text": text, "user_id": 77, "language_code": "ru", "first_name": "Анна", **kw}
            await http.post("http://127.0.0.1:8091/_control/update", json=body)
            return await show()

        async def show(wait=2.0):
            nonlocal seen
            await asyncio.sleep(wait)
            calls = await (
                await http.get(f"http://127.0.0.1:8091/_control/calls?since={seen}")
            ).json()
            seen = calls[-1]["index"] + 1 if calls else seen
            out = []
            for c in calls:
                if c["method"] in (
                    "sendMessage",
                    "editMessageText",
                    "editMessageReplyMarkup",
                    "answerCallbackQuery",
                ):
                    p = c["params"]
                    kb = p.get("reply_markup") or {}
                    btns = [
                        b.get("text")
                        for row in kb.get("inline_keyboard", kb.get("keyboard", []))
                        for b in row
                    ]
                    print(
                        f"  <{c['method']}> {p.get('text', '')!s}"
                        + (f"  [{' | '.join(btns)}]" if btns else "")
                    )
                    out.append(c)
            return out

        await asyncio.sleep(5)
        for t in [
            "/start",
            "Моасква",
            "Москва",
            "/settings",
            "/help",
            "/lead",
            "/lead Иван Петров, +7 999 123-45-67, заявка с сайта",
        ]:
            print(f"> {t}")
            out = await say(t)
        print("... waiting for the SLA ping")
        out = await show(6)
        ping = [c for c in out if "ждёт" in c["params"].get("text", "")]
        data = ping[0]["params"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        print("> press Ответил on the ping")
        await http.post(
            "http://127.0.0.1:8091/_control/press",
            json={
                "data": data,
                "user_id": 77,
                "message_id": ping[0]["response"]["result"]["message_id"],
            },
        )
        await show()
        for t in [
            "/client иван",
            "/client Иван tz Алматы",
            "/clients петрв",
            "/call Иван обсудили бриф",
            "/client Иван",
            "/intake",
            "/sla 10",
        ]:
            print(f"> {t}")
            await say(t)
        print("> POST intake (site form) twice with one Idempotency-Key")
        secret = (
            sqlite3.connect(work / "n.sqlite3")
            .execute("select intake_secret from workspaces")
            .fetchone()[0]
        )
        for _ in range(2):
            r = await http.post(
                f"http://127.0.0.1:8092/intake/{secret}",
                json={
                    "name": "Ольга",
                    "phone": "89991112233",
                    "message": "Нужен лендинг",
                    "utm": "ya",
                },
                headers={"Idempotency-Key": "k1"},
            )
            print("  HTTP", r.status, await r.text())
        await show()
        r = await http.post("http://127.0.0.1:8092/intake/wrong", json={"name": "x"})
        print("  wrong secret:", r.status)
        r = await http.get("http://127.0.0.1:8092/healthz")
        print("  healthz:", r.status, await r.text())
        print("> forward a client message")
        await http.post(
            "http://127.0.0.1:8091/_control/update",
            json={
                "text": "Добрый день, нужна реклама в Директе",
                "user_id": 77,
                "language_code": "ru",
                "forward_origin": {
                    "type": "user",
                    "date": int(time.time()),
                    "sender_user": {
                        "id": 9,
                        "is_bot": False,
                        "first_name": "Пётр",
                        "username": "petr_k",
                    },
                },
            },
        )
        out = await show()
        offer = next(c for c in out if c["method"] == "sendMessage")
        make = offer["params"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        print("> press Сделать лидом")
        await http.post(
            "http://127.0.0.1:8091/_control/press",
            json={
                "data": make,
                "user_id": 77,
                "message_id": offer["response"]["result"]["message_id"],
            },
        )
        await show()
    bot.terminate()
    print("bot exit code", bot.wait())
    fake.terminate()


asyncio.run(main())
