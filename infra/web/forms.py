"""HTML forms: checking a submitted form against the domain's input schema, field by field.

A browser sends every field as a string. A page parses the body into a lax form struct (every
field a string defaulting to ``""``), then :func:`check_form` converts the values to the
domain's msgspec schema (``CompanyRegistration`` …), checking each field on its own against
the constraints the schema declares, so that one submission shows every wrong field at once.
Each field has a :class:`Rule` with the messages to show (English msgids marked with ``N_``;
the page translates them), so an error tells the visitor how to put it right.

Errors are a mapping of field name to message in the order of the form; :data:`FORM` holds
an error of the whole form (a refused login, a conflict), which the error summary links to
the form's first field.
"""

from __future__ import annotations

__all__ = ["CHECK_ENTRIES", "FORM", "Errors", "Rule", "check_form", "form_values"]

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import msgspec

from infra.web.i18n import N_

T = TypeVar("T")
FORM = "_form"
"""The key of an error that concerns the whole form rather than one field."""
CHECK_ENTRIES = N_("Please check your entries.")

Errors = dict[str, str]
"""Field name (or :data:`FORM`) to the msgid of its message, in the order of the form."""


class Rule(NamedTuple):
    """How one field is checked and what the visitor is told when it is wrong."""

    missing: str
    """Message when a required field is left empty."""
    invalid: str
    """Message when the value breaks the schema's constraints or ``check``."""
    check: Callable[[Any], object] | None = None
    """A further check of the converted value (raises ``ValueError``), e.g. the e-mail format."""
    strip: bool = True
    """Remove surrounding white space first (never for passwords)."""


def form_values(form: msgspec.Struct) -> dict[str, Any]:
    """The fields of a parsed form struct as a mapping."""
    return msgspec.structs.asdict(form)


def _blank(value: object) -> bool:
    return value is None or value in ("", [])


def check_form(
    schema: type[T],
    values: Mapping[str, Any],
    rules: Mapping[str, Rule],
    *,
    invalid: str = CHECK_ENTRIES,
) -> tuple[T | None, Errors]:
    """``values`` converted to ``schema``, or ``None`` and the errors per field.

    Args:
        schema: the domain's msgspec input struct.
        values: the submitted fields (strings, or lists of strings for checkboxes).
        rules: one rule per field of ``schema``, in the order the form shows them.
        invalid: the message when the fields are valid one by one but not together (the
            schema's own ``__post_init__`` refuses them); pages check such combinations before,
            so that this is a last resort.
    """
    fields = {field.name: field for field in msgspec.structs.fields(schema)}  # type: ignore[arg-type]
    if set(rules) != set(fields):
        raise ValueError(f"rules {sorted(rules)} do not match the fields {sorted(fields)}")
    errors: Errors = {}
    converted: dict[str, Any] = {}
    for name, rule in rules.items():
        value = values.get(name)
        if rule.strip and isinstance(value, str):
            value = value.strip()
        if _blank(value):
            if fields[name].required:
                errors[name] = rule.missing
            continue
        try:
            converted[name] = msgspec.convert(value, fields[name].type, strict=False)
            if rule.check is not None:
                rule.check(converted[name])
        except (msgspec.ValidationError, ValueError):
            errors[name] = rule.invalid
    if errors:
        return None, errors
    try:
        return msgspec.convert(converted, schema), {}
    except (msgspec.ValidationError, ValueError):
        return None, {FORM: invalid}
