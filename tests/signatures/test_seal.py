"""Sealing makes a validated PAdES B-LTA certification with the seal and a real RFC 3161 authority.

The seal key comes from a PKCS#12 file built from the test PKI's ``seal``, or from a SoftHSM2
token (Debian's ``softhsm2``) initialised in a temporary directory; the timestamps come over HTTP
from certomancer's Animator serving the test PKI's qualified authority at the tests' present.
Revocation data for the seal chain is the test PKI's, handed over directly (no network).
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pkcs11
import pytest
from certomancer.integrations.animator import Animator, AnimatorArchStore
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
    pkcs12,
)
from pkcs11 import Attribute
from pkcs11.util.ec import decode_ec_private_key
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps import HTTPTimeStamper
from werkzeug.serving import make_server

from infra.clock import ManualClock
from infra.settings import Settings, load_settings
from signatures.errors import SealingFailed
from signatures.schemas import DocumentReport, Label, Level, ModificationLevel, Verdict
from signatures.seal import (
    DEVELOPMENT_ANCHOR,
    DOCMDP,
    Revocations,
    RevocationSource,
    Sealer,
    SoftwareKey,
    TokenKey,
    sealer_from_settings,
)
from signatures.trust import TrustStore, load_trust_store
from signatures.verify import verify_pdf
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import PKI_NOW, REVOKED_SINCE, TestPki

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "vergabe-seal"
PIN = "4711-test"  # DEVELOPMENT/TEST PIN of a throwaway token
P12_PASSWORD = "p12-test-only"


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


def _pkcs12(pki: TestPki, label: str) -> bytes:
    """A PKCS#12 archive of ``label``'s key and certificate with the chain up to the root."""

    def cert(name: str) -> pyca_x509.Certificate:
        return pyca_x509.load_der_x509_certificate(pki.cert(name).dump())

    key = load_der_private_key(pki.key(label).dump(), None)
    return pkcs12.serialize_key_and_certificates(
        label.encode(),
        key,  # type: ignore[arg-type]
        cert(label),
        [cert("interm"), cert("root")],
        BestAvailableEncryption(P12_PASSWORD.encode()),
    )


def _revocation(pki: TestPki, label: str = "seal") -> RevocationSource:
    """The test PKI's CRLs and ``label``'s OCSP answer as published at a moment."""

    def at(moment: datetime) -> Revocations:
        return Revocations(crls=tuple(pki.crls(moment)), ocsps=(pki.ocsp_response(label, moment),))

    return at


def _sealer(
    pki: TestPki,
    key: SoftwareKey | TokenKey,
    tsa_url: str,
    trust: TrustStore,
    *,
    label: str = "seal",
) -> Sealer:
    return Sealer(
        key,
        HTTPTimeStamper(tsa_url),
        trust=trust,
        clock=ManualClock(PKI_NOW),
        revocation=_revocation(pki, label),
    )


async def _report(sealed: bytes, trust: TrustStore) -> DocumentReport:
    return (await verify_pdf(sealed, trust=trust, at=PKI_NOW)).report


def _signer_cert(sealed: bytes) -> bytes:
    """The seal's certificate as embedded in the document (DER)."""
    (signature,) = PdfFileReader(BytesIO(sealed)).embedded_regular_signatures
    return bytes(signature.signer_cert.dump())


@pytest.fixture(scope="module")
def p12_key(pki: TestPki) -> SoftwareKey:
    return SoftwareKey.from_pkcs12(_pkcs12(pki, "seal"), P12_PASSWORD)


@pytest.fixture(scope="module")
async def sealed(pki: TestPki, p12_key: SoftwareKey, tsa_url: str, trust: TrustStore) -> bytes:
    sealer = _sealer(pki, p12_key, tsa_url, trust)
    return await sealer.seal(make_pdf(), reason="Teilnahmebescheinigung", location="Bremen")


