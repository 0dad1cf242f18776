"""Leads and the 15-minute rule: creating a lead arms its clock; any answer stops it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
    await repos.reminders.add(
        workspace.id,
        SLA_KIND,
        received + sla,
        now=now,
        client_id=client.id,
        user_id=owner_id,
        urgent=True,
    )
    await repos.reminders.add(
        workspace.id,
        ESCALATION_KIND,
        received + 2 * sla,
        now=now,
        client_id=client.id,
        user_id=workspace.owner_id,
        urgent=True,
    )
    return client


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
        await repos.reminders.cancel_for_client(client.id, LEAD_KINDS)
        await repos.outbox.cancel_for_client_reminders(client.id, LEAD_KINDS)
    fresh = await repos.clients.get(client.id)
    assert fresh is not None
    return Response(fresh, first, response_time(fresh))


def response_time(client: Client) -> timedelta | None:
    """Received → first response, once both are known."""
    if client.received_at is None or client.first_response_at is None:
        return None
    return client.first_response_at - client.received_at


async def still_waiting(repos: Repos, client_id: int) -> Client | None:
    """The lead if it still has no answer (re-checked just before a ping goes out)."""
    client = await repos.clients.get(client_id)
    if client is None or client.first_response_at is not None or client.status != "lead":
        return None
    return client


async def pass_to(repos: Repos, client: Client, colleague_id: int, now: datetime) -> Client:
    """Make a colleague the lead's owner; its pending ping goes to them."""
    updated = await repos.clients.update(client.id, now, owner_id=colleague_id)
    await repos.reminders.reassign(client.id, SLA_KIND, colleague_id)
    return updated


def contacts_of(parsed: LeadText) -> tuple[Contact, ...]:
    """The parsed contacts as storage records."""
    return tuple(Contact(kind=c.kind, value=c.value) for c in parsed.contacts)
