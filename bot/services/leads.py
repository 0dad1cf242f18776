"""Leads and the 15-minute rule: creating a lead arms its clock; any answer stops it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.parsing.leadtext import Contact as ParsedContact
from bot.parsing.leadtext import LeadText
from bot.storage.records import Client, Contact, Workspace
from bot.storage.repositories import Repos

SLA_KIND = "lead_sla"
ESCALATION_KIND = "lead_escalation"
LEAD_KINDS = (SLA_KIND, ESCALATION_KIND)
CALLBACK_KIND = "lead_callback"
MAX_NOTE = 4000


class LeadInputError(ValueError):
    """The text does not make a lead; `code` says why, for the user-facing message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Response:
    """The outcome of answering a lead: whether this answer stopped the clock, and when."""

    client: Client
    first: bool
    waited: timedelta | None


def workspace_sla(workspace: Workspace, default: timedelta) -> timedelta:
    """The workspace's own response time if set, else the process default."""
    if workspace.lead_sla_seconds:
        return timedelta(seconds=workspace.lead_sla_seconds)
    return default


def lead_name(parsed: LeadText) -> str:
    """The name to file the lead under: the name, else the first contact."""
    if parsed.name:
        return parsed.name
    if parsed.contacts:
        return parsed.contacts[0].value
    raise LeadInputError("no_name")


async def create_lead(
    repos: Repos,
    workspace: Workspace,
    owner_id: int,
    parsed: LeadText,
    *,
    now: datetime,
    sla: timedelta,
    source: str | None = None,
    received_at: datetime | None = None,
) -> Client:
    """Record a lead received at `received_at` (default now) and arm its ping and escalation."""
    name = lead_name(parsed)
    received = received_at or now
    client = await repos.clients.create(
        workspace.id,
        name,
        owner_id=owner_id,
        now=now,
        status="lead",
        source=source,
        note=parsed.note[:MAX_NOTE],
        contacts=contacts_of(parsed),
        received_at=received,
    )
    await arm_lead_clock(repos, workspace, client.id, owner_id, received, now, sla)
    return client


async def arm_lead_clock(
    repos: Repos,
    workspace: Workspace,
    client_id: int,
    owner_id: int,
    received: datetime,
    now: datetime,
    sla: timedelta,
) -> None:
    """The ping to the lead's owner at the SLA and the escalation to the team's owner at
    twice it."""
    # A lead that already waited past its SLA when recorded (a forward of an old message, a
    # command handled after downtime) is pinged at once, saying how long it has waited; the
    # escalation then gives the manager one more SLA before the owner hears of it.
    ping_at = max(received + sla, now)
    await repos.reminders.add(
        workspace.id, SLA_KIND, ping_at, now=now, client_id=client_id, user_id=owner_id, urgent=True
    )
    await repos.reminders.add(
        workspace.id,
        ESCALATION_KIND,
        max(received + 2 * sla, ping_at + sla),
        now=now,
        client_id=client_id,
        user_id=workspace.owner_id,
        urgent=True,
    )


async def respond(
    repos: Repos,
    client: Client,
    user_id: int,
    now: datetime,
    *,
    kind: str = "reply",
    summary: str = "",
    duration_s: int | None = None,
) -> Response:
    """Log an outgoing touch; the first one after the lead came in stops its clock."""
    await repos.clients.add_touch(
        client.id,
        user_id=user_id,
        kind=kind,
        direction="out",
        at=now,
        now=now,
        summary=summary,
        duration_s=duration_s,
    )
    first = await repos.clients.record_first_response(client.id, user_id, now)
    if first:
        await stop_lead_clock(repos, client.id)
    fresh = await repos.clients.get(client.id)
    assert fresh is not None
    return Response(fresh, first, response_time(fresh))


async def stop_lead_clock(repos: Repos, client_id: int) -> None:
    """No ping or escalation for this lead any more, pending or held back in the outbox."""
    await repos.reminders.cancel_for_client(client_id, LEAD_KINDS)
    await repos.outbox.cancel_for_client_reminders(client_id, LEAD_KINDS)


def response_time(client: Client) -> timedelta | None:
    """Received → first response, once both are known."""
    if client.received_at is None or client.first_response_at is None:
        return None
    return client.first_response_at - client.received_at


async def still_waiting(repos: Repos, client_id: int) -> Client | None:
    """The lead if it still has no answer (re-checked just before a ping goes out)."""
    client = await repos.clients.get(client_id)
    if client is None or not client.awaiting_answer:
        return None
    return client


async def pass_to(repos: Repos, client: Client, colleague_id: int, now: datetime) -> Client:
    """Make a colleague the lead's owner; its pending ping goes to them."""
    updated = await repos.clients.update(client.id, now, owner_id=colleague_id)
    await repos.reminders.reassign(client.id, SLA_KIND, colleague_id)
    return updated


async def known_client(repos: Repos, workspace_id: int, parsed: LeadText) -> Client | None:
    """The team's client who already has one of these phones, e-mails or @usernames."""
    for kind in ("phone", "email", "username"):
        values = [c.value for c in parsed.contacts if c.kind == kind]
        found = await repos.clients.with_contact(workspace_id, kind, values)
        if found:
            return found[0]
    return None


async def new_request(
    repos: Repos,
    workspace: Workspace,
    client: Client,
    parsed: LeadText,
    *,
    now: datetime,
    sla: timedelta,
    received_at: datetime | None = None,
    source: str | None = None,
) -> Client:
    """A known client asks again (a /lead, forward or website form with their contact): the
    request is logged on their history, new contacts are kept, and the answer clock starts
    again as for a new lead."""
    received = received_at or now
    summary = " · ".join(filter(None, [source or "", parsed.note]))
    await repos.clients.add_touch(
        client.id,
        user_id=None,
        kind="message",
        direction="in",
        at=received,
        now=now,
        summary=summary[:MAX_NOTE],
    )
    have = {(c.kind, c.value.lower()) for c in await repos.clients.contacts(client.id)}
    for contact in contacts_of(parsed):
        if (contact.kind, contact.value.lower()) not in have:
            await repos.clients.add_contact(client.id, contact)
    status = "lead" if client.status in ("lost", "paused") else client.status
    await repos.clients.reopen_request(client.id, received, status, now)
    await stop_lead_clock(repos, client.id)  # one clock per client, the new one
    owner_id = client.owner_id or workspace.owner_id
    await arm_lead_clock(repos, workspace, client.id, owner_id, received, now, sla)
    fresh = await repos.clients.get(client.id)
    assert fresh is not None
    return fresh


def lead_payload(parsed: LeadText) -> dict[str, object]:
    """A parsed lead as JSON, kept while the manager answers a question about it."""
    return {
        "name": parsed.name,
        "contacts": [[c.kind, c.value] for c in parsed.contacts],
        "note": parsed.note,
    }


def lead_from_payload(data: dict[str, object]) -> LeadText:
    """The parsed lead back from `lead_payload`."""
    contacts = data.get("contacts") or []
    assert isinstance(contacts, list)
    return LeadText(
        str(data.get("name") or ""),
        tuple(ParsedContact(str(k), str(v)) for k, v in contacts),
        str(data.get("note") or ""),
    )


def contacts_of(parsed: LeadText) -> tuple[Contact, ...]:
    """The parsed contacts as storage records."""
    return tuple(Contact(kind=c.kind, value=c.value) for c in parsed.contacts)
