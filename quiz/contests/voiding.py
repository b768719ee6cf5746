"""Voiding (作废) results, restoring them, and moving an attempt to another phone (换手机).

An organiser voids an attempt, or a participant (then every attempt of theirs is out), with a
reason; a voided attempt leaves every table, ranking, report, item statistic, chart, export
and the public board, and comes back when restored. Nothing is deleted: ``voided_at`` is set
or cleared, and each action writes an :class:`AuditEntry` (who, when, what, why).

The aggregates filter with :func:`counts` only — the contest-taking paths never look at it.
Results change here, so the results cache is dropped on commit (the same one place
``results_cache.invalidate_on_commit`` that a submission uses).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..i18n import N_
from .. import clock, results_cache
from ..errors import QuizError
from ..extensions import db
from ..models import Attempt, AuditEntry, Participant
from ..forms import clean_line

REASON_MAX = 200
NEED_REASON = N_("请填写作废原因。")


def counts(attempt=Attempt, participant=None) -> list:
    """SQL conditions on an attempt (entity or alias) that keep it in the tables: neither it
    nor its participant is voided. With ``participant`` (the attempt's Participant, already
    joined: one contest's few thousand attempts) its row says so; without, a NOT IN over the
    voided participants, read once — cheaper than a join for a whole campaign's attempts."""
    if participant is not None:
        return [attempt.voided_at.is_(None), participant.voided_at.is_(None)]
    voided_people = select(Participant.id).where(Participant.voided_at.is_not(None))
    return [attempt.voided_at.is_(None), attempt.participant_id.not_in(voided_people)]


def is_voided(attempt: Attempt) -> bool:
    """The attempt, or its participant, is voided: its certificate is no longer valid."""
    return attempt.voided_at is not None or attempt.participant.voided_at is not None


VOIDED_CERTIFICATE = N_("该答卷已被组织者作废，证书不再有效。")


def _reason(reason: str | None) -> str:
    reason = " ".join(clean_line(reason or "").split())  # no control characters (quiz.forms)
    if not reason:
        raise QuizError(_(NEED_REASON))
    if len(reason) > REASON_MAX:
        raise QuizError(_("作废原因最多 %(n)s 个字。", n=REASON_MAX))
    return reason


def _audit(user_id: int | None, action: str, *, attempt: Attempt | None = None,
           participant: Participant | None = None, reason: str = "") -> AuditEntry:
    entry = AuditEntry(at=clock.now(), user_id=user_id, action=action, reason=reason,
                       attempt_id=attempt.id if attempt is not None else None,
                       participant_id=participant.id if participant is not None
                       else attempt.participant_id if attempt is not None else None)
    db.session.add(entry)
    return entry


def _results_changed() -> None:
    results_cache.invalidate_on_commit(db.session)


_REFUSED = {
    ("attempt", True): N_("这次答题已经作废。"),
    ("attempt", False): N_("这次答题没有作废，无需恢复。"),
    ("participant", True): N_("此人已经作废。"),
    ("participant", False): N_("此人没有作废，无需恢复。"),
}


def _set_voided(thing: Attempt | Participant, void: bool, user_id: int | None, reason: str | None) -> AuditEntry:
    kind = "attempt" if isinstance(thing, Attempt) else "participant"
    # A reason is required to void; restoring may say why, or not.
    reason = _reason(reason) if void else " ".join((reason or "").split())[:REASON_MAX]
    if (thing.voided_at is not None) == void:
        raise QuizError(_(_REFUSED[kind, void]))
    thing.voided_at = clock.now() if void else None
    _results_changed()
    return _audit(user_id, f"{'void' if void else 'restore'}_{kind}", reason=reason,
                  attempt=thing if kind == "attempt" else None,
                  participant=thing if kind == "participant" else None)


def void_attempt(attempt: Attempt, user_id: int | None, reason: str | None) -> AuditEntry:
    return _set_voided(attempt, True, user_id, reason)


def restore_attempt(attempt: Attempt, user_id: int | None, reason: str | None = "") -> AuditEntry:
    return _set_voided(attempt, False, user_id, reason)


def void_participant(participant: Participant, user_id: int | None, reason: str | None) -> AuditEntry:
    """Every attempt of the person leaves the tables (:func:`counts`), also later ones."""
    return _set_voided(participant, True, user_id, reason)


def restore_participant(participant: Participant, user_id: int | None, reason: str | None = "") -> AuditEntry:
    return _set_voided(participant, False, user_id, reason)


def change_device(attempt: Attempt, user_id: int | None) -> AuditEntry:
    """换手机: the open attempt no longer belongs to its phone; the person's next sign-up on
    a new phone claims it. Results do not change (the attempt is not submitted)."""
    if attempt.submitted_at is not None:
        raise QuizError(_("这次答题已经交卷，无需换手机。"))
    attempt.device = None
    return _audit(user_id, "change_device", attempt=attempt)
