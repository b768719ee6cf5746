"""Training (练习) and the 错题本, for participants on their phones."""
from __future__ import annotations

import random

from flask import Blueprint, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock, limits
from . import mistakes, practice
from ..contests import participants
from ..errors import QuizError
from ..extensions import db, htmx
from ..i18n import N_
from ..models import Category, Enterprise
from ..contests.phone_forms import CHOOSE_UNIT, SignupForm
from ..phone import PARTICIPANT_KEY, current_participant
from ..web import db_int, htmx_redirect, render

bp = Blueprint("training", __name__, url_prefix="/practice", template_folder="templates")
SET_NEXT_KEY = "practice_set_next"
SERVED_KEY = "practice_served"  # practice.remember_served: the questions this phone was shown
# The sign-up form is the contests' (quiz.contests.phone_forms); practice shows its labels and
# messages through ``|tr``, so they are in this catalogue too.
SIGNUP_TEXTS = (N_("姓名"), N_("手机号或工号"), N_("单位"), N_("部门"), N_("请填写姓名。"),
                N_("姓名不能超过 20 个字。"), N_("请填写部门。"), N_("部门不能超过 30 个字。"),
                N_("请选择单位"), N_("请选择单位。"), N_("请填写手机号或工号。"), N_("手机号格式不正确，应为 11 位数字。"),
                N_("手机号或工号格式不正确：手机号为 11 位数字，工号只能包含字母、数字和短横线。"))


def _practising(mode: str | None = None):
    """This phone's participant, if they may practise under the current identity mode."""
    participant = current_participant()
    if participant is None or not practice.may_practise(participant, mode or practice.identity_mode()):
        return None
    return participant


@bp.route("/", methods=["GET", "POST"])
@limits.signup_per_address
def home():
    mode = practice.identity_mode()
    participant = _practising(mode)
    if participant is None:
        form = SignupForm()
        form.enterprise.choices = [(CHOOSE_UNIT[0], _(str(CHOOSE_UNIT[1])))] + [
            (e.id, e.name)
            for e in db.session.scalars(
                select(Enterprise).where(Enterprise.active.is_(True)).order_by(Enterprise.name)
            )
        ]
        status = 422 if request.method == "POST" else 200
        if form.validate_on_submit():
            try:
                participant = participants.sign_up(
                    db.session.get(Enterprise, form.enterprise.data), form.identifier.data,
                    form.name.data, form.department.data, clock.now(), mode=mode,
                )
            except QuizError as refused:  # not on the roster, or someone else's identifier
                db.session.rollback()
                form.form_errors.append(_(str(refused.message)))
                status = refused.status
            else:
                db.session.commit()
                session.permanent = True
                session[PARTICIPANT_KEY] = participant.id
                # Opened a practice set, the 错题本 or a category before signing up: back to it.
                wanted = session.pop(SET_NEXT_KEY, None)
                if isinstance(wanted, str) and _comes_back(wanted):
                    return redirect(wanted, 303)
                return redirect(url_for(".home"), 303)
        wanted = session.get(SET_NEXT_KEY)
        return render("training/signup.html", "training/signup.html", status, form=form, mode=mode,
                      for_mistakes=wanted == url_for(".mistake_book"))
    return render(
        "training/home.html", "training/home.html",
        participant=participant,
        categories=practice.categories_with_counts(),
        open_mistakes=mistakes.open_count(participant.id),
    )


def _comes_back(path: str) -> bool:
    """Pages a phone is sent back to after signing up (its own, never another site's)."""
    return path.startswith(("/practice/set/", "/practice/c/")) or path == "/practice/mistakes"


def _signup_first(wanted: str):
    """Not signed up for practice: the sign-up form, then back to ``wanted``."""
    session[SET_NEXT_KEY] = wanted
    return htmx_redirect(url_for(".home")) if htmx else redirect(url_for(".home"))


def _require_participant():
    participant = _practising()
    if participant is None:
        raise QuizError(_("请先登记后再练习。"), status=403)
    return participant


