"""What the library overrides rely on inside the libraries (issue 16).

Each override that earned its place (bench/README.md, "Library overrides: do they earn their
place?") reaches past a library's public API. These tests pin the library behaviour it relies
on, so that an upgrade that changes it fails here, by name, instead of silently bypassing or
breaking the override. requirements.txt pins the versions they were written against.
"""
from __future__ import annotations

import inspect
import socket
from datetime import datetime, timezone

import pytest
from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, generate_csrf
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from quiz.signing import RememberingCSRFProtect, RememberingSerializer, RememberingSessionInterface

# ---------------------------------------------------------------- signing (Flask, Flask-WTF, itsdangerous)


def _app(interface=None) -> Flask:
    app = Flask(__name__)
    app.secret_key = "contract-key"
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    if interface is not None:
        app.session_interface = interface
    return app


def _cookie(app: Flask, data: dict) -> str:
    """The session cookie Flask's own interface would set for ``data``."""
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)


def _open(app: Flask, interface, cookie: str):
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        from flask import request

        return interface.open_session(app, request)


def test_flask_opens_and_saves_the_session_through_get_signing_serializer(monkeypatch):
    """RememberingSessionInterface overrides only get_signing_serializer(app): Flask's
    open_session must still ask it for the serializer and call loads(cookie, max_age=…), and
    save_session must call dumps(dict)."""
    assert list(inspect.signature(SecureCookieSessionInterface.get_signing_serializer).parameters) == ["self", "app"]
    calls = []

    class Spy(URLSafeTimedSerializer):
        def loads(self, s, max_age=None, **kwargs):
            calls.append(("loads", max_age, kwargs))
            return super().loads(s, max_age=max_age, **kwargs)

        def dumps(self, obj, salt=None):
            calls.append(("dumps", type(obj)))
            return super().dumps(obj, salt)

    class SpyInterface(SecureCookieSessionInterface):
        def get_signing_serializer(self, app):
            calls.append(("get_signing_serializer",))
            return Spy([app.secret_key], salt=self.salt, serializer=self.serializer,
                       signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method})

    app = _app(SpyInterface())

    @app.get("/set")
    def set_():
        from flask import session

        session["participant_id"] = 7
        return "ok"

    @app.get("/get")
    def get_():
        from flask import session

        return str(session.get("participant_id"))

    client = app.test_client()
    client.get("/set")
    assert client.get("/get").get_data(as_text=True) == "7"
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    assert ("get_signing_serializer",) in calls
    assert ("dumps", dict) in calls
    assert ("loads", lifetime, {}) in calls


def test_the_serializer_matches_flasks_own_both_ways():
    """Same salt, key order (fallbacks first, current key last), serializer and signer: a
    cookie signed by Flask's default interface is accepted, a forged or expired one is not,
    and Flask's default accepts ours."""
    app = _app()
    app.config["SECRET_KEY_FALLBACKS"] = ["old-key"]
    ours, flask_own = RememberingSessionInterface(), SecureCookieSessionInterface()
    cookie = _cookie(app, {"participant_id": 7, "csrf_token": "abc"})
    assert dict(_open(app, ours, cookie)) == {"participant_id": 7, "csrf_token": "abc"}
    assert dict(_open(app, ours, cookie[:-6] + ("A" if cookie[-6] != "A" else "B") + cookie[-5:])) == {}

    mine = ours.get_signing_serializer(app).dumps({"participant_id": 8})
    assert dict(_open(app, flask_own, mine)) == {"participant_id": 8}

    old = _app()
    old.secret_key = "old-key"
    assert dict(_open(app, ours, _cookie(old, {"participant_id": 9}))) == {"participant_id": 9}  # a fallback key

    expired = URLSafeTimedSerializer(["contract-key"], salt=flask_own.salt, serializer=flask_own.serializer,
                                     signer=_signer_ago(int(app.permanent_session_lifetime.total_seconds()) + 10),
                                     signer_kwargs={"key_derivation": flask_own.key_derivation,
                                                    "digest_method": flask_own.digest_method})
    stale = expired.dumps({"participant_id": 10})
    assert dict(_open(app, flask_own, stale)) == {}
    assert dict(_open(app, ours, stale)) == {}


