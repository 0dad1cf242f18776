"""Tasks: promises with an assignee and a deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import TaskRow
from bot.storage.records import Task, plain

OPEN = "open"
DONE = "done"
CANCELLED = "cancelled"


class TaskRepo:
    """Reads and writes `tasks`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        workspace_id: int,
        client_id: int | None,
        author_id: int,
        assignee_id: int,
        what: str,
        urgent: bool,
        due_at: datetime | None,
        now: datetime,
    ) -> Task:
        """Store one open task."""
        row = TaskRow(
            workspace_id=workspace_id,
            client_id=client_id,
            author_id=author_id,
            assignee_id=assignee_id,
            what=what,
            urgent=urgent,
            due_at=due_at,
            started_at=now,
            state=OPEN,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return plain(Task, row)

    async def get(self, task_id: int) -> Task | None:
        """One task by id."""
        row = await self.session.get(TaskRow, task_id)
        return plain(Task, row) if row is not None else None

    async def update(self, task_id: int, **changes: Any) -> Task:
        """Change fields of one task and return it."""
        await self.session.execute(update(TaskRow).where(TaskRow.id == task_id).values(**changes))
        row = await self.session.get(TaskRow, task_id, populate_existing=True)
        assert row is not None
        return plain(Task, row)

    async def open_of(
        self, user_id: int, workspace_ids: list[int], until: datetime | None = None
    ) -> list[Task]:
        """Open tasks the person does or gave, in these teams; overdue and soonest first,
        undated last. `until`: only those due before it."""
        query = select(TaskRow).where(
            TaskRow.state == OPEN,
            TaskRow.workspace_id.in_(workspace_ids),
            or_(TaskRow.assignee_id == user_id, TaskRow.author_id == user_id),
        )
        if until is not None:
            query = query.where(TaskRow.due_at < until)
        rows = await self.session.scalars(
            query.order_by(
                case((TaskRow.due_at.is_(None), 1), else_=0), TaskRow.due_at, TaskRow.id
            ).limit(200)
        )
        return [plain(Task, r) for r in rows]

    async def due_in_team(self, workspace_id: int, until: datetime) -> list[Task]:
        """The team's open tasks due before `until` (overdue ones too), soonest first."""
        rows = await self.session.scalars(
            select(TaskRow)
            .where(
                TaskRow.workspace_id == workspace_id,
                TaskRow.state == OPEN,
                TaskRow.due_at < until,
            )
            .order_by(TaskRow.due_at, TaskRow.id)
            .limit(200)
        )
        return [plain(Task, r) for r in rows]

    async def for_client(self, client_id: int, limit: int = 20) -> list[Task]:
        """The client's tasks, newest first."""
        rows = await self.session.scalars(
            select(TaskRow)
            .where(TaskRow.client_id == client_id, TaskRow.state != CANCELLED)
            .order_by(TaskRow.created_at.desc(), TaskRow.id.desc())
            .limit(limit)
        )
        return [plain(Task, r) for r in rows]

    async def hand_over(self, workspace_id: int, from_user: int, to_user: int) -> None:
        """Open tasks one person does or gave in this team go to another (they left it)."""
        for column in (TaskRow.assignee_id, TaskRow.author_id):
            await self.session.execute(
                update(TaskRow)
                .where(
                    TaskRow.workspace_id == workspace_id,
                    column == from_user,
                    TaskRow.state == OPEN,
                )
                .values({column.key: to_user})
            )
