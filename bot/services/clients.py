"""Clients as the manager handles them: finding one by a typed name, editing, access checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.parsing.fuzzy import FuzzyIndex
from bot.parsing.leadtext import parse_lead_text
from bot.parsing.timezones import parse_timezone
from bot.storage.records import Client, Contact, FollowUp, Touch, User
from bot.storage.repositories import Repos
from bot.storage.repositories.clients import STATUSES

# Edit keywords after the client's name: `/client Иван tz Asia/Almaty`.
EDIT_WORDS = {
    "tz": "timezone",
    "пояс": "timezone",
    "часовой": "timezone",
    "timezone": "timezone",
    "status": "status",
    "статус": "status",
    "phone": "contact",
    "тел": "contact",
    "телефон": "contact",
    "email": "contact",
    "почта": "contact",
    "contact": "contact",
    "контакт": "contact",
    "note": "note",
    "заметка": "note",
    "next": "next_step",
    "шаг": "next_step",
    "дальше": "next_step",
    "name": "name",
    "имя": "name",
    "source": "source",
    "источник": "source",
}
STATUS_WORDS = {
    "lead": "lead",
    "лид": "lead",
    "active": "active",
    "активный": "active",
    "актив": "active",
    "в работе": "active",
    "paused": "paused",
    "pause": "paused",
    "пауза": "paused",
    "на паузе": "paused",
    "lost": "lost",
    "потерян": "lost",
    "отказ": "lost",
    "слив": "lost",
}


class ClientEditError(ValueError):
    """An edit that cannot be applied; `code` picks the message shown to the user."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.value = value


@dataclass(frozen=True)
class ClientQuery:
    """What `/client` was asked: a name, and optionally a field to change and its value."""

    name: str
    field: str | None = None
    value: str = ""


def parse_client_query(text: str) -> ClientQuery:
    """Split `Иван Петров tz Asia/Almaty` into the name and the edit."""
    words = text.split()
    for i, word in enumerate(words[1:], start=1):
        field = EDIT_WORDS.get(word.lower().rstrip(":"))
        if field is not None:
            return ClientQuery(" ".join(words[:i]), field, " ".join(words[i + 1 :]).strip())
    return ClientQuery(text.strip())


async def client_index(repos: Repos, workspace_id: int) -> FuzzyIndex[int]:
    """Every client's name and aliases, ready to match typed names against."""
    return FuzzyIndex(
        (cid, [name, *[a for a in aliases.split("\n") if a]])
        for cid, name, aliases in await repos.clients.names(workspace_id)
    )


async def find_clients(
    repos: Repos, workspace_id: int, query: str, index: FuzzyIndex[int] | None = None
) -> tuple[list[Client], bool]:
    """Clients matching a typed name (ё=е, case, small typos); (matches, unique).

    Pass `index` when trying several queries against the same workspace.
    """
    index = index or await client_index(repos, workspace_id)
    keys, unique = index.best(query)
    found = await repos.clients.many(keys)
    return found, unique and len(found) == 1


MAX_NAME_WORDS = 8


async def leading_client(
    repos: Repos, workspace_id: int, text: str
) -> tuple[list[Client], bool, str]:
    """The client named at the start of a command line: (matches, unique, the rest).

    The cut scoring best wins and, among equal scores, the longer one: "Владимир пт 10:00"
    names Владимир (a perfect match of one word beats a weaker match of two), while
    "Иван Петров завтра" keeps both words of the name.
    """
    words = text.split()
    index = await client_index(repos, workspace_id)
    best_cut, best_score = 0, 0.0
    # Ranking every prefix of a long text is quadratic; no client name is that long.
    for cut in range(min(len(words), MAX_NAME_WORDS), 0, -1):
        ranked = index.rank(" ".join(words[:cut]), limit=1)
        if ranked and ranked[0][1] > best_score:
            best_cut, best_score = cut, ranked[0][1]
    if best_cut == 0:
        return [], False, text
    found, unique = await find_clients(repos, workspace_id, " ".join(words[:best_cut]), index)
    return found, unique, " ".join(words[best_cut:])


async def search_clients(repos: Repos, workspace_id: int, query: str, limit: int) -> list[Client]:
    """Clients ranked by how well they match; every client (newest first) for no query."""
    if not query.strip():
        return (await repos.clients.in_workspace(workspace_id))[:limit]
    index = await client_index(repos, workspace_id)
    return await repos.clients.many([k for k, _ in index.rank(query, limit=limit)])


async def accessible(repos: Repos, user: User | None, client_id: int) -> Client | None:
    """The client if the user is a member of its workspace (checked on every button press)."""
    if user is None:
        return None
    client = await repos.clients.get(client_id)
    if client is None:
        return None
    if await repos.workspaces.membership(client.workspace_id, user.id) is None:
        return None
    return client


async def apply_edit(repos: Repos, client: Client, field: str, value: str, now: datetime) -> Client:
    """Validate and store one change to a client."""
    value = value.strip()
    if not value:
        raise ClientEditError("empty", field)
    if field == "timezone":
        guess = parse_timezone(value)
        if guess.zone is None:
            raise ClientEditError("timezone", value)
        return await repos.clients.update(client.id, now, timezone=guess.zone)
    if field == "status":
        status = STATUS_WORDS.get(value.lower())
        if status is None or status not in STATUSES:
            raise ClientEditError("status", value)
        return await repos.clients.update(client.id, now, status=status)
    if field == "contact":
        parsed = parse_lead_text(", " + value)
        if not parsed.contacts:
            raise ClientEditError("contact", value)
        for contact in parsed.contacts:
            await repos.clients.add_contact(
                client.id, Contact(kind=contact.kind, value=contact.value)
            )
        return client
    if field == "name":
        return await repos.clients.update(client.id, now, name=value[:200])
    if field == "note":
        return await repos.clients.update(client.id, now, note=value[:4000])
    if field == "source":
        return await repos.clients.update(client.id, now, source=value[:200])
    if field == "next_step":
        return await repos.clients.update(
            client.id, now, next_step=value[:1000], next_step_who="us"
        )
    raise ClientEditError("field", field)


@dataclass(frozen=True)
class ClientFile:
    """Everything the client card shows, loaded in one place so the view reads no database."""

    client: Client
    contacts: list[Contact]
    owner: User | None
    followups: list[FollowUp]
    touches: list[Touch]
    people: dict[int, User]


async def client_file(repos: Repos, client: Client) -> ClientFile:
    """The client with their contacts, owner, open follow-ups and history (newest first)."""
    touches = await repos.clients.touches(client.id)
    return ClientFile(
        client=client,
        contacts=await repos.clients.contacts(client.id),
        owner=await repos.users.get(client.owner_id) if client.owner_id else None,
        followups=await repos.followups.open_for_client(client.id),
        touches=touches,
        people=await repos.users.many([t.user_id for t in touches if t.user_id]),
    )
