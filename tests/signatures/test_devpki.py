"""The development seal is generated once into the data dir, kept private and reused."""

from __future__ import annotations

import hashlib
import stat
from datetime import timedelta
from pathlib import Path

from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.asymmetric import ec

from infra.clock import ManualClock
from signatures.devpki import DevelopmentSeal, development_seal
from tests.signatures.pki import PKI_NOW

OPERATOR = "Die Senatorin für Wirtschaft, Häfen und Transformation, Bremen"


def _seal(data_dir: Path, *, operator: str = OPERATOR, at=PKI_NOW) -> DevelopmentSeal:
    return development_seal(data_dir, operator=operator, at=at)


class TestDevelopmentSeal:
    def test_first_call_writes_private_marked_keys(self, tmp_path: Path) -> None:
        # Given an empty data dir
        # When the development seal is asked for
        _seal(tmp_path)
        # Then keys and certificates lie in dev-pki, readable by the owner only
        directory = tmp_path / "dev-pki"
        names = sorted(path.name for path in directory.iterdir())
        assert names == [
            "root.cert.pem",
            "root.key.pem",
            "seal.cert.pem",
            "seal.key.pem",
            "tsa.cert.pem",
            "tsa.key.pem",
        ]
        for path in directory.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        # and every key says what it is in its first line
        for name in ("root", "seal", "tsa"):
            first_line = (directory / f"{name}.key.pem").read_text().splitlines()[0]
            assert first_line == ("# DEVELOPMENT KEY — generated locally, never use in production")

    def test_second_call_reuses_the_same_seal(self, tmp_path: Path) -> None:
        # Given a generated development seal
        first = _seal(tmp_path)
        key_before = (tmp_path / "dev-pki" / "seal.key.pem").read_bytes()
        # When it is asked for again (even with another operator name)
        second = _seal(tmp_path, operator="Someone else", at=PKI_NOW + timedelta(days=30))
        # Then certificates and keys are the ones made first
        assert second.seal.dump() == first.seal.dump()
        assert second.root.dump() == first.root.dump()
        assert (tmp_path / "dev-pki" / "seal.key.pem").read_bytes() == key_before

    def test_an_expired_seal_is_replaced(self, tmp_path: Path) -> None:
        # Given a development seal generated now
        first = _seal(tmp_path)
        # When it is asked for after the seal certificate expired
        later = first.seal.not_valid_after + timedelta(days=1)
        second = _seal(tmp_path, at=later)
        # Then a new one, valid then, takes its place
        assert second.seal.dump() != first.seal.dump()
        assert second.seal.not_valid_before <= later < second.seal.not_valid_after

    def test_seal_certificate_is_a_qualified_eseal_of_the_operator(self, tmp_path: Path) -> None:
        # When the development seal is generated
        pki = _seal(tmp_path)
        # Then the seal names the operator, chains to the root, and carries the eSeal QC type
        assert pki.seal.subject.native["organization_name"] == OPERATOR
        assert pki.seal.issuer == pki.root.subject
        assert pki.root.self_signed in ("yes", "maybe")
        statements = _qc_statements(pki)
        assert "qc_compliance" in statements
        assert "qc_sscd" in statements
        assert statements["qc_type"] == ["qct_eseal"]
        assert pki.seal.key_usage_value.native == {"digital_signature", "non_repudiation"}
        assert pki.tsa.extended_key_usage_value.native == ["time_stamping"]
        # and the keys are EC P-256
        loaded = pyca_x509.load_der_x509_certificate(pki.seal.dump()).public_key()
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        assert loaded.curve.name == "secp256r1"

    def test_crl_is_signed_by_the_root_and_current(self, tmp_path: Path) -> None:
        # Given the development seal
        pki = _seal(tmp_path)
        at = PKI_NOW + timedelta(days=3)
        # When its CRL is asked for at some moment
        (issued,) = pki.crls(at)
        # Then the root signed it, it is current then and revokes nothing
        crl = pyca_x509.load_der_x509_crl(issued.dump())
        root_key = pyca_x509.load_der_x509_certificate(pki.root.dump()).public_key()
        assert crl.is_signature_valid(root_key)  # type: ignore[arg-type]
        assert crl.last_update_utc <= at < crl.next_update_utc  # type: ignore[operator]
        assert len(crl) == 0

    async def test_timestamper_stamps_the_clock_time(self, tmp_path: Path) -> None:
        # Given the development seal and a clock
        pki = _seal(tmp_path)
        clock = ManualClock(PKI_NOW + timedelta(hours=5))
        digest = hashlib.sha256(b"Niederschrift").digest()
        # When its authority stamps a digest
        token = await pki.timestamper(clock).async_timestamp(digest, "sha256")
        # Then the token carries the clock's time, the digest, and the TSA's certificate
        signed_data = token["content"]
        tst_info = signed_data["encap_content_info"]["content"].parsed
        assert tst_info["gen_time"].native == clock.now()
        assert tst_info["message_imprint"]["hashed_message"].native == digest
        embedded = {cert.chosen.dump() for cert in signed_data["certificates"]}
        assert pki.tsa.dump() in embedded


def _qc_statements(pki: DevelopmentSeal) -> dict[str, object]:
    for extension in pki.seal["tbs_certificate"]["extensions"]:
        if extension["extn_id"].native == "qc_statements":
            return {
                statement["statement_id"].native: statement["statement_info"].native
                for statement in extension["extn_value"].parsed
            }
    return {}
