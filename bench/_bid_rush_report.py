"""The bid rush's figures (part of ``bench/bid_rush.py``): the verdict on the rush and what
is printed of it.

:func:`verdict` holds every answer of the rush against what the database holds afterwards
(``_bid_rush_seed.check``): a 201 counts as lost unless its submission row (same id, receipt
number and receipt time), its receipt job in the outbox, its receipt mail and both documents
with their sealed files are there; an answer that is neither 201 nor a clean 4xx (a network
error, a 5xx) counts as lost too; a receipt time at or after the deadline, in an answer or in
the database, counts as accepted after the deadline. :func:`report_rush` and
:func:`report_capacity` print the rush and the capacity rounds against the bare endpoint.
"""

from __future__ import annotations

__all__ = ["Throughput", "Verdict", "judge", "report_capacity", "report_rush", "throughput"]

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from _bid_rush_phases import Phase, RunOptions
from _bid_rush_seed import Stored
from _common import percentile


def _received(result: dict[str, Any]) -> datetime | None:
    moment = result.get("answer", {}).get("received_at")
    return datetime.fromisoformat(moment) if moment else None


def _clean_refusal(result: dict[str, Any]) -> bool:
    status = result["status"]
    return status is not None and 400 <= status < 500


@dataclass(frozen=True, slots=True)
class Throughput:
    accepted: int
    span: float
    """Seconds from the first request's start to the last 201's end."""
    megabytes: float

    @property
    def bids_per_second(self) -> float:
        return self.accepted / self.span if self.span else math.nan

    @property
    def megabytes_per_second(self) -> float:
        return self.megabytes / self.span if self.span else math.nan


def throughput(results: Sequence[dict[str, Any]]) -> Throughput:
    accepted = [r for r in results if r["status"] == 201]
    if not accepted:
        return Throughput(0, 0.0, 0.0)
    first = min(r["sent"] for r in results)
    last = max(r["sent"] + r["seconds"] for r in accepted)
    return Throughput(len(accepted), last - first, sum(r["bytes"] for r in accepted) / 1e6)


@dataclass
class Verdict:
    """The rush, checked against what the database holds."""

    accepted: list[dict[str, Any]]
    refused_late: list[dict[str, Any]]
    """Sent after the deadline, answered 409 ``deadline-passed``."""
    refused_in_time: list[dict[str, Any]]
    """Sent before the deadline, answered 409 ``deadline-passed`` (not lost: a clean answer)."""
    refused_other: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    """Neither 201 nor a clean 4xx: network errors and 5xx."""
    incomplete: dict[int, list[str]] = field(default_factory=dict)
    """A 201 whose submission, receipt job, mail or documents are not all there."""
    late_accepted: set[str] = field(default_factory=set)
    """Submission ids accepted at or after the deadline (by the 201 or by the database)."""
    unacknowledged: int = 0
    """Submissions stored whose request got no 201."""
    orphan_files: int = 0

    @property
    def lost(self) -> int:
        return len(self.failed) + len(self.incomplete)


def judge(phase: Phase, stored: Stored, late_jobs: set[int]) -> Verdict:
    accepted: list[dict[str, Any]] = []
    refused_late: list[dict[str, Any]] = []
    refused_in_time: list[dict[str, Any]] = []
    refused_other: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for result in phase.results:
        code = result.get("answer", {}).get("code")
        if result["status"] == 201:
            accepted.append(result)
        elif result["status"] == 409 and code == "deadline-passed":
            (refused_late if result["n"] in late_jobs else refused_in_time).append(result)
        elif _clean_refusal(result):
            refused_other.append(result)
        else:
            failed.append(result)
    verdict = Verdict(accepted, refused_late, refused_in_time, refused_other, failed)
    acknowledged = set()
    for result in accepted:
        answer = result["answer"]
        receipt_id = answer.get("id", "")
        acknowledged.add(receipt_id)
        missing = []
        row = stored.submissions.get(receipt_id)
        if row is None:
            missing.append("submission row")
        else:
            number, received_at, organisation = row
            if number != answer.get("receipt_number") or received_at != _received(result):
                missing.append("the receipt's number or time")
            documents = stored.documents.get(organisation, [])
            if len(documents) != 2 or not all(there for _, _, there in documents):
                missing.append("documents or their sealed files")
        if receipt_id not in stored.receipt_jobs:
            missing.append("receipt job in the outbox")
        if answer.get("receipt_number") not in stored.mailed:
            missing.append("receipt mail")
        if missing:
            verdict.incomplete[result["n"]] = missing
        moment = _received(result)
        if moment is not None and moment >= stored.deadline:
            verdict.late_accepted.add(receipt_id)
    for submission_id, (_, received_at, _) in stored.submissions.items():
        if received_at >= stored.deadline:
            verdict.late_accepted.add(submission_id)
    verdict.unacknowledged = len(set(stored.submissions) - acknowledged)
    verdict.orphan_files = stored.orphan_files
    return verdict