def _signer_ago(seconds: int):
    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(datetime.now(timezone.utc).timestamp()) - seconds

    return Signer


def test_itsdangerous_loads_return_timestamp_and_its_expiry_rule():
    """RememberingSerializer calls URLSafeTimedSerializer.loads(s, return_timestamp=True),
    gets (payload, aware datetime), and repeats TimestampSigner's rule: expired when the age
    is above max_age or below 0; SignatureExpired takes payload= and date_signed=."""
    params = inspect.signature(URLSafeTimedSerializer.loads).parameters
    assert list(params)[:5] == ["self", "s", "max_age", "return_timestamp", "salt"]
    signed = URLSafeTimedSerializer("k", salt="cookie-session", signer=_signer_ago(100)).dumps({"a": 1})
    plain = URLSafeTimedSerializer("k", salt="cookie-session")
    payload, when = plain.loads(signed, return_timestamp=True)
    assert payload == {"a": 1} and isinstance(when, datetime) and when.tzinfo is not None
    assert plain.loads(signed, max_age=150) == {"a": 1}
    with pytest.raises(SignatureExpired) as raised:
        plain.loads(signed, max_age=50)
    assert raised.value.payload is not None and raised.value.date_signed == when
    ours = RememberingSerializer("k", salt="cookie-session")
    assert ours.loads(signed, max_age=150) == {"a": 1}
    with pytest.raises(SignatureExpired):
        ours.loads(signed, max_age=50)
    with pytest.raises(BadSignature):
        ours.loads(signed[:-6] + ("A" if signed[-6] != "A" else "B") + signed[-5:])
    future = URLSafeTimedSerializer("k", salt="cookie-session", signer=_signer_ago(-100)).dumps({"a": 1})
    with pytest.raises(SignatureExpired):
        plain.loads(future, max_age=1000)
    with pytest.raises(SignatureExpired):
        ours.loads(future, max_age=1000)


def test_flask_wtf_checks_each_request_through_protect_and_marks_it_valid(monkeypatch):
    """RememberingCSRFProtect overrides protect(apply_exemptions): CSRFProtect.init_app's
    before_request hook must still call self.protect(apply_exemptions=True); a token that
    passes sets g.csrf_valid; the raw token sits in the session under WTF_CSRF_FIELD_NAME;
    _get_csrf_token reads the form field or the X-CSRFToken header."""
    assert list(inspect.signature(CSRFProtect.protect).parameters) == ["self", "apply_exemptions"]
    assert list(inspect.signature(CSRFProtect._get_csrf_token).parameters) == ["self"]
    seen = []
    original = CSRFProtect.protect

    def spy(self, apply_exemptions=False):
        seen.append(apply_exemptions)
        result = original(self, apply_exemptions)
        seen.append(g.get("csrf_valid"))
        return result

    monkeypatch.setattr(CSRFProtect, "protect", spy)
    app = _app()
    CSRFProtect(app)

    @app.route("/form", methods=["GET", "POST"])
    def form():
        from flask import session

        if g.get("csrf_valid") is None:
            token = generate_csrf()
            return {"token": token, "raw": session[app.config["WTF_CSRF_FIELD_NAME"]]}
        return "ok"

    client = app.test_client()
    got = client.get("/form").get_json()
    assert isinstance(got["raw"], str) and got["token"] != got["raw"]
    assert client.post("/form", headers={"X-CSRFToken": got["token"]}).status_code == 200
    assert client.post("/form", data={"csrf_token": got["token"]}).status_code == 200
    assert client.post("/form", data={"csrf_token": got["token"][:-2] + "xx"}).status_code == 400
    assert seen[:4] == [True, None, True, True]  # GET: no check; POST: checked, valid


