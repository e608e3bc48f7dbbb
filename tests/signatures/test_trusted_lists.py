"""Refresh of the trusted lists, against a real HTTP server on 127.0.0.1 (never the internet)."""

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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.jobs.specs import JobContext
from infra.profile import SignatureTrust
from infra.settings import Settings
from signatures.errors import TrustedListInvalid
from signatures.trust import cache_paths, load_trust_store
from signatures.trusted_lists import (
    Fetch,
    FetchRefused,
    http_fetch,
    read_lotl,
    refresh_trusted_lists,
)
from tests.signatures.pki import PKI_NOW, TestPki
from tests.signatures.trusted_list import TEST_LIST_ISSUED_AT, make_lotl, make_trusted_list
from workers import PERIODIC
from workers.scheduler import Periodic
from workers.signatures import REFRESH_TRUSTED_LISTS, RefreshTrustedLists


@dataclass
class Server:
    """Serves ``files`` by path and records every path asked for."""

    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requested.append(request.path)
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        if request.path not in self.files:
            raise web.HTTPNotFound
        return web.Response(body=self.files[request.path], content_type="application/xml")


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    served = Server()
    app = web.Application()
    app.router.add_get("/{tail:.*}", served.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    served.port = runner.addresses[0][1]
    try:
        yield served
    finally:
        await runner.cleanup()


def _configured(settings: Settings, server: Server, cache: Path, **trust: object) -> Settings:
    signatures = SignatureTrust(
        lotl_url=server.url("/lotl.xml"),
        allowed_hosts=("127.0.0.1",),
        **trust,  # type: ignore[arg-type]
    )
    profile = msgspec.structs.replace(settings.profile, signatures=signatures)
    own = msgspec.structs.replace(settings.signatures, trust_cache_dir=cache)
    return msgspec.structs.replace(settings, profile=profile, signatures=own)


def _local_fetch() -> Fetch:
    return http_fetch(allowed_hosts=("127.0.0.1",))


@pytest.fixture
def published(pki: TestPki, server: Server, trusted_list_xml: bytes) -> Server:
    """A LOTL pointing to a good list (DE), a tampered one (AT), one on a host not allowed
    (FR, same server under the name ``localhost``) and to itself (EU)."""
    tampered = trusted_list_xml.replace(b"Qualified TSA", b"Qualified TSB", 1)
    assert tampered != trusted_list_xml
    server.files["/tl-de.xml"] = trusted_list_xml
    server.files["/tl-at.xml"] = tampered
    server.files["/tl-fr.xml"] = trusted_list_xml
    pointers = [
        ("DE", server.url("/tl-de.xml"), "tlso"),
        ("AT", server.url("/tl-at.xml"), "tlso"),
        ("FR", server.url("/tl-fr.xml", host="localhost"), "tlso"),
        ("EU", server.url("/lotl.xml"), "root"),
    ]
    server.files["/lotl.xml"] = make_lotl(pki, pointers, issued_at=TEST_LIST_ISSUED_AT)
    return server


class TestRefreshTrustedLists:
    async def test_verified_lists_land_in_the_cache_and_the_others_are_skipped(
        self, settings: Settings, pki: TestPki, published: Server, tmp_path: Path
    ) -> None:
        configured = _configured(settings, published, tmp_path)

        summary = await refresh_trusted_lists(
            configured, now=PKI_NOW, fetch=_local_fetch(), lotl_signers=[pki.cert("tlso")]
        )

        assert summary.stored == ("DE",)
        reasons = {item.territory: item.reason for item in summary.skipped}
        assert reasons.keys() == {"AT", "FR"}
        assert "signature not verified" in reasons["AT"]
        assert reasons["FR"] == "host not in allowed_hosts"
        xml_path, signers_path = cache_paths(tmp_path, "DE")
        assert xml_path.read_bytes() == published.files["/tl-de.xml"]
        assert signers_path.read_bytes() == pki.pem(["tlso"])
        assert not cache_paths(tmp_path, "AT")[0].exists()
        assert "/tl-fr.xml" not in published.requested
        assert published.requested.count("/lotl.xml") == 1
        store = load_trust_store(configured, at=PKI_NOW)
        assert [
            ca.name.native["common_name"] for ca in store.registry.known_certificate_authorities
        ] == ["Test-Trust Root CA"]

    async def test_given_territories_then_only_those_are_fetched(
        self, settings: Settings, pki: TestPki, published: Server, tmp_path: Path
    ) -> None:
        configured = _configured(settings, published, tmp_path, territories=("AT",))

        summary = await refresh_trusted_lists(
            configured, now=PKI_NOW, fetch=_local_fetch(), lotl_signers=[pki.cert("tlso")]
        )

        assert summary.stored == ()
        assert [item.territory for item in summary.skipped] == ["AT"]
        assert "/tl-de.xml" not in published.requested

    async def test_a_tampered_list_does_not_replace_the_cached_one_and_gone_ones_are_removed(
        self, settings: Settings, pki: TestPki, published: Server, tmp_path: Path
    ) -> None:
        good = make_trusted_list(pki, qualified_tsa="tsa", issued_at=TEST_LIST_ISSUED_AT)
        for territory in ("AT", "XX"):
            xml_path, signers_path = cache_paths(tmp_path, territory)
            xml_path.parent.mkdir(parents=True, exist_ok=True)
            xml_path.write_bytes(good)
            signers_path.write_bytes(pki.pem(["tlso"]))
        configured = _configured(settings, published, tmp_path)

        summary = await refresh_trusted_lists(
            configured, now=PKI_NOW, fetch=_local_fetch(), lotl_signers=[pki.cert("tlso")]
        )

        assert cache_paths(tmp_path, "AT")[0].read_bytes() == good
        assert summary.removed == ("XX",)
        assert not any(path.exists() for path in cache_paths(tmp_path, "XX"))

    async def test_given_a_lotl_signed_by_someone_else_then_nothing_changes(
        self, settings: Settings, pki: TestPki, published: Server, tmp_path: Path
    ) -> None:
        configured = _configured(settings, published, tmp_path)

        with pytest.raises(TrustedListInvalid, match=r"lotl\.xml: signature not verified"):
            await refresh_trusted_lists(
                configured, now=PKI_NOW, fetch=_local_fetch(), lotl_signers=[pki.cert("seal")]
            )

        assert published.requested == ["/lotl.xml"]
        assert not (tmp_path / "lists").exists()

    async def test_by_default_the_lotl_must_be_signed_by_the_eu_signers(
        self, settings: Settings, published: Server, tmp_path: Path
    ) -> None:
        configured = _configured(settings, published, tmp_path)

        with pytest.raises(TrustedListInvalid):
            await refresh_trusted_lists(configured, now=PKI_NOW, fetch=_local_fetch())


class TestReadLotl:
    def test_given_the_generated_lotl_then_its_pointers_with_their_signers(
        self, pki: TestPki
    ) -> None:
        xml = make_lotl(
            pki, [("DE", "https://tl.example/de.xml", "tlso")], issued_at=TEST_LIST_ISSUED_AT
        )

        (pointer,) = read_lotl(xml, signers=[pki.cert("tlso")], at=PKI_NOW)

        assert (pointer.territory, pointer.location) == ("DE", "https://tl.example/de.xml")
        assert [cert.dump() for cert in pointer.signers] == [pki.cert("tlso").dump()]


class TestHttpFetch:
    async def test_given_an_allowed_host_then_the_body(self, server: Server) -> None:
        server.files["/a.xml"] = b"<a/>"

        assert await _local_fetch()(server.url("/a.xml")) == b"<a/>"

    async def test_given_http_off_the_loopback_host_then_it_is_refused_before_connecting(
        self,
    ) -> None:
        fetch = http_fetch(allowed_hosts=("tl.example",))

        with pytest.raises(FetchRefused, match="not https"):
            await fetch("http://tl.example/tl.xml")

    async def test_given_a_host_outside_the_allow_list_then_it_is_refused(
        self, server: Server
    ) -> None:
        fetch = http_fetch(allowed_hosts=("127.0.0.1",))

        with pytest.raises(FetchRefused, match="host not in allowed_hosts"):
            await fetch(server.url("/a.xml", host="localhost"))
        assert server.requested == []

    async def test_given_a_redirect_to_a_host_outside_the_allow_list_then_it_is_not_followed(
        self, server: Server
    ) -> None:
        server.redirects["/moved.xml"] = server.url("/a.xml", host="localhost")
        server.files["/a.xml"] = b"<a/>"

        with pytest.raises(FetchRefused, match="host not in allowed_hosts"):
            await _local_fetch()(server.url("/moved.xml"))
        assert server.requested == ["/moved.xml"]

    async def test_given_a_body_over_the_limit_then_it_is_refused(self, server: Server) -> None:
        server.files["/big.xml"] = b"x" * 5000
        fetch = http_fetch(allowed_hosts=("127.0.0.1",), max_bytes=4096)

        with pytest.raises(FetchRefused, match="larger than 4096 bytes"):
            await fetch(server.url("/big.xml"))


class TestRefreshActor:
    async def test_the_daily_job_follows_the_profile_and_trusts_only_the_eu_lotl_signers(
        self,
        settings: Settings,
        published: Server,
        tmp_path: Path,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        # Given a profile pointing at a LOTL that the test operator, not the EU, signed
        configured = _configured(settings, published, tmp_path)
        async with sessions() as session:
            context = JobContext(
                session=session,
                clock=ManualClock(PKI_NOW),
                settings=configured,
                job_id=uuid.uuid4(),
                attempt=1,
            )

            # When the job runs, then the LOTL is refused and nothing else is fetched or stored
            with pytest.raises(TrustedListInvalid, match=r"lotl\.xml: signature not verified"):
                await REFRESH_TRUSTED_LISTS.fn(context, RefreshTrustedLists())

        assert published.requested == ["/lotl.xml"]
        assert not (tmp_path / "lists").exists()
        assert Periodic(REFRESH_TRUSTED_LISTS, timedelta(days=1)) in PERIODIC

    async def test_given_an_unreachable_lotl_then_the_run_ends_with_a_warning_and_the_cache_stays(
        self,
        settings: Settings,
        server: Server,
        pki: TestPki,
        tmp_path: Path,
        sessions: async_sessionmaker[AsyncSession],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        # Given a cached list, and a LOTL location that answers 404
        xml_path, signers_path = cache_paths(tmp_path, "DE")
        xml_path.parent.mkdir(parents=True)
        xml_path.write_bytes(b"<cached/>")
        signers_path.write_bytes(pki.pem(["tlso"]))
        configured = _configured(settings, server, tmp_path)
        async with sessions() as session:
            context = JobContext(
                session=session,
                clock=ManualClock(PKI_NOW),
                settings=configured,
                job_id=uuid.uuid4(),
                attempt=1,
            )

            # When the job runs
            with caplog.at_level(logging.WARNING, logger="vergabe.signatures"):
                await REFRESH_TRUSTED_LISTS.fn(context, RefreshTrustedLists())

        # Then it says so, and the cached list stays
        assert server.requested == ["/lotl.xml"]
        assert "trusted lists not refreshed" in caplog.text
        assert xml_path.read_bytes() == b"<cached/>"
