"""Leaderboards: public for a contest's participants, and the organiser's view."""
from __future__ import annotations

from flask import Blueprint, current_app, session
from sqlalchemy import select

from .. import attempts, clock, standings
from ..extensions import db
from ..models import Attempt, Contest
from ..participant.routes import PARTICIPANT_KEY, get_contest
from ..web import organiser_required, render

bp = Blueprint("league", __name__, template_folder="templates")


def _tables(contest: Contest) -> dict:
    # Results never hang open: expired attempts are submitted before anyone is ranked.
    if attempts.close_expired(contest.id, clock.now(), current_app.config["ANSWER_GRACE_SECONDS"]):
        db.session.commit()
    return dict(
        contest=contest,
        individuals=standings.individuals(contest.id, limit=100),
        enterprises=standings.enterprises(contest),
    )


@bp.get("/j/<code>/board")
def board(code: str):
    contest = get_contest(code)
    context = _tables(contest)
    participant_id = session.get(PARTICIPANT_KEY)
    mine = None
    if participant_id:
        mine = db.session.scalar(
            select(Attempt.id).where(
                Attempt.contest_id == contest.id, Attempt.participant_id == participant_id
            )
        )
    return render("league/board.html", "league/_tables.html", mine=mine, **context)


@bp.get("/admin/contests/<int:contest_id>/board")
@organiser_required
def organiser_board(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    return render("league/organiser_board.html", "league/_tables.html", mine=None, **_tables(contest))
