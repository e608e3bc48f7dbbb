"""Trust: trusted lists count only when their signature verifies at the validation time."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from asn1crypto import x509
from pyhanko.sign.validation.qualified.assess import QualificationAssessor
from pyhanko.sign.validation.qualified.eutl_parse import latest_known_lotl_tlso_certs
from pyhanko.sign.validation.qualified.tsp import QcCertType, TSPRegistry
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.authority import AuthorityWithCert

from infra.profile import SignatureTrust
from infra.settings import Settings
from signatures.errors import TrustedListInvalid
from signatures.trust import (
    TrustedList,
    TrustStore,
    build_trust_store,
    cache_paths,
    load_certificates,
    load_trust_store,
    read_trusted_list,
)
from signatures.trusted_lists import read_lotl
from tests.signatures.pki import PKI_NOW, TestPki
from tests.signatures.trusted_list import TEST_LIST_ISSUED_AT, make_trusted_list

GENUINE = Path(__file__).resolve().parents[1] / "data" / "eu-trusted-lists"
LOTL_ISSUED = datetime(2026, 5, 22, 13, 16, 35, tzinfo=UTC)
"""ListIssueDateTime of the genuine eu-lotl.xml."""
BE_ISSUED = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)
EE_ISSUED = datetime(2025, 6, 12, 11, 57, 48, tzinfo=UTC)
AFTER_TLSO_EXPIRED = datetime(2035, 6, 1, tzinfo=UTC)
"""The test ``tlso`` certificate is valid until 2035-01-01."""


def _cas(registry: TSPRegistry) -> set[str]:
    return {ca.name.native["common_name"] for ca in registry.known_certificate_authorities}


def _tsas(registry: TSPRegistry) -> set[str]:
    return {tsa.name.native["common_name"] for tsa in registry.known_timestamp_authorities}


def _tampered(xml: bytes) -> bytes:
    """One byte changed inside the signed content: a digit of the list's issue date."""
    match = re.search(rb"ListIssueDateTime>\d\d\d", xml)
    assert match is not None
    at = match.end() - 1
    return xml[:at] + (b"7" if xml[at : at + 1] != b"7" else b"6") + xml[at + 1 :]


class TestReadTrustedList:
    def test_given_the_generated_list_then_the_root_is_a_qualified_ca_and_qtsa_a_qualified_tsa(
        self, pki: TestPki, trusted_list_xml: bytes
    ) -> None:
        registry = read_trusted_list(TrustedList(trusted_list_xml, (pki.cert("tlso"),)), at=PKI_NOW)

        assert _cas(registry) == {"Test-Trust Root CA"}
        assert _tsas(registry) == {"Test-Trust Qualified TSA"}

    def test_given_one_byte_changed_inside_the_signed_content_then_it_is_refused(
        self, pki: TestPki, trusted_list_xml: bytes
    ) -> None:
        tl = TrustedList(_tampered(trusted_list_xml), (pki.cert("tlso"),), source="tl-de.xml")

        with pytest.raises(TrustedListInvalid, match=r"tl-de\.xml: signature not verified"):
            read_trusted_list(tl, at=PKI_NOW)

    def test_given_another_signer_certificate_then_it_is_refused(
        self, pki: TestPki, trusted_list_xml: bytes
    ) -> None:
        tl = TrustedList(trusted_list_xml, (pki.cert("seal"), pki.root), source="tl-de.xml")

        with pytest.raises(TrustedListInvalid, match=r"tl-de\.xml"):
            read_trusted_list(tl, at=PKI_NOW)

    def test_given_a_time_after_the_signer_expired_then_it_is_refused(
        self, pki: TestPki, trusted_list_xml: bytes
    ) -> None:
        tl = TrustedList(trusted_list_xml, (pki.cert("tlso"),))

        with pytest.raises(TrustedListInvalid, match="not valid at 2035-06-01"):
            read_trusted_list(tl, at=AFTER_TLSO_EXPIRED)

    @pytest.mark.parametrize("xml", [b"", b"not xml", b"<a/>"])
    def test_given_no_signed_list_then_it_is_refused(self, pki: TestPki, xml: bytes) -> None:
        with pytest.raises(TrustedListInvalid, match="signature not verified"):
            read_trusted_list(TrustedList(xml, (pki.cert("tlso"),)), at=PKI_NOW)


@pytest.fixture(scope="module")
def pointers() -> dict[str, tuple[x509.Certificate, ...]]:
    """Signer certificates per territory, from the genuine LOTL verified at its issue date."""
    found = read_lotl(
        (GENUINE / "eu-lotl.xml").read_bytes(),
        signers=latest_known_lotl_tlso_certs(),
        at=LOTL_ISSUED,
    )
    return {pointer.territory: pointer.signers for pointer in found}


