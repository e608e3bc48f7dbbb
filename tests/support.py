"""Test clients that serve the app on the test's own event loop.

Litestar's ``AsyncTestClient`` runs the app through a blocking portal on another event loop;
asyncpg connections belong to the loop that opened them, so on PostgreSQL an app sharing the
test's engine would fail. :class:`LoopClient` serves the app through httpx's ASGI transport on
the running loop and enters the app's lifespan there.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

import httpx
from litestar import Litestar


class LoopClient(httpx.AsyncClient):
    """An httpx client calling ``app`` in process, on the current event loop."""

    def __init__(self, app: Litestar, *, lifespan: bool = True, **kwargs: Any) -> None:
        super().__init__(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
            base_url="http://testserver.local",
            **kwargs,
        )
        self.app = app
        self._lifespan: AbstractAsyncContextManager[None] | None = (
            app.lifespan() if lifespan else None
        )

    async def __aenter__(self) -> LoopClient:
        if self._lifespan is not None:
            await self._lifespan.__aenter__()
        await super().__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)
        if self._lifespan is not None:
            await self._lifespan.__aexit__(exc_type, exc, tb)
