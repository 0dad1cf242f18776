"""Clients (leads included), their contacts and touches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ClientRow, ContactRow, TouchRow
from bot.storage.records import Client, Contact, Touch, plain
from bot.storage.repositories.identity import keep

EDITABLE = {
    "name",
    "aliases",
    "company",
    "timezone",
    "status",
    "source",
    "note",
    "owner_id",
    "next_step",
    "next_step_who",
    "next_step_at",
}
STATUSES = ("lead", "active", "paused", "lost")


class ClientRepo:
    """Reads and writes `clients`, `contacts` and `touches`."""

    # Bumped by every write that changes what a client is found by (name, aliases, company,
    # contacts, a new client): a search index built before it is rebuilt. Process-wide, so two
    # edits within one clock tick are not mistaken for none.
    search_writes = 0

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Contacts read ahead for a batch (see prefetch_contacts), for this unit of work only.
        self._contacts: dict[int, list[Contact]] = {}

    async def create(
        self,
        workspace_id: int,
        name: str,
        *,
        owner_id: int,
        now: datetime,
        status: str = "lead",
        source: str | None = None,
        note: str = "",
        contacts: tuple[Contact, ...] = (),
        received_at: datetime | None = None,
    ) -> Client:
        """A new client (a lead when status is `lead`) with its contacts."""
        row = ClientRow(
            workspace_id=workspace_id,
            name=name[:200],
            aliases="",
            status=status,
            source=source[:200] if source else None,
            note=note,
            owner_id=owner_id,
            received_at=received_at,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        ClientRepo.search_writes += 1
        for contact in contacts:
            self.session.add(ContactRow(client_id=row.id, kind=contact.kind, value=contact.value))
        await self.session.flush()
        return plain(Client, row)

    async def get(self, client_id: int) -> Client | None:
        """The client, or None."""
        row = keep(self.session, await self.session.get(ClientRow, client_id))
        return None if row is None else plain(Client, row)

    async def many(self, client_ids: list[int]) -> list[Client]:
        """Clients by id in one query, in the order given."""
        if not client_ids:
            return []
        rows = {
            r.id: r
            for r in await self.session.scalars(
                select(ClientRow).where(ClientRow.id.in_(client_ids))
            )
        }
        return [plain(Client, rows[i]) for i in client_ids if i in rows]

    async def named(self, workspace_id: int, name: str) -> Client | None:
        """The workspace's newest client with exactly this name, if any."""
        row = await self.session.scalar(
            select(ClientRow)
            .where(ClientRow.workspace_id == workspace_id, ClientRow.name == name)
            .order_by(ClientRow.id.desc())
            .limit(1)
        )
        return plain(Client, row) if row is not None else None

    async def in_workspace(self, workspace_id: int) -> list[Client]:
        """Every client of the workspace, newest first."""
        rows = await self.session.scalars(
            select(ClientRow)
            .where(ClientRow.workspace_id == workspace_id)
            .order_by(ClientRow.created_at.desc(), ClientRow.id.desc())
        )
        return [plain(Client, r) for r in rows]

    async def names(self, workspace_id: int) -> list[tuple[int, str, str]]:
        """(id, name, aliases) of every client, for searching."""
        rows = await self.session.execute(
            select(ClientRow.id, ClientRow.name, ClientRow.aliases)
            .where(ClientRow.workspace_id == workspace_id)
            .order_by(ClientRow.id)
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def search_stamp(self, workspace_ids: list[int]) -> tuple[object, ...]:
        """What changes whenever anything clients are found by changes in these teams (also by
        another process): their count, newest id and last edit, and their contacts' count."""
        clients = (
            select(func.count(ClientRow.id), func.max(ClientRow.id), func.max(ClientRow.updated_at))
            .where(ClientRow.workspace_id.in_(workspace_ids))
            .subquery()
        )
        contacts = (
            select(func.count(ContactRow.id), func.max(ContactRow.id))
            .join(ClientRow, ClientRow.id == ContactRow.client_id)
            .where(ClientRow.workspace_id.in_(workspace_ids))
            .subquery()
        )
        # One statement: it runs before every command that names a client.
        # Each side is one row: the join is the pair, not a product.
        both = select(clients, contacts).join_from(clients, contacts, true())
        return tuple((await self.session.execute(both)).one())

    async def search_terms(
        self, workspace_ids: list[int]
    ) -> list[tuple[int, str, str, str | None, list[tuple[str, str]]]]:
        """(id, name, aliases, company, contacts) of every client of these teams, for search."""
        rows = (
            await self.session.execute(
                select(ClientRow.id, ClientRow.name, ClientRow.aliases, ClientRow.company)
                .where(ClientRow.workspace_id.in_(workspace_ids))
                .order_by(ClientRow.id)
            )
        ).all()
        contacts: dict[int, list[tuple[str, str]]] = {}
        for client_id, kind, value in await self.session.execute(
            select(ContactRow.client_id, ContactRow.kind, ContactRow.value)
            .join(ClientRow, ClientRow.id == ContactRow.client_id)
            .where(ClientRow.workspace_id.in_(workspace_ids))
        ):
            contacts.setdefault(client_id, []).append((kind, value))
        return [(r[0], r[1], r[2], r[3], contacts.get(r[0], [])) for r in rows]

    async def with_contact(self, workspace_id: int, kind: str, values: list[str]) -> list[Client]:
        """Clients of the team with one of these contacts (compared case-insensitively)."""
        if not values:
            return []
        rows = await self.session.scalars(
            select(ClientRow)
            .join(ContactRow, ContactRow.client_id == ClientRow.id)
            .where(
                ClientRow.workspace_id == workspace_id,
                ContactRow.kind == kind,
                func.lower(ContactRow.value).in_([v.lower() for v in values]),
            )
            .distinct()
        )
        return [plain(Client, r) for r in rows]

    async def hand_over(self, workspace_id: int, from_user: int, to_user: int) -> None:
        """One person's clients in this team get another owner (they left the team)."""
        await self.session.execute(
            update(ClientRow)
            .where(ClientRow.workspace_id == workspace_id, ClientRow.owner_id == from_user)
            .values(owner_id=to_user)
        )

    async def count(self, workspace_id: int) -> int:
        """How many clients the workspace has."""
        return int(
            await self.session.scalar(
                select(func.count()).where(ClientRow.workspace_id == workspace_id)
            )
            or 0
        )

    async def update(self, client_id: int, now: datetime, **changes: Any) -> Client:
        """Change fields of a client."""
        if changes.keys() & {"name", "aliases", "company"}:
            ClientRepo.search_writes += 1
        bad = set(changes) - EDITABLE
        if bad:
            raise ValueError(f"not editable: {sorted(bad)}")
        row = await self.session.get(ClientRow, client_id)
        if row is None:
            raise LookupError(client_id)
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = now
        await self.session.flush()
        return plain(Client, row)

    async def reopen_request(
        self, client_id: int, received_at: datetime, status: str, now: datetime
    ) -> None:
        """A known client asks again: the answer clock starts over from `received_at`."""
        await self.session.execute(
            update(ClientRow)
            .where(ClientRow.id == client_id)
            .values(
                received_at=received_at,
                first_response_at=None,
                first_response_by=None,
                status=status,
                updated_at=now,
            )
        )

    async def record_first_response(self, client_id: int, by: int, at: datetime) -> bool:
        """Stop the lead clock unless it is already stopped; True if this call stopped it."""
        result = await self.session.execute(
            update(ClientRow)
            .where(ClientRow.id == client_id, ClientRow.first_response_at.is_(None))
            .values(first_response_at=at, first_response_by=by, updated_at=at)
        )
        return bool(result.rowcount)

    async def prefetch_contacts(self, client_ids: list[int]) -> None:
        """Read these clients' contacts in one query, for contacts() to answer from."""
        if not client_ids:
            return
        found: dict[int, list[Contact]] = {client_id: [] for client_id in client_ids}
        rows = await self.session.scalars(
            select(ContactRow).where(ContactRow.client_id.in_(client_ids)).order_by(ContactRow.id)
        )
        for r in rows:
            found[r.client_id].append(Contact(kind=r.kind, value=r.value))
        self._contacts.update(found)

    async def contacts(self, client_id: int) -> list[Contact]:
        """The client's contacts in the order they were given."""
        if client_id in self._contacts:
            return list(self._contacts[client_id])
        rows = await self.session.scalars(
            select(ContactRow).where(ContactRow.client_id == client_id).order_by(ContactRow.id)
        )
        return [Contact(kind=r.kind, value=r.value) for r in rows]

    async def add_contact(self, client_id: int, contact: Contact) -> None:
        """Add a way to reach the client (duplicates are ignored)."""
        self._contacts.pop(client_id, None)
        existing = await self.contacts(client_id)
        if contact not in existing:
            self.session.add(
                ContactRow(client_id=client_id, kind=contact.kind, value=contact.value)
            )
            await self.session.flush()
            ClientRepo.search_writes += 1

    async def add_touch(
        self,
        client_id: int,
        *,
        user_id: int | None,
        kind: str,
        direction: str,
        at: datetime,
        now: datetime,
        summary: str = "",
        duration_s: int | None = None,
    ) -> Touch:
        """Log an interaction and keep the client's last-touch time."""
        row = TouchRow(
            client_id=client_id,
            user_id=user_id,
            kind=kind,
            direction=direction,
            at=at,
            duration_s=duration_s,
            summary=summary,
            created_at=now,
        )
        self.session.add(row)
        if direction in ("in", "out"):  # a note is not a contact with the client
            await self.session.execute(
                update(ClientRow)
                .where(
                    ClientRow.id == client_id,
                    (ClientRow.last_touch_at.is_(None)) | (ClientRow.last_touch_at < at),
                )
                .values(last_touch_at=at)
            )
        await self.session.flush()
        return plain(Touch, row)

    async def touches(
        self, client_id: int, limit: int = 10, *, offset: int = 0, kind: str | None = None
    ) -> list[Touch]:
        """The latest touches (of one kind, if given), newest first."""
        query = select(TouchRow).where(TouchRow.client_id == client_id)
        if kind is not None:
            query = query.where(TouchRow.kind == kind)
        rows = await self.session.scalars(
            query.order_by(TouchRow.at.desc(), TouchRow.id.desc()).offset(offset).limit(limit)
        )
        return [plain(Touch, r) for r in rows]

    async def count_touches(self, client_id: int, kind: str | None = None) -> int:
        """How many touches (of one kind, if given) the client's history holds."""
        query = select(func.count()).select_from(TouchRow).where(TouchRow.client_id == client_id)
        if kind is not None:
            query = query.where(TouchRow.kind == kind)
        return int(await self.session.scalar(query) or 0)

    async def last_touch(self, client_id: int, direction: str) -> datetime | None:
        """When the latest touch in this direction happened ("in" = from the client)."""
        return await self.session.scalar(
            select(func.max(TouchRow.at)).where(
                TouchRow.client_id == client_id, TouchRow.direction == direction
            )
        )

    async def waiting_leads(self, workspace_id: int) -> list[Client]:
        """Requests (new leads, known clients writing again) with no answer yet, oldest first."""
        rows = await self.session.scalars(
            select(ClientRow)
            .where(
                ClientRow.workspace_id == workspace_id,
                ClientRow.received_at.is_not(None),
                ClientRow.first_response_at.is_(None),
                ClientRow.status.not_in(("lost", "paused")),
            )
            .order_by(ClientRow.received_at)
        )
        return [plain(Client, r) for r in rows]

    async def silent(
        self, workspace_id: int, owner_id: int, before: datetime, limit: int = 20
    ) -> tuple[list[tuple[int, str, datetime]], int]:
        """Active clients of this owner with no touch since `before`: (id, name, last), total."""
        last = func.coalesce(ClientRow.last_touch_at, ClientRow.created_at)
        where = (
            ClientRow.workspace_id == workspace_id,
            ClientRow.status == "active",
            (ClientRow.owner_id == owner_id) | ClientRow.owner_id.is_(None),
            last < before,
        )
        total = (
            await self.session.scalar(select(func.count()).select_from(ClientRow).where(*where))
            or 0
        )
        rows = await self.session.execute(
            select(ClientRow.id, ClientRow.name, last).where(*where).order_by(last).limit(limit)
        )
        return [(r[0], r[1], r[2]) for r in rows], total
