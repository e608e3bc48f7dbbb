"""One server process for :mod:`ceiling`: the platform or a bare Litestar app.

``python bench/_serve.py platform`` serves the platform the way ``vergabe api`` does: settings
from the ``VERGABE_*`` environment, logging configured by the command line's helper (one JSON
access-log line per request on stderr), ``infra.asgi:app_from_environment`` under uvicorn with
the command line's options. ``python bench/_serve.py bare OPTIONS`` serves one route answering
the same JSON through a msgspec struct, under uvicorn with the options given as a JSON object
(the platform's, computed by the caller), and imports nothing of the platform.
"""

from __future__ import annotations

__all__ = ["bare_app", "main"]

import json
import sys
from pathlib import Path
from typing import Literal

import msgspec
import uvicorn
from litestar import Litestar, get


class Liveness(msgspec.Struct, frozen=True):
    status: Literal["live"] = "live"


@get("/health/live")
async def live() -> Liveness:
    return Liveness()


def bare_app() -> Litestar:
    """A Litestar app with nothing but the liveness route."""
    return Litestar(route_handlers=[live], logging_config=None, debug=False)


def _serve_platform() -> None:
    # Run as a script, Python puts bench/ first on the import path, where bench/signatures.py
    # would hide the platform's signatures package: import the platform as installed.
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    from infra.cli import _settings, _uvicorn_options

    settings = _settings()  # loads VERGABE_* and configures logging, as every command does
    uvicorn.run(
        "infra.asgi:app_from_environment",
        factory=True,
        workers=settings.http.processes,
        **_uvicorn_options(settings),
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["platform"] and len(argv) == 1:
        _serve_platform()
        return 0
    if argv[:1] == ["bare"] and len(argv) == 2:
        uvicorn.run(bare_app(), **json.loads(argv[1]))
        return 0
    print("usage: _serve.py platform | _serve.py bare OPTIONS_JSON", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
