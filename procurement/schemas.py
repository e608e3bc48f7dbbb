"""Msgspec structs the procurement API takes and returns."""

from __future__ import annotations

__all__ = ["AuthorityKind", "ContractKind", "RegimeAssessment", "RegimeQuery"]

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

ContractKind = Literal["works", "supplies", "services", "social_services", "concession"]
AuthorityKind = Literal["sub_central", "central", "sector"]
"""Sub-central authority (Land, municipality), top or upper federal authority, sector entity."""


class RegimeQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which regime applies to a planned contract?"""

    contract: ContractKind
    estimated_value: Annotated[Decimal, msgspec.Meta(description="Net EUR, without VAT")]
    authority: AuthorityKind = "sub_central"
    reference_date: date | None = None
    """Day the procedure starts (dispatch of the notice); default: today in the instance's zone."""

    def __post_init__(self) -> None:
        if not self.estimated_value.is_finite() or self.estimated_value < 0:
            raise ValueError("estimated_value must be a non-negative amount")
        if self.estimated_value >= Decimal("1e15"):
            raise ValueError("estimated_value is implausibly large")


class RegimeAssessment(msgspec.Struct, frozen=True):
    regime: Literal["eu", "national"]
    threshold: Decimal
    """The EU threshold compared against (net EUR)."""
    legal_basis: str
    thresholds_valid_from: date
    thresholds_valid_to: date
    thresholds_source: str
