"""Prepared statements read and write exactly what the session would, in its transaction."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from quiz.contests import attempts
from quiz.extensions import db
from quiz.models import Attempt, AttemptQuestion
from quiz.prepared import Prepared
from tests.conftest import question_of, shown_letters_for


def test_rows_are_the_sessions_rows(contest, enterprises, phone):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 2)
    phone.post(f"/a/{attempt_id}/answer", {"position": "2", "choice": shown_letters_for(item, item.question.answer)})

    for prepared, params in [
        (attempts._SHEET, {"attempt_id": attempt_id}),
        (attempts._PAPER, {"attempt_id": attempt_id, "first": 2, "second": 3}),
        (attempts._UNANSWERED, {"attempt_id": attempt_id}),
    ]:
        expected = [tuple(row) for row in db.session.execute(prepared.statement, params).all()]
        assert prepared.rows(**params) == expected
    row = attempts._SHEET.first(attempt_id=attempt_id)
    assert isinstance(row[2], datetime)  # started_at: a datetime, also where SQLite stores text
    paper = attempts.paper(attempts.load_sheet(attempt_id), 2, 3)
    assert paper.items[2].chosen == item.question.answer and paper.items[3].chosen is None
    assert isinstance(paper.items[2].question.options, list) and paper.items[2].option_order == item.option_order
    assert [p.answered for p in paper.progress[:3]] == [False, True, False]
    assert attempts._SHEET.first(attempt_id=10**9) is None


def test_a_screen_in_one_statement_is_the_sheet_and_the_paper(contest, enterprises, phone):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    for position in (2, 5):
        item = question_of(attempt_id, position)
        phone.post(f"/a/{attempt_id}/answer", {"position": str(position),
                                                  "choice": shown_letters_for(item, item.question.answer)})
    sheet = attempts.load_sheet(attempt_id)
    for positions in [(2, 3), (5, 5), (4,), (0,), (99, 1), ()]:
        screen_sheet, screen_paper = attempts.load_screen(attempt_id, *positions)
        assert screen_sheet == sheet
        assert screen_paper == attempts.paper(sheet, *positions), positions
    _, paper = attempts.load_screen(attempt_id, 5, 3)
    assert [p.position for p in paper.progress if p.answered] == [2, 5]
    assert len(paper.progress) == contest.question_count
    assert paper.items[5].chosen is not None and paper.items[3].chosen is None
    assert isinstance(paper.items[3].question.options, list)
    assert attempts.load_screen(10**9, 1, 2) is None


def test_writes_belong_to_the_sessions_transaction(contest, enterprises, phone, clock):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    changed = attempts._SAVE_ANSWER.rowcount(
        item_id=item.id, open_attempt_id=attempt_id, new_chosen="A", new_is_correct=True, new_points=1.0,
        new_answered_at=clock.now(),
    )
    assert changed == 1
    assert db.session.scalar(select(AttemptQuestion.answered_at).where(AttemptQuestion.id == item.id)) == clock.now()
    db.session.rollback()  # nothing of it stays
    assert db.session.scalar(select(AttemptQuestion.chosen).where(AttemptQuestion.id == item.id)) is None
    # An attempt that is submitted matches no row: nothing written, 0 returned.
    db.session.execute(Attempt.__table__.update().where(Attempt.id == attempt_id).values(submitted_at=clock.now()))
    assert attempts._SAVE_ANSWER.rowcount(
        item_id=item.id, open_attempt_id=attempt_id, new_chosen="A", new_is_correct=True, new_points=1.0,
        new_answered_at=clock.now(),
    ) == 0


def test_expanding_parameters_are_refused(app):
    prepared = Prepared(select(Attempt.id).where(Attempt.id.in_([1, 2, 3])))
    with pytest.raises(TypeError):
        prepared.rows()


def test_a_database_error_is_raised_as_the_session_would_raise_it(contest, enterprises, phone):
    """A constraint broken by a prepared statement is SQLAlchemy's IntegrityError, as callers
    catch it elsewhere; the transaction can be rolled back and goes on."""
    from sqlalchemy import bindparam, insert
    from sqlalchemy.exc import IntegrityError

    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    duplicate = Prepared(insert(AttemptQuestion.__table__).values(
        attempt_id=bindparam("a"), position=bindparam("p"), question_id=bindparam("q"),
        option_order=bindparam("o"), points=0))
    with pytest.raises(IntegrityError):
        duplicate.rowcount(a=attempt_id, p=1, q=item.question_id, o=[0, 1])
    db.session.rollback()
    assert attempts._SHEET.first(attempt_id=attempt_id)[0] == attempt_id


def test_pending_changes_of_the_session_are_flushed_first(contest, enterprises, phone):
    """As the session autoflushes before it executes, a prepared statement sees what the
    session holds but has not written yet."""
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 3)
    item.chosen = item.question.answer  # pending in the session, not flushed
    row = attempts._ITEM_AT.first(attempt_id=attempt_id, position=3)
    assert row[3] == item.question.answer
    db.session.rollback()
