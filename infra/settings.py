"""Settings: one tree of frozen msgspec structs, built once from ``VERGABE_*`` variables.

:func:`load_settings` is called by the command line (or by a test) with an explicit environment
mapping and the result is passed down to :func:`infra.app.create_app` and the worker; nothing in
the code base reads the environment at import time. Every variable is listed in
:data:`ENVIRONMENT` with the setting it fills, so an invalid value is reported as one line naming
the variable and the reason (:class:`SettingsError`).
"""

from __future__ import annotations

__all__ = [
    "ENVIRONMENT",
    "BrokerSettings",
    "DatabaseSettings",
    "HttpSettings",
    "JobSettings",
    "MailSettings",
    "SessionSettings",
    "Settings",
    "SettingsError",
    "SignatureSettings",
    "StorageSettings",
    "load_settings",
]

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from infra.profile import Profile, ProfileError, load_profile

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Seconds = Annotated[float, msgspec.Meta(gt=0, le=366 * 24 * 3600)]
"""A duration of at most a year; the bound also refuses ``inf``, which overflows ``timedelta``."""
Count = Annotated[int, msgspec.Meta(ge=1)]


class SettingsError(Exception):
    """A setting is missing or invalid; ``str(error)`` is one line for the operator."""


def _check_port(url: str) -> None:
    """Refuse a URL whose port is not a number from 1 to 65535 (``ValueError`` names why)."""
    port = urlsplit(url).port  # raises for a port that is not a number or above 65535
    if port == 0:
        raise ValueError("Port out of range 1-65535")


class DatabaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    """SQLAlchemy URL: ``sqlite+aiosqlite:///…`` (default) or ``postgresql+asyncpg://…``."""
    pool_size: Count = 10
    """Connections per process (PostgreSQL)."""
    echo: bool = False

    def __post_init__(self) -> None:
        if not self.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        _check_port(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class BrokerSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str = "memory://"
    """``memory://`` (in-process, only with ``vergabe run``), ``amqp://…`` or ``redis://…``."""
    namespace: Annotated[str, msgspec.Meta(pattern=r"^[a-zA-Z_][a-zA-Z0-9_-]{0,40}$")] = "vergabe"
    """Prefix of queue names, so that several instances can share one broker."""

    def __post_init__(self) -> None:
        if not self.url.startswith(("memory://", "amqp://", "amqps://", "redis://", "rediss://")):
            raise ValueError("must start with memory://, amqp://, amqps://, redis:// or rediss://")
        _check_port(self.url)

    @property
    def kind(self) -> Literal["memory", "rabbitmq", "redis"]:
        if self.url.startswith("memory"):
            return "memory"
        return "rabbitmq" if self.url.startswith("amqp") else "redis"


class JobSettings(msgspec.Struct, frozen=True, kw_only=True):
    poll_interval: Seconds = 1.0
    """Seconds between two scheduler passes over the outbox."""
    lease_seconds: Seconds = 300.0
    """How long a released or running job may stay silent before it is released again."""
    backoff_seconds: Seconds = 10.0
    backoff_max_seconds: Seconds = 3600.0
    worker_threads: Count = 4
    shutdown_grace_seconds: Seconds = 30.0
    """How long SIGTERM waits for running jobs and requests to finish."""
    finished_retention_days: Count = 30
    """Finished jobs are purged by housekeeping after this many days."""


class HttpSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: Port = 8000
    processes: Count = 1
    """API processes started by ``vergabe api``."""
    max_body_bytes: Count = 10 * 1024 * 1024
    """Largest accepted request body; larger ones get 413."""
    behind_tls: bool = False
    """Set when a TLS-terminating proxy sits in front: cookies become Secure, HSTS is sent."""
    public_url: str = ""
    """The URL users reach the platform at (mails and QR codes); default: host and port."""


class StorageSettings(msgspec.Struct, frozen=True, kw_only=True):
    root: Path
    """Directory of stored documents and temporary uploads."""
    temp_ttl_hours: Count = 24
    """Temporary uploads older than this are purged by housekeeping."""


class MailSettings(msgspec.Struct, frozen=True, kw_only=True):
    smtp_url: str = ""
    """``smtp://user:password@host:587`` (STARTTLS when offered) or ``smtps://…`` (implicit
    TLS). Empty: in development mail stays in the local mailbox at ``/dev/mailbox``."""
    sender: str = "OpenVergabe <noreply@localhost>"

    def __post_init__(self) -> None:
        if self.smtp_url and not self.smtp_url.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")


class SignatureSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Signature checking limits, the trust cache and the instance seal (DESIGN.md §4)."""

    max_document_bytes: Count = 30 * 1024 * 1024
    """Largest document (or detached signature) accepted for a signature check."""
    max_decoded_stream_bytes: Count = 64 * 1024 * 1024
    """Largest size a single PDF stream may decompress to (pyHanko ``DecodeLimits``)."""
    trust_cache_dir: Path | None = None
    """Where the refreshes keep verified trusted lists and CRLs; default ``<data dir>/trust``."""
    seal_pkcs12: Path | None = None
    """PKCS#12 file holding the instance seal key and certificate chain."""
    seal_pkcs12_password: str = ""
    seal_pkcs11_module: Path | None = None
    """PKCS#11 library of the token holding the seal key (instead of a PKCS#12 file)."""
    seal_pkcs11_token: str = ""
    """Label of the PKCS#11 token."""
    seal_pkcs11_key: str = ""
    """Label of the seal key (and its certificate) on the token."""
    seal_pkcs11_pin: str = ""
    tsa_url: str = ""
    """RFC 3161 timestamp authority used when sealing. Empty in development: a generated
    development authority stamps locally."""

    def __post_init__(self) -> None:
        if self.seal_pkcs12 is not None and self.seal_pkcs11_module is not None:
            raise ValueError("configure the seal either as PKCS#12 file or as PKCS#11 token")
        if self.seal_pkcs11_module is not None and not self.seal_pkcs11_key:
            raise ValueError("a PKCS#11 seal needs VERGABE_SEAL_PKCS11_KEY")
        if self.tsa_url and not self.tsa_url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")

    @property
    def seal_configured(self) -> bool:
        return self.seal_pkcs12 is not None or self.seal_pkcs11_module is not None


class BidSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Sealed bids and their opening (§§ 54, 55 VgV)."""

    kek_file: Path | None = None
    """The key-encryption key wrapping each tender's data key: a file of 32 random bytes (or
    64 hex digits), readable by the platform's user only. Development generates one in the data
    directory; production must name it (or, later, a PKCS#11 token or KMS)."""
    opening_window_minutes: Annotated[int, msgspec.Meta(ge=1, le=24 * 60)] = 30
    """The second officer must confirm an opening this soon after the first started it."""
    max_documents: Annotated[int, msgspec.Meta(ge=1, le=500)] = 60
    """Most documents one bid may hold."""


class SessionSettings(msgspec.Struct, frozen=True, kw_only=True):
    idle_minutes: Annotated[int, msgspec.Meta(ge=1, le=24 * 60)] = 60
    """A session unused this long ends."""
    max_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 30)] = 12
    """A session ends this long after login, used or not."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["development", "production"] = "development"
    data_dir: Path
    secret_key: Annotated[str, msgspec.Meta(min_length=32)]
    """Signs CSRF tokens and cookies. In development a generated key is kept in the data dir."""
    profile_name: str = "bremen"
    profile: Profile
    database: DatabaseSettings
    broker: BrokerSettings = msgspec.field(default_factory=BrokerSettings)
    jobs: JobSettings = msgspec.field(default_factory=JobSettings)
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    storage: StorageSettings
    mail: MailSettings = msgspec.field(default_factory=MailSettings)
    sessions: SessionSettings = msgspec.field(default_factory=SessionSettings)
    signatures: SignatureSettings = msgspec.field(default_factory=SignatureSettings)
    bids: BidSettings = msgspec.field(default_factory=BidSettings)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    assets_dir: Path
    """Where the front-end packages installed by npm live (``node_modules``)."""

    def __post_init__(self) -> None:
        if self.env == "production" and not self.mail.smtp_url:
            raise ValueError("production needs an SMTP server for its mail")
        if self.env == "production" and not self.signatures.seal_configured:
            raise ValueError("production needs the instance seal (PKCS#12 file or PKCS#11 token)")
        if self.env == "production" and not self.signatures.tsa_url:
            raise ValueError("production needs a timestamp authority for its seal")
        if self.env == "production" and self.bids.kek_file is None:
            raise ValueError("production needs the key-encryption key of sealed bids")

    @property
    def trust_cache_dir(self) -> Path:
        return self.signatures.trust_cache_dir or self.data_dir / "trust"

    @property
    def public_url(self) -> str:
        return self.http.public_url or f"http://{self.http.host}:{self.http.port}"


ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "VERGABE_ENV": ("env",),
    "VERGABE_DATA_DIR": ("data_dir",),
    "VERGABE_SECRET_KEY": ("secret_key",),
    "VERGABE_PROFILE": ("profile_name",),
    "VERGABE_DATABASE_URL": ("database", "url"),
    "VERGABE_DATABASE_POOL_SIZE": ("database", "pool_size"),
    "VERGABE_DATABASE_ECHO": ("database", "echo"),
    "VERGABE_BROKER_URL": ("broker", "url"),
    "VERGABE_BROKER_NAMESPACE": ("broker", "namespace"),
    "VERGABE_JOB_POLL_INTERVAL": ("jobs", "poll_interval"),
    "VERGABE_JOB_LEASE_SECONDS": ("jobs", "lease_seconds"),
    "VERGABE_JOB_BACKOFF_SECONDS": ("jobs", "backoff_seconds"),
    "VERGABE_WORKER_THREADS": ("jobs", "worker_threads"),
    "VERGABE_SHUTDOWN_GRACE_SECONDS": ("jobs", "shutdown_grace_seconds"),
    "VERGABE_HOST": ("http", "host"),
    "VERGABE_PORT": ("http", "port"),
    "VERGABE_API_PROCESSES": ("http", "processes"),
    "VERGABE_MAX_BODY_BYTES": ("http", "max_body_bytes"),
    "VERGABE_BEHIND_TLS": ("http", "behind_tls"),
    "VERGABE_PUBLIC_URL": ("http", "public_url"),
    "VERGABE_STORAGE_DIR": ("storage", "root"),
    "VERGABE_SMTP_URL": ("mail", "smtp_url"),
    "VERGABE_MAIL_FROM": ("mail", "sender"),
    "VERGABE_SESSION_IDLE_MINUTES": ("sessions", "idle_minutes"),
    "VERGABE_SESSION_MAX_HOURS": ("sessions", "max_hours"),
    "VERGABE_SIGNATURE_MAX_BYTES": ("signatures", "max_document_bytes"),
    "VERGABE_SIGNATURE_MAX_DECODED_BYTES": ("signatures", "max_decoded_stream_bytes"),
    "VERGABE_TRUST_CACHE_DIR": ("signatures", "trust_cache_dir"),
    "VERGABE_SEAL_PKCS12": ("signatures", "seal_pkcs12"),
    "VERGABE_SEAL_PKCS12_PASSWORD": ("signatures", "seal_pkcs12_password"),
    "VERGABE_SEAL_PKCS11_MODULE": ("signatures", "seal_pkcs11_module"),
    "VERGABE_SEAL_PKCS11_TOKEN": ("signatures", "seal_pkcs11_token"),
    "VERGABE_SEAL_PKCS11_KEY": ("signatures", "seal_pkcs11_key"),
    "VERGABE_SEAL_PKCS11_PIN": ("signatures", "seal_pkcs11_pin"),
    "VERGABE_TSA_URL": ("signatures", "tsa_url"),
    "VERGABE_BID_KEK_FILE": ("bids", "kek_file"),
    "VERGABE_OPENING_WINDOW_MINUTES": ("bids", "opening_window_minutes"),
    "VERGABE_BID_MAX_DOCUMENTS": ("bids", "max_documents"),
    "VERGABE_LOG_LEVEL": ("log_level",),
    "VERGABE_LOG_FORMAT": ("log_format",),
    "VERGABE_ASSETS_DIR": ("assets_dir",),
}
"""Every environment variable the platform reads, with the setting it fills."""

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings tree from ``environ`` (default: the process environment).

    Raises:
        SettingsError: naming the variable or profile key and why it is wrong.
    """
    env = dict(os.environ if environ is None else environ)
    unknown = sorted(k for k in env if k.startswith("VERGABE_") and k not in ENVIRONMENT)
    unknown = [k for k in unknown if not k.startswith("VERGABE_TEST_")]
    if unknown:
        raise SettingsError(f"{unknown[0]}: unknown variable (see README, 'Configuration')")

    raw: dict[str, Any] = {}
    for name, path in ENVIRONMENT.items():
        if name in env:
            node = raw
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = env[name]

    data_dir = Path(raw.get("data_dir") or "data").expanduser().absolute()
    raw["data_dir"] = str(data_dir)
    raw.setdefault("database", {}).setdefault(
        "url", f"sqlite+aiosqlite:///{data_dir / 'vergabe.sqlite3'}"
    )
    raw.setdefault("storage", {}).setdefault("root", str(data_dir / "files"))
    raw.setdefault("assets_dir", str(_PROJECT_ROOT / "node_modules"))
    if "secret_key" not in raw and raw.get("env", "development") == "development":
        raw["secret_key"] = _development_secret(data_dir)
    bids = raw.setdefault("bids", {})
    if "kek_file" not in bids and raw.get("env", "development") == "development":
        bids["kek_file"] = str(_development_kek(data_dir))

    try:
        raw["profile"] = load_profile(raw.get("profile_name", "bremen"))
    except ProfileError as exc:
        raise SettingsError(f"VERGABE_PROFILE: {exc}") from exc

    try:
        return msgspec.convert(raw, Settings, strict=False, dec_hook=_passthrough)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_variable(exc)) from exc


