"""Errors of the procurement domain; each carries its HTTP status and problem code."""

from __future__ import annotations

__all__ = ["NoThresholdsForDate", "ProcurementError"]

from http import HTTPStatus

from infra.errors import DomainError


class ProcurementError(DomainError):
    """Base of all procurement errors."""


class NoThresholdsForDate(ProcurementError):
    status_code = HTTPStatus.CONFLICT
    code = "no-thresholds-for-date"
    title = "The profile has no EU thresholds for this date"
