"""/admin/: where organisers and enterprise admins land after login.

Every figure is an SQL aggregate (columns only) with voided attempts and participants left
out (:mod:`quiz.contests.progress`). An enterprise admin sees its own enterprise: its people's
figures, its internal contests and the campaign contests that admit it, its own live rounds.
"""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from .. import clock
from ..contests import progress
from ..extensions import db
from ..i18n import N_
from ..models import Contest, Enterprise, LivePlayer, LiveRound
from ..web import own_enterprise_id, staff_required

bp = Blueprint("dashboard", __name__, url_prefix="/admin", template_folder="templates")

UPCOMING_ROWS = 10
# Translated where shown (the template).
LIVE_STATES = {"lobby": N_("等待开始"), "question": N_("答题中"), "reveal": N_("公布答案"),
               "leaderboard": N_("排行榜")}


def _contests(own: int | None, now):
    """(open, upcoming) contests this user sees, not archived, by opening time."""
    query = select(Contest).where(Contest.closes_at > now, Contest.archived_at.is_(None))
    if own is not None:
        query = query.where(progress.admits(own))
    open_ = list(db.session.scalars(query.where(Contest.opens_at <= now).order_by(Contest.closes_at, Contest.id)))
    upcoming = list(db.session.scalars(query.where(Contest.opens_at > now).order_by(Contest.opens_at, Contest.id)
                                       .limit(UPCOMING_ROWS)))
    return open_, upcoming


def _live_rounds(own: int | None):
    """Rounds not yet ended, with their players (removed ones left out)."""
    players = (select(LivePlayer.round_id, func.count().label("players"))
               .where(LivePlayer.removed.is_(False)).group_by(LivePlayer.round_id).subquery())
    query = (select(LiveRound.id, LiveRound.title, LiveRound.code, LiveRound.state,
                    func.coalesce(players.c.players, 0).label("players"))
             .outerjoin(players, players.c.round_id == LiveRound.id)
             .where(LiveRound.ended_at.is_(None), LiveRound.state != "final")
             .order_by(LiveRound.created_at.desc(), LiveRound.id.desc()))
    if own is not None:
        query = query.where(LiveRound.enterprise_id == own)
    return db.session.execute(query).all()


@bp.get("/")
@staff_required
def index():
    own = own_enterprise_id()
    now = clock.now()
    open_, upcoming = _contests(own, now)
    counts = progress.by_contest([c.id for c in open_ + upcoming], own, now)
    return render_template(
        "dashboard/index.html",
        now=now, today=progress.today(own, now), open_contests=open_, upcoming=upcoming,
        counts=counts, empty=progress.Counts(), rounds=_live_rounds(own), live_states=LIVE_STATES,
        enterprise=db.session.get(Enterprise, own) if own is not None else None,
    )
