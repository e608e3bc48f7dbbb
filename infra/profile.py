"""The instance profile: everything that differs from one German state's instance to another.

A profile is a TOML file validated into frozen msgspec structs (DESIGN.md §6). The code holds no
state-specific constant: names, languages, the holiday subdivision, the EU thresholds with their
validity dates, the minimum periods, the standstill rule and the exclusion periods all come from
here. Bundled profiles live in ``infra/profiles/``; a deployment may point to its own file.
"""

from __future__ import annotations

__all__ = [
    "BUNDLED_PROFILES_DIR",
    "AwardRules",
    "EvidenceType",
    "ExclusionRules",
    "Instance",
    "MinimumPeriods",
    "Prequalification",
    "Profile",
    "ProfileError",
    "SignatureTrust",
    "Standstill",
    "ThresholdSet",
    "load_profile",
]

import itertools
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import msgspec

from infra.profile_prequalification import EvidenceType, Prequalification

BUNDLED_PROFILES_DIR = Path(__file__).parent / "profiles"
EU_LOTL_URL = "https://ec.europa.eu/tools/lotl/eu-lotl.xml"

Days = Annotated[int, msgspec.Meta(ge=1, le=365)]
Euro = Decimal
Language = Literal["de", "en"]


class ProfileError(Exception):
    """The profile file is missing or invalid; the message names the key and the reason."""


class Instance(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Who runs this instance."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}$")]
    """Two-letter state code in lower case (``hb``); prefixes certificate numbers."""
    state: str
    """The state (Land) as it names itself, e.g. ``Freie Hansestadt Bremen``."""
    name: dict[Language, str]
    """The platform's name per language."""
    operator: dict[Language, str]
    """Who operates the platform (shown in the footer and the imprint)."""
    languages: tuple[Language, ...] = ("de", "en")
    """Languages offered, the first is the default."""
    timezone: str = "Europe/Berlin"
    """Time zone in which times are entered and shown (storage is always UTC)."""
    holiday_subdivision: str
    """Subdivision code of the ``holidays`` package for the state's public holidays (``HB``)."""

    def __post_init__(self) -> None:
        if not self.languages:
            raise ValueError("languages: at least one language is required")
        for lang in self.languages:
            if lang not in self.name or lang not in self.operator:
                raise ValueError(f"name and operator need a text for language {lang!r}")
        if self.holiday_subdivision not in holidays.country_holidays("DE").subdivisions:
            raise ValueError(
                f"holiday_subdivision: unknown German subdivision {self.holiday_subdivision!r}"
            )
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None

    @property
    def default_language(self) -> Language:
        """The language a visitor sees first."""
        return self.languages[0]


