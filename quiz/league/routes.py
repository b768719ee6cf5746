"""Leaderboards: public for a contest's participants, and the organiser's view."""
from __future__ import annotations

from flask import Blueprint, current_app, session

from .. import attempts, clock, standings
from ..contests.routes import managed_contest
from ..extensions import db
from ..models import Contest
from ..participant.routes import PARTICIPANT_KEY, get_contest
from ..web import render, staff_required

bp = Blueprint("league", __name__, template_folder="templates")


def _tables(contest: Contest) -> dict:
    # Results never hang open: expired attempts are submitted before anyone is ranked.
    if attempts.close_expired(contest.id, clock.now(), current_app.config["ANSWER_GRACE_SECONDS"]):
        db.session.commit()
    return dict(
        contest=contest,
        individuals=standings.individuals(contest, limit=100),
        enterprises=standings.enterprises(contest),
    )


@bp.get("/j/<code>/board")
def board(code: str):
    contest = get_contest(code)
    context = _tables(contest)
    return render("league/board.html", "league/_tables.html", mine=session.get(PARTICIPANT_KEY),
                  **context)


@bp.get("/admin/contests/<int:contest_id>/board")
@staff_required
def organiser_board(contest_id: int):
    contest = managed_contest(contest_id)
    return render("league/organiser_board.html", "league/_tables.html", mine=None, staff_view=True,
                  **_tables(contest))