def _question_page(participant, question, mode: str, title: str, message: str | None = None, status=200,
                   **extra):
    order = None
    if question is not None:
        session[SERVED_KEY] = practice.remember_served(session.get(SERVED_KEY), participant.id, question.id)
        order = practice.new_order(question, random.SystemRandom())
    return render(
        "training/question.html", "training/_question.html", status,
        question=question, mode=mode, title=title, message=message, order=order,
        shown=practice.shown_options(question, order) if order else [], **extra,
    )


def _set_of(token: str) -> list[str]:
    uids = practice.set_uids(token)
    if uids is None:
        raise QuizError(_("练习链接无效或已被改动，请向组织者重新索取。"), status=404)
    return uids


@bp.get("/set/<token>")
def practice_set(token: str):
    """A practice set from a shared link: exactly its questions, in order, one at a time."""
    uids = _set_of(token)
    participant = _practising()
    if participant is None:
        return _signup_first(url_for(".practice_set", token=token))
    index = request.args.get("i", 0, type=db_int)
    index = max(0, index)
    while index < len(uids):
        question = practice.set_question(uids, index)
        if question is not None:
            return _question_page(participant, question, "set", _("专项练习"), set_token=token, set_index=index,
                                  set_total=len(uids))
        index += 1  # retired since the link was made: skipped
    return render("training/set_done.html", "training/_set_done.html", token=token, total=len(uids))


@bp.get("/c/<int:category_id>")
def category(category_id: int):
    participant = _practising()
    if participant is None:
        return _signup_first(url_for(".category", category_id=category_id))
    found = db.session.get(Category, category_id)
    if found is None:
        raise QuizError(_("没有这个分类。"), status=404)
    question = practice.next_in_category(participant.id, found.id, random.SystemRandom(),
                                         after=request.args.get("after", type=db_int))
    return _question_page(participant, question, str(found.id), found.name)


@bp.get("/mistakes")
def mistake_book():
    """The 错题本: how many questions it holds and which, latest missed first."""
    participant = _practising()
    if participant is None:
        return _signup_first(url_for(".mistake_book"))
    total, entries = mistakes.open_entries(participant.id)
    return render("training/mistakes.html", "training/_mistakes.html", participant=participant,
                  total=total, entries=entries, clear_after=mistakes.CLEAR_AFTER)


@bp.get("/mistakes/practice")
def mistake_practice():
    """The 错题本's questions one at a time, the oldest first."""
    participant = _practising()
    if participant is None:
        return _signup_first(url_for(".mistake_book"))
    question = practice.next_mistake(participant.id, after=request.args.get("after", type=db_int))
    return _question_page(participant, question, "mistakes", _("错题本"))


@bp.post("/answer")
def answer():
    participant = _require_participant()
    question_id = request.form.get("question_id", type=db_int) or 0
    mode = request.form.get("mode", "")
    set_context = _set_context(mode)  # a broken set link is refused before anything is stored
    practice.require_served(session.get(SERVED_KEY), participant.id, question_id)
    try:
        feedback = practice.answer(participant.id, question_id, request.form.getlist("choice"),
                                   clock.now(), request.form.get("order"))
    except QuizError as error:
        db.session.rollback()
        if error.status != 400:
            raise
        question = db.session.get(practice.Question, question_id)
        return _question_page(participant, question, mode, _("练习"), message=_(str(error.message)), status=400,
                              **set_context)
    db.session.commit()
    next_label = None
    if mode == "set":
        following = set_context["set_index"] + 1
        next_url = url_for(".practice_set", token=set_context["set_token"], i=following)
        if following >= set_context["set_total"]:
            next_label = _("完成本组练习")
    elif mode == "mistakes":
        next_url = url_for(".mistake_practice", after=feedback.question.id)
    else:
        next_url = url_for(".category", category_id=feedback.question.category_id,
                           after=feedback.question.id)
    return render("training/feedback.html", "training/_feedback.html",
                  feedback=feedback, next_url=next_url, mode=mode, next_label=next_label)


def _set_context(mode: str) -> dict:
    """The practice set an answer belongs to (hidden fields of the question form)."""
    if mode != "set":
        return {}
    token = request.form.get("set", "")
    uids = _set_of(token)
    index = request.form.get("i", 0, type=db_int)
    return dict(set_token=token, set_index=max(0, min(index, len(uids) - 1)), set_total=len(uids))
