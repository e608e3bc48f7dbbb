"""The tender editor's values: the form's fields as strings, as shown and as sent.

:func:`values_from_form` reads a submitted editor into :class:`EditorValues`, the form as the
visitor filled it in (kept to show it again with the errors); :func:`values_from_view` fills it
from a stored tender, amounts in the notation of the page's language and deadlines as a date
and a time in the instance's time zone. Lots and award criteria are rows; :func:`with_rows`
adds the blank rows the editor offers (a blank row is ignored when the form is read).
"""

from __future__ import annotations

__all__ = [
    "MAX_CRITERIA",
    "MAX_LOTS",
    "CriterionRow",
    "EditorValues",
    "LotRow",
    "values_from_form",
    "values_from_view",
    "with_rows",
]

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec
from litestar.datastructures import FormMultiDict

from procurement.tenders.schemas import TenderView

MAX_LOTS = 200
MAX_CRITERIA = 30


class LotRow(msgspec.Struct, kw_only=True):
    title: str = ""
    description: str = ""
    estimated_value: str = ""
    cpv_codes: str = ""

    @property
    def blank(self) -> bool:
        return not any(v.strip() for v in msgspec.structs.astuple(self))


class CriterionRow(msgspec.Struct, kw_only=True):
    name: str = ""
    kind: str = ""
    weight: str = ""
    method: str = ""
    max_points: str = ""

    @property
    def blank(self) -> bool:
        return not any(v.strip() for v in (self.name, self.kind, self.weight, self.method))


class EditorValues(msgspec.Struct, kw_only=True):
    """The editor's fields as strings, as shown and as sent."""

    title: str = ""
    description: str = ""
    procedure: str = ""
    contract_kind: str = ""
    authority_kind: str = "sub_central"
    estimated_value: str = ""
    cpv_codes: str = ""
    nuts_code: str = ""
    urgent: bool = False
    urgency_reason: str = ""
    clarification_deadline: str = ""
    clarification_deadline_time: str = ""
    submission_deadline: str = ""
    submission_deadline_time: str = ""
    binding_until: str = ""
    bid_signature: str = "text"
    lots: list[LotRow] = msgspec.field(default_factory=list)
    criteria: list[CriterionRow] = msgspec.field(default_factory=list)
    pq_categories: list[str] = msgspec.field(default_factory=list)
    pq_divisions: list[str] = msgspec.field(default_factory=list)
    evidence_types: list[str] = msgspec.field(default_factory=list)


def _rows(form: FormMultiDict, name: str, limit: int) -> int:
    try:
        return max(0, min(int(str(form.get(name) or "0")), limit))
    except ValueError:
        return 0


def values_from_form(form: FormMultiDict) -> EditorValues:
    """The editor's values as sent (strings; rows as many as the form had)."""

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    return EditorValues(
        **{
            name: text(name)
            for name in (
                "title",
                "description",
                "procedure",
                "contract_kind",
                "authority_kind",
                "estimated_value",
                "cpv_codes",
                "nuts_code",
                "urgency_reason",
                "clarification_deadline",
                "clarification_deadline_time",
                "submission_deadline",
                "submission_deadline_time",
                "binding_until",
            )
        },
        urgent=text("urgent") == "yes",
        bid_signature=text("bid_signature") or "text",
        lots=[
            LotRow(**{field: text(f"lots-{i}-{field}") for field in LotRow.__struct_fields__})
            for i in range(_rows(form, "lot_rows", MAX_LOTS))
        ],
        criteria=[
            CriterionRow(
                **{field: text(f"criteria-{i}-{field}") for field in CriterionRow.__struct_fields__}
            )
            for i in range(_rows(form, "criterion_rows", MAX_CRITERIA))
        ],
        pq_categories=[v for v in form.getall("pq_categories", []) if isinstance(v, str)],
        pq_divisions=[v for v in form.getall("pq_divisions", []) if isinstance(v, str)],
        evidence_types=[v for v in form.getall("evidence_types", []) if isinstance(v, str)],
    )


def with_rows(values: EditorValues, *, lots: int = 2, criteria: int = 2) -> EditorValues:
    """``values`` with at least ``lots`` and ``criteria`` rows and one blank row of each more
    when every row is used."""
    lot_rows = list(values.lots)
    while len(lot_rows) < lots or (lot_rows and not lot_rows[-1].blank):
        lot_rows.append(LotRow())
    criterion_rows = list(values.criteria)
    while len(criterion_rows) < criteria or (criterion_rows and not criterion_rows[-1].blank):
        criterion_rows.append(CriterionRow())
    return msgspec.structs.replace(
        values, lots=lot_rows[:MAX_LOTS], criteria=criterion_rows[:MAX_CRITERIA]
    )


def _amount_text(value: Decimal, language: str) -> str:
    if language == "en":
        return f"{value:.2f}"
    whole, _, cents = f"{value:,.2f}".partition(".")
    return whole.replace(",", ".") + "," + cents


def values_from_view(view: TenderView, language: str, timezone: str) -> EditorValues:
    """The editor's values of a stored tender (amounts in the page's notation, times in the
    instance's zone)."""
    zone = ZoneInfo(timezone)

    def local(moment: datetime | None) -> tuple[str, str]:
        if moment is None:
            return "", ""
        here = moment.astimezone(zone)
        return here.date().isoformat(), here.strftime("%H:%M")

    clarification, clarification_time = local(view.clarification_deadline)
    submission, submission_time = local(view.submission_deadline)
    return EditorValues(
        title=view.title,
        description=view.description,
        procedure=view.procedure,
        contract_kind=view.contract_kind,
        authority_kind=view.authority_kind,
        estimated_value=_amount_text(view.estimated_value, language),
        cpv_codes=", ".join(view.cpv_codes),
        nuts_code=view.nuts_code,
        urgent=view.urgent,
        urgency_reason=view.urgency_reason or "",
        clarification_deadline=clarification,
        clarification_deadline_time=clarification_time,
        submission_deadline=submission,
        submission_deadline_time=submission_time,
        binding_until=view.binding_until.isoformat() if view.binding_until else "",
        bid_signature=view.bid_signature,
        lots=[
            LotRow(
                title=lot.title,
                description=lot.description,
                estimated_value=_amount_text(lot.estimated_value, language),
                cpv_codes=", ".join(lot.cpv_codes),
            )
            for lot in view.lots
        ],
        criteria=[
            CriterionRow(
                name=c.name,
                kind=c.kind,
                weight=str(c.weight),
                method=c.method,
                max_points=str(c.max_points),
            )
            for c in view.criteria
        ],
        pq_categories=list(view.pq_categories),
        pq_divisions=list(view.pq_divisions),
        evidence_types=list(view.evidence_types),
    )
