"""Clients as the manager handles them: finding one by a typed name, editing, access checks."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.parsing.fuzzy import FuzzyIndex
from bot.parsing.leadtext import parse_lead_text
from bot.parsing.timezones import parse_timezone
from bot.parsing.translit import latin_spellings
from bot.services.leads import arm_lead_clock, stop_lead_clock, workspace_sla
from bot.storage.records import (
    Client,
    Contact,
    FollowUp,
    Invoice,
    Payment,
    Task,
    Touch,
    User,
)
from bot.storage.repositories import Repos
from bot.storage.repositories.clients import STATUSES, ClientRepo

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
    "company": "company",
    "компания": "company",
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


def parse_edit(rest: str) -> ClientQuery | None:
    """The change typed after a client's name: `tz Asia/Almaty`, `note …`; None if the first
    word names no field."""
    words = rest.split()
    field = EDIT_WORDS.get(words[0].lower().rstrip(":")) if words else None
    if field is None:
        return None
    return ClientQuery("", field, " ".join(words[1:]).strip())


# Search indexes by team set, with the stamp they were built at: a command reads one stamp
# instead of every client name, and the index is rebuilt only after a change.
_INDEXES: OrderedDict[tuple[int, ...], tuple[tuple[object, ...], FuzzyIndex[int]]] = OrderedDict()
MAX_INDEXES = 256


async def client_index(repos: Repos, workspace_ids: int | list[int]) -> FuzzyIndex[int]:
    """Every client of these teams under all the names a manager may type: name, aliases,
    company, its Latin spelling, e-mail and @username (phones are matched by digits apart).
    Kept in memory per team set until something it is built from changes."""
    ids = [workspace_ids] if isinstance(workspace_ids, int) else workspace_ids
    key = tuple(sorted(set(ids)))
    stamp = (*await repos.clients.search_stamp(list(key)), ClientRepo.search_writes)
    kept = _INDEXES.get(key)
    if kept is not None and kept[0] == stamp:
        _INDEXES.move_to_end(key)
        return kept[1]
    index = await _build_index(repos, list(key))
    _INDEXES[key] = (stamp, index)
    if len(_INDEXES) > MAX_INDEXES:
        _INDEXES.popitem(last=False)
    return index


async def _build_index(repos: Repos, ids: list[int]) -> FuzzyIndex[int]:
    """The index, built from the database."""
    entries = []
    for cid, name, aliases, company, contacts in await repos.clients.search_terms(ids):
        names = [name, *[a for a in aliases.split("\n") if a], *latin_spellings(name)]
        if company:
            names.append(company)
        for kind, value in contacts:
            if kind == "email":
                names += [value, value.split("@", 1)[0]]
            elif kind == "username":
                names.append(value.lstrip("@"))
        entries.append((cid, names))
    return FuzzyIndex(entries)


def _digits(text: str) -> str:
    """The digits of a typed phone number."""
    return "".join(ch for ch in text if ch in "0123456789")


async def _by_phone(repos: Repos, workspace_ids: list[int], query: str) -> list[Client]:
    """Clients whose phone holds the typed digits (at least 5): a manager types whatever part
    they remember — +7 999 123-45-67, 8 999 1234567, 999 123, 45-67-89."""
    digits = _digits(query)
    if len(digits) < 5 or len(digits) < len(query.replace(" ", "")) * 0.6:
        return []
    # The national number: 8 999… and +7 999… are the same phone.
    part = digits[1:] if len(digits) == 11 and digits[0] in "78" else digits
    terms = await repos.clients.search_terms(workspace_ids)
    ids = [
        cid
        for cid, _name, _aliases, _company, contacts in terms
        if any(kind == "phone" and part in _digits(value) for kind, value in contacts)
    ]
    return await repos.clients.many(ids)


async def find_clients(
    repos: Repos, workspace_id: int | list[int], query: str, index: FuzzyIndex[int] | None = None
) -> tuple[list[Client], bool]:
    """Clients matching a typed name (ё=е, case, small typos); (matches, unique).

    Pass `index` when trying several queries against the same workspace.
    """
    index = index or await client_index(repos, workspace_id)
    keys, unique = index.best(query)
    found = await repos.clients.many(keys)
    return found, unique and len(found) == 1


MAX_NAME_WORDS = 8
MAX_CANDIDATES = 50


@dataclass(frozen=True)
class Named:
    """Who a command's text names: the matching clients (best first), whether exactly one,
    the words taken as the name and the rest of the text."""

    clients: list[Client]
    unique: bool
    name: str
    rest: str


async def name_in_text(repos: Repos, workspace_ids: list[int], text: str) -> Named:
    """The client named at the start of a command line, in any of these teams.

    The cut scoring best wins and, among equal scores, the longer one: "Владимир пт 10:00"
    names Владимир (a perfect match of one word beats a weaker match of two), while
    "Иван Петров завтра" keeps both words of the name. A phone number names its owner.
    """
    words = text.split()
    if words and (phone := await _by_phone(repos, workspace_ids, words[0])):
        return Named(phone, len(phone) == 1, words[0], " ".join(words[1:]))
    index = await client_index(repos, workspace_ids)
    best_cut, best_score = 0, 0.0
    longest = min(len(words), MAX_NAME_WORDS)
    # Only an exact name scores 100, and the longer cut wins a tie: the longest exact cut is
    # the answer, found by dictionary look-ups without scoring any cut (the usual case).
    exact = next((c for c in range(longest, 0, -1) if index.exact(" ".join(words[:c]))), 0)
    # Ranking every prefix of a long text is quadratic; no client name is that long.
    for cut in range(longest, 0, -1) if not exact else ():
        ranked = index.rank(" ".join(words[:cut]), limit=1)
        if ranked and ranked[0][1] > best_score:
            best_cut, best_score = cut, ranked[0][1]
    best_cut = exact or best_cut
    if best_cut == 0:
        return Named([], False, "", text)
    name = " ".join(words[:best_cut])
    keys, unique = index.best(name)
    found = await repos.clients.many(keys[:MAX_CANDIDATES])
    return Named(found, unique and len(found) == 1, name, " ".join(words[best_cut:]))


async def leading_client(
    repos: Repos, workspace_ids: int | list[int], text: str
) -> tuple[list[Client], bool, str]:
    """The client named at the start of a command line: (matches, unique, the rest)."""
    ids = [workspace_ids] if isinstance(workspace_ids, int) else workspace_ids
    named = await name_in_text(repos, ids, text)
    return named.clients, named.unique, named.rest


def new_client_name(text: str) -> str:
    """The name a new client would get from a command's text: its leading capitalised words
    (“Ольга Смирнова обсудили бюджет” → Ольга Смирнова), else its first word."""
    words = text.split()
    taken: list[str] = []
    for word in words[:MAX_NAME_WORDS]:
        if not (word[:1].isupper() or word[:1] in "«\"'"):
            break
        taken.append(word)
    return " ".join(taken or words[:1])[:200]


def is_real_query(query: str) -> bool:
    """A search needs a letter or a digit: `/clients %` is not a query."""
    return any(ch.isalnum() for ch in query)


async def search_clients(
    repos: Repos, workspace_ids: int | list[int], query: str, limit: int
) -> list[Client]:
    """Clients ranked by how well they match; every client (newest first) for no query."""
    ids = [workspace_ids] if isinstance(workspace_ids, int) else workspace_ids
    if not query.strip():
        every: list[Client] = []
        for workspace_id in ids:
            every += await repos.clients.in_workspace(workspace_id)
        every.sort(key=lambda c: c.created_at, reverse=True)
        return every[:limit]
    phone = await _by_phone(repos, ids, query)
    if phone:
        return phone[:limit]
    index = await client_index(repos, ids)
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


NOTE_KIND = "note"
MAX_NOTE = 4000
CARD_TOUCHES = 15
CARD_FOLLOWUPS = 5


async def add_note(
    repos: Repos, client: Client, text: str, user_id: int | None, now: datetime
) -> Touch:
    """A dated note on the client's history; notes add up, none replaces another."""
    return await repos.clients.add_touch(
        client.id,
        user_id=user_id,
        kind=NOTE_KIND,
        direction="none",
        at=now,
        now=now,
        summary=text.strip()[:MAX_NOTE],
    )