def _passthrough(type_: type, obj: Any) -> Any:
    """Accept the already validated profile as it is and paths given as strings."""
    if isinstance(obj, type_):
        return obj
    if type_ is Path and isinstance(obj, str):
        return Path(obj)
    raise NotImplementedError


def _development_secret(data_dir: Path) -> str:
    """A random key kept in the data directory, for development only.

    DEVELOPMENT KEY: generated on first start, never committed; production must set
    ``VERGABE_SECRET_KEY``.
    """
    path = data_dir / "development-secret.key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _development_kek(data_dir: Path) -> Path:
    """A random key-encryption key for sealed bids in the data directory, for development only.

    DEVELOPMENT KEY: generated on first start, never committed; production must set
    ``VERGABE_BID_KEK_FILE``.
    """
    path = data_dir / "development-bid-kek.key"
    if path.is_file():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path


def _name_variable(exc: msgspec.ValidationError) -> str:
    """Map msgspec's ``… - at `$.http.port``` to ``VERGABE_PORT: …``."""
    text = str(exc)
    reason, sep, where = text.rpartition(" - at `")
    if not sep:
        if "secret_key" in text:
            return "VERGABE_SECRET_KEY: required in production (at least 32 characters)"
        if "SMTP server" in text:
            return "VERGABE_SMTP_URL: production needs an SMTP server for its mail"
        if "instance seal" in text:
            return (
                "VERGABE_SEAL_PKCS12: production needs the instance seal "
                "(or VERGABE_SEAL_PKCS11_MODULE)"
            )
        if "timestamp authority" in text:
            return "VERGABE_TSA_URL: production needs a timestamp authority for its seal"
        if "key-encryption key" in text:
            return "VERGABE_BID_KEK_FILE: production needs the key-encryption key of sealed bids"
        return text
    parts = tuple(
        p for p in where.rstrip("`").removeprefix("$").split(".") if p and not p.startswith("[")
    )
    for name, path in ENVIRONMENT.items():
        if path == parts:
            return f"{name}: {reason}"
    for name, path in ENVIRONMENT.items():
        if path[: len(parts)] == parts:
            return f"{name}: {reason}"
    return f"setting {'.'.join(parts)}: {reason}"
