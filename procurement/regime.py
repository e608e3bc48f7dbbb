"""Which procurement regime applies: EU procedure or national rules (DESIGN.md §3).

A contract whose estimated value (net) reaches the EU threshold in force on the reference date
is awarded under part 4 of the GWB; below it, national rules apply. The thresholds and their
validity dates come from the instance profile.
"""

from __future__ import annotations

__all__ = ["assess_regime"]

from datetime import date
from decimal import Decimal

from infra.profile import Profile, ThresholdSet
from procurement.errors import NoThresholdsForDate
from procurement.schemas import AuthorityKind, ContractKind, RegimeAssessment

_EU_BASIS: dict[ContractKind, str] = {
    "works": "GWB Teil 4, VgV, VOB/A-EU",
    "supplies": "GWB Teil 4, VgV",
    "services": "GWB Teil 4, VgV",
    "social_services": "GWB Teil 4, VgV (§§ 64–66)",
    "concession": "GWB Teil 4, KonzVgV",
}
_SECTOR_EU_BASIS = "GWB Teil 4, SektVO"
_NATIONAL_BASIS: dict[ContractKind, str] = {
    "works": "VOB/A Abschnitt 1",
    "supplies": "UVgO",
    "services": "UVgO",
    "social_services": "UVgO (§ 49)",
    "concession": "Landesrecht (keine EU-Vergabepflicht)",
}


def _threshold(
    thresholds: ThresholdSet, contract: ContractKind, authority: AuthorityKind
) -> Decimal:
    if contract == "works":
        return thresholds.works
    if contract == "concession":
        return thresholds.concessions
    if contract == "social_services":
        if authority == "sector":
            return thresholds.sector_social_services
        return thresholds.social_services
    if authority == "sector":
        return thresholds.sector
    if authority == "central":
        return thresholds.supplies_services_central
    return thresholds.supplies_services


def assess_regime(
    profile: Profile,
    contract: ContractKind,
    authority: AuthorityKind,
    estimated_value: Decimal,
    reference_date: date,
) -> RegimeAssessment:
    """Decide the regime for a contract of ``estimated_value`` (net EUR) on ``reference_date``.

    Raises:
        NoThresholdsForDate: the profile has no threshold set covering ``reference_date``.
    """
    thresholds = profile.thresholds_on(reference_date)
    if thresholds is None:
        raise NoThresholdsForDate(f"No EU thresholds are configured for {reference_date}.")
    threshold = _threshold(thresholds, contract, authority)
    is_eu = estimated_value >= threshold
    if is_eu:
        basis = (
            _SECTOR_EU_BASIS
            if authority == "sector"
            and contract in ("supplies", "services", "works", "social_services")
            else _EU_BASIS[contract]
        )
    else:
        basis = _NATIONAL_BASIS[contract]
    return RegimeAssessment(
        regime="eu" if is_eu else "national",
        threshold=threshold,
        legal_basis=basis,
        thresholds_valid_from=thresholds.valid_from,
        thresholds_valid_to=thresholds.valid_to,
        thresholds_source=thresholds.source,
    )
