"""Play a manager's follow-ups against the real bot and the fake Bot API, printing what they see.

Run: .venv/bin/python scripts/play_followups.py   (port 8093 on 127.0.0.1, a temporary database;
about two minutes, since one follow-up is set «через 1 минуту» and waited for)
"""

import asyncio
import sqlite3

from playkit import Play, sent


async def main() -> None:
    """/fu in every form, a reminder's buttons, a reply with a date, a chase, /today, /week."""
    async with Play(port=8093) as play:
        for text in ["/start", "Москва", "/lead Ромашка", "/client Ромашка status active"]:
            await play.say(text)
        await play.say("/client Ромашка tz Владивосток")
        await play.say("/fu Ромашка пт 10:00 созвон по макету")
        offer = sent(await play.say("/fu Ромашка завтра в 15:00 выставить счёт"), "Ромашка")
        await play.press(offer)  # move into the client's working day
        ask = sent(await play.say("/fu Ромашка отправить договор"), "Когда")
        await play.press(ask, 0, 1)  # Завтра
        await play.say("/fu Ромашка цепочка КП")
        await play.say("/fu Ромашка каждый пн 10:00 отчёт")
        await play.say("/fu")
        await play.say("/fu Незнакомец завтра")
        await play.say("/fu Ромашка вчера")
        await play.say("/fu Ромашка через 1 минуту позвонить")
        print("... waiting for the reminder (1 minute)")
        reminder = sent(await play.show(62), "позвонить")
        await play.press(reminder, 1, 0)  # +15 мин
        print("> reply to the reminder: завтра в 11")
        await play.say(
            "завтра в 11", reply_to_message_id=reminder["response"]["result"]["message_id"]
        )
        await play.press(reminder, 0, 0)  # Готово
        await play.say("отправить договор в пятницу в 12")
        for text in ["/today", "/week", "/followups", "/silent", "/silent 7", "/client Ромашка"]:
            await play.say(text)
        db = sqlite3.connect(play.work / "n.sqlite3")
        print(
            "followups:",
            db.execute("select id, mode, step, state, due_at from followups").fetchall(),
        )


asyncio.run(main())