class TestGenuineLists:
    """The EU LOTL and the Belgian and Estonian lists as published, each at its issue date."""

    def test_the_lotl_verifies_and_points_to_every_member_state(
        self, pointers: dict[str, tuple[x509.Certificate, ...]]
    ) -> None:
        assert {"BE", "DE", "EE", "FR", "AT"} <= pointers.keys()
        assert all(pointers[territory] for territory in ("BE", "EE"))

    @pytest.mark.parametrize(
        ("territory", "file", "issued"),
        [("BE", "tsl-be-v6.xml", BE_ISSUED), ("EE", "tsl-ee.xml", EE_ISSUED)],
    )
    def test_a_national_list_verifies_with_the_signers_of_its_pointer(
        self,
        pointers: dict[str, tuple[x509.Certificate, ...]],
        territory: str,
        file: str,
        issued: datetime,
    ) -> None:
        tl = TrustedList((GENUINE / file).read_bytes(), pointers[territory], source=file)

        registry = read_trusted_list(tl, at=issued)

        assert len(list(registry.known_certificate_authorities)) > 0
        assert len(list(registry.known_timestamp_authorities)) > 0

    def test_a_tampered_copy_is_refused(
        self, pointers: dict[str, tuple[x509.Certificate, ...]]
    ) -> None:
        xml = _tampered((GENUINE / "tsl-ee.xml").read_bytes())

        with pytest.raises(TrustedListInvalid, match=r"tsl-ee\.xml"):
            read_trusted_list(TrustedList(xml, pointers["EE"], "tsl-ee.xml"), at=EE_ISSUED)

    def test_a_list_checked_with_the_signers_of_another_territory_is_refused(
        self, pointers: dict[str, tuple[x509.Certificate, ...]]
    ) -> None:
        xml = (GENUINE / "tsl-ee.xml").read_bytes()

        with pytest.raises(TrustedListInvalid, match="signature not verified"):
            read_trusted_list(TrustedList(xml, pointers["BE"], "tsl-ee.xml"), at=EE_ISSUED)


class TestBuildTrustStore:
    def test_given_two_lists_then_their_services_are_merged(
        self, pki: TestPki, trusted_list_xml: bytes
    ) -> None:
        second = make_trusted_list(pki, qualified_tsa="tsa", issued_at=TEST_LIST_ISSUED_AT)
        signers = (pki.cert("tlso"),)

        store = build_trust_store(
            anchors=(pki.root,),
            trusted_lists=(TrustedList(trusted_list_xml, signers), TrustedList(second, signers)),
            at=PKI_NOW,
        )

        assert _tsas(store.registry) == {
            "Test-Trust Qualified TSA",
            "Test-Trust TSA (not qualified)",
        }
        assert store.anchors == (pki.root,)
        assert store.trust_manager().is_root(pki.root)

    def test_given_one_invalid_list_then_nothing_is_built(
        self, pki: TestPki, trusted_list_xml: bytes
    ) -> None:
        lists = (
            TrustedList(trusted_list_xml, (pki.cert("tlso"),)),
            TrustedList(_tampered(trusted_list_xml), (pki.cert("tlso"),), source="second"),
        )

        with pytest.raises(TrustedListInvalid, match="second"):
            build_trust_store(trusted_lists=lists, at=PKI_NOW)


class TestQualification:
    """The store from the generated list makes pyHanko assess the test PKI as ETSI TS 119 615."""

    @pytest.mark.parametrize(
        ("label", "qualified", "qc_type"),
        [
            ("signer-qes", True, QcCertType.QC_ESIGN),
            ("seal", True, QcCertType.QC_ESEAL),
            ("signer-adv", False, None),
        ],
    )
    async def test_the_certificate_is_assessed_as_the_pki_declares_it(
        self, pki: TestPki, trust: TrustStore, label: str, qualified: bool, qc_type: QcCertType
    ) -> None:
        context = ValidationContext(
            trust_manager=trust.trust_manager(),
            moment=PKI_NOW,
            other_certs=pki.chain(),
            crls=pki.crls(PKI_NOW),
            ocsps=[pki.ocsp_response(label, PKI_NOW)],
        )
        path = await CertificateValidator(
            pki.cert(label), validation_context=context
        ).async_validate_usage({"non_repudiation"})

        result = QualificationAssessor(trust.registry).check_entity_cert_qualified(path, PKI_NOW)

        assert result.status.qualified is qualified
        if qualified:
            assert result.status.qc_type == qc_type
        assert path.trust_anchor.authority == AuthorityWithCert(pki.root)


def _settings_with(settings: Settings, cache: Path, anchors: tuple[Path, ...] = ()) -> Settings:
    profile = msgspec.structs.replace(
        settings.profile, signatures=SignatureTrust(trust_anchors=anchors)
    )
    signatures = msgspec.structs.replace(settings.signatures, trust_cache_dir=cache)
    return msgspec.structs.replace(settings, profile=profile, signatures=signatures)


