"""ecabinet: paperless cabinet meetings, written-opinion ballots and minutes."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, g, has_request_context, jsonify, request, session
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.middleware.proxy_fix import ProxyFix

from ecabinet.common import jobs, pages, serving, sqlite
from ecabinet.common.api import require_declared_permissions
from ecabinet.common.input import MAX_INT, CheckedRequest, check_query_string
from ecabinet.config import INSTANCE_DIR, REPO_ROOT, Config
from ecabinet.errors import DATABASE_UNREACHABLE, NotFound, Unavailable, error_body, register_error_handlers
from ecabinet.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def create_app(config: object | None = None) -> Flask:
    app = Flask(
        "ecabinet",
        instance_path=str(INSTANCE_DIR),
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
    )
    app.config.from_object(config or Config())
    app.request_class = CheckedRequest
    app.json.ensure_ascii = False  # Vietnamese stays readable in every answer
    app.json.sort_keys = False
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    app.config["MAX_CONTENT_LENGTH"] = (app.config["ECABINET_MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, where cookie authentication is used
    _check_timezone(app)

    embedded = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if embedded:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = sqlite.engine_options(
            app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        )

    _import_models()
    _declare_hooks()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    _register_sockets()  # before init_app, which hands the registered handlers to each app's server
    socketio.init_app(
        app, message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"], async_mode=serving.socketio_async_mode()
    )
    if app.config["ECABINET_PROXIES"]:
        # Behind nginx every request would come from 127.0.0.1, and the login limits, kept per address,
        # would count every tablet as one: one guesser could lock an account out for all of them.
        proxies = app.config["ECABINET_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    _init_login()
    _init_babel(app)
    if embedded:
        with app.app_context():
            sqlite.tune(db.engine, writes=_request_writes)

    jobs.init_app(app)
    register_error_handlers(app, reworded=pages.in_page_words)
    _set_security_headers(app)
    _register_blueprints(app)
    _declare_calendar(app)
    require_declared_permissions(app, UNSAFE_METHODS)
    _register_cli(app)
    _register_transaction(app)
    return app


def _check_timezone(app: Flask) -> None:
    """A misspelt ECABINET_TIMEZONE stops the start, rather than the first page that shows a time."""
    name = app.config["ECABINET_TIMEZONE"]
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"ECABINET_TIMEZONE: no time zone is called {name!r}") from None
    app.config["BABEL_DEFAULT_TIMEZONE"] = name  # Flask-Babel's own filters read the same setting


_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",  # a download is what its type says, never sniffed into HTML
    "X-Frame-Options": "SAMEORIGIN",  # no other site frames a page to make a member click on it
    "Referrer-Policy": "same-origin",  # links out do not carry the meeting's or document's address
}


# What a page may load and run: this server's own files, nothing inline. The templates carry no inline
# script, `on…=` attribute, `javascript:` address or `style=` attribute (a page hands its script data in
# `<script type="application/json">` or `data-*`), so markup slipped into a title or a comment can
# neither run nor restyle anything. Only what the pages need beyond that is allowed, each with its reason.
_CONTENT_SECURITY_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # Socket.IO's WebSocket to this same server: older Safari does not count ws:/wss: as 'self'. (Werkzeug
    # makes a Host header with characters no host has empty: nothing can be slipped into the policy.)
    "connect-src 'self' ws://{host} wss://{host}",
    "worker-src 'self'",  # PDF.js parses documents in a worker loaded from static/vendor
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'self'",  # the meeting page shows the presenter's document in a frame of its own
    "form-action 'self'",
)
# Once a browser has reached the office over HTTPS it refuses plain HTTP for a year: no one on the
# network can strip TLS from a later visit. Only when the site is served over HTTPS (secure cookies).
_STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def _set_security_headers(app: Flask) -> None:
    policy = "; ".join(_CONTENT_SECURITY_POLICY)
    https = app.config["SESSION_COOKIE_SECURE"]

    @app.after_request
    def security_headers(response):
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # The policy governs documents; scripts, JSON and PDFs are never rendered as one (nosniff), and a
        # PDF opened in the browser's own viewer is not to be held to a page's rules.
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", policy.format(host=request.host))
        if https:
            response.headers.setdefault("Strict-Transport-Security", _STRICT_TRANSPORT_SECURITY)
        return response


def _import_models() -> None:
    from ecabinet.annotations import models as _annotations  # noqa: F401
    from ecabinet.audit import models as _audit  # noqa: F401
    from ecabinet.auth import models as _auth  # noqa: F401
    from ecabinet.ballots import models as _ballots  # noqa: F401
    from ecabinet.calendar import models as _calendar  # noqa: F401
    from ecabinet.documents import models as _documents  # noqa: F401
    from ecabinet.live import models as _live  # noqa: F401
    from ecabinet.meetings import models as _meetings  # noqa: F401
    from ecabinet.minutes import models as _minutes  # noqa: F401
    from ecabinet.positions import models as _positions  # noqa: F401
    from ecabinet.retention import models as _retention  # noqa: F401
    from ecabinet.speakers import models as _speakers  # noqa: F401
    from ecabinet.tasks import models as _tasks  # noqa: F401
    from ecabinet.votes import models as _votes  # noqa: F401


def _declare_hooks() -> None:
    """Where one module lets others act without knowing them, what runs, in order (ecabinet.common.hooks).
    Each line replaces what its hook held, so making a second app declares the same again."""
    from ecabinet.annotations import carry
    from ecabinet.audit import service as audit
    from ecabinet.auth import messages as auth_messages
    from ecabinet.auth import service as auth
    from ecabinet.ballots import service as ballots
    from ecabinet.common import mail, pages, unit_of_work
    from ecabinet.documents import exports, text_index
    from ecabinet.documents import messages as documents_messages
    from ecabinet.documents import serialize as documents_serialize
    from ecabinet.documents import service as documents
    from ecabinet.live import publisher, sockets
    from ecabinet.meetings import events as meeting_events
    from ecabinet.meetings import messages as meetings_messages
    from ecabinet.meetings import serialize as meetings_serialize
    from ecabinet.meetings import service as meetings
    from ecabinet.minutes import exports as minutes_exports
    from ecabinet.positions import messages as positions_messages
    from ecabinet.positions import service as positions
    from ecabinet.retention import serialize as retention_serialize
    from ecabinet.tasks import exports as tasks_exports
    from ecabinet.tasks import messages as tasks_messages
    from ecabinet.tasks import service as tasks
    from ecabinet.votes import messages as votes_messages
    from ecabinet.votes import service as votes

    # The end of every transaction. Before the commit the audit log writes last: the chain's head is
    # then the last lock a transaction takes, and no one holding it waits for another (no deadlocks).
    unit_of_work.on_before_commit.declare(meeting_events.store_pending, audit.write_pending)
    unit_of_work.on_after_commit.declare(
        publisher.send_stored,
        text_index.start_extraction,
        exports.start_preparing,
        carry.start_carrying,
        mail.send_queued,
    )
    unit_of_work.on_after_rollback.declare(documents.drop_new_blobs)

    # Between domains: the earlier domain names the moment, the later one acts on it.
    documents.also_visible_when.declare(
        ballots.recipients_see_ballot_documents, tasks.readers_of_the_task_see_its_report
    )
    documents.on_version_added.declare(exports.prepare_new_version, carry.queue_carry)
    meetings.on_published.declare(exports.prepare_copies)
    meetings.on_item_current.declare(positions.give_the_floor_they_asked_for)
    meetings.on_closing.declare(votes.refuse_close_with_open_vote)
    auth.on_access_changed.declare(publisher.access_changed)
    publisher.on_access_changed.declare(sockets.recheck_soon)
    meetings_serialize.meeting_fields.declare(retention_serialize.retention)
    meetings_serialize.item_fields.declare(documents_serialize.item_documents)
    minutes_exports.assigned_in.declare(tasks_exports.conclusion_lines)

    # Each domain words its own refusals for the pages.
    pages.domain_messages.declare(
        auth_messages.messages,
        meetings_messages.messages,
        documents_messages.messages,
        votes_messages.messages,
        positions_messages.messages,
        tasks_messages.messages,
    )


def _init_login() -> None:
    from ecabinet.auth import idle, presence
    from ecabinet.auth import service as auth
    from ecabinet.common.api import bearer_token
    from ecabinet.common.pages import PAGE_SESSION_KEY

    login_manager.login_view = "auth_pages.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_from_cookie(session_id: str):
        # A call that carries a bearer token is judged by the token alone.
        if has_request_context() and request.headers.get("Authorization"):
            return None
        if not idle.still_used(session):
            return None  # pages go to the login page, their scripts' calls are answered 401
        token = session.get(PAGE_SESSION_KEY)
        return seen(auth.user_for_session(session_id, token), token)

    @login_manager.request_loader
    def load_from_token(_request):
        raw = bearer_token()
        return seen(auth.user_for_token(raw), raw) if raw else None

    def seen(user, raw: str | None):
        """The user a live login belongs to, its device noted as seen (at most once a minute)."""
        if user is not None and has_request_context():
            presence.seen(auth.BearerToken(raw).digest, request.remote_addr)
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import redirect, url_for

        from ecabinet.errors import DeviceWiped, wants_json

        refused = auth.refusal(session.get(PAGE_SESSION_KEY), bearer=False)
        if wants_json(request):
            raise refused
        if isinstance(refused, DeviceWiped):  # the login page has the browser forget everything
            return redirect(url_for("auth_pages.login", wiped=1))
        return redirect(url_for("auth_pages.login", next=request.full_path))


def _init_babel(app: Flask) -> None:
    from ecabinet.common.jinja import register_jinja
    from ecabinet.i18n import compile_catalogs, select_locale

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = compile_catalogs(app)
    babel.init_app(app, locale_selector=select_locale)
    register_jinja(app)


def _request_writes() -> bool:
    # A job says for itself whether it writes (it may run while the request that waits for it writes).
    job_writes = jobs.transaction_writes()
    if job_writes is not None:
        return job_writes
    # Outside a request (command line, background work) a transaction is there to write: on SQLite it
    # takes the lock at once rather than fail on a stale snapshot when another writer got in between.
    if not has_request_context():
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "_writes", request.method in UNSAFE_METHODS)


def _register_blueprints(app: Flask) -> None:
    from ecabinet.annotations.api import bp as annotations_api
    from ecabinet.auth.api import bp as auth_api
    from ecabinet.auth.gate import require_login
    from ecabinet.auth.views import bp as auth_pages
    from ecabinet.ballots.api import bp as ballots_api
    from ecabinet.ballots.views import bp as ballots_pages
    from ecabinet.calendar.api import bp as calendar_api
    from ecabinet.calendar.views import bp as calendar_pages
    from ecabinet.common.api import api_blueprint
    from ecabinet.common.openapi_view import bp as openapi_api
    from ecabinet.devices.api import bp as devices_api
    from ecabinet.devices.views import bp as devices_pages
    from ecabinet.documents.api import bp as documents_api
    from ecabinet.documents.views import bp as documents_pages
    from ecabinet.live.api import bp as live_api
    from ecabinet.meetings.api import bp as meetings_api
    from ecabinet.meetings.views import bp as meetings_pages
    from ecabinet.minutes.api import bp as minutes_api
    from ecabinet.minutes.views import bp as minutes_pages
    from ecabinet.offline.api import bp as offline_api
    from ecabinet.offline.views import bp as offline_pages
    from ecabinet.positions.api import bp as positions_api
    from ecabinet.positions.views import bp as positions_pages
    from ecabinet.retention.api import bp as retention_api
    from ecabinet.retention.views import bp as retention_pages
    from ecabinet.speakers.api import bp as speakers_api
    from ecabinet.tasks.api import bp as tasks_api
    from ecabinet.tasks.views import bp as tasks_pages
    from ecabinet.votes.api import bp as votes_api

    app.register_blueprint(
        api_blueprint(
            require_login,
            auth_api,
            devices_api,
            meetings_api,
            documents_api,
            annotations_api,
            votes_api,
            speakers_api,
            ballots_api,
            minutes_api,
            retention_api,
            positions_api,
            offline_api,
            calendar_api,
            tasks_api,
            live_api,
            openapi_api,
        )
    )
    app.register_blueprint(auth_pages)
    app.register_blueprint(devices_pages)
    app.register_blueprint(meetings_pages)
    app.register_blueprint(documents_pages)
    app.register_blueprint(ballots_pages)
    app.register_blueprint(minutes_pages)
    app.register_blueprint(offline_pages)
    app.register_blueprint(retention_pages)
    app.register_blueprint(positions_pages)
    app.register_blueprint(calendar_pages)
    app.register_blueprint(tasks_pages)

    @app.before_request
    def ids_in_range():
        """An id in the path larger than any integer column holds names nothing, on a page as in the
        API: 404 without asking the database, which would fail on it."""
        if any(isinstance(v, int) and v > MAX_INT for v in (request.view_args or {}).values()):
            raise NotFound()

    @app.before_request
    def plain_query_string():
        """Query strings carry no control characters (`?q=%00` once made the search fail on
        PostgreSQL); form fields and bodies are checked as they are read. The API checks them after
        who may make the call (common.api)."""
        if request.blueprint is None or not request.blueprint.startswith("api"):
            check_query_string()

    @app.before_request
    def protect_cookie_sessions():
        """CSRF applies where the login cookie authenticates; a bearer-token call carries no cookie risk."""
        if request.method not in UNSAFE_METHODS or request.headers.get("Authorization"):
            return
        if request.path.startswith("/api/") and "_user_id" not in session:
            return  # not cookie-authenticated: the API's own login check answers 401
        csrf.protect()

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True})


def _declare_calendar(app: Flask) -> None:
    from ecabinet.ballots.calendar import ballot_deadlines
    from ecabinet.calendar import service as calendar
    from ecabinet.meetings.calendar import meeting_events
    from ecabinet.tasks.calendar import task_deadlines

    # What every user's calendar feed holds, source by source: a new one is a function here.
    calendar.init_app(app, providers=[meeting_events, ballot_deadlines, task_deadlines])


def _register_sockets() -> None:
    # The handlers register themselves on import, the first time only; Flask-SocketIO keeps them and
    # gives them to the server of every app it is initialised for afterwards.
    from ecabinet.live import sockets  # noqa: F401


def _register_cli(app: Flask) -> None:
    from ecabinet.audit.cli import audit_cli
    from ecabinet.auth.cli import users_cli
    from ecabinet.ballots.cli import ballots_cli
    from ecabinet.common.jobs_cli import jobs_cli
    from ecabinet.common.signing_cli import signing_cli
    from ecabinet.demo.cli import seed_demo
    from ecabinet.documents.cli import documents_cli
    from ecabinet.retention.cli import retention_cli
    from ecabinet.tasks.cli import tasks_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(documents_cli)
    app.cli.add_command(ballots_cli)
    app.cli.add_command(signing_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(tasks_cli)


def _error_response(status: int, code: str, message: str):
    response = jsonify(error_body(code, message))
    response.status_code = status
    return response


def _register_transaction(app: Flask) -> None:
    """One commit point per request: success commits, any error rolls back (Indico's RH pattern)."""

    @app.after_request
    def commit_or_rollback(response):
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except IntegrityError:
            # A database constraint decided a race (a second vote, a duplicate name): a conflict.
            db.session.rollback()
            return _error_response(409, "conflict", "The change conflicts with another that came first")
        except DATABASE_UNREACHABLE:
            db.session.rollback()
            return _error_response(503, Unavailable.code, Unavailable.message)
        return response

    @app.context_processor
    def inject_user():
        return {"current_user": current_user, "lang": getattr(g, "lang", "vi")}