def test_remembering_csrf_protect_refuses_what_flask_wtf_refuses():
    app = _app(RememberingSessionInterface())
    csrf = RememberingCSRFProtect(app)

    @app.route("/form", methods=["GET", "POST"])
    def form():
        return generate_csrf() if not g.get("csrf_valid") else "ok"

    client = app.test_client()
    token = client.get("/form").get_data(as_text=True)
    assert client.post("/form", headers={"X-CSRFToken": token}).get_data(as_text=True) == "ok"
    assert len(csrf._passed) == 1  # remembered
    assert client.post("/form", headers={"X-CSRFToken": token}).get_data(as_text=True) == "ok"
    assert client.post("/form", headers={"X-CSRFToken": token[:-2] + "xx"}).status_code == 400
    other = app.test_client()  # another session: its raw token differs, the remembered one does not match
    other.get("/form")
    assert other.post("/form", headers={"X-CSRFToken": token}).status_code == 400


# ---------------------------------------------------------------- serving (gunicorn, gevent)


def test_gunicorn_builds_its_server_from_the_module_level_stream_server(monkeypatch):
    """quiz.serving.GeventWorker replaces ggevent.StreamServer before GeventWorker.run, which
    must build its server from that module-level name and set max_accept = 1 with several
    workers; gevent's own StreamServer.max_accept must be a plain class attribute above 1."""
    from gevent.server import StreamServer
    from gunicorn.workers import ggevent

    from quiz.serving import GeventWorker, _AcceptingStreamServer

    assert ggevent.StreamServer is StreamServer
    assert isinstance(inspect.getattr_static(StreamServer, "max_accept"), int) and StreamServer.max_accept > 1
    started = []
    original_start = StreamServer.start

    def start(self):
        started.append(self)
        original_start(self)

    monkeypatch.setattr(StreamServer, "start", start)
    monkeypatch.setattr(ggevent, "StreamServer", StreamServer)  # restored after GeventWorker.run replaced it

    class Cfg:
        is_ssl = False
        workers = 3
        graceful_timeout = 0

    def run(worker_class) -> StreamServer:
        """The worker's real run(), on one listening socket, told to stop at once."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        try:
            worker = object.__new__(worker_class)
            worker.sockets, worker.cfg, worker.worker_connections, worker.alive = [listener], Cfg(), 10, False
            worker.notify = lambda: None
            worker_class.run(worker)
        finally:
            listener.close()
        return started[-1]

    plain = run(ggevent.GeventWorker)
    assert type(plain) is StreamServer and plain.max_accept == 1  # gunicorn's choice for several workers
    ours = run(GeventWorker)
    assert ggevent.StreamServer is _AcceptingStreamServer
    assert type(ours) is _AcceptingStreamServer and ours.max_accept == StreamServer.max_accept


# ---------------------------------------------------------------- prepared (SQLAlchemy)


def _prepared_table():
    from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, Table

    return Table("contract", MetaData(), Column("id", Integer, primary_key=True), Column("at", DateTime),
                 Column("data", JSON), Column("ok", Boolean), Column("n", Integer))


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_sqlalchemy_compiles_what_prepared_reads(dialect_name):
    """quiz.prepared compiles once and reads the compiled form: string, positional and
    positiontup (the order of SQLite's "?"), bind_names (BindParameter → the name in the
    parameters), construct_params (the given values, and the values a statement carries
    itself), post_compile_params / literal_execute_params (expanding IN: refused), and each
    type's dialect_impl(...).bind_processor / result_processor."""
    from sqlalchemy import bindparam, select, update
    from sqlalchemy.dialects import postgresql, sqlite

    from quiz.prepared import Prepared

    dialect = sqlite.dialect() if dialect_name == "sqlite" else postgresql.psycopg.dialect()
    table = _prepared_table()
    at = datetime(2026, 6, 16, 9, 30)
    statement = (update(table).where(table.c.id == bindparam("item_id"), table.c.at.is_(None))
                 .values(at=bindparam("new_at"), data=bindparam("new_data"), n=5))
    compiled = statement.compile(dialect=dialect)
    assert compiled.string and not compiled.post_compile_params and not compiled.literal_execute_params
    names = {bind.key: name for bind, name in compiled.bind_names.items()}
    assert {names["item_id"], names["new_at"], names["new_data"]} == {"item_id", "new_at", "new_data"}
    values = compiled.construct_params({"item_id": 3, "new_at": at, "new_data": [1, 2]})
    assert values["item_id"] == 3 and values["new_at"] == at and values["new_data"] == [1, 2]
    assert 5 in values.values()  # the literal of .values(n=5) travels as a parameter
    if dialect_name == "sqlite":
        assert compiled.positional and len(compiled.positiontup) == compiled.string.count("?") == 4
        assert set(compiled.positiontup) == set(values)
    else:
        assert not compiled.positional and all(f"%({name})s" in compiled.string for name in values)

    by_key = {bind.key: bind for bind in compiled.bind_names}
    if dialect_name == "sqlite":  # SQLite keeps datetimes and JSON as text: SQLAlchemy converts both ways
        json_in = by_key["new_data"].type.dialect_impl(dialect).bind_processor(dialect)
        assert json_in([1, 2]) in ("[1, 2]", "[1,2]")
        stored = by_key["new_at"].type.dialect_impl(dialect).bind_processor(dialect)(at)
        assert isinstance(stored, str)
        date_out = table.c.at.type.dialect_impl(dialect).result_processor(dialect, None)
        assert date_out(stored) == at
        json_out = table.c.data.type.dialect_impl(dialect).result_processor(dialect, None)
        assert json_out("[1, 2]") == [1, 2]
        bool_out = table.c.ok.type.dialect_impl(dialect).result_processor(dialect, None)
        assert bool_out(1) is True

    expanding = select(table.c.id).where(table.c.id.in_(bindparam("ids", expanding=True)))
    assert expanding.compile(dialect=dialect).post_compile_params
    with pytest.raises(TypeError):
        Prepared(expanding)._compile(dialect)


