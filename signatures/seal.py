"""Sealing: the platform certifies what it issues with its e-seal, as PAdES B-LTA (DESIGN.md §4).

:class:`Sealer` turns an unsigned PDF the platform made (a certificate, a receipt, minutes, a
letter) into a certified document: a PAdES certification signature with the instance's seal, an
RFC 3161 signature timestamp, the seal chain's revocation data in the document security store and
a document timestamp over all of it (B-LTA), so that the seal can be checked long after the
certificates expire. Every sealed file is then validated once, with the same code and trust as
any submitted document; a file that does not come out ``accepted`` never leaves the platform.

The seal key comes from a PKCS#12 file (:class:`SoftwareKey`) or a PKCS#11 token
(:class:`TokenKey`); :func:`sealer_from_settings` picks it from the settings, and in development,
where nothing is configured, uses the generated seal of :mod:`signatures.devpki`. Use::

    sealer = sealer_from_settings(settings, clock=clock, trust=load_trust_store(settings, at=now))
    sealed = await sealer.seal(pdf, reason="Teilnahmebescheinigung", location="Bremen")
    signature = await sealer.seal_detached(certificate_json)  # a .p7s beside the data

Data that is not a PDF (the machine-readable form of a certificate) gets a detached CAdES
signature instead (:meth:`Sealer.seal_detached`): a DER CMS SignedData with the
signing-certificate-v2 attribute, a signature timestamp from the same authority, the seal chain
and the revocation data for it and for the authority in the ``crls`` field, so that it, too,
validates offline long after signing (B-LT in substance; the check reports CAdES-B-T).

Build the sealer once per process (worker start) and share it; a seal costs a few tens of
milliseconds of CPU (signing and the check) plus the authority's round trips, so seal in a job.

DocMDP: the certification permits form filling and signatures (``MDPPerm.FILL_FORMS``) rather than
no changes at all. The platform's documents have no form fields besides signature fields, so this
allows exactly two things afterwards: further signatures (an official co-signing the opening
minutes, a recipient acknowledging a letter) and archive timestamps renewing the B-LTA chain.
Content changes, annotations and overlays remain violations of the certification.

Revocation data for the seal chain: this is the platform's own certificate, not a submitted one,
so in production pyHanko may fetch the CRL/OCSP answers named in it (and in the configured
authority's certificate) while signing — the only place the platform follows such URLs.
Development uses the CRLs of the generated PKI and fetches nothing.
"""

from __future__ import annotations

__all__ = [
    "DOCMDP",
    "SEAL_FIELD",
    "RevocationSource",
    "Revocations",
    "SealKey",
    "Sealer",
    "SoftwareKey",
    "TokenKey",
    "sealer_from_settings",
]

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import cms, crl, ocsp, pem, x509
from pkcs11 import PKCS11Error
from pyhanko.config.pkcs11 import PKCS11PinEntryMode, PKCS11SignatureConfig, TokenCriteria
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, get_cms_hash_algo_for_mechanism
from pyhanko.sign.pkcs11 import PKCS11SigningContext
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, select_suitable_signing_md
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from infra.clock import Clock
from infra.settings import Settings
from signatures.devpki import DevelopmentSeal, development_seal
from signatures.errors import SealingFailed, UnreadableDocument
from signatures.schemas import DocumentReport, Level, Verdict
from signatures.trust import TrustStore
from signatures.verify import Limits, verify_detached, verify_pdf

log = logging.getLogger("vergabe.signatures.seal")

SEAL_FIELD = "PlatformSeal"
"""Name of the signature field the seal occupies."""
DOCMDP = fields.MDPPerm.FILL_FORMS
"""What the certification permits afterwards (see the module docstring)."""
DEVELOPMENT_ANCHOR = Path("anchors") / "development-seal-root.pem"
"""Where, under the trust cache, development keeps its seal root as an extra anchor."""
_TSA_TIMEOUT_SECONDS = 10
_SEAL_KEY_USAGE = {"non_repudiation"}
"""Key usage the seal certificate must allow (pyHanko's default for PDF signatures)."""


