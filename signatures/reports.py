"""ETSI TS 119 102-2 XML reports and small CMS helpers for :mod:`signatures.verify`."""

from __future__ import annotations

__all__ = [
    "claimed_signing_time",
    "der_from_maybe_pem",
    "detached_report",
    "etsi_report",
    "merge",
]

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms, pem
from lxml import etree
from pyhanko.generated.etsi import ts_11910202
from pyhanko.pdf_utils import generic
from pyhanko.sign.validation.ades import AdESBasicValidationResult
from pyhanko.sign.validation.report import tools
from pyhanko.sign.validation.report.tools import NAMESPACES
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig

logger = logging.getLogger(__name__)

_NS = "http://uri.etsi.org/19102/v1.2.1#"
_SERIALIZER = XmlSerializer(config=SerializerConfig(indent="  "), context=XmlContext())
"""One serializer for every report: its context learns the report classes once (pyHanko's
``generate_report`` builds a fresh one per call, a tenth of a small document's validation)."""
_EMPTY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<ValidationReport xmlns="http://uri.etsi.org/19102/v1.2.1#"/>\n'
)


def merge(parts: list[str]) -> bytes:
    """One ``ValidationReport`` holding every signature's report and validation objects."""
    if not parts:
        return _EMPTY
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(parts[0].encode("utf-8"), parser)
    objects = root.find(f"{{{_NS}}}SignatureValidationObjects")
    for part in parts[1:]:
        other = etree.fromstring(part.encode("utf-8"), parser)
        for report in other.findall(f"{{{_NS}}}SignatureValidationReport"):
            if objects is not None:
                objects.addprevious(report)
            else:
                root.append(report)
        other_objects = other.find(f"{{{_NS}}}SignatureValidationObjects")
        if other_objects is not None and objects is not None:
            for item in other_objects:
                objects.append(item)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def etsi_report(sig: Any, outcome: AdESBasicValidationResult[Any]) -> str:
    """The ETSI TS 119 102-2 report for one signature, as pyHanko 0.38's ``generate_report``
    makes it (its per-signature and validation-object builders), through the shared serializer.
    """
    report = ts_11910202.ValidationReport(
        signature_validation_report=(tools._generate_report(sig, outcome),),
        signature_validation_objects=ts_11910202.ValidationObjectListType(
            tuple(tools._package_validation_object(vo) for vo in outcome.validation_objects)
        ),
    )
    return _SERIALIZER.render(report, ns_map=NAMESPACES)


def der_from_maybe_pem(data: bytes) -> bytes:
    if pem.detect(data):
        _, _, der = pem.unarmor(data)
        return bytes(der)
    return data


def claimed_signing_time(signer_info: cms.SignerInfo) -> datetime | None:
    for attr in signer_info["signed_attrs"] or ():
        if attr["type"].native == "signing_time":
            value = attr["values"][0].native
            return value if isinstance(value, datetime) else None
    return None


@dataclass
class _DetachedSignature:
    """What pyHanko's report generator reads from a signature, for a detached CAdES file.

    The byte range describes the signed data: the whole separate document.
    """

    signer_info: cms.SignerInfo
    signed_data: cms.SignedData
    digest: bytes
    size: int
    self_reported_timestamp: datetime | None

    def compute_digest(self) -> bytes:
        return self.digest

    @property
    def sig_object(self) -> generic.DictionaryObject:
        return generic.DictionaryObject(
            {
                generic.NameObject("/Filter"): generic.NameObject("/Adobe.PPKLite"),
                generic.NameObject("/SubFilter"): generic.NameObject("/ETSI.CAdES.detached"),
                generic.NameObject("/ByteRange"): generic.ArrayObject(
                    [
                        generic.NumberObject(0),
                        generic.NumberObject(self.size),
                        generic.NumberObject(self.size),
                        generic.NumberObject(0),
                    ]
                ),
            }
        )


def detached_report(
    signed_data: cms.SignedData,
    signer_info: cms.SignerInfo,
    outcome: AdESBasicValidationResult[Any],
    document: bytes,
    digest: bytes,
) -> bytes:
    """The ETSI XML report for a detached CAdES signature."""
    shim: Any = _DetachedSignature(
        signer_info=signer_info,
        signed_data=signed_data,
        digest=digest,
        size=len(document),
        self_reported_timestamp=claimed_signing_time(signer_info),
    )
    try:
        return merge([etsi_report(shim, outcome)])
    except Exception:  # the XML report must never hide the verdict
        logger.exception("ETSI XML report failed for a detached signature")
        return _EMPTY
