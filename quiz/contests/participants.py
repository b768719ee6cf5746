"""Who a participant is: the enterprise plus a phone number or 工号."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..i18n import N_
from ..units import rosters
from ..errors import QuizError
from ..extensions import db, upsert
from ..models import Contest, Department, Enterprise, Participant, RosterPerson, contest_enterprise

PHONE = re.compile(r"^1[3-9]\d{9}$")
STAFF_NO = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")


def normalise_identifier(raw: str) -> str:
    """Full-width digits and letters to ASCII, spaces and dashes in phone numbers removed."""
    text = unicodedata.normalize("NFKC", raw or "").strip().upper()
    compact = re.sub(r"[\s-]", "", text)
    if compact.isdigit():
        if compact.startswith("86") and len(compact) == 13:
            compact = compact[2:]
        return compact
    return re.sub(r"\s", "", text)


def identifier_error(identifier: str) -> str | None:
    if not identifier:
        return _("请填写手机号或工号。")
    if identifier.isdigit() and len(identifier) == 11:
        return None if PHONE.match(identifier) else _("手机号格式不正确，应为 11 位数字。")
    if STAFF_NO.match(identifier):
        return None
    return _("手机号或工号格式不正确：手机号为 11 位数字，工号只能包含字母、数字和短横线。")


def _allowed(contest: Contest, *columns):
    """A select of ``columns`` of the enterprises that may take part in the contest, by name."""
    query = select(*columns).where(Enterprise.active.is_(True)).order_by(Enterprise.name)
    if contest.enterprise_id is not None:  # an enterprise's internal contest
        return query.where(Enterprise.id == contest.enterprise_id)
    if not contest.open_to_all:
        query = query.join(contest_enterprise, contest_enterprise.c.enterprise_id == Enterprise.id).where(
            contest_enterprise.c.contest_id == contest.id)
    return query


def allowed_enterprises(contest: Contest) -> list[Enterprise]:
    return list(db.session.scalars(_allowed(contest, Enterprise)))


def enterprise_choices(contest: Contest) -> list[tuple[int, str]]:
    """(id, name) of the allowed enterprises: what the sign-up form offers, read as plain rows
    (an open contest may have hundreds of units, and every sign-up validates against them)."""
    return [(eid, name) for eid, name in db.session.execute(_allowed(contest, Enterprise.id, Enterprise.name))]


def department_names(enterprise_id: int | None) -> list[str]:
    """The 部门 an enterprise has defined, offered at sign-up so that people of one department
    type its name the same way (the department league groups by the name)."""
    if enterprise_id is None:
        return []
    return list(db.session.scalars(
        select(Department.name).where(Department.enterprise_id == enterprise_id).order_by(Department.name)
    ))


def may_take_part(contest: Contest, enterprise: Enterprise) -> bool:
    if not enterprise.active:
        return False
    if contest.enterprise_id is not None:
        return enterprise.id == contest.enterprise_id
    return contest.open_to_all or any(e.id == enterprise.id for e in contest.enterprises)


IDENTITY_TAKEN = N_("该工号/手机号已由他人登记，请核对后重新填写；如有疑问请联系本单位管理员。")


def sign_up(
    enterprise: Enterprise, identifier: str, name: str, department: str, now: datetime,
    mode: str = "open",
) -> Participant:
    """The participant with this identity in this enterprise, created on first sign-up
    (see ``find_or_create``)."""
    return find_or_create(enterprise, identifier, name, department, now, mode)[0]


def admit(enterprise: Enterprise, identifier: str, name: str, mode: str) -> RosterPerson | None:
    """The roster person this sign-up is (None: not on the roster), or a refusal.

    ``mode`` is the contest's, live round's or practice's identity mode (models.IDENTITY_MODES).
    名单: the name and the 工号/phone must match one active row. In every mode a 工号/phone that
    is a roster person's cannot be used with another name, and the refusal does not say whose.
    """
    person = rosters.find_person(enterprise.id, identifier)
    same = person is not None and rosters.name_key(person.name) == rosters.name_key(name)
    if mode == "roster" and not (same and person.active):
        raise QuizError(rosters.NOT_ON_ROSTER, status=403)
    if person is not None and not same:
        raise QuizError(_(IDENTITY_TAKEN), status=409)
    return person if same and person.active else None


def as_on_roster(person: RosterPerson, department: str) -> tuple[str, str, str]:
    """(identifier, name, 部门) of a sign-up matched to ``person``: the roster's name and 部门
    (the typed one where the roster has none), and one identifier for their 工号 and phone."""
    return rosters.canonical_identifier(person), person.name, person.department or department


def find_or_create(
    enterprise: Enterprise, identifier: str, name: str, department: str, now: datetime,
    mode: str = "open",
) -> tuple[Participant, bool]:
    """The participant and whether this transaction created them.

    The same phone/工号 in the same enterprise is the same person, with the same name: a
    known identifier typed with another name is refused. A later sign-up never changes the
    stored name or 部门. A person matched to the roster carries its row (and its 部门), and
    one identifier for both their 工号 and phone.
    """
    error = identifier_error(identifier)
    if error:
        raise QuizError(error)
    person = admit(enterprise, identifier, name, mode)
    if person is not None:
        identifier, name, department = as_on_roster(person, department)
    same_person = select(Participant).where(
        Participant.enterprise_id == enterprise.id, Participant.identifier == identifier
    )
    existing = db.session.scalar(same_person)
    if existing is None:
        # One statement, no savepoint: of two phones signing up with the same identity at
        # the same instant, the one that finds the row there reads it below.
        created = db.session.scalars(
            upsert(Participant)
            .values(enterprise_id=enterprise.id, identifier=identifier, name=name, department=department,
                    created_at=now, roster_person_id=person.id if person else None)
            .on_conflict_do_nothing(index_elements=[Participant.enterprise_id, Participant.identifier])
            .returning(Participant)
        ).first()
        if created is not None:
            return created, True
        existing = db.session.scalars(same_person).one()
    if rosters.name_key(existing.name) != rosters.name_key(name):
        raise QuizError(_(IDENTITY_TAKEN), status=409)
    if person is not None and existing.roster_person_id is None:
        existing.roster_person_id = person.id  # signed up before the roster was imported
    return existing, False
