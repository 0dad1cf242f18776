"""Invoices and the payments against them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import InvoiceRow, PaymentRow
from bot.storage.records import Invoice, Payment, plain

OPEN = "open"
PAID = "paid"
CANCELLED = "cancelled"


class InvoiceRepo:
    """Reads and writes `invoices` and `payments`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        workspace_id: int,
        client_id: int,
        user_id: int,
        amount: Decimal,
        currency: str,
        number: str | None,
        due_at: datetime | None,
        note: str,
        now: datetime,
        sent: bool = True,
    ) -> Invoice:
        """Store one invoice, sent now (or a draft, not sent yet)."""
        row = InvoiceRow(
            workspace_id=workspace_id,
            client_id=client_id,
            user_id=user_id,
            number=number,
            amount=amount,
            paid=Decimal(0),
            currency=currency,
            note=note,
            sent_at=now if sent else None,
            due_at=due_at,
            state=OPEN,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return plain(Invoice, row)

    async def get(self, invoice_id: int) -> Invoice | None:
        """One invoice by id."""
        row = await self.session.get(InvoiceRow, invoice_id)
        return plain(Invoice, row) if row is not None else None

    async def update(self, invoice_id: int, **changes: Any) -> Invoice:
        """Change fields of one invoice and return it."""
        await self.session.execute(
            update(InvoiceRow).where(InvoiceRow.id == invoice_id).values(**changes)
        )
        row = await self.session.get(InvoiceRow, invoice_id, populate_existing=True)
        assert row is not None
        return plain(Invoice, row)

    async def by_number(self, workspace_ids: list[int], number: str) -> list[Invoice]:
        """Invoices with this number (case-insensitive) in these teams."""
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(InvoiceRow.workspace_id.in_(workspace_ids), InvoiceRow.state != CANCELLED)
            .where(InvoiceRow.number.is_not(None))
        )
        wanted = number.casefold()
        return [plain(Invoice, r) for r in rows if (r.number or "").casefold() == wanted]

    async def open_for_client(self, client_id: int) -> list[Invoice]:
        """The client's unpaid invoices, oldest due first."""
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(InvoiceRow.client_id == client_id, InvoiceRow.state == OPEN)
            .order_by(InvoiceRow.due_at, InvoiceRow.id)
        )
        return [plain(Invoice, r) for r in rows]

    async def for_client(self, client_id: int, limit: int = 20) -> list[Invoice]:
        """The client's invoices, newest first."""
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(InvoiceRow.client_id == client_id, InvoiceRow.state != CANCELLED)
            .order_by(InvoiceRow.created_at.desc(), InvoiceRow.id.desc())
            .limit(limit)
        )
        return [plain(Invoice, r) for r in rows]

    async def open_in(self, workspace_ids: list[int]) -> list[Invoice]:
        """Every unpaid invoice of these teams."""
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(InvoiceRow.workspace_id.in_(workspace_ids), InvoiceRow.state == OPEN)
            .order_by(InvoiceRow.due_at, InvoiceRow.id)
        )
        return [plain(Invoice, r) for r in rows]

    async def add_payment(
        self, invoice: Invoice, amount: Decimal, user_id: int, paid_at: datetime, now: datetime
    ) -> Invoice:
        """Record money received and the invoice's new paid total (closed when covered)."""
        self.session.add(
            PaymentRow(
                invoice_id=invoice.id,
                user_id=user_id,
                amount=amount,
                paid_at=paid_at,
                created_at=now,
            )
        )
        paid = invoice.paid + amount
        covered = paid >= invoice.amount
        return await self.update(
            invoice.id,
            paid=paid,
            state=PAID if covered else OPEN,
            closed_at=now if covered else None,
        )

    async def payments(self, invoice_id: int) -> list[Payment]:
        """Payments against one invoice, in order."""
        rows = await self.session.scalars(
            select(PaymentRow).where(PaymentRow.invoice_id == invoice_id).order_by(PaymentRow.id)
        )
        return [plain(Payment, r) for r in rows]

    async def payments_for_client(self, client_id: int, limit: int = 20) -> list[Payment]:
        """The client's payments, newest first."""
        rows = await self.session.scalars(
            select(PaymentRow)
            .join(InvoiceRow, InvoiceRow.id == PaymentRow.invoice_id)
            .where(InvoiceRow.client_id == client_id)
            .order_by(PaymentRow.paid_at.desc(), PaymentRow.id.desc())
            .limit(limit)
        )
        return [plain(Payment, r) for r in rows]

    async def hand_over(self, workspace_id: int, from_user: int, to_user: int) -> None:
        """Open invoices of one person in this team are watched by another (they left)."""
        await self.session.execute(
            update(InvoiceRow)
            .where(
                InvoiceRow.workspace_id == workspace_id,
                InvoiceRow.user_id == from_user,
                InvoiceRow.state == OPEN,
            )
            .values(user_id=to_user)
        )
