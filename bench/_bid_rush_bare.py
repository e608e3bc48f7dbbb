"""The bare endpoint of ``bench/bid_rush.py``: Litestar taking the same 1 MB multipart bid and
storing its bytes, nothing else.

``python bench/_bid_rush_bare.py PROCESSES OPTIONS_JSON`` serves, under uvicorn with the options
given as a JSON object (the command line's, computed by the caller) and ``PROCESSES`` worker
processes (as ``vergabe api`` starts them), two routes:

- ``POST /api/v1/organisations/{organisation_id}/bids/{tender_id}/submission``: the bid API's
  path and form (``content``, ``requirements``, files in ``documents``), parsed by Litestar into
  a msgspec struct as the platform parses it; every document is written to a file of its own
  in ``$BID_RUSH_BARE_DIR`` the way the platform writes a sealed document (write, flush, fsync,
  rename into place, in the handler), and the answer is 201 with a small JSON receipt;
- ``GET /health/live``, answering as the platform does (the bench waits for it).

No authentication, database, encryption, hashing or audit: what is left is the HTTP server,
Litestar's multipart parsing and the durable write of the same bytes. Imports nothing of the
platform.
"""

from __future__ import annotations

__all__ = ["app", "main"]

import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import uvicorn
from litestar import Litestar, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

DIRECTORY_VARIABLE = "BID_RUSH_BARE_DIR"
MAX_BODY_BYTES = 4 * 30 * 1024 * 1024 + 256 * 1024
"""The body limit of the platform's bid routes (four documents of the default 30 MB)."""


class Liveness(msgspec.Struct, frozen=True):
    status: Literal["live"] = "live"


class SubmissionForm(msgspec.Struct, kw_only=True):
    """The platform's one-step submission form."""

    version: int | None = None
    content: str | None = None
    documents: list[UploadFile] = []
    requirements: str | None = None


class Stored(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    received_at: datetime
    documents: int
    bytes: int


def _write(path: Path, data: bytes) -> None:
    """As ``procurement.bids.vault.BidFiles.write``: fsync, then rename into place."""
    partial = path.with_suffix(".part")
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)


@get("/health/live")
async def live() -> Liveness:
    return Liveness()


@post(
    "/api/v1/organisations/{organisation_id:uuid}/bids/{tender_id:uuid}/submission",
    status_code=201,
)
async def submit(
    organisation_id: uuid.UUID,
    tender_id: uuid.UUID,
    data: Annotated[SubmissionForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[Stored]:
    directory = Path(os.environ[DIRECTORY_VARIABLE]) / str(tender_id)
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    for upload in data.documents:
        payload = await upload.read()
        total += len(payload)
        _write(directory / str(uuid.uuid4()), payload)
    stored = Stored(
        id=uuid.uuid4(), received_at=datetime.now(UTC), documents=len(data.documents), bytes=total
    )
    return Response(stored, status_code=201)


def app() -> Litestar:
    """The bare app (a factory, so that every uvicorn worker process builds its own)."""
    return Litestar(
        route_handlers=[live, submit],
        logging_config=None,
        debug=False,
        request_max_body_size=MAX_BODY_BYTES,
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        print("usage: _bid_rush_bare.py PROCESSES OPTIONS_JSON", file=sys.stderr)
        return 2
    if DIRECTORY_VARIABLE not in os.environ:
        print(f"_bid_rush_bare.py: set {DIRECTORY_VARIABLE}", file=sys.stderr)
        return 2
    # uvicorn starts several worker processes only from an import string; this directory is
    # on the path of the script and of the processes it spawns.
    uvicorn.run("_bid_rush_bare:app", factory=True, workers=int(argv[0]), **json.loads(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