async def set_status(
    repos: Repos,
    client: Client,
    status: str,
    user_id: int | None,
    now: datetime,
    default_sla: timedelta,
) -> Client:
    """Change the status. A request nobody answered yet is answered by `active` at this
    moment; `lost` or `paused` stop its clock; coming back from `lost`/`paused` to `lead`
    starts the clock again from now (the pause does not count)."""
    if status not in STATUSES:
        raise ClientEditError("status", status)
    if status == client.status:
        return client
    unanswered = client.received_at is not None and client.first_response_at is None
    updated = await repos.clients.update(client.id, now, status=status)
    if not unanswered:
        return updated
    resting = client.status in ("lost", "paused")
    if status in ("lost", "paused"):
        await stop_lead_clock(repos, client.id)
    elif resting:
        # The request restarts now; a lead gets its clock again, an active client is answered.
        await repos.clients.reopen_request(client.id, now, status, now)
        if status == "lead":
            workspace = await repos.workspaces.get(client.workspace_id)
            assert workspace is not None
            sla = workspace_sla(workspace, default_sla)
            owner = client.owner_id or workspace.owner_id
            await arm_lead_clock(repos, workspace, client.id, owner, now, now, sla)
    if status == "active" and user_id is not None:
        await repos.clients.record_first_response(client.id, user_id, now)
        await stop_lead_clock(repos, client.id)
    return await repos.clients.get(client.id) or updated


