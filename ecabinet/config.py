"""All configuration, read from environment variables in one place."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("ECABINET_INSTANCE", REPO_ROOT / "instance"))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/.

    Keeping it in a file lets the embedded default survive restarts without logging everyone out,
    while never shipping a fixed key in the code.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'ecabinet.db'}"
        )
        self.ECABINET_STORAGE = os.environ.get("ECABINET_STORAGE", str(INSTANCE_DIR / "storage"))
        self.ECABINET_MAX_UPLOAD_MB = _env_int("ECABINET_MAX_UPLOAD_MB", 50)
        # The longest PDF accepted: a cabinet's papers run to hundreds of pages, a stitched-up archive
        # to thousands; beyond this, reading and stamping it would hold a worker for minutes.
        self.ECABINET_MAX_PAGES = _env_int("ECABINET_MAX_PAGES", 5000)
        # Annotations one member may keep on one version of a document.
        self.ECABINET_MAX_ANNOTATIONS = _env_int("ECABINET_MAX_ANNOTATIONS", 2000)
        self.SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        # Redis (the shared storage) down: logins are limited by each process on its own, and the log
        # says so ("falling back to in-memory storage"), rather than every login answering 500.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.ECABINET_TOKEN_DAYS = _env_int("ECABINET_TOKEN_DAYS", 30)
        # A browser session unused this long is logged out at its next request (0: never); bearer
        # tokens keep their absolute lifetime only.
        self.ECABINET_SESSION_IDLE_MINUTES = _env_int("ECABINET_SESSION_IDLE_MINUTES", 60)
        # Days after a meeting closes that members' private annotations are kept, where the meeting
        # does not say (`retention`).
        self.ECABINET_RETENTION_DAYS = _env_int("ECABINET_RETENTION_DAYS", 365)
        # Days before a task's deadline that `flask tasks remind` reminds its owner (once); after the
        # deadline it reminds once a day until the task is reported.
        self.ECABINET_TASK_REMIND_DAYS = _env_int("ECABINET_TASK_REMIND_DAYS", 3)
        self.ECABINET_DEVICE_SEEN_S = _env_int("ECABINET_DEVICE_SEEN_S", 60)
        self.ECABINET_LOGIN_ATTEMPTS_PER_MINUTE = _env_int("ECABINET_LOGIN_ATTEMPTS_PER_MINUTE", 5)
        # Failed logins from one address, whatever the usernames: one guess at each of many accounts.
        self.ECABINET_LOGIN_ATTEMPTS_PER_ADDRESS = _env_int("ECABINET_LOGIN_ATTEMPTS_PER_ADDRESS", 30)
        # Roles whose logins need a second factor (TOTP or a passkey); an account of such a role without
        # one is led to enrol at its next login on the pages. Empty: none.
        self.ECABINET_MFA_REQUIRED_ROLES = os.environ.get("ECABINET_MFA_REQUIRED_ROLES", "admin,secretariat")
        # The WebAuthn relying party's id (the site's domain name) for passkeys; unset: the host the
        # browser asked for. Passkeys are bound to it: changing it makes them unusable.
        self.ECABINET_WEBAUTHN_RP_ID = os.environ.get("ECABINET_WEBAUTHN_RP_ID") or None
        # Proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed; none by default.
        self.ECABINET_PROXIES = _env_int("ECABINET_PROXIES", 0)
        # How often each process checks again who may still follow the meetings its sockets joined
        # (changes made through the process itself are checked at once).
        self.ECABINET_LIVE_RECHECK_S = _env_int("ECABINET_LIVE_RECHECK_S", 30)
        # How often each joined socket hears its meeting's latest `seq` (`heartbeat`), so that a tablet
        # that missed an event (Redis between the processes was down) catches up within seconds.
        self.ECABINET_LIVE_HEARTBEAT_S = _env_int("ECABINET_LIVE_HEARTBEAT_S", 5)
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "ecabinet@localhost")
        self.ECABINET_SIGNING_CERT = os.environ.get("ECABINET_SIGNING_CERT") or None
        self.ECABINET_SIGNING_KEY = os.environ.get("ECABINET_SIGNING_KEY") or None
        self.ECABINET_SIGNING_KEY_PASSWORD = os.environ.get("ECABINET_SIGNING_KEY_PASSWORD") or None
        # Where heavy work (PDFs, books, reports, signing) is queued: unset for a SQLite file in the
        # instance folder, `redis://…` for workers on other hosts, `immediate` to run it in place
        # (ecabinet.common.jobs).
        self.ECABINET_JOBS = os.environ.get("ECABINET_JOBS", "")
        # Job-worker processes gunicorn starts beside the server; 0 when workers run elsewhere only.
        self.ECABINET_JOB_WORKERS = _env_int("ECABINET_JOB_WORKERS", os.cpu_count() or 1)
        # Build every participant's book and watermarked copies when a meeting is published or a
        # paper gets a version, so that at the session's start each download is a file already made.
        self.ECABINET_PREPARE_COPIES = os.environ.get("ECABINET_PREPARE_COPIES", "1") == "1"
        # scrypt with Werkzeug's default cost (N=2^15, r=8, p=1)
        self.PASSWORD_HASH_METHOD = "scrypt"
        self.BABEL_DEFAULT_LOCALE = "vi"
        # The cabinet's time zone (an IANA name): every time a person reads — pages, forms, mail, PDFs,
        # the calendar feed — is in it (`ecabinet.common.time.cabinet_timezone`); the database keeps UTC.
        self.ECABINET_TIMEZONE = os.environ.get("ECABINET_TIMEZONE", "Asia/Ho_Chi_Minh")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = os.environ.get("ECABINET_SECURE_COOKIES", "") == "1"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.WTF_CSRF_TIME_LIMIT = None  # a meeting day is long; the token lives with the session


class TestConfig(Config):
    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str, storage: str) -> None:
        super().__init__()
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.ECABINET_STORAGE = storage
        self.SECRET_KEY = "test-secret-key"
        # Still scrypt, at a cost that lets a test make a cabinet of users in milliseconds.
        self.PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
        # A test publishing a meeting does not wait for books nobody opens; tests of it turn this on.
        self.ECABINET_PREPARE_COPIES = False
        # Jobs run in place, in the test's own process (as anywhere outside a server): no queue file.
        self.ECABINET_JOBS = "immediate"
        # Tests log in as any role in one step; tests of the second factor set the policy themselves.
        self.ECABINET_MFA_REQUIRED_ROLES = ""
