"""Staff rosters (花名册): who belongs to an enterprise, and matching a sign-up against them.

Plain functions on plain data. A person is matched by the enterprise, the 工号 or phone typed
at sign-up (normalised as ``participants.normalise_identifier`` does) and the name, compared
without spaces and in NFKC width. Where an enterprise has a roster (at least one active person),
its 应参与人数 is the number of active people on it; otherwise the typed headcount.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, or_, select

from .extensions import db
from .models import RosterPerson

NOT_ON_ROSTER = "名单中没有找到你，请核对姓名和工号，或联系本单位管理员。"


def name_key(name: str | None) -> str:
    """What makes two typed names the same person's: NFKC width, no spaces, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "")).casefold()


def find_person(enterprise_id: int, identifier: str) -> RosterPerson | None:
    """The roster row (active or retired) whose 工号 or phone is ``identifier`` (normalised)."""
    if not identifier:
        return None
    return db.session.scalar(
        select(RosterPerson).where(
            RosterPerson.enterprise_id == enterprise_id,
            or_(RosterPerson.staff_no == identifier, RosterPerson.phone == identifier),
        ).order_by(RosterPerson.id).limit(1)
    )


def match(enterprise_id: int, name: str, identifier: str) -> RosterPerson | None:
    """The active roster person with this 工号/phone and this name, else None."""
    person = find_person(enterprise_id, identifier)
    if person is None or not person.active or name_key(person.name) != name_key(name):
        return None
    return person


def canonical_identifier(person: RosterPerson) -> str:
    """The identifier a matched person's participant row carries, whichever one was typed:
    one participant per roster person (the 工号 when there is one, else the phone)."""
    return person.staff_no or person.phone or ""


def has_roster(enterprise_id: int) -> bool:
    return bool(db.session.scalar(
        select(RosterPerson.id).where(RosterPerson.enterprise_id == enterprise_id,
                                      RosterPerson.active.is_(True)).limit(1)
    ))


def active_counts():
    """A subquery of (enterprise_id, people): the active people per enterprise that has a roster.

    Every table joins it (outer) and uses ``people`` as 应参与人数 where it is not NULL, the
    typed headcount otherwise, and says which one it used."""
    return (
        select(RosterPerson.enterprise_id.label("enterprise_id"), func.count().label("people"))
        .where(RosterPerson.active.is_(True))
        .group_by(RosterPerson.enterprise_id)
        .subquery("roster_counts")
    )
