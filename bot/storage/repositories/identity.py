"""Rows read in a unit of work kept alive, so a second read of the same key costs no SQL.

SQLAlchemy's identity map holds rows weakly and the repositories hand out plain copies, so a
row read once is garbage by the next read and `session.get` queries again: a command read its
user, team and membership two or three times. Kept here, later reads in the same session come
from the identity map; ORM updates and deletes keep it in step, and the session ends with the
unit of work.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def keep(session: AsyncSession, row: T) -> T:
    """Hold `row` for the rest of the session; returns it."""
    if row is not None:
        session.info.setdefault("kept", []).append(row)
    return row