def _milliseconds(values: Sequence[float]) -> str:
    return (
        "  ".join(f"p{p:g} {percentile(values, p) * 1000:,.0f}" for p in (50, 95, 99))
        + f"  max {max(values, default=math.nan) * 1000:,.0f} ms"
    )


def _cpu_line(phase: Phase, per: int, parts: Sequence[str]) -> str:
    shown = []
    for part in parts:
        seconds = phase.client_cpu if part == "clients" else phase.cpu.get(part, 0.0)
        per_bid = f", {seconds / per * 1000:,.1f} ms/bid" if per else ""
        shown.append(f"{part} {seconds:,.1f} s{per_bid}")
    return "; ".join(shown)


def _machine_line(phase: Phase, ours: Sequence[str]) -> str:
    total = phase.cpu["machine total"]
    cores = total / phase.wall if phase.wall else math.nan
    busy = phase.cpu["machine busy"]
    accounted = sum(phase.cpu.get(part, 0.0) for part in ours) + phase.client_cpu
    return (
        f"machine: {busy:,.1f} of {total:,.1f} CPU seconds busy ({busy / total:.0%} of "
        f"{cores:.1f} cores), iowait {phase.cpu['machine iowait']:,.1f} s, steal "
        f"{phase.cpu['machine steal']:,.1f} s; this run's processes {accounted:,.1f} s, "
        f"other work {max(0.0, busy - accounted):,.1f} s"
    )


