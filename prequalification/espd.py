"""Import of an ESPD response (ESPD-EDM 4.1.0, UBL-2.3 ``QualificationApplicationResponse``).

A supplier may upload the European Single Procurement Document it already filled in elsewhere
instead of answering the exclusion questionnaire by hand. :func:`parse_espd_response` checks the
file (size, well-formed XML without any DTD, valid against the ESPD-EDM 4.1.0 schemas shipped in
``espd_schema/``) and maps it onto the platform's exclusion grounds
(:mod:`prequalification.exclusion`): the economic operator's name, identifier and size, and an
answer per GWB ground the ESPD answers.

How the ESPD keys its answers: each ``cac:TenderingCriterion`` carries a type code from the EU
``criterion`` list (``crime-org``, ``tax-pay``, ``bankruptcy`` …) and a tree of properties; each
``cac:TenderingCriterionResponse`` names the property it answers in
``cbc:ValidatedCriterionPropertyID``. The ground applies when the criterion's first indicator
question ("Your answer") is answered ``true``; the date is the criterion's date question
(conviction or decision); self-cleaning and "paid or committed to pay" (taxes and social security)
are the indicator questions so described in the EU taxonomy (English; German wording accepted).

Several ESPD criteria may map onto one ground (:data:`ESPD_CRITERIA`): the ground applies when any
of them applies, its date is the latest date given, and self-cleaning (or "paid or committed")
holds only when every applying criterion declares it. A ground that no criterion answers "yes" is
answered "no" only when every criterion mapped onto it is present and answered; otherwise it is
absent from :attr:`EspdImport.answers`, listed in :attr:`EspdImport.missing`, and the supplier
completes it on the platform. ESPD answers need not carry a date (the ESPD asks none for most
§ 124 grounds): such an answer must be dated on the platform before it can be assessed.
"""

from __future__ import annotations

__all__ = [
    "ESPD_CRITERIA",
    "MAX_ESPD_BYTES",
    "EspdImport",
    "InvalidEspd",
    "SmeSize",
    "UnmappedCriterion",
    "XmlError",
    "parse_espd_response",
]

import datetime as dt
import functools
import re
import threading
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple, cast
from urllib.parse import unquote, urlsplit

import msgspec
from lxml import etree

from prequalification.errors import PrequalificationError
from prequalification.exclusion import GROUND_CODES, GroundAnswer

MAX_ESPD_BYTES = 5 * 1024 * 1024
"""The largest ESPD file accepted (5 MiB); the sample response with 62 criteria has 1.1 MB."""

SmeSize = Literal["micro", "small", "medium", "large", "sme"]
"""The EU ``economic-operator-size`` code; ``sme`` is "an SME" without the finer class."""

ESPD_CRITERIA: dict[str, tuple[str, ...]] = {
    "crime-org": ("criminal-organisation",),
    "terr-offence": ("terrorism",),
    # Article 57(1)(e) of Directive 2014/24/EU: money laundering or terrorist financing
    # (§ 261 StGB; § 89c StGB belongs to the GWB's terrorism ground).
    "finan-laund": ("money-laundering", "terrorism"),
    # Fraud within the meaning of Article 1 of the PIF Convention: §§ 263 and 264 StGB.
    "fraud": ("fraud", "subsidy-fraud"),
    "corruption": ("corruption",),
    "human-traffic": ("human-trafficking",),
    "tax-pay": ("tax-social-security",),
    "socsec-pay": ("tax-social-security",),
    "envir-law": ("environmental-social-labour",),
    "socsec-law": ("environmental-social-labour",),
    "labour-law": ("environmental-social-labour",),
    "bankruptcy": ("insolvency",),
    "insolvency": ("insolvency",),
    "cred-arran": ("insolvency",),
    "bankr-nat": ("insolvency",),
    "liq-admin": ("insolvency",),
    "susp-act": ("insolvency",),
    "prof-misconduct": ("professional-misconduct",),
    "distorsion": ("competition-agreements",),
    "partic-confl": ("conflict-of-interest",),
    "prep-confl": ("prior-involvement",),
    "sanction": ("poor-performance",),
    # Article 57(4)(h) and (i): § 124 Abs. 1 Nr. 8 and Nr. 9 GWB.
    "misrepresent": ("misrepresentation", "undue-influence"),
}
"""ESPD exclusion criterion type code → the GWB grounds it answers."""

