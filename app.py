"""SafeQuiz application factory: ``flask --app app run``."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from quiz import cli, clock, hosts, i18n, security_headers, sqlite_writes, web
from quiz.clock import SystemClock
from quiz.config import INSTANCE, Config
from quiz.extensions import csrf, db, htmx, limiter, login_manager, migrate, sqlite_pragmas
from quiz.signing import RememberingSessionInterface
from quiz.auth.routes import bp as auth_bp
from quiz.bank.routes import bp as bank_bp
from quiz.contests.phone_routes import bp as participant_bp
from quiz.contests.routes import bp as contests_bp
from quiz.dashboard.routes import bp as dashboard_bp
from quiz.league.routes import bp as league_bp
from quiz.live.routes import bp as live_bp
from quiz.stagecontest.routes import bp as stage_bp
from quiz.reports.routes import bp as reports_bp
from quiz.training.routes import bp as training_bp
from quiz.units.roster_routes import bp as roster_bp
from quiz.units.routes import bp as units_bp

# Every page of the app, by journey; each blueprint lives with its domain's rules.
BLUEPRINTS = (participant_bp, training_bp, league_bp, auth_bp, contests_bp, units_bp, bank_bp, live_bp,
              stage_bp, roster_bp, reports_bp, dashboard_bp)


def create_app(config: object | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE), instance_relative_config=True)
    app.config.from_object(config or Config())
    hosts.init_app(app)  # no public address, no server: QR codes must not carry a forged Host
    app.session_interface = RememberingSessionInterface()  # checks each signed cookie once per worker
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)  # the SQLite file lives here
    uri, options = app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    if uri in ("sqlite://", "sqlite:///:memory:"):
        # An in-memory database is one shared connection: no pool to size.
        options = {k: v for k, v in options.items() if not k.startswith("pool_") and k != "max_overflow"}
    elif uri.startswith("sqlite"):
        # A file never drops the connection: no "SELECT 1" before every request's first statement.
        options = {**options, "pool_pre_ping": False}
        if sqlite_writes.wanted(app.config["SQLITE_WAIT_IN_GEVENT"], uri):
            connect_args = {**options.get("connect_args", {}), "factory": sqlite_writes.connection_factory(
                app.config["SQLITE_BUSY_TIMEOUT_MS"])}
            options = {**options, "connect_args": connect_args}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.extensions["safequiz.clock"] = app.config.get("CLOCK") or SystemClock()

    db.init_app(app)
    with app.app_context():
        sqlite_pragmas(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    # current_user reaches templates as a proxy that loads the user only where a template
    # uses it: Flask-Login's own context processor loads it for every render, answers included.
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    csrf.init_app(app)
    htmx.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if hops := app.config.get("TRUSTED_PROXY_HOPS"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    limiter.init_app(app)
    if limiter.enabled:
        # Each limit is checked by its view's own decorator (quiz.limits; limiter.limit checks
        # its own too): Flask-Limiter's pass over every request found nothing to do there, at
        # about 45 µs a request and 100 µs an answer.
        app.before_request_funcs[None].remove(limiter._check_request_limit)

    i18n.init_app(app)
    security_headers.init_app(app)
    web.init_app(app)  # before the blueprints: their URL rules use its converters
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    cli.init_app(app)
    # Outermost: the moment a request arrived, before any of its waits (quiz/clock.py).
    app.wsgi_app = clock.ReceivedAt(app.wsgi_app, app)
    return app