def test_the_sessions_dbapi_connection_is_inside_its_transaction(app):
    """Prepared runs on session.connection().connection.cursor(): what it writes there is the
    session's own transaction (seen by the session, undone by its rollback); the dialect
    names its DBAPI (loaded_dbapi) and tells a dropped connection (is_disconnect(e, conn,
    cursor)); DBAPIError.instance wraps a driver error as the session would raise it."""
    from sqlalchemy import exc, func, insert, select

    from quiz.extensions import db
    from quiz.models import Enterprise

    connection = db.session.connection()
    dialect = connection.dialect
    assert list(inspect.signature(dialect.is_disconnect).parameters) == ["e", "connection", "cursor"]
    compiled = insert(Enterprise.__table__).values(name="契约单位", code="CONTRACT", headcount=1, region="", industry="",
                                                   active=True).compile(dialect=dialect)
    values = compiled.construct_params()
    if compiled.positional:
        values = tuple(values[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    cursor.execute(compiled.string, values)
    assert cursor.rowcount == 1
    cursor.close()
    count = select(func.count()).select_from(Enterprise.__table__).where(Enterprise.code == "CONTRACT")
    assert db.session.scalar(count) == 1
    db.session.rollback()
    assert db.session.scalar(count) == 0

    try:
        connection = db.session.connection()
        cursor = connection.connection.cursor()
        cursor.execute(compiled.string, values)
        cursor.execute(compiled.string, values)  # the same code twice: a unique constraint
    except dialect.loaded_dbapi.Error as error:
        wrapped = exc.DBAPIError.instance(compiled.string, values, error, dialect.loaded_dbapi.Error,
                                          connection_invalidated=False, dialect=dialect)
        assert isinstance(wrapped, exc.IntegrityError) and wrapped.orig is error
        assert dialect.is_disconnect(error, connection.connection, cursor) is False
    else:
        pytest.fail("a duplicate enterprise code was stored")
    finally:
        cursor.close()
        db.session.rollback()
