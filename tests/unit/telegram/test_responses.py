"""aiogram's response classes survive garbage collection, so pydantic never rebuilds them."""

from __future__ import annotations

import gc
import re
import weakref
from pathlib import Path

from aiogram import methods
from aiogram.methods.base import Response

from bot.telegram.responses import METHODS, keep_response_types

ROOT = Path(__file__).resolve().parents[3] / "bot"


def test_a_kept_response_class_is_the_one_aiogram_gets_after_a_collection() -> None:
    refs = {method: weakref.ref(cls) for method, cls in keep_response_types().items()}
    gc.collect()
    for method in METHODS:
        alive = refs[method]()
        assert alive is not None, method.__name__
        assert Response[method.__returning__] is alive, method.__name__


def test_every_method_the_bot_calls_is_kept() -> None:
    """Each bot.<method>( call, query.answer( and outbox method name is in METHODS."""
    source = "\n".join(p.read_text() for p in ROOT.rglob("*.py"))
    called = set(re.findall(r"\bbot\.([a-z_]+)\(", source))
    if "query.answer(" in source:
        called.add("answer_callback_query")
    called |= {"send_message", "edit_message_text", "edit_message_reply_markup", "get_updates"}
    called.discard("me")  # Bot.me() is a cached get_me
    called.add("get_me")
    names = {"".join(part.title() for part in name.split("_")) for name in called}
    kept = {method.__name__ for method in METHODS}
    missing = {name for name in names if hasattr(methods, name)} - kept
    assert not missing
