"""/note, /meet, /mail and /in: what happened with a client, in one line each."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.clock import Clock
from bot.handlers.common import Asker, Continuation, ask_context, continues, named_client
from bot.services.clients import MAX_NOTE, add_note
from bot.services.followups import client_replied
from bot.services.leads import respond
from bot.settings import Settings
from bot.storage.records import Client, User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.touches import touch_example, touch_logged

router = Router(name=__name__)

COMMANDS = ("note", "meet", "mail", "in")


@router.message(Command(*COMMANDS, ignore_case=True))
async def cmd_touch(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """`/note Acme text`, `/meet Acme text`, `/mail Acme text`, `/in Acme text`."""
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang, message)
    if asker is None:
        return
    kind = command.command.lower()
    text = (command.args or "").strip()
    if not text:
        await replies.send(message.chat.id, touch_example(kind))
        return
    named = await named_client(asker, text, command=kind)
    if named is not None:
        await TOUCHES[kind](asker, *named)


async def _log(asker: Asker, client: Client, text: str, kind: str) -> None:
    """Log one touch of this kind and say so."""
    repos, at = asker.repos, asker.sent_at
    stopped = 0
    if kind == "note":
        await add_note(repos, client, text, asker.user.id, at)
    elif kind == "in":
        # From the client: as «Клиент ответил», it stops every chase waiting for them.
        stopped = await client_replied(repos, client, asker.user.id, at, text[:MAX_NOTE])
    else:
        await respond(
            repos,
            client,
            asker.user.id,
            at,
            kind="meeting" if kind == "meet" else "email",
            summary=text[:MAX_NOTE],
        )
    await asker.replies.send(asker.chat_id, touch_logged(kind, client.name, stopped))


def _continuation(kind: str) -> Continuation:
    """What `/<kind>` does once its client is known (typed, picked or created)."""

    async def go_on(asker: Asker, client: Client, text: str) -> None:
        await _log(asker, client, text, kind)

    return go_on


# Registered for the client picker; the command itself calls them directly too.
TOUCHES = {kind: continues(kind)(_continuation(kind)) for kind in COMMANDS}
