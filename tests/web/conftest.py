"""Fixtures of the web tests: a live server for the browser tests and the browser itself.

The live server is the real app (``create_app(settings)``) served by uvicorn on a free port of
127.0.0.1, in a background thread with an event loop of its own; it is started once per run and
only when a browser test asks for it. Chromium is Debian's (``/usr/bin/chromium``), driven by
Playwright.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright

from infra.app import create_app
from infra.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Server(uvicorn.Server):
    """A uvicorn server that reports when it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """The base URL of the app served over real HTTP."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = _Server(
        uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="on")
    )

    def serve() -> None:
        try:
            server.run(sockets=[listener])
        finally:
            server.ready.set()

    thread = threading.Thread(target=serve, name="live-server", daemon=True)
    thread.start()
    assert server.ready.wait(timeout=60), "the live server did not start"
    assert server.started, "the live server failed to start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        listener.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
def axe_source(settings: Settings) -> str:
    return (Path(settings.assets_dir) / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