# Selection and other criteria of the ESPD-EDM 4.1.0 taxonomy: not exclusion grounds, ignored.
# Any other criterion that is not in ESPD_CRITERIA (``nati-ground``, or one added by a later
# taxonomy) is reported as unmapped.
_NOT_EXCLUSION = frozenset(
    {
        "prof-regist",
        "trade-regist",
        "authorisation",
        "membership",
        "gen-year-to",
        "aver-year-to",
        "spec-aver-to",
        "spec-year-to",
        "finan-rat",
        "indem-insu",
        "finan-requ",
        "work-perform",
        "supply-perform",
        "service-perform",
        "qual-cont-tech",
        "work-tech",
        "qual-facil",
        "research-fac",
        "chain-manage",
        "envir-measure",
        "tech-equip",
        "qualification",
        "spec-req-check",
        "manage-staff",
        "year-manpower",
        "suncont-port",
        "wo-autent",
        "w-autent",
        "qa-certif-inst",
        "qu-certif-indep",
        "envir-certif-indep",
        "shelt-worksh",
        "registered",
        "eo-group",
        "relied",
        "subco-ent",
        "staff-red",
        "sme",
    }
)
_SELF_CLEANING = re.compile(r"self-cleaning|reliability|selbstreinigung|zuverlässigkeit", re.I)
_PAID = re.compile(
    r"by paying|binding arrangement|zahlung vorgenommen|zur zahlung verpflichtet", re.I
)
_SIZES: frozenset[str] = frozenset(("micro", "small", "medium", "large", "sme"))
_MAX_ERRORS = 50

_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_NS = {"cac": _CAC, "cbc": _CBC}
_SCHEMA_DIR = Path(__file__).resolve().with_name("espd_schema")
_SCHEMA_MAIN = _SCHEMA_DIR / "maindoc" / "UBL-QualificationApplicationResponse-2.3.xsd"

Reason = Literal["too-large", "not-xml", "dtd", "schema"]
_REASONS: dict[str, tuple[str, str]] = {
    "too-large": (
        "Die ESPD-Datei ist größer als 5 MB.",
        "The ESPD file is larger than 5 MB.",
    ),
    "not-xml": (
        "Die Datei ist kein wohlgeformtes XML.",
        "The file is not well-formed XML.",
    ),
    "dtd": (
        "Die Datei enthält eine Dokumenttyp-Deklaration (DTD); das ist nicht erlaubt.",
        "The file contains a document type declaration (DTD), which is not allowed.",
    ),
    "schema": (
        "Die Datei ist keine gültige ESPD-Antwort (ESPD-EDM 4.1.0).",
        "The file is not a valid ESPD response (ESPD-EDM 4.1.0).",
    ),
}


class XmlError(msgspec.Struct, frozen=True, kw_only=True):
    """One error found in the file, where libxml2 found it."""

    line: int
    """1-based line in the uploaded file (0 when unknown)."""
    column: int
    """Column as libxml2 reports it (0 when unknown; schema errors often carry none)."""
    message: str


class InvalidEspd(PrequalificationError):
    """The upload is not an ESPD response the platform can read."""

    status_code: ClassVar[int] = HTTPStatus.UNPROCESSABLE_ENTITY
    code: ClassVar[str] = "invalid-espd"
    title: ClassVar[str] = "The ESPD file is invalid"

    def __init__(self, reason: Reason, errors: Iterable[XmlError] = ()) -> None:
        de, en = _REASONS[reason]
        self.errors: tuple[XmlError, ...] = tuple(errors)[:_MAX_ERRORS]
        """Where the file is broken or invalid, at most 50 entries."""
        super().__init__(
            en,
            reason=reason,
            detail_de=de,
            errors=[msgspec.structs.asdict(e) for e in self.errors],
        )
        self.reason: Reason = reason
        self.de = de
        self.en = en


class UnmappedCriterion(msgspec.Struct, frozen=True, kw_only=True):
    """An exclusion criterion of the ESPD without a GWB counterpart (e.g. ``nati-ground``)."""

    code: str
    """The ESPD criterion type code."""
    name: str | None
    """The criterion's name as the file gives it."""
    applies: bool | None
    """The supplier's answer: ``True`` when it declares the ground; ``None`` when unanswered."""


class EspdImport(msgspec.Struct, frozen=True, kw_only=True):
    """What an ESPD response says about the supplier and the exclusion grounds."""

    operator_name: str | None
    """The economic operator's name (first ``cac:PartyName``)."""
    operator_id: str | None
    """Its identifier as given (VAT or national number; first ``cac:PartyIdentification``)."""
    sme_size: SmeSize | None
    """``cbc:IndustryClassificationCode`` of list ``economic-operator-size``; ``None`` if absent
    or not a known code."""
    answers: tuple[GroundAnswer, ...]
    """An answer per ground the ESPD answers, in the order of the catalogue; not a complete
    self-declaration: the grounds in :attr:`missing` are to be answered on the platform."""
    missing: tuple[str, ...]
    """Ground codes the ESPD does not (fully) answer."""
    unmapped: tuple[UnmappedCriterion, ...]
    """Exclusion criteria of the ESPD that no GWB ground corresponds to."""


