"""All routers, in the one order they are tried."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    agenda,
    cancel,
    chats,
    clients,
    followups,
    groups,
    intake,
    invoices,
    leads,
    settings,
    start,
    tasks,
    team,
    text_input,
    touches,
)
from bot.handlers import help as help_

ORDER = (
    groups,
    chats,
    cancel,
    start,
    help_,
    settings,
    team,
    leads,
    clients,
    touches,
    tasks,
    intake,
    invoices,
    followups,
    agenda,
    text_input,
)


def build_router() -> Router:
    """The root router: commands first, free-text input last."""
    root = Router(name="nudge")
    for module in ORDER:
        child = module.router
        # Module routers are singletons; a second app in one process (tests, benchmarks)
        # takes them over from the first.
        old = child.parent_router
        if old is not None:
            old.sub_routers.remove(child)
            child._parent_router = None
        root.include_router(child)
    return root