@dataclass(frozen=True)
class Revocations:
    """Revocation data at hand for the seal chain and the timestamp authority."""

    crls: tuple[crl.CertificateList, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()


RevocationSource = Callable[[datetime], Revocations]
"""Revocation data as published at a given moment."""


class SealKey(Protocol):
    """Where the seal's private key lives."""

    def open(self) -> AbstractAsyncContextManager[signers.Signer]:
        """A pyHanko signer for one seal; raises :class:`SealingFailed` if the key is unusable."""
        ...


@dataclass(frozen=True)
class SoftwareKey:
    """A seal key held in memory: from a PKCS#12 file, or the development seal."""

    signer: signers.SimpleSigner

    @classmethod
    def from_pkcs12(cls, data: bytes, password: str) -> SoftwareKey:
        """Key, certificate and chain from a PKCS#12 archive."""
        try:
            signer = signers.SimpleSigner.load_pkcs12_data(
                data, other_certs=(), passphrase=password.encode() or None
            )
        except ValueError as exc:
            raise SealingFailed(
                "the PKCS#12 seal could not be read (wrong password or damaged file)"
            ) from exc
        return cls(signer)

    @asynccontextmanager
    async def open(self) -> AsyncIterator[signers.Signer]:
        yield self.signer


@dataclass(frozen=True)
class TokenKey:
    """A seal key on a PKCS#11 token (HSM, smart card, SoftHSM); one session per seal.

    The key and its certificate carry the same label; every other certificate on the token is
    embedded as part of the chain.
    """

    module: Path
    """The token's PKCS#11 library."""
    key: str
    """Label of the private key and of its certificate."""
    token: str = ""
    """Label of the token; empty when the module has a single slot."""
    pin: str = field(default="", repr=False)
    raw_mechanism: bool = True
    """Hash in software and sign the digest on the token (``CKM_ECDSA``, ``CKM_RSA_PKCS``):
    every token offers these, while hash-and-sign mechanisms are often missing (SoftHSM2 2.6
    has no ``CKM_ECDSA_SHA256``). Turn off for RSA-PSS or EdDSA keys, which have no raw form."""

    def _config(self) -> PKCS11SignatureConfig:
        return PKCS11SignatureConfig(
            module_path=str(self.module),
            token_criteria=TokenCriteria(label=self.token) if self.token else None,
            cert_label=self.key,
            key_label=self.key,
            user_pin=self.pin or None,
            prompt_pin=PKCS11PinEntryMode.SKIP,
            other_certs_to_pull=None,
            raw_mechanism=self.raw_mechanism,
        )

    @asynccontextmanager
    async def open(self) -> AsyncIterator[signers.Signer]:
        context = PKCS11SigningContext(self._config())
        try:
            signer = await context.__aenter__()
        except (SigningError, PKCS11Error) as exc:
            raise SealingFailed(
                f"the seal token could not be used: {type(exc).__name__} {exc}".strip()
            ) from exc
        try:
            yield signer
        finally:
            await context.__aexit__(None, None, None)


class Sealer:
    """Seals PDFs the platform issues; stateless between calls and safe to share."""

    def __init__(
        self,
        key: SealKey,
        timestamper: TimeStamper,
        *,
        trust: TrustStore,
        clock: Clock,
        revocation: RevocationSource | None = None,
        fetch_revocation: bool = False,
        limits: Limits | None = None,
    ) -> None:
        """
        Args:
            key: The seal key.
            timestamper: The RFC 3161 authority for the signature and the archive timestamps.
            trust: What the check after sealing trusts; the seal must come out ``accepted``.
            clock: Gives the signing time (and the time of the check).
            revocation: Revocation data for the seal chain and the authority at a moment.
            fetch_revocation: Let pyHanko fetch missing revocation data from the URLs in the
                seal chain and the authority's certificate (production: our own certificates).
            limits: Size limits of the check after sealing.
        """
        self._key = key
        self._timestamper = timestamper
        self._trust = trust
        self._clock = clock
        self._revocation = revocation
        self._fetch = fetch_revocation
        self._limits = limits or Limits()

    @property
    def key(self) -> SealKey:
        """The seal key this sealer signs with."""
        return self._key

    @property
    def timestamper(self) -> TimeStamper:
        """The timestamp authority this sealer asks."""
        return self._timestamper

    async def seal(
        self, pdf: bytes, *, reason: str | None = None, location: str | None = None
    ) -> bytes:
        """Certify ``pdf`` with the seal as PAdES B-LTA, check the result and return it.

        Args:
            pdf: An unsigned PDF (a certification signature must be the first signature).
            reason: Why it is sealed, shown by PDF readers (``Vergabeunterlagen bereitgestellt``).
            location: Where, shown by PDF readers.

        Raises:
            SealingFailed: The key, the authority or the revocation data failed, or the sealed
                document did not validate as accepted PAdES B-LTA certification.
        """
        at = self._clock.now()
        async with self._key.open() as signer:
            sealed = await self._sign(pdf, signer, at=at, reason=reason, location=location)
        await self._check(sealed)
        return sealed

    async def seal_detached(self, data: bytes) -> bytes:
        """Seal ``data`` with a detached CAdES signature, check it and return it (DER CMS).

        The signature carries the signing-certificate-v2 attribute, the signing time of the
        clock, a signature timestamp from the authority, the seal chain, and the revocation data
        for the seal chain and the authority (CRLs, OCSP answers) in the ``crls`` field.

        Raises:
            SealingFailed: The key, the authority or the revocation data failed, or the
                signature did not validate as an accepted, timestamped CAdES signature.
        """
        at = self._clock.now()
        async with self._key.open() as signer:
            signature = await self._sign_detached(data, signer, at=at)
        await self._check_detached(data, signature)
        return signature

    def _validation_context(self, signer: signers.Signer, at: datetime) -> ValidationContext:
        """The context that collects the revocation data of the seal chain and the authority."""
        known = self._revocation(at) if self._revocation is not None else Revocations()
        chain = list(signer.cert_registry)
        # Anchoring our own chain here only lets pyHanko collect its revocation data; whether
        # the seal is trusted is decided by the check after sealing, with the caller's trust.
        own_roots = tuple(cert for cert in chain if cert.self_signed)
        return ValidationContext(
            trust_manager=TrustStore(
                registry=self._trust.registry, anchors=(*self._trust.anchors, *own_roots)
            ).trust_manager(),
            other_certs=chain,
            crls=known.crls,
            ocsps=known.ocsps,
            allow_fetching=self._fetch,
            revocation_mode="hard-fail",
            moment=at,
        )

    async def _sign_detached(self, data: bytes, signer: signers.Signer, *, at: datetime) -> bytes:
        context = self._validation_context(signer, at)
        try:
            # As the PDF signer does before signing: validating the seal chain and the
            # authority's certificates gathers their revocation data into the context.
            await CertificateValidator(
                signer.signing_cert,
                intermediate_certs=signer.cert_registry,
                validation_context=context,
            ).async_validate_usage(_SEAL_KEY_USAGE)
            async for _path in self._timestamper.validation_paths(context):
                pass
            content = await signer.async_sign_general_data(
                data,
                _digest_algorithm(signer),
                detached=True,
                use_cades=True,
                timestamper=self._timestamper,
                signed_attr_settings=PdfCMSSignedAttributes(signing_time=at),
            )
            return _with_revocation(content, crls=context.crls, ocsps=context.ocsps)
        except SealingFailed:
            raise
        except Exception as exc:  # pyHanko, the token and the authority raise many kinds
            log.exception("detached sealing failed")
            raise SealingFailed(f"the data could not be sealed: {_describe(exc)}") from exc
        finally:
            await context.aclose()

    async def _sign(
        self,
        pdf: bytes,
        signer: signers.Signer,
        *,
        at: datetime,
        reason: str | None,
        location: str | None,
    ) -> bytes:
        context = self._validation_context(signer, at)
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            reason=reason,
            location=location,
            certify=True,
            docmdp_permissions=DOCMDP,
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=True,
            use_pades_lta=True,
            validation_context=context,
        )
        pdf_signer = _PdfSignerAt(at, meta, signer=signer, timestamper=self._timestamper)
        out = BytesIO()
        try:
            writer = IncrementalPdfFileWriter(BytesIO(pdf))
            await pdf_signer.async_sign_pdf(writer, output=out)
        except SealingFailed:
            raise
        except Exception as exc:  # pyHanko, the token and the authority raise many kinds
            log.exception("sealing failed")
            raise SealingFailed(f"the document could not be sealed: {_describe(exc)}") from exc
        finally:
            await context.aclose()
        return out.getvalue()

    async def _check(self, sealed: bytes) -> None:
        """Validate ``sealed`` now, as any submitted document; raise unless accepted B-LTA."""
        try:
            verification = await verify_pdf(
                sealed, trust=self._trust, at=self._clock.now(), limits=self._limits
            )
        except UnreadableDocument as exc:
            raise SealingFailed(f"the sealed document cannot be read back: {exc}") from exc
        report = verification.report
        seals = report.signatures
        if len(seals) != 1 or not seals[0].certification:
            _insist("the sealed document", report, "it is not one certification signature")
        elif seals[0].level is not Level.PADES_B_LTA:
            _insist("the sealed document", report, f"it is {seals[0].level}, not PAdES-B-LTA")
        else:
            _insist("the sealed document", report, None)

    async def _check_detached(self, data: bytes, signature: bytes) -> None:
        """Validate the detached seal now, as any submitted one; raise unless accepted with a
        signature timestamp."""
        try:
            verification = await verify_detached(
                data, signature, trust=self._trust, at=self._clock.now(), limits=self._limits
            )
        except UnreadableDocument as exc:
            raise SealingFailed(f"the detached seal cannot be read back: {exc}") from exc
        report = verification.report
        seals = report.signatures
        if len(seals) != 1:
            _insist("the detached seal", report, "it is not exactly one signature")
        elif seals[0].level is Level.CADES_B_B:
            _insist("the detached seal", report, "it has no signature timestamp")
        else:
            _insist("the detached seal", report, None)


