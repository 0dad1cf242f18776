"""Play a manager's session against the real bot and the fake Bot API, printing what they see.

Run: .venv/bin/python scripts/play.py   (ports 8091/8092 on 127.0.0.1, a temporary database)
"""

import asyncio
import sqlite3
import time

from playkit import Play, sent


async def main() -> None:
    """Onboarding, settings, a lead and its ping, the client card, intake, a forward."""
    async with Play(
        port=8091, LEAD_RESPONSE_SLA="6", INTAKE_PORT="8092", PUBLIC_URL="https://nudge.example.com"
    ) as play:
        for t in [
            "/start",
            "Моасква",
            "Москва",
            "/settings",
            "/help",
            "/lead",
            "/lead Иван Петров, +7 999 123-45-67, заявка с сайта",
        ]:
            await play.say(t)
        print("... waiting for the SLA ping")
        ping = sent(await play.show(6), "ждёт")
        await play.press(ping)
        for t in [
            "/client иван",
            "/client Иван tz Алматы",
            "/clients петрв",
            "/call Иван обсудили бриф",
            "/client Иван",
            "/intake",
            "/sla 10",
        ]:
            await play.say(t)
        http = play.http
        assert http is not None
        print("> POST intake (site form) twice with one Idempotency-Key")
        secret = (
            sqlite3.connect(play.work / "n.sqlite3")
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
        await play.show()
        r = await http.post("http://127.0.0.1:8092/intake/wrong", json={"name": "x"})
        print("  wrong secret:", r.status)
        r = await http.get("http://127.0.0.1:8092/healthz")
        print("  healthz:", r.status, await r.text())
        offer = sent(
            await play.say(
                "Добрый день, нужна реклама в Директе",
                forward_origin={
                    "type": "user",
                    "date": int(time.time()),
                    "sender_user": {
                        "id": 9,
                        "is_bot": False,
                        "first_name": "Пётр",
                        "username": "petr_k",
                    },
                },
            )
        )
        await play.press(offer)


asyncio.run(main())