class ThresholdSet(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The EU thresholds (net, EUR) in force between two dates, both inclusive."""

    valid_from: date
    valid_to: date
    source: str
    """Where the values are published (Official Journal reference)."""
    works: Euro
    """Public works contracts and concessions."""
    supplies_services: Euro
    """Supplies and services of sub-central authorities."""
    supplies_services_central: Euro
    """Supplies and services of top and upper federal authorities."""
    sector: Euro
    """Supplies and services of sector contracting entities."""
    social_services: Euro
    """Social and other specific services (Annex XIV of Directive 2014/24/EU)."""
    sector_social_services: Euro
    """Social and other specific services of sector entities (Art. 15(c) Directive 2014/25/EU)."""
    concessions: Euro

    def __post_init__(self) -> None:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to: lies before valid_from")
        for field in (
            "works",
            "supplies_services",
            "supplies_services_central",
            "sector",
            "social_services",
            "sector_social_services",
            "concessions",
        ):
            amount: Decimal = getattr(self, field)
            if not amount.is_finite() or amount <= 0:
                raise ValueError(f"{field}: must be a positive amount")


class MinimumPeriods(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Minimum periods in calendar days (§§ 15-16 VgV; national rules below the thresholds)."""

    eu_open: Days
    eu_open_electronic: Days
    eu_open_urgent: Days
    eu_restricted_participation: Days
    eu_restricted_participation_urgent: Days
    eu_restricted_tender: Days
    eu_restricted_tender_urgent: Days
    national: Days
    on_shortfall: Literal["refuse", "warn"]
    """Whether publishing with a shorter period is refused or only warned about."""


class Standstill(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The waiting period before a contract may be concluded (§ 134 GWB)."""

    electronic_days: Days
    other_days: Days
    end_moves_off_holidays: bool
    """Whether a period ending on a weekend or holiday moves to the next working day."""


class ExclusionRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How long exclusion grounds count (§ 126 GWB)."""

    mandatory_years: Annotated[int, msgspec.Meta(ge=1, le=10)]
    optional_years: Annotated[int, msgspec.Meta(ge=1, le=10)]


class AwardRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Rules around the evaluation and the award decision."""

    competition_register_from: Euro
    """Award value (net, EUR) from which the Wettbewerbsregister must be queried (§ 6 WRegG)."""
    tie_rule: Literal["lower_price", "lot"]
    """How bids with the same total are ordered: ``lower_price`` (the lower price ranks first;
    equal prices share the rank) or ``lot`` (drawn by lot with a recorded seed). The rule must be
    known to bidders in advance, like the criteria themselves (§ 127 Abs. 5 GWB)."""
    abnormally_low_percent: Annotated[int, msgspec.Meta(ge=1, le=90)]
    """A bid whose price lies more than this many percent below the second-lowest price is
    flagged as abnormally low and its explanation requested (§ 60 VgV, which sets no number:
    the "Aufgreifschwelle" of practice, usually 20)."""
    review_body: str | None = None
    """The competent public procurement review chamber (Vergabekammer), named in the
    information letters of § 134 GWB."""

    def __post_init__(self) -> None:
        amount = self.competition_register_from
        if not amount.is_finite() or amount < 0:
            raise ValueError("competition_register_from: must be a non-negative amount")


class SignatureTrust(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where the trusted lists and the revocation data come from, and extra trust anchors
    (DESIGN.md §4).

    The daily refresh fetches the EU list of the lists (LOTL) and, following only its pointers,
    the national trusted lists; the hourly one fetches the listed CRLs. Neither ever fetches a
    URL taken from a submitted document.
    """

    lotl_url: str = EU_LOTL_URL
    """The EU list of the lists (ETSI TS 119 612), verified with pyHanko's known LOTL signers;
    ``https://`` (``http://`` only on the loopback host, for a local mirror)."""
    territories: tuple[Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")], ...] = ()
    """Territories (``DE``, ``AT``, ``EL`` …) whose national lists are fetched; empty: every
    territory the LOTL points to (eIDAS Art. 25(3): a QES of any member state counts)."""
    allowed_hosts: tuple[Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9.-]+$")], ...] = (
        "ec.europa.eu",
    )
    """Host names the refresh may fetch from (lower case); a list elsewhere is skipped and
    logged. Must contain the host of ``lotl_url``."""
    trust_anchors: tuple[Path, ...] = ()
    """PEM files of extra roots trusted as they are (no qualification follows from them),
    relative to the profile file's directory."""
    crl_urls: tuple[str, ...] = ()
    """CRLs of the CAs the operator relies on, fetched by the hourly revocation refresh into the
    trust cache; validation uses them besides the revocation data a document carries. Only URLs
    on ``allowed_hosts`` are fetched (others are refused and logged); ``http://`` or
    ``https://``, as CAs publish CRLs (they are signed, and checked against the issuer when a
    signature is validated). Never taken from a submitted certificate."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.lotl_url)
        loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
        if not parts.hostname or not (parts.scheme == "https" or loopback):
            raise ValueError("lotl_url: must be an https:// URL (http:// only on loopback)")
        if parts.hostname not in self.allowed_hosts:
            raise ValueError(f"allowed_hosts: must contain the LOTL host {parts.hostname!r}")
        for url in self.crl_urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"crl_urls: {url!r} is not an http:// or https:// URL")


class Profile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One state's instance profile."""

    instance: Instance
    thresholds: tuple[ThresholdSet, ...]
    periods: MinimumPeriods
    standstill: Standstill
    exclusion: ExclusionRules
    award: AwardRules
    prequalification: Prequalification
    """The evidence catalogue and the certificate periods; every state decides its own."""
    signatures: SignatureTrust = msgspec.field(default_factory=SignatureTrust)

    def __post_init__(self) -> None:
        ordered = sorted(self.thresholds, key=lambda t: t.valid_from)
        for earlier, later in itertools.pairwise(ordered):
            if later.valid_from <= earlier.valid_to:
                raise ValueError(
                    f"thresholds: sets overlap: {earlier.valid_from}..{earlier.valid_to} "
                    f"and {later.valid_from}..{later.valid_to}"
                )

    def thresholds_on(self, day: date) -> ThresholdSet | None:
        """The threshold set in force on ``day``, or ``None`` if the profile has none for it."""
        for candidate in self.thresholds:
            if candidate.valid_from <= day <= candidate.valid_to:
                return candidate
        return None


def load_profile(name_or_path: str) -> Profile:
    """Load a bundled profile by name (``bremen``) or a profile file by path.

    Raises:
        ProfileError: with one line naming the file, the key and the reason.
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = BUNDLED_PROFILES_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            bundled = ", ".join(sorted(p.stem for p in BUNDLED_PROFILES_DIR.glob("*.toml")))
            raise ProfileError(f"unknown profile {name_or_path!r} (bundled: {bundled})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"profile {path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path}: not valid TOML ({exc})") from exc
    try:
        profile = msgspec.convert(raw, Profile, strict=False, dec_hook=_decode_path)
    except msgspec.ValidationError as exc:
        raise ProfileError(f"profile {path}: {_profile_key_message(exc)}") from exc
    return _with_anchor_paths(profile, path.parent)


def _decode_path(type_: type, obj: object) -> object:
    if type_ is Path and isinstance(obj, str):
        return Path(obj)
    raise NotImplementedError(f"cannot decode {type_!r}")


def _with_anchor_paths(profile: Profile, base: Path) -> Profile:
    """Resolve ``signatures.trust_anchors`` against ``base``; each file must exist."""
    anchors = tuple(base / anchor for anchor in profile.signatures.trust_anchors)
    for index, anchor in enumerate(anchors):
        if not anchor.is_file():
            raise ProfileError(
                f"profile {base}: key signatures.trust_anchors[{index}]: no file {anchor}"
            )
    signatures = msgspec.structs.replace(profile.signatures, trust_anchors=anchors)
    return msgspec.structs.replace(profile, signatures=signatures)


def _profile_key_message(exc: msgspec.ValidationError) -> str:
    """Turn msgspec's ``… - at `$.periods.eu_open``` into ``key periods.eu_open: …``.

    A check in ``__post_init__`` names the field at fault as ``field: reason``; the field is
    appended to the key of the table it is in (``key thresholds[0].works: …``).
    """
    text = str(exc)
    reason, sep, where = text.rpartition(" - at `")
    if not sep:
        reason, where = text, ""
    key = where.rstrip("`").removeprefix("$").removeprefix(".")
    field, colon, rest = reason.partition(": ")
    if colon and field.isidentifier():
        key, reason = f"{key}.{field}" if key else field, rest
    return f"key {key}: {reason}" if key else reason