class TestSealWithPkcs12:
    async def test_sealed_document_is_an_accepted_qualified_b_lta_certification(
        self, sealed: bytes, pki: TestPki, trust: TrustStore
    ) -> None:
        # Given a PDF sealed with the PKCS#12 seal and the qualified authority over HTTP
        # When it is validated as any submitted document
        report = await _report(sealed, trust)
        # Then it is accepted: one qualified seal, certifying, at level B-LTA, signed now
        assert report.verdict is Verdict.ACCEPTED
        (seal,) = report.signatures
        assert seal.certification is True
        assert seal.level is Level.PADES_B_LTA
        assert seal.label is Label.QESEAL
        assert seal.signing_time == PKI_NOW
        assert seal.timestamp_time == PKI_NOW
        assert report.document_timestamps >= 1
        # and the seal certificate is the one from the archive
        assert _signer_cert(sealed) == pki.cert("seal").dump()

    def test_certification_permits_form_filling_and_names_reason_and_place(
        self, sealed: bytes
    ) -> None:
        # Given a sealed PDF
        # When its signature dictionary is read
        (signature,) = PdfFileReader(BytesIO(sealed)).embedded_regular_signatures
        # Then it is a certification at DocMDP level 2, with the reason and place given
        assert DOCMDP is MDPPerm.FILL_FORMS
        assert signature.docmdp_level is MDPPerm.FILL_FORMS
        assert signature.sig_object["/Reason"] == "Teilnahmebescheinigung"
        assert signature.sig_object["/Location"] == "Bremen"

    async def test_sealed_document_takes_a_further_signature(
        self, sealed: bytes, pki: TestPki, trust: TrustStore
    ) -> None:
        # Given a sealed PDF
        # When a person signs it afterwards (an official co-signing the minutes)
        cosigned = sign_pdf(pki, sealed, field="Signature2", at=PKI_NOW, level="B-LTA")
        # Then the certification permits the change: form filling (signing) after the seal
        report = await _report(cosigned, trust)
        seal, cosignature = report.signatures
        assert (seal.certification, cosignature.certification) == (True, False)
        assert seal.modification_level is ModificationLevel.FORM_FILLING
        assert seal.docmdp_ok is True

    def test_wrong_password_is_refused(self, pki: TestPki) -> None:
        # Given the PKCS#12 archive
        data = _pkcs12(pki, "seal")
        # When it is opened with the wrong password
        # Then loading the seal fails clearly
        with pytest.raises(SealingFailed, match="PKCS#12"):
            SoftwareKey.from_pkcs12(data, "wrong")


class TestSealingFailure:
    async def test_revoked_seal_key_seals_nothing(
        self, pki: TestPki, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given a seal whose certificate was revoked before now
        assert REVOKED_SINCE < PKI_NOW
        key = SoftwareKey.from_pkcs12(_pkcs12(pki, "signer-revoked"), P12_PASSWORD)
        sealer = _sealer(pki, key, tsa_url, trust, label="signer-revoked")
        # When a document is sealed
        # Then sealing fails, naming the revocation, and no document comes back
        with pytest.raises(SealingFailed, match="revoked"):
            await sealer.seal(make_pdf())

    async def test_result_that_does_not_validate_is_refused(
        self, pki: TestPki, p12_key: SoftwareKey, tsa_url: str
    ) -> None:
        # Given a sealer whose trust does not contain the seal's root
        sealer = _sealer(pki, p12_key, tsa_url, TrustStore())
        # When a document is sealed
        # Then signing succeeds but the check after it refuses the result
        with pytest.raises(SealingFailed, match="did not validate") as raised:
            await sealer.seal(make_pdf())
        assert raised.value.extra["verdict"] != Verdict.ACCEPTED

    async def test_unreachable_authority_fails_sealing(
        self, pki: TestPki, p12_key: SoftwareKey, trust: TrustStore
    ) -> None:
        # Given a timestamp authority nobody listens at (a bound port without a listener)
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{closed.getsockname()[1]}/tsa"
            sealer = _sealer(pki, p12_key, url, trust)
            # When a document is sealed
            # Then sealing fails, naming the authority
            with pytest.raises(SealingFailed, match="timestamp service"):
                await sealer.seal(make_pdf())

    async def test_signed_document_cannot_be_certified(
        self, pki: TestPki, p12_key: SoftwareKey, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given a document someone already signed
        signed = sign_pdf(pki, make_pdf(), level="B-B")
        # When the platform seals it
        # Then it refuses: a certification must be the first signature
        with pytest.raises(SealingFailed, match="could not be sealed"):
            await _sealer(pki, p12_key, tsa_url, trust).seal(signed)


@pytest.fixture(scope="module")
def token(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenKey]:
    """A SoftHSM2 token in a temporary directory holding the seal key, its cert and chain."""
    directory = tmp_path_factory.mktemp("softhsm")
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
        _import_seal(pki)
        yield TokenKey(module=SOFTHSM, token=TOKEN, key="seal", pin=PIN)


def _import_seal(pki: TestPki) -> None:
    key = load_der_private_key(pki.key("seal").dump(), None)
    sec1 = key.private_bytes(Encoding.DER, PrivateFormat.TraditionalOpenSSL, NoEncryption())
    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=TOKEN)
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                **decode_ec_private_key(sec1),
                Attribute.LABEL: "seal",
                Attribute.ID: b"\x01",
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
            }
        )
        for label in ("seal", "interm", "root"):
            session.create_object(
                {
                    **decode_x509_certificate(pki.cert(label).dump()),
                    Attribute.LABEL: label,
                    Attribute.TOKEN: True,
                }
            )