def _insist(what: str, report: DocumentReport, shape: str | None) -> None:
    """Raise :class:`SealingFailed` unless ``report`` is accepted and ``shape`` names no flaw
    in the seal's form."""
    problems = [reason.en for reason in report.reasons]
    if report.verdict is not Verdict.ACCEPTED:
        problems.insert(0, f"verdict {report.verdict}")
    elif shape is not None:
        problems.append(shape)
    else:
        return
    log.error("%s did not validate: %s", what, "; ".join(problems))
    raise SealingFailed(
        f"{what} did not validate: " + "; ".join(problems),
        verdict=str(report.verdict),
        reasons=[reason.code for reason in report.reasons],
    )


def _digest_algorithm(signer: signers.Signer) -> str:
    """The signer's own digest if its mechanism fixes one, else one suited to its key (as the
    PDF signer chooses)."""
    try:
        return get_cms_hash_algo_for_mechanism(signer.get_signature_mechanism_for_digest(None))
    except ValueError:
        assert signer.signing_cert is not None
        return select_suitable_signing_md(signer.signing_cert.public_key)


def _with_revocation(
    content: cms.ContentInfo, *, crls: list[crl.CertificateList], ocsps: list[ocsp.OCSPResponse]
) -> bytes:
    """``content`` (a SignedData) as DER with the revocation data in its ``crls`` field.

    The field lies outside what the seal and the timestamp sign, so it may be filled after
    signing. OCSP answers go in as ``other`` revocation info, which makes it a version 5
    SignedData (RFC 5652 §5.1).
    """
    # Parsed back from DER, the signed parts keep their encodings byte for byte.
    parsed = cms.ContentInfo.load(content.dump())
    signed: cms.SignedData = parsed["content"]
    choices = [cms.RevocationInfoChoice(name="crl", value=item) for item in crls]
    choices += [
        cms.RevocationInfoChoice(
            name="other",
            value=cms.OtherRevocationInfoFormat(
                {"other_rev_info_format": "ocsp_response", "other_rev_info": item}
            ),
        )
        for item in ocsps
    ]
    if choices:
        signed["crls"] = cms.RevocationInfoChoices(choices)
    if ocsps:
        signed["version"] = "v5"
    return bytes(parsed.dump())