def report_rush(
    options: RunOptions, phase: Phase, verdict: Verdict, stored: Stored, bare: Phase | None
) -> float:
    """Print the rush; the ratio of its throughput to the bare endpoint's (NaN without)."""
    on_time = options.suppliers
    seconds = [r["seconds"] for r in verdict.accepted]
    queued = max((r.get("queued", 0.0) for r in phase.results), default=0.0)
    print()
    print(
        f"THE RUSH: {on_time} suppliers, {options.offer_bytes / 1e6:g} MB offer + "
        f"{options.insurance_bytes / 1e3:g} KB insurance each, spread over the last "
        f"{options.window:g} s; deadline {options.margin:g} s after the last; {options.late} "
        f"more sent 0.5-3 s after it"
    )
    print(f"  deadline                     {stored.deadline.isoformat()}")
    print(
        f"  accepted (201)               {len(verdict.accepted)} of {on_time} sent in time"
        f" (+ {len([r for r in verdict.accepted if r['n'] >= on_time])} of the late ones)"
    )
    print(f"  time to receipt (201)        {_milliseconds(seconds)}")
    print(f"  client-side queueing         max {queued * 1000:,.0f} ms (0: the client kept up)")
    print(
        f"  LOST                         {verdict.lost} ({len(verdict.failed)} without a 201 or "
        f"a clean 4xx, {len(verdict.incomplete)} acknowledged but not all there)"
    )
    print(f"  ACCEPTED AFTER THE DEADLINE  {len(verdict.late_accepted)}")
    print(
        f"  late ones refused (409)      {len(verdict.refused_late)} of {options.late} "
        "with deadline-passed"
    )
    print(f"  sent in time, refused late   {len(verdict.refused_in_time)}")
    print(f"  refused otherwise (4xx)      {len(verdict.refused_other)}")
    print(f"  stored without a 201        {verdict.unacknowledged}")
    print(f"  files without a document    {verdict.orphan_files}")
    for result in (verdict.failed + verdict.refused_other)[:5]:
        what = result.get("error") or result.get("answer")
        print(f"    e.g. #{result['n']}: {result['status']} {what}")
    for n, missing in list(verdict.incomplete.items())[:5]:
        print(f"    e.g. #{n}: 201 but missing {', '.join(missing)}")
    rush = throughput(phase.results)
    print(
        f"  throughput of accepted bids  {rush.bids_per_second:,.2f} bids/s, "
        f"{rush.megabytes_per_second:,.2f} MB/s over {rush.span:,.1f} s "
        f"(offered {on_time / options.window:,.2f} bids/s)"
    )
    ratio = math.nan
    if bare is not None:
        bare_rush = throughput(bare.results)
        bare_seconds = [r["seconds"] for r in bare.results if r["status"] == 201]
        print(
            f"  bare, same moments           {bare_rush.bids_per_second:,.2f} bids/s, "
            f"{bare_rush.megabytes_per_second:,.2f} MB/s; time to 201 "
            f"{_milliseconds(bare_seconds)}; {len(bare_seconds)} of {len(bare.results)} 201"
        )
        ratio = rush.bids_per_second / bare_rush.bids_per_second
        print(f"  ratio platform/bare (rush)   {ratio:.3f}")
    parts = ["api", "postgres backends", "postgres WAL/checkpoint", "clients"]
    print(f"  CPU: {_cpu_line(phase, len(verdict.accepted), parts)}")
    print(f"  {_machine_line(phase, parts[:-1])}")
    if phase.wait_samples:
        busiest = ", ".join(
            f"{what} {count / phase.wait_samples:.2f}" for what, count in phase.waits.most_common(8)
        )
        print(
            f"  database sessions at work (mean per 100 ms sample, {phase.wait_samples} "
            f"samples): {busiest or 'none'}"
        )
    return ratio


def report_capacity(options: RunOptions, rounds: dict[str, list[Phase]]) -> tuple[float, float]:
    """Print the capacity rounds; the platform's median bids/s and its ratio to the bare's."""
    print()
    print(
        f"CAPACITY: {options.suppliers} bids at once, {options.capacity_concurrency} in flight, "
        f"{options.rounds} round(s) per server, interleaved"
    )
    medians = {}
    for name, phases in rounds.items():
        figures = [throughput(p.results) for p in phases]
        medians[name] = statistics.median(t.bids_per_second for t in figures)
        megabytes = statistics.median(t.megabytes_per_second for t in figures)
        errors = sum(1 for p in phases for r in p.results if r["status"] != 201)
        seconds = [r["seconds"] for p in phases for r in p.results if r["status"] == 201]
        print(
            f"  {name:9}{medians[name]:>8,.2f} bids/s {megabytes:>8,.2f} MB/s   time to 201 "
            f"{_milliseconds(seconds)}   not 201: {errors}   rounds: "
            + ", ".join(f"{t.bids_per_second:,.2f}" for t in figures)
        )
        parts = ["api" if name == "platform" else "bare", "postgres backends", "clients"]
        accepted = sum(t.accepted for t in figures)
        merged = Phase(
            name=name,
            start=0.0,
            results=[],
            cpu={
                part: sum(p.cpu.get(part, 0.0) for p in phases)
                for part in {key for p in phases for key in p.cpu}
            },
            client_cpu=sum(p.client_cpu for p in phases),
            wall=sum(p.wall for p in phases),
        )
        print(f"    CPU: {_cpu_line(merged, accepted, parts)}")
        print(f"    {_machine_line(merged, parts[:-1])}")
    ratio = medians["platform"] / medians["bare"]
    print(f"  ratio platform/bare (capacity) {ratio:.3f}")
    return medians["platform"], ratio
