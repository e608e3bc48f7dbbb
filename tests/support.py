"""Test clients that serve the app on the test's own event loop, and runners for ``vergabe``.

Litestar's ``AsyncTestClient`` runs the app through a blocking portal on another event loop;
asyncpg connections belong to the loop that opened them, so on PostgreSQL an app sharing the
test's engine would fail. :class:`LoopClient` serves the app through httpx's ASGI transport on
the running loop and enters the app's lifespan there.

The command line runs two ways: :func:`vergabe_process` starts the installed console script
(for what only a real process shows: start-up, signals, the whole of stderr); :func:`run_cli`
calls its entry point in this process, seconds faster, for a command's arguments, output, exit
code and effects on the database.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import msgspec
from litestar import Litestar

VERGABE = Path(sys.executable).with_name("vergabe")
"""The installed console script of this virtual environment."""
COMMAND_TIMEOUT = 60.0


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


class Result(msgspec.Struct, frozen=True):
    """How a ``vergabe`` command ended."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


def process_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its ``VERGABE_*`` variables, plus ``variables``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("VERGABE_")}
    return inherited | dict(variables)


async def vergabe_process(*args: str, env: Mapping[str, str], stdin: str = "") -> Result:
    """Run the installed ``vergabe`` as a child process with the ``VERGABE_*`` variables of
    ``env`` (and none of this process's)."""
    process = await asyncio.create_subprocess_exec(
        str(VERGABE),
        *args,
        env=process_environment(env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(
            process.communicate(stdin.encode()), COMMAND_TIMEOUT
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Result(exit_code=process.returncode, stdout=stdout.decode(), stderr=stderr.decode())


_CLI_LOCK = threading.Lock()
_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq", "pika", "alembic")


def _exit_code(code: object) -> int:
    """The exit status the interpreter makes of ``SystemExit(code)`` (printing a message)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _entry_point(argv: list[str]) -> int:
    """``vergabe argv`` as the console script runs it (``sys.exit(main())``), in this thread."""
    from infra.cli import main

    try:
        return _exit_code(main(argv))
    except SystemExit as exc:
        return _exit_code(exc.code)
    except Exception:
        traceback.print_exc()  # what the interpreter prints for an uncaught exception
        return 1


def run_cli(argv: Sequence[str], *, env: Mapping[str, str], stdin: str = "") -> Result:
    """Run ``vergabe argv`` in this process, as :func:`vergabe_process` runs it in a new one.

    The command sees the variables of ``env`` and none of this process's other ``VERGABE_*``
    ones; reads ``stdin`` from its standard input (not a terminal); runs in a thread of its own,
    so its ``asyncio.run`` neither meets nor replaces the test's event loop. Blocks until it
    ends: the test's loop runs nothing meanwhile (no log line of it reaches the captured
    stderr). The environment, standard streams and logging set-up (the command configures the
    root logger) are put back afterwards.
    """
    root = logging.getLogger()
    outcome: list[int] = []
    out, err = io.StringIO(), io.StringIO()
    with _CLI_LOCK:
        saved_environ = dict(os.environ)
        saved_streams = sys.stdin, sys.stdout, sys.stderr
        saved_root = root.handlers[:], root.level
        saved_loggers = {
            name: (logger.handlers[:], logger.propagate, logger.disabled, logger.level)
            for name in _LOGGERS
            for logger in (logging.getLogger(name),)
        }
        try:
            for name in [k for k in os.environ if k.startswith("VERGABE_")]:
                del os.environ[name]
            os.environ.update(env)
            sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
            thread = threading.Thread(
                target=lambda: outcome.append(_entry_point(list(argv))),
                name="vergabe-in-process",
                daemon=True,
            )
            thread.start()
            thread.join(COMMAND_TIMEOUT)
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved_streams
            for name in [k for k in os.environ if k not in saved_environ]:
                del os.environ[name]
            os.environ.update(saved_environ)
            root.handlers[:] = saved_root[0]
            root.setLevel(saved_root[1])
            for name, (handlers, propagate, disabled, own_level) in saved_loggers.items():
                logger = logging.getLogger(name)
                logger.handlers[:] = handlers
                logger.propagate, logger.disabled = propagate, disabled
                logger.setLevel(own_level)
    if not outcome:
        raise TimeoutError(f"vergabe {' '.join(argv)} did not end within {COMMAND_TIMEOUT} s")
    return Result(exit_code=outcome[0], stdout=out.getvalue(), stderr=err.getvalue())
