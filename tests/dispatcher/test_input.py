"""What a person may type or press that the bot did not ask for: each gets one clear line."""

from __future__ import annotations

from typing import Any

from aiogram.methods import AnswerCallbackQuery

from tests.conftest import Harness
from tests.dispatcher.test_leads import lead_ids, onboard


def answers(h: Harness) -> list[AnswerCallbackQuery]:
    """Every answerCallbackQuery made so far."""
    return [r for r in h.session.requests if isinstance(r, AnswerCallbackQuery)]


async def test_commands_are_case_insensitive(harness: Harness) -> None:
    """`/Lead` and `/FU` work like `/lead` and `/fu`."""
    await onboard(harness)
    [card] = await harness.send("/Lead Иван Петров, +7 999 123-45-67")
    assert "Иван Петров" in card.text
    [confirm] = await harness.send("/FU Иван завтра в 11 позвонить")
    assert "Иван Петров" in confirm.text and "11:00" in confirm.text


async def test_unknown_command_points_to_help(harness: Harness) -> None:
    """One line naming the command and /help."""
    await onboard(harness)
    [reply] = await harness.send("/leed Иван")
    assert "/leed" in reply.text and "/help" in reply.text


async def test_sticker_photo_and_voice_get_one_line(harness: Harness) -> None:
    """Media the bot cannot read are answered with what it reads."""
    await onboard(harness)
    sticker: dict[str, Any] = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    voice = {"file_id": "v", "file_unique_id": "v", "duration": 3}
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 10, "height": 10}]
    for extra in ({"sticker": sticker}, {"voice": voice}, {"photo": photo}):
        message = {
            "message_id": 5,
            "date": 1,
            "chat": {"id": 1001, "type": "private"},
            "from": harness.user(),
            **extra,
        }
        [reply] = await harness.feed({"message": message})
        assert "текст" in reply.text


async def test_crafted_buttons_are_answered_and_change_nothing(harness: Harness) -> None:
    """Ids beyond 64 bits, superscript digits and unknown prefixes: an answer, no crash."""
    await onboard(harness)
    await harness.send("/lead Иван Петров, +7 999 123-45-67")
    [client_id] = await lead_ids(harness)
    crafted = [
        f"ld:ans:{2**70}:",
        "fu:pick:1:²",
        f"fu:done:{10**30}:",
        f"ld:passto:{client_id}:¹⁴",
        "zz:whatever",
        "",
    ]
    for data in crafted:
        before = len(answers(harness))
        sent = await harness.press(data)
        assert len(answers(harness)) == before + 1, data
        assert not [m for m in sent if "Извините" in (getattr(m, "text", "") or "")], data
    sent = await harness.send("/client Иван")
    assert "ждёт ответа" in sent[0].text or "waiting" in sent[0].text
