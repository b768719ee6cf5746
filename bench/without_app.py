"""The SafeQuiz app with some of its library overrides replaced by the library's own
behaviour, to measure what each override buys (issue 16). The app code is not changed:
this factory patches the running worker only.

    WITHOUT=signing .venv/bin/python bench/contest_load.py --participants 500 \
        --app 'bench.without_app:create()'
    .venv/bin/python bench/contest_load.py --participants 500 --worker-class gevent   # serving

``WITHOUT`` is a comma-separated list of:

* ``prepared``: ``quiz.prepared.Prepared``'s ``rows``/``first``/``rowcount`` run their
  statement through ``db.session.execute`` (SQLAlchemy's whole execution path) instead of on
  the DBAPI cursor;
* ``signing``: Flask's own ``SecureCookieSessionInterface`` (a new serializer and a full
  signature check on every request) and Flask-WTF's own ``CSRFProtect.protect``;

The fourth override, ``quiz.serving.GeventWorker``, is gunicorn's worker, not part of the
app: run without it with ``--worker-class gevent`` (gunicorn's own gevent worker).
An empty ``WITHOUT`` serves the app exactly as ``app:create_app()`` does.
"""
from __future__ import annotations

import os
import sys

PIECES = ("prepared", "signing")


def wanted() -> set[str]:
    without = {p.strip() for p in os.environ.get("WITHOUT", "").split(",") if p.strip()}
    if "serving" in without:
        raise SystemExit("WITHOUT=serving: run contest_load.py with --worker-class gevent instead")
    unknown = without - set(PIECES)
    if unknown:
        raise SystemExit(f"WITHOUT: unknown {sorted(unknown)}; known: {', '.join(PIECES)}")
    return without


def _plain_prepared() -> None:
    """Prepared statements executed by the session, as any other statement in the app."""
    from quiz.extensions import db
    from quiz.prepared import Prepared

    def statement(self):
        dialect = db.session.get_bind().dialect.name
        built = self.__dict__.setdefault("_plain_by_dialect", {})
        if dialect not in built:
            built[dialect] = self._build()  # a per-dialect builder is called once, as Prepared does
        return built[dialect]

    def rows(self, **params):
        return [tuple(row) for row in db.session.execute(statement(self), params)]

    def first(self, **params):
        row = db.session.execute(statement(self), params).first()
        return None if row is None else tuple(row)

    def rowcount(self, **params):
        return db.session.execute(statement(self), params).rowcount

    Prepared.rows, Prepared.first, Prepared.rowcount = rows, first, rowcount


def _plain_csrf() -> None:
    from flask_wtf.csrf import CSRFProtect

    from quiz.signing import RememberingCSRFProtect

    RememberingCSRFProtect.protect = CSRFProtect.protect  # the before_request hook calls self.protect()


def create():
    without = wanted()
    if "prepared" in without:
        _plain_prepared()
    if "signing" in without:
        _plain_csrf()

    from flask.sessions import SecureCookieSessionInterface

    from app import create_app

    app = create_app()
    if "signing" in without:
        app.session_interface = SecureCookieSessionInterface()
    app.config["BENCH_WITHOUT"] = sorted(without)
    print(f"bench.without_app: pid {os.getpid()} without {sorted(without) or 'nothing'}; "
          f"session {type(app.session_interface).__name__}, jinja {type(app.jinja_env).__module__}."
          f"{type(app.jinja_env).__name__}", file=sys.stderr, flush=True)
    return app
