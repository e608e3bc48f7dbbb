"""All SQL of signature checks: add, read by id, and purge old checks."""

from __future__ import annotations

__all__ = ["CheckRepository"]

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from signatures.models import SignatureCheck


class CheckRepository:
    """Signature checks in the session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, check: SignatureCheck) -> None:
        self.session.add(check)

    async def get(self, check_id: str) -> SignatureCheck | None:
        return await self.session.get(SignatureCheck, check_id)

    async def get_for_update(self, check_id: str) -> SignatureCheck | None:
        """The check, locked until the transaction ends (a job that runs twice waits)."""
        return await self.session.scalar(
            select(SignatureCheck).where(SignatureCheck.id == check_id).with_for_update()
        )

    async def created_before(self, before: datetime) -> Sequence[str]:
        """Ids of the checks created before ``before``."""
        rows = await self.session.scalars(
            select(SignatureCheck.id).where(SignatureCheck.created_at < before)
        )
        return list(rows)

    async def delete(self, check_ids: Sequence[str]) -> int:
        """Delete the checks ``check_ids``; returns how many."""
        if not check_ids:
            return 0
        result = await self.session.execute(
            delete(SignatureCheck).where(SignatureCheck.id.in_(check_ids))
        )
        return int(getattr(result, "rowcount", 0) or 0)
