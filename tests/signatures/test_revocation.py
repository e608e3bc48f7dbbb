"""Refresh of revocation data (CRLs) from allow-listed URLs, against a real HTTP server on a
loopback address (never the internet), and what validation makes of the refreshed CRLs."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from aiohttp import web
from asn1crypto import pem
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.jobs.specs import JobContext
from infra.profile import SignatureTrust
from infra.settings import Settings
from signatures.revocation import refresh_revocation_data
from signatures.schemas import Indication, Label, Revocation, Verdict
from signatures.trust import crl_cache_path, load_cached_crls, load_trust_store
from signatures.trusted_lists import FetchRefused, http_fetch
from signatures.verify import verify_pdf
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import PKI_NOW, REVOKED_SINCE, TestPki
from tests.signatures.trusted_list import install_test_trust
from workers import ACTORS, PERIODIC
from workers.scheduler import Periodic
from workers.signatures import REFRESH_REVOCATION, RefreshRevocation


@dataclass
class Server:
    """Serves ``files`` by path (``status`` overrides the answer) and records every request."""

    host: str = "127.0.0.1"
    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requested.append(request.path)
        if request.path in self.status:
            return web.Response(status=self.status[request.path])
        if request.path not in self.files:
            raise web.HTTPNotFound
        return web.Response(body=self.files[request.path], content_type="application/pkix-crl")


async def _serve(host: str) -> AsyncIterator[Server]:
    served = Server(host=host)
    app = web.Application()
    app.router.add_get("/{tail:.*}", served.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, 0).start()
        served.port = runner.addresses[0][1]
        yield served
    finally:
        await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async for served in _serve("127.0.0.1"):
        yield served


@pytest.fixture
async def ca_server() -> AsyncIterator[Server]:
    """A server on 127.0.0.2: a host that is not the loopback name, as a CA's CRL server is
    (Linux routes all of 127.0.0.0/8 to the loopback interface)."""
    async for served in _serve("127.0.0.2"):
        yield served


@pytest.fixture
def published(pki: TestPki, server: Server) -> Server:
    """The CA's CRL as DER and the root's as PEM, both as published at the tests' present.

    The intermediate ``interm`` issues the signers (its CRL covers them, issued daily); the
    root's CRL covers ``interm``, whose revocation status the policy requires as well. (Each
    call of ``pki.crls`` signs anew, with other signature bytes: compare with what is served.)
    """
    interm_crl, root_crl = pki.crls(PKI_NOW)
    server.files["/interm.crl"] = interm_crl.dump()
    server.files["/root.crl"] = pem.armor("X509 CRL", root_crl.dump())
    return server


def _configured(
    settings: Settings,
    cache: Path,
    crl_urls: tuple[str, ...],
    allowed_hosts: tuple[str, ...] = ("127.0.0.1",),
) -> Settings:
    signatures = SignatureTrust(allowed_hosts=("ec.europa.eu", *allowed_hosts), crl_urls=crl_urls)
    profile = msgspec.structs.replace(settings.profile, signatures=signatures)
    own = msgspec.structs.replace(settings.signatures, trust_cache_dir=cache)
    return msgspec.structs.replace(settings, profile=profile, signatures=own)


def _both(server: Server) -> tuple[str, str]:
    return server.url("/interm.crl"), server.url("/root.crl")


def _der(server: Server, path: str) -> bytes:
    """The CRL served at ``path``, as DER."""
    body = server.files[path]
    return pem.unarmor(body)[2] if pem.detect(body) else body


@pytest.fixture(scope="module")
def document() -> bytes:
    return make_pdf(1)


class TestValidationWithRefreshedCrls:
    @pytest.mark.parametrize("level", ["B-B", "B-T"])
    async def test_a_qualified_signature_without_revocation_data_is_accepted_after_the_refresh(
        self,
        settings: Settings,
        pki: TestPki,
        published: Server,
        tmp_path: Path,
        document: bytes,
        level: str,
    ) -> None:
        # Given an instance trusting the test PKI, and a signature that carries no revocation
        # data: offline, nothing can confirm it yet
        configured = _configured(settings, tmp_path, _both(published))
        install_test_trust(configured, pki)
        signed = sign_pdf(pki, document, level=level)  # type: ignore[arg-type]
        before = await verify_pdf(
            signed, trust=load_trust_store(configured, at=PKI_NOW), at=PKI_NOW
        )
        assert before.report.verdict is Verdict.NEEDS_REVIEW

        # When the CRLs are refreshed from the allow-listed server
        summary = await refresh_revocation_data(configured, now=PKI_NOW)

        # Then both are cached (as DER) and the same file is accepted as qualified
        assert summary.stored == _both(published)
        assert summary.skipped == ()
        interm_url, root_url = _both(published)
        assert crl_cache_path(tmp_path, interm_url).read_bytes() == published.files["/interm.crl"]
        assert crl_cache_path(tmp_path, root_url).read_bytes() == _der(published, "/root.crl")
        after = await verify_pdf(signed, trust=load_trust_store(configured, at=PKI_NOW), at=PKI_NOW)
        assert after.report.verdict is Verdict.ACCEPTED
        (signature,) = after.report.signatures
        assert signature.indication is Indication.TOTAL_PASSED
        assert signature.revocation is Revocation.GOOD
        assert signature.label is Label.QESIG

    @pytest.mark.parametrize("level", ["B-B", "B-T"])
    async def test_a_revoked_signer_without_revocation_data_is_rejected_after_the_refresh(
        self,
        settings: Settings,
        pki: TestPki,
        published: Server,
        tmp_path: Path,
        document: bytes,
        level: str,
    ) -> None:
        # Given a signature by the signer revoked on 20 March, made after that, with no
        # revocation data: without a CRL it is only "unknown"
        configured = _configured(settings, tmp_path, _both(published))
        install_test_trust(configured, pki)
        signed = sign_pdf(
            pki,
            document,
            signer="signer-revoked",
            level=level,  # type: ignore[arg-type]
            at=REVOKED_SINCE + timedelta(days=5),
        )
        before = await verify_pdf(
            signed, trust=load_trust_store(configured, at=PKI_NOW), at=PKI_NOW
        )
        assert before.report.verdict is Verdict.NEEDS_REVIEW

        # When the refreshed CRL lists the signer
        await refresh_revocation_data(configured, now=PKI_NOW)
        after = await verify_pdf(signed, trust=load_trust_store(configured, at=PKI_NOW), at=PKI_NOW)

        # Then the signature is rejected as revoked
        assert after.report.verdict is Verdict.REJECTED
        assert after.report.signatures[0].revocation is Revocation.REVOKED
        assert "signature-revoked" in [reason.code for reason in after.report.reasons]

    async def test_a_b_lta_signature_made_before_the_revocation_stays_accepted(
        self, settings: Settings, pki: TestPki, published: Server, tmp_path: Path, document: bytes
    ) -> None:
        # The current CRL says "revoked since 20 March"; the archived signature predates that.
        configured = _configured(settings, tmp_path, _both(published))
        install_test_trust(configured, pki)
        signed = sign_pdf(pki, document, signer="signer-revoked", level="B-LTA")
        await refresh_revocation_data(configured, now=PKI_NOW)
        trust = load_trust_store(configured, at=PKI_NOW)
        assert len(trust.crls) == 2

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.ACCEPTED


class TestRefreshRevocationData:
    async def test_a_url_on_a_host_not_allowed_is_never_requested_and_is_reported(
        self, settings: Settings, published: Server, tmp_path: Path
    ) -> None:
        configured = _configured(settings, tmp_path, _both(published), allowed_hosts=())

        summary = await refresh_revocation_data(configured, now=PKI_NOW)

        assert published.requested == []
        assert summary.stored == ()
        assert [(item.url, item.reason) for item in summary.skipped] == [
            (url, "host not in allowed_hosts") for url in _both(published)
        ]
        assert not (tmp_path / "crls").exists()

    @pytest.mark.parametrize("status", [404, 503])
    async def test_a_failing_server_keeps_the_cached_crl(
        self, settings: Settings, published: Server, tmp_path: Path, status: int
    ) -> None:
        # Given both CRLs cached by an earlier run
        configured = _configured(settings, tmp_path, _both(published))
        await refresh_revocation_data(configured, now=PKI_NOW)
        interm_url, root_url = _both(published)
        cached = crl_cache_path(tmp_path, interm_url).read_bytes()

        # When the CA's server fails
        published.status["/interm.crl"] = status
        summary = await refresh_revocation_data(configured, now=PKI_NOW + timedelta(hours=1))

        # Then its CRL stays as it was, the failure is reported, and the other URL still counts
        assert crl_cache_path(tmp_path, interm_url).read_bytes() == cached
        ((url, reason),) = [(item.url, item.reason) for item in summary.skipped]
        assert url == interm_url
        assert reason.startswith(f"fetch failed: ClientResponseError: {status}")
        assert summary.unchanged == (root_url,)
        assert summary.removed == ()

    async def test_an_older_crl_does_not_replace_a_newer_cached_one(
        self, settings: Settings, pki: TestPki, published: Server, tmp_path: Path
    ) -> None:
        # Given tomorrow's CRL in the cache (say a mirror was ahead)
        (interm_url,) = crl_urls = (published.url("/interm.crl"),)
        configured = _configured(settings, tmp_path, crl_urls)
        newer = pki.crls(PKI_NOW + timedelta(days=1))[0].dump()
        published.files["/interm.crl"] = newer
        await refresh_revocation_data(configured, now=PKI_NOW)

        # When the server then serves today's, still current, CRL
        published.files["/interm.crl"] = pki.crls(PKI_NOW)[0].dump()
        summary = await refresh_revocation_data(configured, now=PKI_NOW)

        # Then the newer one stays (an older CRL may leave out a recent revocation)
        assert [item.reason for item in summary.skipped] == ["older than the cached CRL"]
        assert crl_cache_path(tmp_path, interm_url).read_bytes() == newer

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (lambda pki: b"<html>not a CRL</html>", "not a CRL: "),
            (lambda pki: pki.pem(["root"]), "not a CRL: a PEM 'CERTIFICATE' block"),
            (lambda pki: pki.crls(PKI_NOW)[0].dump()[:-10], "not a CRL: "),
            (
                lambda pki: pki.crls(PKI_NOW - timedelta(days=3))[0].dump(),
                "expired: its nextUpdate 2026-03-25T00:00:00+00:00 has passed",
            ),
        ],
        ids=["garbage", "certificate", "truncated", "expired"],
    )
    async def test_what_is_not_a_current_crl_is_refused_and_not_cached(
        self,
        settings: Settings,
        pki: TestPki,
        server: Server,
        tmp_path: Path,
        body: object,
        reason: str,
    ) -> None:
        server.files["/ca.crl"] = body(pki)  # type: ignore[operator]
        (url,) = crl_urls = (server.url("/ca.crl"),)
        configured = _configured(settings, tmp_path, crl_urls)

        summary = await refresh_revocation_data(configured, now=PKI_NOW)

        ((skipped_url, skipped_reason),) = [(item.url, item.reason) for item in summary.skipped]
        assert skipped_url == url
        assert skipped_reason.startswith(reason)
        assert server.requested == ["/ca.crl"]
        assert not crl_cache_path(tmp_path, url).exists()

    async def test_a_crl_over_the_size_limit_is_refused_and_not_cached(
        self, settings: Settings, published: Server, tmp_path: Path
    ) -> None:
        # The CA's CRL is a good one of 388 bytes; the limit here is 256.
        (url,) = crl_urls = (published.url("/interm.crl"),)
        assert len(published.files["/interm.crl"]) > 256
        configured = _configured(settings, tmp_path, crl_urls)

        summary = await refresh_revocation_data(configured, now=PKI_NOW, max_bytes=256)

        assert [item.reason for item in summary.skipped] == [
            f"fetch failed: FetchRefused: {url}: larger than 256 bytes"
        ]
        assert not crl_cache_path(tmp_path, url).exists()

    async def test_crls_of_urls_no_longer_listed_are_removed(
        self, settings: Settings, published: Server, tmp_path: Path
    ) -> None:
        interm_url, root_url = _both(published)
        await refresh_revocation_data(
            _configured(settings, tmp_path, (interm_url, root_url)), now=PKI_NOW
        )

        summary = await refresh_revocation_data(
            _configured(settings, tmp_path, (interm_url,)), now=PKI_NOW
        )

        assert summary.removed == (crl_cache_path(tmp_path, root_url).name,)
        assert crl_cache_path(tmp_path, interm_url).exists()
        assert not crl_cache_path(tmp_path, root_url).exists()

    async def test_by_default_crls_are_fetched_over_plain_http_from_an_allowed_host(
        self, settings: Settings, pki: TestPki, ca_server: Server, tmp_path: Path
    ) -> None:
        # CAs publish CRLs over http:// (trusted lists must come over https)
        ca_server.files["/interm.crl"] = pki.crls(PKI_NOW)[0].dump()
        url = ca_server.url("/interm.crl")
        configured = _configured(settings, tmp_path, (url,), allowed_hosts=("127.0.0.2",))
        with pytest.raises(FetchRefused, match="not https"):
            await http_fetch(allowed_hosts=("127.0.0.2",))(url)

        summary = await refresh_revocation_data(configured, now=PKI_NOW)

        assert summary.stored == (url,)
        assert ca_server.requested == ["/interm.crl"]


class TestLoadTrustStore:
    async def test_a_refreshed_crl_is_picked_up_without_a_restart(
        self, settings: Settings, pki: TestPki, published: Server, tmp_path: Path
    ) -> None:
        # Given yesterday's CRL, refreshed and loaded
        (interm_url,) = crl_urls = (published.url("/interm.crl"),)
        configured = _configured(settings, tmp_path, crl_urls)
        yesterday = PKI_NOW - timedelta(days=1)
        old = published.files["/interm.crl"] = pki.crls(yesterday)[0].dump()
        await refresh_revocation_data(configured, now=yesterday)
        first = load_trust_store(configured, at=yesterday)
        assert load_trust_store(configured, at=PKI_NOW) is first  # nothing changed: cached

        # When today's CRL is published and refreshed
        new = published.files["/interm.crl"] = pki.crls(PKI_NOW)[0].dump()
        await refresh_revocation_data(configured, now=PKI_NOW)

        # Then the next load holds today's CRL
        assert [crl.dump() for crl in first.crls] == [old]
        assert [crl.dump() for crl in load_trust_store(configured, at=PKI_NOW).crls] == [new]
        assert crl_cache_path(tmp_path, interm_url).read_bytes() == new

    def test_a_damaged_cache_file_is_left_out_and_logged(
        self, pki: TestPki, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        good = pki.crls(PKI_NOW)[0].dump()
        (tmp_path / "a.crl").write_bytes(good)
        (tmp_path / "b.crl").write_bytes(b"\x30\x03garbage")

        with caplog.at_level(logging.ERROR, logger="vergabe.signatures.trust"):
            crls = load_cached_crls(tmp_path)

        assert [crl.dump() for crl in crls] == [good]
        assert "CRL left out" in caplog.text


class TestRefreshActor:
    async def test_the_hourly_job_refreshes_the_crls_of_the_profile(
        self,
        settings: Settings,
        pki: TestPki,
        published: Server,
        tmp_path: Path,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        configured = _configured(settings, tmp_path, _both(published))
        async with sessions() as session:
            context = JobContext(
                session=session,
                clock=ManualClock(PKI_NOW),
                settings=configured,
                job_id=uuid.uuid4(),
                attempt=1,
            )

            await REFRESH_REVOCATION.fn(context, RefreshRevocation())

        assert sorted(published.requested) == ["/interm.crl", "/root.crl"]
        for url, path in zip(_both(published), ("/interm.crl", "/root.crl"), strict=True):
            assert crl_cache_path(tmp_path, url).read_bytes() == _der(published, path)
        assert REFRESH_REVOCATION in ACTORS
        assert Periodic(REFRESH_REVOCATION, timedelta(hours=1)) in PERIODIC