class TestSealWithPkcs11:
    async def test_token_seal_is_accepted(
        self, pki: TestPki, token: TokenKey, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given the seal key on a SoftHSM2 token
        sealer = _sealer(pki, token, tsa_url, trust)
        # When a document is sealed
        sealed = await sealer.seal(make_pdf(), reason="Eingangsbestätigung")
        # Then it validates as the qualified seal, certifying, B-LTA
        report = await _report(sealed, trust)
        assert report.verdict is Verdict.ACCEPTED
        (seal,) = report.signatures
        assert (seal.label, seal.level, seal.certification) == (
            Label.QESEAL,
            Level.PADES_B_LTA,
            True,
        )
        assert _signer_cert(sealed) == pki.cert("seal").dump()

    async def test_wrong_pin_is_refused(
        self, pki: TestPki, token: TokenKey, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given the token with a wrong PIN configured
        wrong = TokenKey(module=token.module, token=token.token, key=token.key, pin="0000")
        # When a document is sealed
        # Then the token refuses and sealing fails clearly
        with pytest.raises(SealingFailed, match="token"):
            await _sealer(pki, wrong, tsa_url, trust).seal(make_pdf())

    async def test_unknown_key_label_is_refused(
        self, pki: TestPki, token: TokenKey, tsa_url: str, trust: TrustStore
    ) -> None:
        # Given a key label the token does not hold
        missing = TokenKey(module=token.module, token=token.token, key="nope", pin=token.pin)
        # When a document is sealed
        # Then sealing fails, naming the token
        with pytest.raises(SealingFailed, match="token"):
            await _sealer(pki, missing, tsa_url, trust).seal(make_pdf())


def _settings(environment: dict[str, str], tmp_path: Path, **extra: str) -> Settings:
    return load_settings({**environment, "VERGABE_DATA_DIR": str(tmp_path), **extra})


class TestSealerFromSettings:
    async def test_development_seals_with_a_generated_seal_that_development_trusts(
        self, environment: dict[str, str], tmp_path: Path
    ) -> None:
        # Given development settings with no seal and no authority configured
        settings = _settings(environment, tmp_path)
        clock = ManualClock(PKI_NOW)
        # When the sealer is built and seals a document
        sealer = sealer_from_settings(settings, clock=clock, trust=TrustStore())
        sealed = await sealer.seal(make_pdf())
        # Then the development root lies in the trust cache, so development validation accepts
        anchor = settings.trust_cache_dir / DEVELOPMENT_ANCHOR
        assert anchor.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        trust = load_trust_store(settings, at=clock.now())
        report = (await verify_pdf(sealed, trust=trust, at=clock.now())).report
        assert report.verdict is Verdict.ACCEPTED
        (seal,) = report.signatures
        assert (seal.level, seal.certification) == (Level.PADES_B_LTA, True)
        signer = PdfFileReader(BytesIO(sealed)).embedded_regular_signatures[0].signer_cert
        assert (
            signer.subject.native["organization_name"] == settings.profile.instance.operator["de"]
        )

    async def test_development_seal_is_reused(
        self, environment: dict[str, str], tmp_path: Path
    ) -> None:
        # Given a development sealer built once
        settings = _settings(environment, tmp_path)
        clock = ManualClock(PKI_NOW)
        first = sealer_from_settings(settings, clock=clock, trust=TrustStore())
        # When it is built again a day later (a restart)
        clock.advance(timedelta(days=1))
        second = sealer_from_settings(settings, clock=clock, trust=TrustStore())
        # Then it seals with the same certificate
        assert isinstance(first.key, SoftwareKey)
        assert isinstance(second.key, SoftwareKey)
        assert second.key.signer.signing_cert.dump() == first.key.signer.signing_cert.dump()
        sealed = await second.seal(make_pdf())
        report = (
            await verify_pdf(
                sealed, trust=load_trust_store(settings, at=clock.now()), at=clock.now()
            )
        ).report
        assert report.verdict is Verdict.ACCEPTED

    def test_configured_seal_and_authority_are_used(
        self, environment: dict[str, str], tmp_path: Path, pki: TestPki
    ) -> None:
        # Given a PKCS#12 seal and a timestamp authority in the settings
        archive = tmp_path / "seal.p12"
        archive.write_bytes(_pkcs12(pki, "seal"))
        settings = _settings(
            environment,
            tmp_path,
            VERGABE_SEAL_PKCS12=str(archive),
            VERGABE_SEAL_PKCS12_PASSWORD=P12_PASSWORD,
            VERGABE_TSA_URL="https://tsa.example.org/rfc3161",
        )
        # When the sealer is built
        sealer = sealer_from_settings(settings, clock=ManualClock(PKI_NOW), trust=TrustStore())
        # Then it signs with the configured seal and asks the configured authority
        assert isinstance(sealer.key, SoftwareKey)
        assert sealer.key.signer.signing_cert.dump() == pki.cert("seal").dump()
        assert isinstance(sealer.timestamper, HTTPTimeStamper)
        assert sealer.timestamper.url == "https://tsa.example.org/rfc3161"
        # and no development PKI is made or trusted
        assert not (tmp_path / "dev-pki").exists()
        assert not (settings.trust_cache_dir / DEVELOPMENT_ANCHOR).exists()

    def test_configured_token_is_used(self, environment: dict[str, str], tmp_path: Path) -> None:
        # Given a PKCS#11 seal in the settings
        settings = _settings(
            environment,
            tmp_path,
            VERGABE_SEAL_PKCS11_MODULE=str(SOFTHSM),
            VERGABE_SEAL_PKCS11_TOKEN=TOKEN,
            VERGABE_SEAL_PKCS11_KEY="seal",
            VERGABE_SEAL_PKCS11_PIN=PIN,
            VERGABE_TSA_URL="https://tsa.example.org/rfc3161",
        )
        # When the sealer is built
        sealer = sealer_from_settings(settings, clock=ManualClock(PKI_NOW), trust=TrustStore())
        # Then it signs on that token with that key
        assert sealer.key == TokenKey(module=SOFTHSM, token=TOKEN, key="seal", pin=PIN)

    def test_unreadable_pkcs12_fails_at_start(
        self, environment: dict[str, str], tmp_path: Path, pki: TestPki
    ) -> None:
        # Given a PKCS#12 seal with the wrong password in the settings
        archive = tmp_path / "seal.p12"
        archive.write_bytes(_pkcs12(pki, "seal"))
        settings = _settings(
            environment,
            tmp_path,
            VERGABE_SEAL_PKCS12=str(archive),
            VERGABE_SEAL_PKCS12_PASSWORD="wrong",
            VERGABE_TSA_URL="https://tsa.example.org/rfc3161",
        )
        # When the sealer is built
        # Then it fails right away, not at the first document
        with pytest.raises(SealingFailed, match="PKCS#12"):
            sealer_from_settings(settings, clock=ManualClock(PKI_NOW), trust=TrustStore())
