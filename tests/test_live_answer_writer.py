"""A hall's answers stored together (quiz/live/writer.py): group commit in each worker.

In production (gevent workers) each worker stores the answers waiting at a moment in one
transaction. Here the writer runs as a real thread (``LIVE_ANSWER_BATCHING = "on"``) and the
phones are real requests in threads. While another connection holds the database's write
lock, answers pile up in the writer's queue exactly as they do behind a busy database in a
hall; when the lock goes, they are written as one batch.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from quiz.extensions import db
from quiz.live import rules as live_rules
from quiz.live.writer import writer
from quiz.models import LiveAnswer, LivePlayer, LiveRound

from .test_live_pages import answer, control, create_round, hx, join, right_letter


@pytest.fixture
def batching(app):
    app.config["LIVE_ANSWER_BATCHING"] = "on"
    return writer(app)


@contextmanager
def write_lock_held(app, also: str | None = None):
    """Another connection holds the write lock on the answers (and may run ``also`` in its
    transaction), so the writer's next INSERT waits."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        holder = sqlite3.connect(make_url(uri).database, isolation_level=None, timeout=30)
        holder.execute("PRAGMA foreign_keys=ON")
        holder.execute("BEGIN IMMEDIATE")
        if also:
            holder.execute(also)
        try:
            yield
        finally:
            holder.execute("COMMIT")
            holder.close()
    else:
        engine = create_engine(uri)
        with engine.connect() as holder:
            transaction = holder.begin()
            holder.execute(text("LOCK TABLE live_answer IN EXCLUSIVE MODE"))
            if also:
                holder.execute(text(also))
            try:
                yield
            finally:
                transaction.commit()
        engine.dispose()


def wait_until(condition, what: str, seconds: float = 30) -> None:
    """Poll a condition of the running threads (they make progress on their own)."""
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.005)


def answer_in_thread(phone, round_, letters, results, key):
    """A phone's answer sent from a thread of its own (prepared here, in the test's context)."""
    path, headers = f"/live/{round_.code}/answer", hx(phone, f"/live/{round_.code}")
    data = {"position": round_.position, "choice": list(letters)}

    def run():
        reply = phone.post(path, data=data, headers=headers)
        results[key] = (reply.status_code, reply.get_data(as_text=True))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def started_round(app, organiser_client, units, players: int):
    round_ = create_round(organiser_client)
    phones = [join(app, round_, f"选手{i}", units[i % len(units)]) for i in range(players)]
    assert control(organiser_client, round_, "start").status_code == 200
    db.session.refresh(round_)
    return round_, phones


def stored_answers(round_) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(LiveAnswer.round_id == round_.id))


def test_answers_waiting_together_are_stored_in_one_batch(app, organiser_client, enterprises, batching):
    round_, phones = started_round(app, organiser_client, enterprises, 12)
    right = right_letter(round_)
    results: dict = {}
    with write_lock_held(app):
        threads = [answer_in_thread(phone, round_, right, results, i) for i, phone in enumerate(phones[:11])]
        # One batch is stuck at the lock; the others queue behind it.
        wait_until(lambda: batching.waiting() >= 10, "answers queued behind the lock")
        before = batching.batches
    for thread in threads:
        thread.join(60)
    assert len(results) == 11
    assert all(status == 200 and "已提交" in html for status, html in results.values())
    assert stored_answers(round_) == 11
    assert batching.batches - before <= 2  # the stuck one, then all ten waiting together
    db.session.refresh(round_)
    assert round_.state == "question"  # one player has not answered yet

    # The last answer closes the question: checked once per batch, after its commit.
    assert answer(phones[11], round_, right).status_code == 200
    db.session.refresh(round_)
    assert round_.state == "reveal"


def test_a_second_answer_in_the_same_batch_is_refused_and_a_repeat_is_the_same_success(
        app, organiser_client, enterprises, batching):
    round_, phones = started_round(app, organiser_client, enterprises, 3)
    right = right_letter(round_)
    wrong = "A" if right != "A" else "B"
    results: dict = {}
    handed_over = batching.handed_over
    threads = []
    with write_lock_held(app):
        # The same phone three times before its first answer is stored: the same answer again
        # (a retry after a lost response) and a different one (a second answer); one by one,
        # so that the writer gets them in this order.
        for key, phone, letters in (("first", phones[0], right), ("repeat", phones[0], right),
                                    ("other", phones[0], wrong), ("another phone", phones[1], wrong)):
            threads.append(answer_in_thread(phone, round_, letters, results, key))
            handed_over += 1
            wait_until(lambda: batching.handed_over >= handed_over, f"the {key} answer handed over")
    for thread in threads:
        thread.join(60)
    assert results["first"][0] == 200 and "已提交" in results["first"][1]
    assert results["repeat"][0] == 200 and "已提交" in results["repeat"][1]
    assert results["other"][0] == 409 and "已作答" in results["other"][1]
    assert results["another phone"][0] == 200
    stored = db.session.execute(select(LivePlayer.name, LiveAnswer.chosen).join(LivePlayer)
                                .where(LiveAnswer.round_id == round_.id).order_by(LivePlayer.name)).all()
    assert stored == [("选手0", right), ("选手1", wrong)]


def test_an_answer_the_database_refuses_fails_alone(app, organiser_client, enterprises, batching):
    """A batch the database refuses (here: one player deleted while the batch waited, so its
    row breaks a foreign key) is written again one answer at a time: the others are stored,
    and the refused one gets a 503 the phone retries, never a 500."""
    round_, phones = started_round(app, organiser_client, enterprises, 4)
    right = right_letter(round_)
    gone = db.session.scalar(select(LivePlayer.id).where(LivePlayer.round_id == round_.id,
                                                         LivePlayer.name == "选手3"))
    results: dict = {}
    with write_lock_held(app, also=f"DELETE FROM live_player WHERE id = {int(gone)}"):
        threads = [answer_in_thread(phone, round_, right, results, i) for i, phone in enumerate(phones)]
        wait_until(lambda: batching.waiting() >= 3, "answers queued behind the lock")
    for thread in threads:
        thread.join(60)
    assert [results[i][0] for i in range(3)] == [200, 200, 200]
    assert results[3][0] in (403, 503)  # refused by the database, or judged after the delete
    assert stored_answers(round_) == 3
    assert db.session.get(LiveRound, round_.id).state in ("question", "reveal")


def test_without_batching_an_answer_is_stored_in_its_own_request(app, organiser_client, enterprises):
    """The development server and the rest of the tests: the same save, in the request."""
    app.config["LIVE_ANSWER_BATCHING"] = "off"
    round_, phones = started_round(app, organiser_client, enterprises, 2)
    assert answer(phones[0], round_, right_letter(round_)).status_code == 200
    assert writer(app).batches == 0 and stored_answers(round_) == 1
    assert live_rules.player_answer(
        db.session.scalar(select(LivePlayer.id).where(LivePlayer.name == "选手0")), 1) is not None
