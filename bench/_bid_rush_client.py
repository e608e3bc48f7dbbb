"""A client process of ``bench/bid_rush.py``: suppliers submitting their bids on schedule.

``python bench/_bid_rush_client.py JOBS.json RESULTS.json`` reads its share of the submissions
(supplier, session, tender, moment, idempotency key) and makes each bid's documents: an offer of
``offer_bytes`` random bytes between a ``%PDF-1.7`` header and an ``%%EOF`` trailer (random, so
nothing on the way can compress or deduplicate it) and a small liability insurance of the same
kind. It opens its keep-alive connections (HTTP/1.1, httpx) with ``GET /health/live``, prints
``ready`` and waits for a line ``go <epoch seconds>`` on stdin: the start of the rush. Each
submission is then sent at start + its offset to the server the job names, as the bid API's
one-step multipart form (``content``, ``requirements``, files in ``documents``) with the
supplier's session cookie and its ``Idempotency-Key``, at most ``concurrency`` at a time. Every
answer is recorded (status, the receipt's id, number and time or the problem's code; a network
error by its type) with when the request started and how long it took to the last byte of the
response, and written with the process's CPU time to ``RESULTS.json``; then it prints ``done``.

Imports nothing of the platform (the same client drives the bare endpoint).
"""

from __future__ import annotations

__all__ = ["main"]

import asyncio
import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

import httpx

TIMEOUT_SECONDS = 300.0
"""Long enough that a slow answer is measured as slow, not counted as lost."""
KEEPALIVE_EXPIRY = 3.0
"""Below uvicorn's keep-alive timeout (5 s), so the client never sends on a connection the
server is closing (a race that would look like a lost bid)."""
PATH = "/api/v1/organisations/{org}/bids/{tender}/submission"
HEADER, TRAILER = b"%PDF-1.7\n", b"\n%%EOF\n"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _document(size: int) -> bytes:
    return HEADER + os.urandom(max(0, size - len(HEADER) - len(TRAILER))) + TRAILER


def _content(rng: random.Random) -> str:
    price = f"{rng.randint(400_000, 900_000)}.{rng.randint(0, 99):02d}"
    return json.dumps(
        {
            "lots": [{"lot": 1, "price": price}],
            "declarations": {"no_exclusion_grounds": True, "binding_period_accepted": True},
        }
    )


def _answer(response: httpx.Response) -> dict[str, Any]:
    """What the bench keeps of a response body."""
    try:
        body = response.json()
    except ValueError:
        return {"text": response.text[:300]}
    if not isinstance(body, dict):
        return {"text": str(body)[:300]}
    keep = ("id", "receipt_number", "received_at", "code", "deadline", "detail", "bytes")
    return {key: body[key] for key in keep if key in body}


async def _submit(
    client: httpx.AsyncClient,
    gate: asyncio.Semaphore,
    job: dict[str, Any],
    start: float,
    documents: tuple[bytes, bytes],
    rng: random.Random,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    due = start + job["offset"]
    await asyncio.sleep(max(0.0, due - time.time()))
    offer, insurance = documents
    data = {
        "content": _content(rng),
        "requirements": json.dumps(["offer", "liability-insurance"]),
    }
    files = [
        ("documents", ("angebot.pdf", offer, "application/pdf")),
        ("documents", ("haftpflicht.pdf", insurance, "application/pdf")),
    ]
    headers = {"Cookie": f"vergabe_session={job['cookie']}", "Idempotency-Key": job["key"]}
    url = job["base_url"] + PATH.format(org=job["org"], tender=job["tender"])
    result: dict[str, Any] = {"n": job["n"], "offset": job["offset"], "due": due}
    waited = loop.time()
    async with gate:
        result["queued"] = loop.time() - waited
        result["sent"] = time.time()
        begun = time.perf_counter()
        try:
            response = await client.post(url, data=data, files=files, headers=headers)
        except httpx.HTTPError as exc:
            result["seconds"] = time.perf_counter() - begun
            result["status"] = None
            result["error"] = f"{type(exc).__name__}: {exc}"[:300]
            return result
        result["seconds"] = time.perf_counter() - begun
    result["status"] = response.status_code
    result["answer"] = _answer(response)
    result["bytes"] = len(offer) + len(insurance)
    return result


async def _run(spec: dict[str, Any]) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = spec["jobs"]
    rng = random.Random(spec["seed"])
    documents = {
        job["n"]: (_document(spec["offer_bytes"]), _document(spec["insurance_bytes"]))
        for job in jobs
    }
    concurrency = max(1, min(spec["concurrency"], len(jobs)))
    limits = httpx.Limits(
        max_connections=concurrency,
        max_keepalive_connections=concurrency,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    timeout = httpx.Timeout(TIMEOUT_SECONDS)
    urls = sorted({job["base_url"] for job in jobs})
    async with httpx.AsyncClient(http1=True, http2=False, limits=limits, timeout=timeout) as client:
        warm = await asyncio.gather(
            *(client.get(f"{urls[k % len(urls)]}/health/live") for k in range(min(concurrency, 16)))
        )
        if any(response.status_code != 200 for response in warm):
            raise RuntimeError("the server does not answer /health/live")
        cpu_ready = _cpu_seconds()
        print("ready", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        word, _, moment = line.strip().partition(" ")
        if word != "go":
            raise RuntimeError(f"expected 'go <epoch>', got {line!r}")
        start = float(moment)
        gate = asyncio.Semaphore(concurrency)
        results = await asyncio.gather(
            *(_submit(client, gate, job, start, documents[job["n"]], rng) for job in jobs)
        )
    return {"results": results, "cpu_seconds": _cpu_seconds() - cpu_ready, "pid": os.getpid()}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: _bid_rush_client.py JOBS.json RESULTS.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    import uvloop

    answer = uvloop.run(_run(spec))
    Path(argv[1]).write_text(json.dumps(answer))
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