class _Property(NamedTuple):
    id: str
    kind: str
    data_type: str
    description: str


class _Criterion(NamedTuple):
    applies: bool
    date: dt.date | None
    self_cleaning: bool
    paid: bool
    explanation: str | None


class _Refused(Exception):
    """Raised by the probe parser's target at the first DOCTYPE."""


class _DoctypeProbe:
    """A SAX target that builds nothing and stops at a DOCTYPE, before any entity is read."""

    def doctype(self, *_: object) -> None:
        raise _Refused

    def start(self, *_: object) -> None:
        pass

    def end(self, *_: object) -> None:
        pass

    def data(self, *_: object) -> None:
        pass

    def close(self) -> None:
        pass


def _hardened(target: object | None = None) -> Any:
    """A fresh parser: no network, no entity substitution, no DTD, no huge trees."""
    return etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


class _SchemaFilesOnly(etree.Resolver):  # type: ignore[misc]
    """Lets the schema load files from ``espd_schema/`` and nothing else."""

    def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
        parts = urlsplit(url)
        if parts.scheme not in ("", "file"):
            raise ValueError(f"schema import outside the package refused: {url}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(_SCHEMA_DIR):
            raise ValueError(f"schema import outside the package refused: {url}")
        return self.resolve_filename(str(path), context)


@functools.cache
def _schema() -> Any:
    """The ESPD response schema, loaded once from the package files only."""
    parser = _hardened()
    parser.resolvers.add(_SchemaFilesOnly())
    return etree.XMLSchema(etree.parse(str(_SCHEMA_MAIN), parser))


_validating = threading.Lock()  # an XMLSchema keeps its error log on itself


def _errors(log: Iterable[Any]) -> tuple[XmlError, ...]:
    return tuple(
        XmlError(line=int(e.line or 0), column=int(e.column or 0), message=str(e.message))
        for e in log
    )


def _syntax_errors(parser: Any, exc: etree.XMLSyntaxError) -> tuple[XmlError, ...]:
    """The parser's own log (the exception's log is shared by the thread and keeps old errors)."""
    line, column = exc.position
    return _errors(parser.error_log) or (XmlError(line=line, column=column, message=exc.msg),)


def _parse(data: bytes) -> Any:
    if len(data) > MAX_ESPD_BYTES:
        raise InvalidEspd("too-large")
    if not data.strip():
        raise InvalidEspd("not-xml", [XmlError(line=1, column=1, message="The file is empty.")])
    probe = _hardened(_DoctypeProbe())
    try:
        etree.fromstring(data, probe)
    except _Refused:
        raise InvalidEspd("dtd") from None
    except etree.XMLSyntaxError as exc:
        raise InvalidEspd("not-xml", _syntax_errors(probe, exc)) from None
    parser = _hardened()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidEspd("not-xml", _syntax_errors(parser, exc)) from None
    if root.getroottree().docinfo.internalDTD is not None:  # the probe stops these already
        raise InvalidEspd("dtd")
    schema = _schema()
    with _validating:
        valid = schema.validate(root)
        errors = () if valid else _errors(schema.error_log)
    if not valid:
        raise InvalidEspd("schema", errors)
    return root


def parse_espd_response(data: bytes) -> EspdImport:
    """Read an ESPD response and map it onto the exclusion grounds.

    Args:
        data: the uploaded file, at most :data:`MAX_ESPD_BYTES`.

    Returns:
        The operator's data, an answer per ground the ESPD answers (grounds it does not answer
        are absent from ``answers`` and listed in ``missing``; the supplier completes them on
        the platform) and the exclusion criteria that have no GWB counterpart.

    Raises:
        InvalidEspd: too large, not well-formed XML, a DTD, or not valid against the
            ESPD-EDM 4.1.0 schema; ``errors`` carries line, column and message of each error.
    """
    root = _parse(data)
    responses: dict[str, list[Any]] = {}
    for response in root.iterfind("cac:TenderingCriterionResponse", _NS):
        key = _text(response, "cbc:ValidatedCriterionPropertyID")
        if key is not None:
            responses.setdefault(key, []).append(response)

    per_ground: dict[str, dict[str, list[_Criterion | None]]] = {c: {} for c in GROUND_CODES}
    unmapped: list[UnmappedCriterion] = []
    for criterion in root.iterfind("cac:TenderingCriterion", _NS):
        code = (_text(criterion, "cbc:CriterionTypeCode") or "").lower()
        if code in _NOT_EXCLUSION:
            continue
        read = _read_criterion(code, _properties(criterion), responses)
        if code in ESPD_CRITERIA:
            for ground_code in ESPD_CRITERIA[code]:
                per_ground[ground_code].setdefault(code, []).append(read)
        else:
            applies = None if read is None else read.applies
            name = _text(criterion, "cbc:Name")
            unmapped.append(UnmappedCriterion(code=code, name=name, applies=applies))

    answers = [a for code in GROUND_CODES if (a := _combine(code, per_ground[code])) is not None]
    answered = {a.code for a in answers}
    party = root.find("cac:EconomicOperatorParty/cac:Party", _NS)
    return EspdImport(
        operator_name=None if party is None else _text(party, "cac:PartyName/cbc:Name"),
        operator_id=None if party is None else _text(party, "cac:PartyIdentification/cbc:ID"),
        sme_size=None if party is None else _sme_size(party),
        answers=tuple(answers),
        missing=tuple(code for code in GROUND_CODES if code not in answered),
        unmapped=tuple(unmapped),
    )


def _text(element: Any, path: str) -> str | None:
    value = element.findtext(path, namespaces=_NS)
    return value.strip() or None if value is not None else None


def _sme_size(party: Any) -> SmeSize | None:
    for code in party.iterfind("cbc:IndustryClassificationCode", _NS):
        if (code.get("listID") or "").endswith("economic-operator-size"):
            value = (code.text or "").strip().lower()
            return cast(SmeSize, value) if value in _SIZES else None
    return None


def _properties(criterion: Any) -> list[_Property]:
    """The criterion's properties in document order (depth first)."""
    return [
        _Property(
            id=_text(p, "cbc:ID") or "",
            kind=_text(p, "cbc:TypeCode") or "",
            data_type=_text(p, "cbc:ValueDataTypeCode") or "",
            description=_text(p, "cbc:Description") or "",
        )
        for p in criterion.iter(f"{{{_CAC}}}TenderingCriterionProperty")
    ]


def _values(responses: dict[str, list[Any]], prop: _Property, field: str) -> list[str]:
    return [
        value.strip()
        for response in responses.get(prop.id, ())
        for value in response.xpath(f"cac:ResponseValue/cbc:{field}/text()", namespaces=_NS)
        if value.strip()
    ]


def _indicators(responses: dict[str, list[Any]], prop: _Property) -> list[bool]:
    return [v in ("true", "1") for v in _values(responses, prop, "ResponseIndicator")]


def _read_criterion(
    code: str, props: list[_Property], responses: dict[str, list[Any]]
) -> _Criterion | None:
    """The supplier's answer to one criterion; ``None`` when the main question is unanswered."""
    questions = [p for p in props if p.kind == "QUESTION"]
    indicators = [p for p in questions if p.data_type == "INDICATOR"]
    if not indicators:
        return None
    main = _indicators(responses, indicators[0])
    if not main:
        return None
    dates = [
        day
        for p in questions
        if p.data_type == "DATE"
        for value in _values(responses, p, "ResponseDate")
        if (day := _date(value)) is not None
    ]
    texts = [
        text
        for p in questions
        if p.data_type == "DESCRIPTION"
        for text in _values(responses, p, "Description")
    ]

    def declared(pattern: re.Pattern[str]) -> bool:
        return any(
            any(_indicators(responses, p)) for p in indicators[1:] if pattern.search(p.description)
        )

    return _Criterion(
        applies=any(main),
        date=max(dates, default=None),
        self_cleaning=declared(_SELF_CLEANING),
        paid=declared(_PAID),
        explanation=f"ESPD {code}: " + " / ".join(texts) if texts else None,
    )


def _date(value: str) -> dt.date | None:
    """An ``xsd:date`` (a time-zone suffix is ignored)."""
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _combine(code: str, by_criterion: dict[str, list[_Criterion | None]]) -> GroundAnswer | None:
    """The answer on one ground from the criteria mapped onto it (keyed by ESPD code)."""
    read = [r for reads in by_criterion.values() for r in reads]
    applying = [r for r in read if r is not None and r.applies]
    if applying:
        explanations = [r.explanation for r in applying if r.explanation]
        return GroundAnswer(
            code=code,
            applies=True,
            date=max((r.date for r in applying if r.date is not None), default=None),
            self_cleaning=all(r.self_cleaning for r in applying),
            explanation="\n".join(explanations) or None,
            paid_or_committed=code == "tax-social-security" and all(r.paid for r in applying),
        )
    expected = {espd for espd, grounds in ESPD_CRITERIA.items() if code in grounds}
    if set(by_criterion) == expected and all(r is not None for r in read):
        return GroundAnswer(code=code, applies=False)
    return None