def _install(cache: Path, territory: str, xml: bytes, signers: bytes) -> Path:
    xml_path, signers_path = cache_paths(cache, territory)
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    signers_path.write_bytes(signers)
    xml_path.write_bytes(xml)
    return xml_path


class TestLoadTrustStore:
    def test_given_the_session_settings_then_the_test_pki_is_trusted(
        self, settings: Settings, pki: TestPki
    ) -> None:
        store = load_trust_store(settings, at=PKI_NOW)

        assert _cas(store.registry) == {"Test-Trust Root CA"}
        assert _tsas(store.registry) == {"Test-Trust Qualified TSA"}

    def test_given_a_profile_anchor_and_a_cache_anchor_then_both_are_trusted(
        self, settings: Settings, pki: TestPki, tmp_path: Path
    ) -> None:
        (tmp_path / "profile-root.pem").write_bytes(pki.pem(["root"]))
        (tmp_path / "cache" / "anchors").mkdir(parents=True)
        (tmp_path / "cache" / "anchors" / "extra.pem").write_bytes(pki.pem(["tsa"]))
        configured = _settings_with(settings, tmp_path / "cache", (tmp_path / "profile-root.pem",))

        store = load_trust_store(configured, at=PKI_NOW)

        assert [a.sha256 for a in store.anchors] == [pki.root.sha256, pki.cert("tsa").sha256]
        assert list(store.registry.known_certificate_authorities) == []

    def test_loading_again_with_unchanged_files_returns_the_same_store(
        self, settings: Settings, pki: TestPki, trusted_list_xml: bytes, tmp_path: Path
    ) -> None:
        _install(tmp_path, "DE", trusted_list_xml, pki.pem(["tlso"]))
        configured = _settings_with(settings, tmp_path)

        first = load_trust_store(configured, at=PKI_NOW)
        again = load_trust_store(configured, at=datetime(2026, 3, 28, tzinfo=UTC))

        assert again is first

    def test_given_a_changed_list_then_the_new_content_counts(
        self, settings: Settings, pki: TestPki, trusted_list_xml: bytes, tmp_path: Path
    ) -> None:
        path = _install(tmp_path, "DE", trusted_list_xml, pki.pem(["tlso"]))
        configured = _settings_with(settings, tmp_path)
        load_trust_store(configured, at=PKI_NOW)
        path.unlink()
        _install(
            tmp_path,
            "DE",
            make_trusted_list(pki, qualified_tsa="tsa", issued_at=TEST_LIST_ISSUED_AT),
            pki.pem(["tlso"]),
        )

        store = load_trust_store(configured, at=PKI_NOW)

        assert _tsas(store.registry) == {"Test-Trust TSA (not qualified)"}

    def test_given_a_tampered_list_then_it_is_left_out_and_logged_and_the_others_count(
        self,
        settings: Settings,
        pki: TestPki,
        trusted_list_xml: bytes,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        _install(tmp_path, "AT", _tampered(trusted_list_xml), pki.pem(["tlso"]))
        _install(tmp_path, "DE", trusted_list_xml, pki.pem(["tlso"]))
        configured = _settings_with(settings, tmp_path)

        with caplog.at_level(logging.ERROR, logger="vergabe.signatures.trust"):
            store = load_trust_store(configured, at=PKI_NOW)

        assert _cas(store.registry) == {"Test-Trust Root CA"}
        logged = [getattr(record, "path", None) for record in caplog.records]
        assert logged == [str(tmp_path / "lists" / "AT.xml")]

    def test_given_a_time_after_the_signer_expired_then_the_list_is_left_out(
        self, settings: Settings, pki: TestPki, trusted_list_xml: bytes, tmp_path: Path
    ) -> None:
        _install(tmp_path, "DE", trusted_list_xml, pki.pem(["tlso"]))
        configured = _settings_with(settings, tmp_path)
        assert _cas(load_trust_store(configured, at=PKI_NOW).registry)

        store = load_trust_store(configured, at=AFTER_TLSO_EXPIRED)

        assert list(store.registry.known_certificate_authorities) == []

    def test_given_a_list_without_its_signers_file_then_it_is_left_out(
        self, settings: Settings, trusted_list_xml: bytes, tmp_path: Path
    ) -> None:
        (tmp_path / "lists").mkdir()
        (tmp_path / "lists" / "DE.xml").write_bytes(trusted_list_xml)

        store = load_trust_store(_settings_with(settings, tmp_path), at=PKI_NOW)

        assert list(store.registry.known_certificate_authorities) == []


class TestLoadCertificates:
    def test_given_pem_with_two_blocks_or_der_then_all_are_read(self, pki: TestPki) -> None:
        two = load_certificates(pki.pem(["root", "tsa"]))
        one = load_certificates(pki.root.dump())

        assert [c.dump() for c in two] == [pki.root.dump(), pki.cert("tsa").dump()]
        assert [c.dump() for c in one] == [pki.root.dump()]
