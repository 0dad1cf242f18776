"""Plain, immutable records that repositories hand out instead of ORM rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")


def plain(cls: type[T], row: Any) -> T:
    """Copy the record's fields off an ORM row."""
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class User:
    """A person who talks to the bot, with their preferences."""

    id: int
    first_name: str
    username: str | None
    tg_language: str | None
    language: str | None
    timezone: str | None
    work_start_min: int
    work_end_min: int
    work_days: str
    quiet_start_min: int | None
    quiet_end_min: int | None
    weekend_reminders: bool
    urgent_in_quiet: bool
    holiday_country: str | None
    current_workspace_id: int | None
    awaiting: str | None
    blocked_at: datetime | None

    @property
    def display_name(self) -> str:
        """How to name this person to their colleagues."""
        if self.username:
            return (
                f"{self.first_name} (@{self.username})" if self.first_name else f"@{self.username}"
            )
        return self.first_name or str(self.id)


@dataclass(frozen=True)
class Workspace:
    """An agency team."""

    id: int
    name: str
    owner_id: int
    invite_code: str
    intake_secret: str
    lead_sla_seconds: int | None
    silent_days: int
    team_chat_id: int | None
    currency: str
    reply_sla_minutes: int


@dataclass(frozen=True)
class Membership:
    """A user's role in one workspace."""

    workspace_id: int
    user_id: int
    role: str


@dataclass(frozen=True)
class Contact:
    """One way to reach a client."""

    kind: str
    value: str


@dataclass(frozen=True)
class Client:
    """A client account or lead."""

    id: int
    workspace_id: int
    name: str
    aliases: str
    company: str | None
    timezone: str | None
    status: str
    source: str | None
    note: str
    owner_id: int | None
    next_step: str | None
    next_step_who: str | None
    next_step_at: datetime | None
    received_at: datetime | None
    first_response_at: datetime | None
    first_response_by: int | None
    last_touch_at: datetime | None
    created_at: datetime

    @property
    def awaiting_answer(self) -> bool:
        """A request from the client (a new lead, or a known client writing again) that
        nobody has answered yet, unless the client is lost or paused."""
        return (
            self.received_at is not None
            and self.first_response_at is None
            and self.status not in ("lost", "paused")
        )


@dataclass(frozen=True)
class Touch:
    """A logged interaction with a client."""

    id: int
    client_id: int
    user_id: int | None
    kind: str
    direction: str
    at: datetime
    duration_s: int | None
    summary: str


@dataclass(frozen=True)
class Reminder:
    """Something that falls due."""

    id: int
    workspace_id: int
    kind: str
    client_id: int | None
    user_id: int | None
    ref_id: int | None
    due_at: datetime
    state: str
    urgent: bool
    payload: str

    def payload_dict(self) -> dict[str, Any]:
        """The stored extra data."""
        return json.loads(self.payload)


@dataclass(frozen=True)
class Notification:
    """A message waiting in the outbox."""

    id: int
    chat_id: int
    method: str
    payload: str
    kind: str
    reminder_id: int | None
    state: str
    due_at: datetime
    not_before: datetime
    attempts: int
    created_at: datetime

    def payload_dict(self) -> dict[str, Any]:
        """The stored Bot API parameters."""
        return json.loads(self.payload)


@dataclass(frozen=True)
class FollowUp:
    """A dated follow-up about a client (one chase step or one recurring occurrence)."""

    id: int
    workspace_id: int
    client_id: int
    user_id: int
    what: str
    mode: str
    series_id: int | None
    rule: str | None
    zone: str | None
    step: int
    started_at: datetime | None
    due_at: datetime
    state: str
    reminder_id: int | None
    fired_at: datetime | None

    @property
    def series(self) -> int:
        """The id shared by every row of this chase or recurring series."""
        return self.series_id or self.id


@dataclass(frozen=True)
class Task:
    """A promise: what, for which client, who does it, by when."""

    id: int
    workspace_id: int
    client_id: int | None
    author_id: int
    assignee_id: int
    what: str
    urgent: bool
    due_at: datetime | None
    started_at: datetime
    state: str
    progress: int | None
    done_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Invoice:
    """An invoice and how much of it is paid."""

    id: int
    workspace_id: int
    client_id: int
    user_id: int
    number: str | None
    amount: Decimal
    paid: Decimal
    currency: str
    note: str
    sent_at: datetime | None
    due_at: datetime | None
    state: str
    closed_at: datetime | None
    created_at: datetime

    @property
    def left(self) -> Decimal:
        """What is still owed (never below zero)."""
        return max(self.amount - self.paid, Decimal(0))


@dataclass(frozen=True)
class Payment:
    """Money received against an invoice."""

    id: int
    invoice_id: int
    user_id: int
    amount: Decimal
    paid_at: datetime


@dataclass(frozen=True)
class LinkedChat:
    """A group linked to a team, as its team chat or a client's chat."""

    chat_id: int
    workspace_id: int
    kind: str
    client_id: int | None
    title: str
    chat_type: str
    active: bool
    linked_by: int


@dataclass(frozen=True)
class Conversation:
    """A watched conversation and who owes the next reply."""

    id: int
    workspace_id: int
    client_id: int
    chat_id: int
    thread_id: int
    connection_id: str
    chat_type: str
    title: str
    waiting_since: datetime | None
    waiting_message_id: int | None
    waiting_text: str
    last_client_at: datetime | None
    last_ours_at: datetime | None


@dataclass(frozen=True)
class BusinessConnection:
    """A manager's Business connection and its rights."""

    id: str
    user_id: int
    user_chat_id: int
    can_reply: bool
    can_read: bool
    is_enabled: bool
