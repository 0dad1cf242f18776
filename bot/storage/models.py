"""SQLAlchemy table models; portable between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: timestamptz on PostgreSQL; naive UTC on SQLite, which keeps no zone."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """timestamptz where the database has it."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC on the way in (naive UTC for SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware UTC on the way out."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Money, exact: NUMERIC on PostgreSQL; decimal text on SQLite, whose NUMERIC is a float
    and would let cents drift."""

    impl = String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """NUMERIC without a fixed scale where the database has an exact one."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | str | None:
        """Keep the exact digits."""
        if value is None:
            return None
        return str(Decimal(value)) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Back to a Decimal."""
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)


class UserRow(Base):
    """A Telegram user who has talked to the bot, with personal preferences."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    tg_language: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    work_start_min: Mapped[int] = mapped_column(Integer, default=600)
    work_end_min: Mapped[int] = mapped_column(Integer, default=1140)
    work_days: Mapped[str] = mapped_column(String(16), default="12345")
    quiet_start_min: Mapped[int | None] = mapped_column(Integer)
    quiet_end_min: Mapped[int | None] = mapped_column(Integer)
    weekend_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    urgent_in_quiet: Mapped[bool] = mapped_column(Boolean, default=True)
    # None: the country of the time zone, until the person chooses one.
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    current_workspace_id: Mapped[int | None] = mapped_column(Integer)
    awaiting: Mapped[str | None] = mapped_column(String(32))
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkspaceRow(Base):
    """An agency team: members, clients and its shared settings."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    intake_secret: Mapped[str] = mapped_column(String(64), unique=True)
    lead_sla_seconds: Mapped[int | None] = mapped_column(Integer)
    silent_days: Mapped[int] = mapped_column(Integer, default=14)
    team_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # The currency an invoice is in when its command names none.
    currency: Mapped[str] = mapped_column(String(3), default="RUB", server_default="RUB")
    # How long a known client may wait for a reply in a watched chat, in working minutes.
    reply_sla_minutes: Mapped[int] = mapped_column(Integer, default=120, server_default="120")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MembershipRow(Base):
    """A user's role in a workspace."""

    __tablename__ = "memberships"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientRow(Base):
    """A client account; a lead is a client in status `lead`."""

    __tablename__ = "clients"
    __table_args__ = (Index("ix_clients_workspace_status", "workspace_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[str] = mapped_column(Text, default="")
    company: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="lead")
    source: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    next_step: Mapped[str | None] = mapped_column(Text)
    next_step_who: Mapped[str | None] = mapped_column(String(16))
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_by: Mapped[int | None] = mapped_column(BigInteger)
    last_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRow(Base):
    """One way to reach a client: phone, e-mail, @username or link."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))


class TouchRow(Base):
    """A logged interaction with a client."""

    __tablename__ = "touches"
    __table_args__ = (Index("ix_touches_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReminderRow(Base):
    """Anything that falls due at a UTC instant; the scheduler only wakes up for these."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_state_due", "state", "due_at"),
        Index("ix_reminders_kind_state_user", "kind", "state", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    # The task or invoice the item is about, so moving or closing it finds its alarms.
    ref_id: Mapped[int | None] = mapped_column(Integer, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FollowUpRow(Base):
    """One dated follow-up about a client; a chase step or a recurring occurrence is one row.

    Rows of one chase or one recurring series share `series_id` (the first row's id); the next
    row is made when the current one fires, so only one row of a series is ever pending.
    """

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_user_state_due", "user_id", "state", "due_at"),
        Index("ix_followups_series", "series_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    what: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16), default="once")
    series_id: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(200))
    zone: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reminder_id: Mapped[int | None] = mapped_column(Integer)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskRow(Base):
    """A promise with an assignee and (once chosen) a deadline; check-ins ride on reminders."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_assignee_state_due", "assignee_id", "state", "due_at"),
        Index("ix_tasks_author_state", "author_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(BigInteger)
    assignee_id: Mapped[int] = mapped_column(BigInteger)
    what: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the time to the deadline started counting: creation, or the last move of it.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")
    progress: Mapped[int | None] = mapped_column(Integer)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvoiceRow(Base):
    """An invoice to a client; its status comes from its payments and dates."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_workspace_state", "workspace_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    paid: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # open until paid in full or cancelled; draft/sent/partly paid/overdue are derived.
    state: Mapped[str] = mapped_column(String(16), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentRow(Base):
    """Money received against one invoice."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChatRow(Base):
    """A group linked to a team: its team chat, or a client's chat the bot watches."""

    __tablename__ = "chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # team | client
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(256), default="")
    chat_type: Mapped[str] = mapped_column(String(16))
    # Off while the bot is out of the chat (removed); the link stays for when it is back.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_by: Mapped[int] = mapped_column(BigInteger)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationRow(Base):
    """One watched conversation (a client chat, a forum topic, a Business private chat) and
    who owes the next reply in it."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_chat_thread", "chat_id", "thread_id", "connection_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # The Business connection a private chat is watched through ('' for groups).
    connection_id: Mapped[str] = mapped_column(String(64), default="")
    chat_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(256), default="")
    # Set while we owe a reply: when the client's first unanswered message came, and what it said.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_message_id: Mapped[int | None] = mapped_column(BigInteger)
    waiting_text: Mapped[str] = mapped_column(Text, default="")
    last_client_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ours_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BusinessConnectionRow(Base):
    """A manager's Telegram Business connection: what the bot may do in their private chats."""

    __tablename__ = "business_connections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_chat_id: Mapped[int] = mapped_column(BigInteger)
    can_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    can_read: Mapped[bool] = mapped_column(Boolean, default=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRow(Base):
    """One message owed to one chat: the outbox, kept until Telegram accepted it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_state_not_before", "state", "not_before"),
        # A reply to a reminder is traced back to it by the message it replies to.
        Index("ix_notifications_chat_message", "chat_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(32), default="sendMessage")
    payload: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    reminder_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProcessedUpdateRow(Base):
    """An update_id whose handler's writes are committed; a redelivery is skipped."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class IntakeRequestRow(Base):
    """A website form already turned into a lead: what makes a repeated post a no-op."""

    __tablename__ = "intake_requests"
    __table_args__ = (
        Index("ix_intake_requests_key", "workspace_id", "idempotency_key", unique=True),
        Index("ix_intake_requests_fingerprint", "workspace_id", "fingerprint", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DraftRow(Base):
    """Something a user sent that waits for their decision (a forwarded message to make a lead)."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    # Carried by the question's buttons: an id reused after a delete never matches it.
    token: Mapped[str] = mapped_column(String(12), default="", server_default="")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