class _PdfSignerAt(signers.PdfSigner):
    """A PDF signer whose claimed signing time is the platform clock's, not the system's."""

    def __init__(self, at: datetime, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._at = at

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._at
        return session


def _describe(exc: BaseException) -> str:
    """The error and its causes in one line (pyHanko wraps the interesting part)."""
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 4:
        parts.append(f"{type(current).__name__}: {current}".rstrip(": "))
        current = current.__cause__ or current.__context__
    return " ← ".join(parts)


def sealer_from_settings(settings: Settings, *, clock: Clock, trust: TrustStore) -> Sealer:
    """The instance's sealer: the configured seal and authority, else the development ones.

    Whatever is not configured (only possible in development: production settings refuse to
    load without both) comes from the development PKI in ``<data dir>/dev-pki``, whose root is
    added to ``trust`` and written to ``<trust cache>/anchors/development-seal-root.pem`` so that
    development validation accepts what development seals.
    """
    config = settings.signatures
    dev: DevelopmentSeal | None = None
    if not config.seal_configured or not config.tsa_url:
        instance = settings.profile.instance
        dev = development_seal(
            settings.data_dir, operator=instance.operator[instance.languages[0]], at=clock.now()
        )
        _install_anchor(settings.trust_cache_dir / DEVELOPMENT_ANCHOR, dev.root)
        if all(anchor.sha256 != dev.root.sha256 for anchor in trust.anchors):
            trust = replace(trust, anchors=(*trust.anchors, dev.root))

    key: SealKey
    if config.seal_pkcs12 is not None:
        key = SoftwareKey.from_pkcs12(config.seal_pkcs12.read_bytes(), config.seal_pkcs12_password)
    elif config.seal_pkcs11_module is not None:
        key = TokenKey(
            module=config.seal_pkcs11_module,
            token=config.seal_pkcs11_token,
            key=config.seal_pkcs11_key,
            pin=config.seal_pkcs11_pin,
        )
    else:
        assert dev is not None
        key = SoftwareKey(dev.signer())

    timestamper: TimeStamper
    if config.tsa_url:
        timestamper = HTTPTimeStamper(config.tsa_url, timeout=_TSA_TIMEOUT_SECONDS)
    else:
        assert dev is not None
        timestamper = dev.timestamper(clock)

    def development_crls(at: datetime) -> Revocations:
        assert dev is not None
        return Revocations(crls=tuple(dev.crls(at)))

    return Sealer(
        key,
        timestamper,
        trust=trust,
        clock=clock,
        revocation=development_crls if dev is not None else None,
        fetch_revocation=config.seal_configured or bool(config.tsa_url),
        limits=Limits.from_settings(config),
    )


def _install_anchor(path: Path, root: x509.Certificate) -> None:
    """Write ``root`` as PEM to ``path`` unless it is already there."""
    data = pem.armor("CERTIFICATE", root.dump())
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
