"""The participant's journey: join link → sign-up → one question per screen → result."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from . import attempts, participants, standings, voiding
from .. import clock, limits
from ..errors import Conflict, NotFound, QuizError, TooLate
from ..extensions import db, htmx
from ..models import Attempt, Contest, Enterprise, Participant
from ..web import db_int, every, htmx_redirect, public_url, render
from ..phone import DEVICE_KEY, PARTICIPANT_KEY, current_participant, this_device
from .phone_forms import SignupForm
from .rules import get_contest

bp = Blueprint("participant", __name__, template_folder="templates")


@bp.record_once
def _close_abandoned_attempts(state) -> None:
    """At most once a minute per process: submit abandoned attempts whose time ran out."""
    app = state.app

    def close_abandoned(now):
        if attempts.close_expired(None, now, app.config["ANSWER_GRACE_SECONDS"]):
            db.session.commit()

    every(app, app.config.get("SWEEP_SECONDS", 60), close_abandoned)


# The attempt this phone was told is held by another phone: the only one its 续答码 form may try.
RESUME_KEY = "resume_attempt"


def _grace() -> float:
    return current_app.config["ANSWER_GRACE_SECONDS"]


def poster_enterprise(contest: Contest, enterprise_code: str | None) -> Enterprise | None:
    if not enterprise_code:
        return None
    enterprise = db.session.scalar(
        select(Enterprise).where(Enterprise.code == enterprise_code.upper())
    )
    if enterprise is None or not participants.may_take_part(contest, enterprise):
        raise NotFound(_("该单位不在本次竞赛的参赛范围内，请联系组织者。"))
    return enterprise


@bp.get("/join")
def join_by_code():
    """The code typed from a poster on the start page."""
    code = "".join(ch for ch in request.args.get("code", "") if ch.isalnum())
    if not code:
        raise QuizError(_("请输入参赛码。"))
    return redirect(url_for(".join", code=code.upper()))


@bp.route("/j/<code>", methods=["GET", "POST"], endpoint="join")
@bp.route("/j/<code>/<enterprise_code>", methods=["GET", "POST"], endpoint="join")
@limits.signup_per_address
@limits.signup_per_contest
def join(code: str, enterprise_code: str | None = None):
    contest = get_contest(code)
    fixed = poster_enterprise(contest, enterprise_code)
    now = clock.now()
    state = attempts.contest_state(contest, now)
    known = current_participant()
    if known and not (
        participants.may_take_part(contest, known.enterprise)
        and (fixed is None or known.enterprise_id == fixed.id)
    ):
        known = None  # this phone's person may not take part via this poster: ask again
    device = this_device()
    attempt = attempts.find_attempt(contest, known) if known else None
    if attempt is not None and request.method == "GET" and attempt.device == device:
        return redirect(url_for(".quiz", attempt_id=attempt.id))

    form = SignupForm()
    form.enterprise.choices = [(fixed.id, fixed.name)] if fixed else participants.enterprise_choices(contest)
    if fixed:
        form.enterprise.data = fixed.id

    def signup_page(status: int, refusal: str | None = None, resume: bool = False):
        return _signup_page(contest, state, status, form=form, fixed=fixed, known=known, refusal=refusal,
                            resume=resume)

    if request.method == "POST":
        if state != "open":
            attempts.require_open(contest, now)  # raises the right message
        address = request.remote_addr or ""
        # Only a sign-up with the form claims an attempt no phone holds (after 换手机), never the
        # phone remembered as that person: it may be the one the admin took the attempt from.
        signed_up = False
        try:
            if known and request.form.get("continue") == "1":
                attempt = attempts.start_or_resume(contest, known, now, device=device, address=address)
            elif form.validate_on_submit():
                signed_up = True
                enterprise = db.session.get(Enterprise, form.enterprise.data)
                attempt = attempts.sign_up_and_start(
                    contest, enterprise, form.identifier.data, form.name.data, form.department.data, now,
                    device=device, address=address,
                )
            else:
                return signup_page(422)
        except QuizError as refused:
            if refused.status not in (403, 409) or isinstance(refused, Conflict):
                raise
            # Not on the roster, or someone else's identifier: the form again as typed.
            db.session.rollback()
            return signup_page(refused.status, refusal=refused.message)
        held = _held_attempt(contest, attempt, device, address, now, may_claim=signed_up)
        db.session.commit()
        if held is None:
            # Another phone holds this identity's attempt: nothing of it shows here.
            session[RESUME_KEY] = attempt.id
            return signup_page(409, resume=True)
        session.permanent = True
        session[PARTICIPANT_KEY] = held.participant_id
        return htmx_redirect(url_for(".quiz", attempt_id=held.id))

    return signup_page({"open": 200, "upcoming": 200, "closed": 410}[state])


def _signup_page(contest: Contest, state: str, status: int, form: SignupForm | None = None,
                 fixed: Enterprise | None = None, known: Participant | None = None,
                 refusal: str | None = None, resume: bool = False):
    """The sign-up form (``refusal``: why it was refused), or with ``resume`` the 续答码 form."""
    # Departments of the unit chosen; none until one is (the list starts at 请选择单位).
    chosen = form.enterprise.data if form and isinstance(form.enterprise.data, int) else None
    return render("participant/join.html", "participant/_signup.html", status, contest=contest, form=form,
                  fixed=fixed, state=state, known=known, refusal=refusal, resume=resume,
                  departments=participants.department_names(chosen))


def _held_attempt(contest: Contest, attempt: Attempt, device: str, address: str, now,
                  may_claim: bool) -> Attempt | None:
    """The attempt this phone continues: its own, or (``may_claim``) one no phone holds. A
    submitted attempt held by another phone gives way to a new one when the contest allows
    more; otherwise None (the 续答码 screen)."""
    if attempt.device == device or (may_claim and attempts.claim(attempt, device)):
        return attempt
    if attempt.is_submitted and attempts.attempts_left(contest, attempt.participant, now) > 0:
        return attempts.start_or_resume(contest, attempt.participant, now, new=True, device=device,
                                        address=address)
    return None


def _resume_key() -> str:
    return str(session.get(RESUME_KEY))


@bp.post("/j/<code>/resume")
@limits.limited("RATELIMIT_RESUME_PER_ADDRESS", get_remote_address)  # outermost: every try counts
@limits.limited("RATELIMIT_RESUME_PER_ATTEMPT", _resume_key)
def resume(code: str):
    """The 续答码 from the phone that holds the attempt: right, and the attempt moves here."""
    contest = get_contest(code)
    attempt = db.session.get(Attempt, session.get(RESUME_KEY) or 0)
    if attempt is None or attempt.contest_id != contest.id:
        raise QuizError(_("请先填写参赛登记。"), status=400)
    if not attempts.move_to_device(attempt, this_device(), request.form.get("resume_code", "")):
        return _signup_page(contest, attempts.contest_state(contest, clock.now()), 403, resume=True,
                            refusal=_("续答码不正确，请核对原手机上显示的6位续答码。"))
    db.session.commit()
    session.pop(RESUME_KEY, None)
    session.permanent = True
    session[PARTICIPANT_KEY] = attempt.participant_id
    return htmx_redirect(url_for(".quiz", attempt_id=attempt.id))


@bp.get("/j/<code>/departments")
def departments(code: str):
    """The departments of the unit just chosen on the sign-up form (an htmx swap of the
    field's <datalist>); nothing for a unit that may not take part in this contest."""
    contest = get_contest(code)
    wanted = request.args.get("enterprise", type=db_int)
    allowed = {eid for eid, _name in participants.enterprise_choices(contest)}
    names = participants.department_names(wanted if wanted in allowed else None)
    return render("participant/_departments.html", "participant/_departments.html", departments=names)


@bp.post("/j/<code>/forget")
def forget(code: str):
    """"不是我": this phone signs up as someone else."""
    session.pop(PARTICIPANT_KEY, None)
    return redirect(url_for(".join", code=code), 303)


def _require_owner(participant_id: int, device: str | None, organiser_may_read: bool = False) -> None:
    """This phone's session is the attempt's participant and holds the attempt (its device)."""
    if device is not None and session.get(PARTICIPANT_KEY) == participant_id and session.get(DEVICE_KEY) == device:
        return
    # Staff are asked only when the phone is not the owner (answers are the hot path).
    if not (organiser_may_read and current_user.is_authenticated
            and current_user.may_read_attempt_of(db.session.get(Participant, participant_id))):
        raise QuizError(_("这不是您的答卷。"), status=403)


def owned_attempt(attempt_id: int, organiser_may_read: bool = False) -> Attempt:
    """The attempt, if it is this phone's; an organiser may read results, never answer."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(_("找不到这份答卷。"))
    _require_owner(attempt.participant_id, attempt.device, organiser_may_read)
    return attempt


def owned_sheet(attempt_id: int) -> attempts.Sheet:
    """This phone's attempt as answering reads it (one statement: the hot path)."""
    sheet = attempts.load_sheet(attempt_id)
    if sheet is None:
        raise NotFound(_("找不到这份答卷。"))
    _require_owner(sheet.participant_id, sheet.device)
    return sheet


def owned_screen(attempt_id: int, *positions: int) -> tuple[attempts.Sheet, attempts.Paper]:
    """This phone's attempt and its paper with the items at ``positions`` (one statement)."""
    found = attempts.load_screen(attempt_id, *positions)
    if found is None:
        raise NotFound(_("找不到这份答卷。"))
    _require_owner(found[0].participant_id, found[0].device)
    return found


def _quiz_view(sheet: attempts.Sheet, position: int | None, message: str | None = None, status=200,
               paper: attempts.Paper | None = None):
    """The question at ``position`` (None: the first unanswered; 0: the 交卷 screen), from
    ``paper`` when the caller has read it."""
    now = attempts.attempt_now(sheet, clock.now())  # a paused contest's clocks stand still
    paused = sheet.contest.paused_at is not None
    if paused and message is None:
        message = _(attempts.PAUSED)
    timed_each = attempts.per_question(sheet)
    if timed_each:
        # One way through the paper: the server decides which question is shown.
        item = attempts.current_item(sheet, now, _grace())
        db.session.commit()
        position = item.position if item else 0
        progress = attempts.progress(sheet)
    else:
        paper = paper or attempts.paper(sheet, position or 0)
        progress = paper.progress
        if position is None:
            position = next((p.position for p in progress if not p.answered), 0)
        item = paper.items.get(position)
        if item is None and any(p.position == position for p in progress):
            item = attempts.item_at(sheet, position)  # not among the positions read in full
    here = url_for(".quiz", attempt_id=sheet.id)
    context = dict(
        attempt=sheet,
        contest=sheet.contest,
        here=here,
        progress=progress,
        dots=None if timed_each else question_dots(here, progress, item.position if item else 0),
        item=item,
        timed_each=timed_each,
        options=attempts.shown_options(item) if item else [],
        chosen=attempts.to_shown(item, item.chosen) if item else "",
        unanswered=[p.position for p in progress if not p.answered],
        # Only the 交卷 screen lists 多选 with a single option ticked (one more read, once).
        incomplete=attempts.incomplete(sheet) if item is None and not timed_each else [],
        seconds_left=attempts.seconds_left(sheet, now, item),
        grace=int(_grace()),
        leaves_to_submit=attempts.leaves_to_submit(sheet.contest, sheet.leave_count),
        message=message,
        paused=paused,
    )
    response = make_response(render("participant/quiz.html", "participant/_quiz.html", status, **context))
    if htmx:
        # Reloading the page comes back to this very question.
        response.headers["HX-Push-Url"] = f"{here}?q={position}"
    return response


def question_dots(here: str, progress: list[attempts.Progress], current: int) -> Markup:
    """The row of question numbers on every screen (0: the 交卷 screen is shown).

    Built here rather than in the template: it is 21 links on each of the 20 answers a
    person sends, and a Jinja loop made it the largest part of the answer's cost. Only
    integers and a URL of our own go in.
    """
    def link(position: int, text: str, *classes: str) -> str:
        names = " ".join(c for c in (*classes, "here" if position == current else "") if c)
        return f'<a data-q="{position}" href="{here}?q={position}" hx-get="{here}?q={position}" class="{names}">{text}</a>'

    links = [link(p.position, str(p.position), "done" if p.answered else "") for p in progress]
    links.append(link(0, escape(_("交卷")), "review-link"))
    return Markup("\n".join(links))


@bp.get("/a/<int:attempt_id>")
def quiz(attempt_id: int):
    position = request.args.get("q", type=db_int)
    sheet, paper = owned_screen(attempt_id, position or 0)
    if attempts.close_if_expired(sheet, clock.now(), _grace()):
        db.session.commit()
    if sheet.is_submitted:
        return redirect(url_for(".result", attempt_id=sheet.id))
    return _quiz_view(sheet, position, paper=paper)


@bp.post("/a/<int:attempt_id>/answer")
@limits.answer_per_attempt
def answer(attempt_id: int):
    position = request.form.get("position", type=db_int)
    go = request.form.get("go", type=db_int)
    chosen = request.form.getlist("choice")
    shown_next = position if go is None else go
    # One read for the attempt, the item answered and the screen that follows.
    sheet, paper = owned_screen(attempt_id, *(-1 if p is None else p for p in (position, shown_next)))
    if position is None:
        raise NotFound(_("该题不在您的试卷中。"))
    try:
        if chosen:
            saved = attempts.save_answer(sheet, position, chosen, clock.now(), _grace(),
                                         item=paper.items.get(position))
            paper = paper.with_answer(saved)
        db.session.commit()
    except TooLate as late:
        db.session.commit()
        if not sheet.is_submitted:  # only this question's time ran out: on to the next
            return _quiz_view(sheet, None, message=late.message, status=late.status)
        return render(
            "participant/expired.html", "participant/_expired.html", late.status,
            attempt=sheet, message=late.message,
        )
    except QuizError as error:
        db.session.rollback()
        if error.status == 404 or (isinstance(error, Conflict) and sheet.is_submitted):
            raise
        return _quiz_view(sheet, position, message=error.message, status=error.status, paper=paper)
    return _quiz_view(sheet, shown_next, paper=paper)


@bp.post("/a/<int:attempt_id>/save")
@limits.answer_per_attempt
def save(attempt_id: int):
    """One tap on an option, stored at once (204, nothing to show): the choices of the question
    at ``position`` as they now are. The same state sent twice stores the same answer, so the
    page retries it freely when the network fails; no choice clears a 多选's answer."""
    position = request.form.get("position", type=db_int)
    found = attempts.load_item(attempt_id, -1 if position is None else position)
    if found is None:
        raise NotFound(_("找不到这份答卷。"))
    sheet, item = found
    _require_owner(sheet.participant_id, sheet.device)
    if item is None:
        raise NotFound(_("该题不在您的试卷中。"))
    if attempts.per_question(sheet):
        raise QuizError(_("逐题计时的竞赛请点“提交本题”作答。"), status=409)
    try:
        attempts.save_answer(sheet, item.position, request.form.getlist("choice"), clock.now(), _grace(),
                             item=item, may_clear=True)
    except TooLate:
        db.session.commit()  # the submission it caused stays; the page learns it from the 409
        raise
    db.session.commit()
    return "", 204


@bp.post("/a/<int:attempt_id>/submit")
def submit(attempt_id: int):
    sheet = owned_sheet(attempt_id)
    if sheet.contest.paused_at is not None and not sheet.is_submitted:
        return _quiz_view(sheet, 0, status=409)  # 竞赛已暂停: the 交卷 screen says so
    attempts.submit(sheet, clock.now())
    db.session.commit()
    return htmx_redirect(url_for(".result", attempt_id=sheet.id))


@bp.post("/a/<int:attempt_id>/leave")
def leave(attempt_id: int):
    """The page was hidden (Page Visibility API): counted on the server, never in the page."""
    attempt = owned_attempt(attempt_id)
    submitted = attempts.record_leave(attempt, clock.now(), _grace())
    db.session.commit()
    if submitted:
        return htmx_redirect(url_for(".result", attempt_id=attempt.id))
    # What the page warns about on return: the count, and how many more leaves it takes.
    headers = {"X-Leave-Count": str(attempt.leave_count)}
    left = attempts.leaves_to_submit(attempt.contest, attempt.leave_count)
    if left is not None:
        headers["X-Leaves-To-Submit"] = str(left)
    return "", 204, headers


@bp.post("/a/<int:attempt_id>/again")
def again(attempt_id: int):
    """Another attempt at the same contest, when the contest allows more."""
    previous = owned_attempt(attempt_id)
    attempt = attempts.start_or_resume(previous.contest, previous.participant, clock.now(), new=True,
                                       device=previous.device, address=request.remote_addr or "")
    db.session.commit()
    return htmx_redirect(url_for(".quiz", attempt_id=attempt.id))


@bp.get("/a/<int:attempt_id>/result")
def result(attempt_id: int):
    attempt = owned_attempt(attempt_id, organiser_may_read=True)
    now = clock.now()
    if attempts.close_if_expired(attempt, now, _grace()):
        db.session.commit()
    if not attempt.is_submitted:
        return redirect(url_for(".quiz", attempt_id=attempt.id))
    items = attempts.items(attempt)
    contest = attempt.contest
    attempts_left = 0
    if attempts.contest_state(contest, now) == "open":
        attempts_left = attempts.attempts_left(contest, attempt.participant, now)
    mine = session.get(PARTICIPANT_KEY) == attempt.participant_id and session.get(DEVICE_KEY) == attempt.device
    # Staff reading a result see everything; the participant what the review setting allows.
    review_shown = not mine or attempts.review_shown(contest, now)
    return render(
        "participant/result.html",
        "participant/_result.html",
        attempt=attempt,
        contest=contest,
        items=items,
        mine=mine,
        review_shown=review_shown,
        reviews=[attempts.review(i, with_key=review_shown) for i in items],
        placing=standings.placing(contest, attempt.id),
        attempts_left=attempts_left,
    )


def _certificate_issuer(contest) -> str:
    """The issuing body printed on the certificate: the campaign's 主办单位, else its name."""
    return (contest.campaign.certificate_issuer or "").strip() or contest.campaign.name


def _certificate_date(attempt: Attempt):
    """The local day of the certificate (its submission): printed on it and on the verification page."""
    return clock.to_local(attempt.submitted_at).date()


def _certificate_data(attempt: Attempt):
    from .certificates import CertificateData

    contest = attempt.contest
    return CertificateData(
        number=attempt.certificate_no,
        name=attempt.participant.name,
        enterprise=attempt.participant.enterprise.name,
        contest=contest.title,
        score=attempt.score,
        max_score=attempt.max_score,
        date=_certificate_date(attempt),
        verify_url=public_url(url_for("participant.verify", number=attempt.certificate_no)),
        theme=contest.campaign.theme,
        issuer=_certificate_issuer(contest),
        seal=contest.campaign.certificate_seal,
    )


@bp.get("/a/<int:attempt_id>/certificate.<any(png, pdf):fmt>")
def certificate(attempt_id: int, fmt: str):
    from . import certificates

    attempt = owned_attempt(attempt_id, organiser_may_read=True)
    if not attempt.certificate_no:
        raise NotFound(_("这份答卷没有证书：成绩合格才会颁发证书。"))
    if voiding.is_voided(attempt):
        raise QuizError(_(voiding.VOIDED_CERTIFICATE), status=410)
    try:
        render_file = certificates.render_png if fmt == "png" else certificates.render_pdf
        body = render_file(_certificate_data(attempt))
    except certificates.FontMissing as missing:
        raise QuizError(str(missing), status=503) from missing
    mimetype = "image/png" if fmt == "png" else "application/pdf"
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = (
        f'inline; filename="certificate-{attempt.certificate_no}.{fmt}"'
    )
    return response


def _verified_date(day) -> str:
    """The certificate's date on the verification page: as printed on the certificate (which
    stays Chinese, an official document), or in the reader's language."""
    from .certificates import chinese_date

    return chinese_date(day) if str(get_locale()) == "zh" else format_date(day, "long")


@bp.get("/cert/<number>")
def verify(number: str):
    """Public check of a certificate: shows the certificate's own facts and nothing more."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.certificate_no == number.strip().upper()[:20]))
    if attempt is None:
        raise NotFound(_("查无此证书，请核对证书编号。"))

    voided = voiding.is_voided(attempt)
    return render("participant/verify.html", "participant/verify.html", 410 if voided else 200,
                  attempt=attempt, voided=voided, date=_verified_date(_certificate_date(attempt)),
                  issuer=_certificate_issuer(attempt.contest))