async def apply_edit(
    repos: Repos,
    client: Client,
    field: str,
    value: str,
    now: datetime,
    user_id: int | None = None,
    *,
    default_sla: timedelta,
    region: str = "RU",
) -> Client:
    """Validate and store one change to a client (`default_sla`: the process's lead response
    time, for a lead whose clock a status change restarts)."""
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
        return await set_status(repos, client, status, user_id, now, default_sla)
    if field == "contact":
        parsed = parse_lead_text(", " + value, region=region)
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
        await add_note(repos, client, value, user_id, now)
        return client
    if field == "company":
        return await repos.clients.update(client.id, now, company=value[:200])
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
    touch_total: int = 0
    latest_note: Touch | None = None
    note_total: int = 0
    tasks: list[Task] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


async def client_file(repos: Repos, client: Client) -> ClientFile:
    """The client with their contacts, owner, open follow-ups, latest note and recent history
    (newest first), with how much more there is to read."""
    touches = await repos.clients.touches(client.id, CARD_TOUCHES)
    notes = await repos.clients.touches(client.id, 1, kind=NOTE_KIND)
    return ClientFile(
        client=client,
        contacts=await repos.clients.contacts(client.id),
        owner=await repos.users.get(client.owner_id) if client.owner_id else None,
        followups=await repos.followups.open_for_client(client.id),
        touches=[t for t in touches if t.kind != NOTE_KIND],
        people=await repos.users.many([t.user_id for t in touches if t.user_id]),
        touch_total=await repos.clients.count_touches(client.id),
        latest_note=notes[0] if notes else None,
        note_total=await repos.clients.count_touches(client.id, NOTE_KIND),
        tasks=await repos.tasks.for_client(client.id, CARD_TOUCHES),
        invoices=await repos.invoices.for_client(client.id, CARD_TOUCHES),
        payments=await repos.invoices.payments_for_client(client.id, CARD_TOUCHES),
    )


async def client_log(
    repos: Repos, client: Client, kind: str | None, offset: int, limit: int
) -> tuple[list[Touch], dict[int, User], int]:
    """A page of the client's history (or of its notes): touches, their authors, the total."""
    touches = await repos.clients.touches(client.id, limit, offset=offset, kind=kind)
    people = await repos.users.many([t.user_id for t in touches if t.user_id])
    return touches, people, await repos.clients.count_touches(client.id, kind)
