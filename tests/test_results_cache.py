"""The results cache: values kept for a short time, dropped when an attempt is submitted."""
from __future__ import annotations



from quiz import results_cache
from quiz.extensions import db

from .conftest import Phone


def counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def test_kept_then_dropped_by_invalidate(app):
    app.config["RESULTS_CACHE_SECONDS"] = 60
    calls, compute = counter()
    assert results_cache.cached("t", (1,), compute) == 1
    assert results_cache.cached("t", (1,), compute) == 1  # kept
    assert results_cache.cached("t", (2,), compute) == 2  # other params, own entry
    results_cache.invalidate()
    assert results_cache.cached("t", (1,), compute) == 3


def test_zero_seconds_turns_it_off(app):
    app.config["RESULTS_CACHE_SECONDS"] = 0
    calls, compute = counter()
    results_cache.cached("t", (), compute)
    results_cache.cached("t", (), compute)
    assert len(calls) == 2


def test_expires(app, monkeypatch):
    app.config["RESULTS_CACHE_SECONDS"] = 5
    now = [1000.0]
    monkeypatch.setattr(results_cache.time, "monotonic", lambda: now[0])
    calls, compute = counter()
    results_cache.cached("t", (), compute)
    now[0] += 4.9
    results_cache.cached("t", (), compute)
    assert len(calls) == 1
    now[0] += 0.2
    results_cache.cached("t", (), compute)
    assert len(calls) == 2


def test_invalidated_only_after_commit(app):
    app.config["RESULTS_CACHE_SECONDS"] = 60
    calls, compute = counter()
    results_cache.cached("t", (), compute)
    results_cache.invalidate_on_commit(db.session)
    results_cache.cached("t", (), compute)
    assert len(calls) == 1  # not yet: the transaction is still open
    db.session.commit()
    results_cache.cached("t", (), compute)
    assert len(calls) == 2


def test_submitting_an_attempt_invalidates(app, contest):
    app.config["RESULTS_CACHE_SECONDS"] = 60
    calls, compute = counter()
    results_cache.cached("t", (), compute)
    phone = Phone(app)
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=contest_enterprise(contest)))
    results_cache.cached("t", (), compute)
    assert len(calls) == 1  # starting an attempt changes no result
    response = phone.post(f"/a/{attempt_id}/submit")
    assert response.status_code in (204, 303)
    results_cache.cached("t", (), compute)
    assert len(calls) == 2


def contest_enterprise(contest):
    from quiz.models import Enterprise

    return db.session.query(Enterprise).order_by(Enterprise.id).first().id


def test_shared_through_redis(app):
    """With REDIS_URL every process sees one cache, and one invalidation drops it everywhere."""
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        import pytest

        pytest.skip("no Redis on 127.0.0.1:6379")
    app.config.update(REDIS_URL=url, RESULTS_CACHE_SECONDS=60)
    results_cache.invalidate()
    calls, compute = counter()
    assert results_cache.cached("t", ("x",), compute) == 1
    results_cache._local.clear()  # not from this process's memory: from Redis
    assert results_cache.cached("t", ("x",), compute) == 1
    results_cache.invalidate()
    assert results_cache.cached("t", ("x",), compute) == 2


def test_sqlite_planner_statistics_are_refreshed_by_requests(app, client):
    """A database that grew from empty gets planner statistics (sampled ANALYZE) from the
    periodic task, so the league's aggregates are planned with the real table sizes."""
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL keeps its own statistics
    db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
    db.session.commit()
    assert client.get("/healthz").status_code == 200
    db.session.remove()
    rows = db.session.execute(text("SELECT tbl FROM sqlite_stat1")).scalars().all()
    assert {"question", "category"} <= set(rows)  # the bank is loaded: its tables are described
