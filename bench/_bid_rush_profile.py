"""The platform as one ``vergabe api`` process would serve it, under pyinstrument (part of
``bench/bid_rush.py --profile``).

``python bench/_bid_rush_profile.py REPORT`` reads the ``VERGABE_*`` environment and configures
logging as the command line does, then runs uvicorn in this process with the command line's
options (``infra.asgi:app_from_environment``, one process), sampling the event loop's thread
every millisecond of its CPU time from SIGUSR1 (sent when the server is warm) to SIGTERM. At the
end it writes ``REPORT`` (pyinstrument's call tree, frames under 0.5 % left out) and
``REPORT.self.txt``: the functions by their own time (where the samples were taken, summed over
every place they were called from), the project's functions by their time with everything they
called, and the SQL statements the app sent (by verb and first table; the pool's check of a
connection included).

pyinstrument is not one of the project's dependencies: install it into a throwaway virtual
environment of the same Python and put its ``site-packages`` on ``PYTHONPATH`` (the bench does,
``--pyinstrument``).
"""

from __future__ import annotations

__all__ = ["main"]

import signal
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import uvicorn

TOP = 30
OURS = ("infra/", "procurement/", "prequalification/", "signatures/", "litestar/_multipart")


def _summary(root: Any, statements: Counter[str]) -> str:
    own: defaultdict[str, float] = defaultdict(float)
    inclusive: defaultdict[str, float] = defaultdict(float)

    def walk(frame: Any, above: frozenset[str]) -> None:
        name = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        own[name] += frame.total_self_time
        if name not in above:  # recursion counts once
            inclusive[name] += frame.time
        for child in frame.children:
            if not child.is_synthetic:  # its time is its parent's own time
                walk(child, above | {name})

    walk(root, frozenset())
    total = root.time
    lines = [f"{total:.2f} s of CPU time sampled", "", "own time (s, share):"]
    for name, seconds in sorted(own.items(), key=lambda item: -item[1])[:TOP]:
        lines.append(f"  {seconds:8.3f} {seconds / total:6.1%}  {name}")
    lines += ["", "the project's functions and the multipart parser, with what they called:"]
    ours = [
        (name, seconds)
        for name, seconds in inclusive.items()
        if name.split("(", 1)[1].startswith(OURS)
    ]
    for name, seconds in sorted(ours, key=lambda item: -item[1])[:TOP]:
        lines.append(f"  {seconds:8.3f} {seconds / total:6.1%}  {name}")
    lines += ["", f"SQL statements sent ({sum(statements.values())}):"]
    for what, count in statements.most_common():
        lines.append(f"  {count:8d}  {what}")
    return "\n".join(lines) + "\n"


def _statement_kind(statement: str) -> str:
    """``SELECT bids``, ``INSERT jobs``, ``BEGIN`` ...: the verb and the first table."""
    words = statement.split()
    if not words:
        return "(empty)"
    verb = words[0].upper()
    table = ""
    for marker in ("FROM", "INTO", "UPDATE"):
        if marker in (w.upper() for w in words):
            index = [w.upper() for w in words].index(marker)
            if index + 1 < len(words):
                table = words[index + 1].strip('"(')
            break
    if verb == "SELECT" and "pg_advisory_xact_lock" in statement:
        table = "pg_advisory_xact_lock"
    return f"{verb} {table}".strip()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: _bid_rush_profile.py REPORT", file=sys.stderr)
        return 2
    from pyinstrument import Profiler  # type: ignore[import-not-found]
    from pyinstrument.stack_sampler import get_stack_sampler  # type: ignore[import-not-found]
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from infra.cli import _settings, _uvicorn_options

    settings = _settings()
    server = uvicorn.Server(
        uvicorn.Config(
            "infra.asgi:app_from_environment", factory=True, **_uvicorn_options(settings)
        )
    )
    # As 'vergabe api': uvicorn raises the signal again after its graceful shutdown.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _sig, _frame: None)
    statements: Counter[str] = Counter()
    counting = False

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if counting:
            statements[_statement_kind(statement)] += 1

    # Every engine the app makes (the listener is on the class).
    event.listen(Engine, "before_cursor_execute", count)

    def start(_sig: int, _frame: Any) -> None:
        nonlocal counting
        counting = True
        profiler.start()

    # CPU time of this thread, not wall time: a sample is only taken at the next Python event,
    # so with wall time the event loop's waits (for the database, for the network) would be
    # charged to whatever frame runs next, typically asyncpg's execute.
    get_stack_sampler().timer_func = time.thread_time
    profiler = Profiler(interval=0.001, async_mode="disabled")
    signal.signal(signal.SIGUSR1, start)
    server.run()
    if not profiler.is_running:
        print("_bid_rush_profile.py: never told to start (SIGUSR1)", file=sys.stderr)
        return 1
    session = profiler.stop()
    report = Path(argv[0])
    report.write_text(
        profiler.output_text(unicode=False, color=False, show_all=False, time="seconds")
    )
    root = session.root_frame()
    if root is not None:
        Path(f"{report}.self.txt").write_text(_summary(root, statements))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
