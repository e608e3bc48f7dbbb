"""Detached sealing makes a validated, timestamped CAdES signature with the seal; a certificate's
documents come out sealed in both forms.

Same set-up as :mod:`tests.signatures.test_seal`: the seal from a PKCS#12 archive of the test
PKI or from a SoftHSM2 token, timestamps over HTTP from certomancer's Animator serving the test
PKI's qualified authority, the test PKI's revocation data handed over directly.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pkcs11
import pytest
from asn1crypto import cms
from certomancer.integrations.animator import Animator, AnimatorArchStore
from werkzeug.serving import make_server

from infra.clock import ManualClock
from infra.settings import load_settings
from prequalification.certificate_document import issue_documents, render_json
from signatures.errors import SealingFailed
from signatures.schemas import Coverage, DocumentReport, Label, Level, Verdict
from signatures.seal import SoftwareKey, TokenKey, sealer_from_settings
from signatures.trust import TrustStore, load_trust_store
from signatures.verify import verify_detached, verify_pdf
from tests.prequalification.test_certificate_document import make_facts
from tests.signatures.pki import PKI_NOW, REVOKED_SINCE, TestPki
from tests.signatures.test_seal import (
    P12_PASSWORD,
    PIN,
    SOFTHSM,
    TOKEN,
    _import_seal,
    _pkcs12,
    _sealer,
)

DATA = b'{"number":"HB-PQ-2026-000042","type":"vergabe.pq-certificate/1"}'


@pytest.fixture(scope="module")
def tsa_url(pki: TestPki) -> Iterator[str]:
    """The test PKI's qualified authority over real HTTP, stamping the tests' present."""
    animator = Animator(
        AnimatorArchStore({pki.arch.arch_label: pki.arch}),
        at_time=PKI_NOW,
        with_web_ui=False,
        allow_time_override=False,
    )
    server = make_server("127.0.0.1", 0, animator, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/{pki.arch.arch_label}/tsa/qtsa"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def p12_key(pki: TestPki) -> SoftwareKey:
    return SoftwareKey.from_pkcs12(_pkcs12(pki, "seal"), P12_PASSWORD)


@pytest.fixture(scope="module")
async def signature(pki: TestPki, p12_key: SoftwareKey, tsa_url: str, trust: TrustStore) -> bytes:
    return await _sealer(pki, p12_key, tsa_url, trust).seal_detached(DATA)


async def _report(data: bytes, signature: bytes, trust: TrustStore) -> DocumentReport:
    return (await verify_detached(data, signature, trust=trust, at=PKI_NOW)).report


def _signed_data(signature: bytes) -> cms.SignedData:
    content = cms.ContentInfo.load(signature)
    assert content["content_type"].native == "signed_data"
    signed: cms.SignedData = content["content"]
    return signed


class TestSealDetachedWithPkcs12:
    async def test_seal_is_an_accepted_qualified_timestamped_cades_signature(
        self, signature: bytes, trust: TrustStore
    ) -> None:
        # Given JSON sealed with the PKCS#12 seal and the qualified authority over HTTP
        # When the detached signature is validated as any submitted one
        report = await _report(DATA, signature, trust)
        # Then it is accepted: one qualified seal with a signature timestamp, signed now
        assert report.verdict is Verdict.ACCEPTED
        (seal,) = report.signatures
        assert seal.label is Label.QESEAL
        assert seal.level is Level.CADES_B_T
        assert seal.coverage is Coverage.DETACHED
        assert seal.signing_time == PKI_NOW
        assert seal.timestamp_time == PKI_NOW

    def test_signature_is_detached_cades_with_chain_and_revocation_data(
        self, signature: bytes, pki: TestPki
    ) -> None:
        # Given a detached seal
        # When its CMS structure is read
        signed = _signed_data(signature)
        (signer_info,) = signed["signer_infos"]
        signed_attrs = {attr["type"].native for attr in signer_info["signed_attrs"]}
        unsigned_attrs = {attr["type"].native for attr in signer_info["unsigned_attrs"]}
        certificates = {choice.chosen.dump() for choice in signed["certificates"]}
        revocation = [choice.name for choice in signed["crls"]]
        # Then the data is not inside, the CAdES attributes and the timestamp are
        assert signed["encap_content_info"]["content"].native is None
        assert {"signing_certificate_v2", "signing_time", "message_digest"} <= signed_attrs
        assert "signature_time_stamp_token" in unsigned_attrs
        # and the chain and the CRLs and OCSP answer for it travel along
        assert {pki.cert(name).dump() for name in ("seal", "interm")} <= certificates
        assert "crl" in revocation
        assert "other" in revocation
        assert signed["version"].native == "v5"

    async def test_embedded_revocation_data_is_what_makes_it_validate_offline(
        self, signature: bytes, trust: TrustStore
    ) -> None:
        # Given the detached seal without its revocation data
        content = cms.ContentInfo.load(signature)
        content["content"]["crls"] = None
        stripped = content.dump()
        assert not _signed_data(stripped)["crls"]
        # When it is validated (offline, as always)
        report = await _report(DATA, stripped, trust)
        # Then it is no longer accepted: the seal's revocation status is unknown
        assert report.verdict is not Verdict.ACCEPTED

    async def test_changed_data_is_rejected(self, signature: bytes, trust: TrustStore) -> None:
        # Given the detached seal and the data with one byte changed
        changed = DATA.replace(b"000042", b"000043")
        # When the signature is validated over the changed data
        report = await _report(changed, signature, trust)
        # Then it is rejected
        assert report.verdict is Verdict.REJECTED


class TestSealDetachedFailure:
    async def test_unreachable_authority_fails_sealing(
        self, pki: TestPki, p12_key: SoftwareKey, trust: TrustStore
    ) -> None:
        # Given a timestamp authority nobody listens at (a bound port without a listener)
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{closed.getsockname()[1]}/tsa"
            sealer = _sealer(pki, p12_key, url, trust)
            # When data is sealed
            # Then sealing fails, naming the authority, and nothing comes back
            with pytest.raises(SealingFailed, match="timestamp service"):
                await sealer.seal_detached(DATA)

    async def test_revoked_seal_key_seals_nothing(
        self, pki: TestPki, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given a seal whose certificate was revoked before now
        assert REVOKED_SINCE < PKI_NOW
        key = SoftwareKey.from_pkcs12(_pkcs12(pki, "signer-revoked"), P12_PASSWORD)
        sealer = _sealer(pki, key, tsa_url, trust, label="signer-revoked")
        # When data is sealed
        # Then sealing fails, naming the revocation
        with pytest.raises(SealingFailed, match="revoked"):
            await sealer.seal_detached(DATA)

    async def test_result_that_does_not_validate_is_refused(
        self, pki: TestPki, p12_key: SoftwareKey, tsa_url: str
    ) -> None:
        # Given a sealer whose trust does not contain the seal's root
        sealer = _sealer(pki, p12_key, tsa_url, TrustStore())
        # When data is sealed
        # Then signing succeeds but the check after it refuses the result
        with pytest.raises(SealingFailed, match="did not validate") as raised:
            await sealer.seal_detached(DATA)
        assert raised.value.extra["verdict"] != Verdict.ACCEPTED


@pytest.fixture(scope="module")
def token(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenKey]:
    """A SoftHSM2 token of this module's own, holding the seal key, its cert and chain.

    SoftHSM2 reads its configuration when the library is initialised, and python-pkcs11 keeps
    one initialised library per process: it is re-initialised here so that this module's token
    directory counts, and finalised afterwards so that the next user reads its own.
    """
    directory = tmp_path_factory.mktemp("softhsm-detached")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(config))
        subprocess.run(
            [
                *("softhsm2-util", "--init-token", "--free", "--label", TOKEN),
                *("--so-pin", "so-" + PIN, "--pin", PIN),
            ],
            check=True,
            capture_output=True,
        )
        library = pkcs11.lib(str(SOFTHSM))
        library.reinitialize()
        _import_seal(pki)
        try:
            yield TokenKey(module=SOFTHSM, token=TOKEN, key="seal", pin=PIN)
        finally:
            library.finalize()


class TestSealDetachedWithPkcs11:
    async def test_token_seal_is_accepted(
        self, pki: TestPki, token: TokenKey, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given the seal key on a SoftHSM2 token
        sealer = _sealer(pki, token, tsa_url, trust)
        # When data is sealed
        signature = await sealer.seal_detached(DATA)
        # Then it validates as the qualified seal with a signature timestamp
        report = await _report(DATA, signature, trust)
        assert report.verdict is Verdict.ACCEPTED
        (seal,) = report.signatures
        assert (seal.label, seal.level) == (Label.QESEAL, Level.CADES_B_T)
        (signer_info,) = _signed_data(signature)["signer_infos"]
        assert signer_info["sid"].chosen["serial_number"].native == pki.cert("seal").serial_number


class TestIssueCertificateDocuments:
    async def test_pdf_and_json_come_out_sealed_and_accepted(
        self, pki: TestPki, p12_key: SoftwareKey, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given the facts of a certificate and the seal
        facts = make_facts()
        sealer = _sealer(pki, p12_key, tsa_url, trust)
        # When its documents are issued
        issued = await issue_documents(facts, sealer)
        # Then the PDF is an accepted qualified seal's B-LTA certification
        pdf_report = (await verify_pdf(issued.pdf, trust=trust, at=PKI_NOW)).report
        assert pdf_report.verdict is Verdict.ACCEPTED
        (pdf_seal,) = pdf_report.signatures
        assert (pdf_seal.label, pdf_seal.level, pdf_seal.certification) == (
            Label.QESEAL,
            Level.PADES_B_LTA,
            True,
        )
        # and the JSON is the canonical form, its detached seal accepted over exactly it
        assert issued.json == render_json(facts)
        json_report = await _report(issued.json, issued.json_signature, trust)
        assert json_report.verdict is Verdict.ACCEPTED
        (json_seal,) = json_report.signatures
        assert (json_seal.label, json_seal.level) == (Label.QESEAL, Level.CADES_B_T)

    async def test_nothing_is_issued_when_the_authority_is_down(
        self, pki: TestPki, p12_key: SoftwareKey, trust: TrustStore
    ) -> None:
        # Given a timestamp authority nobody listens at
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{closed.getsockname()[1]}/tsa"
            # When the documents are issued
            # Then issuing fails as a whole
            with pytest.raises(SealingFailed):
                await issue_documents(make_facts(), _sealer(pki, p12_key, url, trust))

    async def test_development_seal_issues_documents_development_accepts(
        self, environment: dict[str, str], tmp_path: Path
    ) -> None:
        # Given development settings: no seal and no authority configured
        settings = load_settings({**environment, "VERGABE_DATA_DIR": str(tmp_path)})
        clock = ManualClock(PKI_NOW)
        sealer = sealer_from_settings(settings, clock=clock, trust=TrustStore())
        # When a certificate's documents are issued with the generated development seal
        issued = await issue_documents(make_facts(), sealer)
        # Then development validation accepts both the PDF and the detached JSON seal
        trust = load_trust_store(settings, at=clock.now())
        pdf_report = (await verify_pdf(issued.pdf, trust=trust, at=clock.now())).report
        json_report = (
            await verify_detached(issued.json, issued.json_signature, trust=trust, at=clock.now())
        ).report
        assert (pdf_report.verdict, json_report.verdict) == (Verdict.ACCEPTED, Verdict.ACCEPTED)
        assert json_report.signatures[0].level is Level.CADES_B_T
