"""Staff rosters (花名册): who belongs to an enterprise, and matching a sign-up against them.

Plain functions on plain data. A person is matched by the enterprise, the 工号 or phone typed
at sign-up (normalised as ``participants.normalise_identifier`` does) and the name, compared
without spaces and in NFKC width. Where an enterprise has a roster (at least one active person),
its 应参与人数 is the number of active people on it; otherwise the typed headcount.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _, pgettext
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from . import table_import, rules as units
from .table_import import N_
from ..errors import Conflict, QuizError
from ..extensions import db
from ..models import Attempt, Contest, Department, Participant, RosterPerson

# Compared in tests and raised by sign-up (quiz.contests.participants): translate where shown, _(NOT_ON_ROSTER).
NOT_ON_ROSTER = N_("名单中没有找到你，请核对姓名和工号，或联系本单位管理员。")


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


class Headcounts(NamedTuple):
    """SQL for an Enterprise row outer-joined to ``counts`` (``counts.c.enterprise_id``): one
    rule for every table of 应参与人数 and 参与人数 (league tables, reports, the contest board)."""

    counts: object  # active_counts(), to outer-join
    has_roster: object  # the enterprise keeps a roster (人数来源 名单)
    headcount: object  # 应参与人数: its active people, else the typed headcount (填报)
    participants: object  # with a roster only the matched people count, else everyone
    off_roster: object  # 名单外: people with attempts not matched to the roster


def headcounts(enterprise_headcount, people, matched) -> Headcounts:
    """``people``: distinct people with attempts of the enterprise; ``matched``: those of them
    matched to its roster."""
    counts = active_counts()
    has_roster = counts.c.people.is_not(None)
    return Headcounts(
        counts, has_roster, func.coalesce(counts.c.people, enterprise_headcount),
        case((has_roster, matched), else_=people), case((has_roster, people - matched), else_=0),
    )


# --------------------------------------------------------------------------- people


MAX_NAME = 40
MAX_ROWS = 20000  # rows of one roster upload: a large factory's whole staff
STATUS_FILTERS = {"active": "在册", "retired": "停用", "all": "全部"}  # shown as status_filters()


def status_filters() -> dict[str, str]:
    """STATUS_FILTERS in the page's language."""
    return {"active": pgettext("status", "在册"), "retired": pgettext("status", "停用"), "all": _("全部")}


def _participants():
    from ..contests import participants  # participants imports this module at load time

    return participants


def clean(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


@dataclass
class PersonInput:
    """A person as typed in the form or read from a row: cleaned, identifiers normalised."""

    name: str
    staff_no: str | None
    phone: str | None
    department: str


def read_person(name, staff_no, phone, department) -> tuple[PersonInput, dict[str, list[str]]]:
    """(input, errors per field) from raw values. 姓名 required (≤40); 工号 and/or 手机号, at
    least one, normalised as at sign-up (so that a sign-up finds the person); the phone a
    mainland mobile; the 工号 one a sign-up accepts. The 部门 is checked by the caller (it
    needs the enterprise's departments)."""
    rules = _participants()
    errors: dict[str, list[str]] = {}
    data = PersonInput(name=clean(name), staff_no=rules.normalise_identifier(str(staff_no or "")) or None,
                       phone=rules.normalise_identifier(str(phone or "")) or None, department=clean(department))
    if not data.name:
        errors.setdefault("name", []).append(_("缺少姓名"))
    elif len(data.name) > MAX_NAME:
        errors.setdefault("name", []).append(_("姓名超过 %(max)s 个字", max=MAX_NAME))
    if data.staff_no and (rules.identifier_error(data.staff_no) or len(data.staff_no) > 32):
        errors.setdefault("staff_no", []).append(
            _("工号“%(value)s”格式不正确：应为 2 到 32 位字母、数字、下划线或短横线", value=clean(staff_no)[:32]))
    if data.phone and not rules.PHONE.match(data.phone):
        errors.setdefault("phone", []).append(_("手机号“%(value)s”格式不正确：应为 11 位手机号码", value=clean(phone)[:20]))
    if not data.staff_no and not data.phone:
        errors.setdefault("staff_no", []).append(_("工号和手机号至少填写一项"))
    return data, errors


def department_names(enterprise_id: int) -> set[str]:
    return set(db.session.scalars(select(Department.name).where(Department.enterprise_id == enterprise_id)))


def unknown_department(name: str) -> str:
    return _("部门“%(name)s”不存在（可勾选“同时新建这些部门”，或先在部门管理中添加）", name=name)


def _holder(enterprise_id: int, value: str | None, exclude_id: int | None) -> RosterPerson | None:
    """Who else has ``value`` as 工号 or as phone: sign-up looks a typed identifier up in both."""
    if not value:
        return None
    query = select(RosterPerson).where(RosterPerson.enterprise_id == enterprise_id,
                                       or_(RosterPerson.staff_no == value, RosterPerson.phone == value))
    if exclude_id is not None:
        query = query.where(RosterPerson.id != exclude_id)
    return db.session.scalar(query.limit(1))


def person_errors(enterprise_id: int, data: PersonInput, person: RosterPerson | None = None) -> dict[str, list[str]]:
    """The form's checks against the enterprise: 部门 exists (or is the one ``person`` already
    has: a 部门 renamed since keeps its people), 工号 and phone not someone else's."""
    errors: dict[str, list[str]] = {}
    exclude_id = person.id if person is not None else None
    kept = person is not None and data.department == person.department
    if data.department and not kept and data.department not in department_names(enterprise_id):
        errors["department"] = [_("部门“%(name)s”不存在，请先在部门管理中添加", name=data.department)]
    for key, label in (("staff_no", _("工号")), ("phone", _("手机号"))):
        other = _holder(enterprise_id, getattr(data, key), exclude_id)
        if other is not None:
            errors.setdefault(key, []).append(_("%(label)s %(value)s 已登记给本单位的“%(name)s”", label=label,
                                                value=getattr(data, key), name=other.name))
    return errors


def _flush(message: str) -> None:
    """Flush; a unique constraint hit by a concurrent change → rolled back, a clear message."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_(message)) from exc


SAVE_CLASH = N_("保存失败：工号或手机号已登记给本单位的其他人（可能刚被别人添加），请刷新后重试。")


def add_person(enterprise_id: int, data: PersonInput, now: datetime) -> RosterPerson:
    """A new active person (flushed). The caller checked ``read_person`` and ``person_errors``."""
    person = RosterPerson(enterprise_id=enterprise_id, name=data.name, staff_no=data.staff_no, phone=data.phone,
                          department=data.department, active=True, created_at=now, updated_at=now)
    db.session.add(person)
    _flush(SAVE_CLASH)
    return person


def _changes(person: RosterPerson, data: PersonInput, clear: bool = False) -> list[str]:
    """“手机号：13800138000 → 13900139000” for each value that differs. None is “not given”
    (an import's empty cell), unless ``clear`` (the edit form: an emptied field)."""
    changes = []
    empty = _("（空）")
    for label, key in ((_("姓名"), "name"), (_("工号"), "staff_no"), (_("手机号"), "phone"), (_("部门"), "department")):
        before, after = getattr(person, key), getattr(data, key)
        if (after is not None or clear) and (before or "") != (after or ""):
            changes.append(_("%(label)s：%(before)s → %(after)s", label=label, before=before or empty,
                             after=after or empty))
    return changes


def update_person(person: RosterPerson, data: PersonInput, now: datetime, clear: bool = False) -> list[str]:
    """Change what differs (flushed); what changed, in Chinese. See ``_changes`` for None."""
    changes = _changes(person, data, clear)
    for key in ("name", "staff_no", "phone", "department"):
        value = getattr(data, key)
        if value is not None or clear:
            setattr(person, key, value if value is not None or key != "department" else "")
    if changes:
        person.updated_at = now
    _flush(SAVE_CLASH)
    return changes


def set_person_active(person: RosterPerson, active: bool, now: datetime) -> None:
    """停用 (retire) or restore: a retired person leaves 应参与人数 and 名单 sign-up; results stay."""
    if person.active != active:
        person.active = active
        person.updated_at = now
        db.session.flush()


@dataclass(frozen=True)
class PeopleFilter:
    search: str = ""
    department: str = ""
    status: str = "active"  # active | retired | all

    @classmethod
    def from_args(cls, args) -> "PeopleFilter":
        status = args.get("status", "active")
        return cls(search=clean(args.get("q"))[:40], department=clean(args.get("department"))[:60],
                   status=status if status in STATUS_FILTERS else "active")


def list_people(enterprise_id: int, filters: PeopleFilter, limit: int | None = None) -> list[RosterPerson]:
    """The enterprise's people matching the filter, by 部门 and name."""
    query = select(RosterPerson).where(RosterPerson.enterprise_id == enterprise_id)
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(RosterPerson.name.like(pattern, escape="\\"),
                                RosterPerson.staff_no.like(pattern, escape="\\"),
                                RosterPerson.phone.like(pattern, escape="\\")))
    if filters.department:
        query = query.where(RosterPerson.department == filters.department)
    if filters.status != "all":
        query = query.where(RosterPerson.active.is_(filters.status == "active"))
    query = query.order_by(RosterPerson.department, RosterPerson.name, RosterPerson.id)
    return list(db.session.scalars(query.limit(limit) if limit else query))


def people_counts(enterprise_id: int) -> tuple[int, int]:
    """(在册, 停用) of the enterprise's roster; one query."""
    active, retired = db.session.execute(
        select(func.count().filter(RosterPerson.active.is_(True)), func.count().filter(RosterPerson.active.is_(False)))
        .where(RosterPerson.enterprise_id == enterprise_id)).one()
    return active or 0, retired or 0


# --------------------------------------------------------------------------- import


IMPORT_HEADERS = {
    "name": ["姓名", "名字", "员工姓名", "职工姓名", "人员姓名"],
    "staff_no": ["工号", "员工工号", "职工工号", "员工编号", "职工编号", "员工号", "编号"],
    "phone": ["手机号", "手机号码", "手机", "联系电话", "电话", "移动电话", "联系方式"],
    "department": ["部门", "部门车间", "部门/车间", "车间", "部门名称", "所在部门", "所属部门"],
}
# The English export's headers (see export_workbook), read back too (compared upper-cased, without spaces).
for _key, _names in {"name": ["NAME", "FULLNAME"], "staff_no": ["STAFFNO.", "STAFFNO", "STAFFNUMBER"],
                     "phone": ["MOBILE", "MOBILEPHONE", "PHONE"], "department": ["DEPARTMENT"]}.items():
    IMPORT_HEADERS[_key].extend(_names)
NO_HEADER = N_("找不到表头：需要“姓名”列和“工号”“手机号”“部门”等列")
NO_PEOPLE = N_("文件中没有找到人员")


@dataclass
class RosterRow(table_import.PreviewRow):
    name: str = ""
    staff_no: str | None = None
    phone: str | None = None
    department: str | None = None  # None: the cell was empty (an update keeps the old 部门)
    person_id: int | None = None
    changes: list[str] = field(default_factory=list)
    missing_department: str | None = None  # the only thing wrong: a 部门 the enterprise lacks


@dataclass
class RosterPreview(table_import.Preview):
    new_departments: list[str] = field(default_factory=list)  # created on confirmation

    @property
    def missing_departments(self) -> list[str]:
        """The unknown 部门 whose creation would make rows importable (the checkbox offers them)."""
        return sorted({row.missing_department for row in self.rows if row.missing_department})


@dataclass
class _Known:
    """The enterprise's people and departments, read once for a whole preview (two queries)."""

    by_staff_no: dict[str, dict]
    by_phone: dict[str, dict]
    departments: set[str]

    @classmethod
    def load(cls, enterprise_id: int) -> "_Known":
        people = [dict(row._mapping) for row in db.session.execute(select(
            RosterPerson.id, RosterPerson.name, RosterPerson.staff_no, RosterPerson.phone, RosterPerson.department,
            RosterPerson.active).where(RosterPerson.enterprise_id == enterprise_id))]
        return cls({p["staff_no"]: p for p in people if p["staff_no"]},
                   {p["phone"]: p for p in people if p["phone"]}, department_names(enterprise_id))


def preview_import(enterprise_id: int, filename: str, data: bytes, max_bytes: int,
                   create_departments: bool = False) -> RosterPreview:
    """Every row of an uploaded roster (.xlsx or .csv) with its verdict; nothing is written.

    A row is the person with its 工号, else the one with its phone. With
    ``create_departments``, rows whose only fault is an unknown 部门 are valid and the 部门 are
    listed in ``new_departments``."""
    from question_bank.importers import FORMULA_ERROR

    result = RosterPreview(filename=filename)
    sheets, error = table_import.read_sheets(filename, data, max_bytes, IMPORT_HEADERS, MAX_ROWS, csv_ok=True)
    if error:
        result.file_errors.append(error)
        return result
    known = _Known.load(enterprise_id)
    seen: dict[str, RosterRow] = {}
    for source in table_import.source_rows(result, sheets, IMPORT_HEADERS, "name", _(NO_HEADER), _(NO_PEOPLE)):
        item = RosterRow(line=source.line, sheet=source.sheet, status="error", messages=[])
        result.rows.append(item)
        if source.formula:
            item.messages.append(FORMULA_ERROR)
            continue
        _read_row(item, source.cell)
        _check_duplicates(item, seen)
        if not item.messages:
            _compare(item, known)  # sets new / update / same, or adds the clash
        _check_department(item, known, result, create_departments)
    return result


def _check_department(item: RosterRow, known: _Known, result: RosterPreview, create: bool) -> None:
    """An unknown 部门 is an error, unless the organiser asked to create it (a valid row's only)."""
    department = item.department
    if not department or department in known.departments:
        return
    if len(department) > units.MAX_DEPARTMENT or units._DEPARTMENT_SEPARATORS.search(department):
        item.messages.append(_("部门名称“%(name)s”无效：不超过 %(max)s 个字，不含顿号、逗号等分隔符",
                               name=department[:20], max=units.MAX_DEPARTMENT))
        item.status = "error"
    elif item.status == "error":
        item.messages.append(unknown_department(department))
    elif create:
        if department not in result.new_departments:
            result.new_departments.append(department)
        item.changes.append(_("新建部门“%(name)s”", name=department))
    else:
        item.missing_department = department
        item.messages.append(unknown_department(department))
        item.status = "error"


def _read_row(item: RosterRow, cell) -> None:
    data, errors = read_person(cell("name"), cell("staff_no"), cell("phone"), cell("department"))
    item.name, item.staff_no, item.phone = data.name, data.staff_no, data.phone
    item.department = data.department or None
    for messages in errors.values():
        item.messages.extend(messages)


def _check_duplicates(item: RosterRow, seen: dict[str, RosterRow]) -> None:
    """A 工号 or phone met before in the file, in either column (sign-up cannot tell them apart)."""
    for key, label in (("staff_no", _("工号")), ("phone", _("手机号"))):
        value = getattr(item, key)
        if value:
            first = seen.setdefault(value, item)
            if first is not item:
                item.messages.append(_("%(label)s %(value)s 与%(where)s重复", label=label, value=value, where=first.where))


def _compare(item: RosterRow, known: _Known) -> None:
    """新增 / 更新 / 未变 against the stored people, or a clash with another person."""
    by_staff_no = known.by_staff_no.get(item.staff_no) if item.staff_no else None
    by_phone = known.by_phone.get(item.phone) if item.phone else None
    person = by_staff_no or by_phone
    for value, staff_no, other in ((item.staff_no, True, known.by_phone.get(item.staff_no or "")),
                                   (item.phone, False, known.by_staff_no.get(item.phone or ""))):
        if other is not None and (person is None or other["id"] != person["id"]):
            item.messages.append(
                _("工号 %(value)s 与本单位“%(name)s”的手机号相同", value=value, name=other["name"]) if staff_no
                else _("手机号 %(value)s 与本单位“%(name)s”的工号相同", value=value, name=other["name"]))
            return
    if person is None:
        item.status = "new"
        return
    # The phone is someone else's: another person's row, or one with another 工号.
    if by_phone is not None and (by_phone["id"] != person["id"]
                                 or (by_staff_no is None and item.staff_no and by_phone["staff_no"])):
        item.messages.append(_("手机号 %(phone)s 已登记给本单位的“%(name)s”（工号 %(staff_no)s）", phone=item.phone,
                               name=by_phone["name"], staff_no=by_phone["staff_no"] or _("无")))
        return
    item.person_id = person["id"]
    stored = RosterPerson(name=person["name"], staff_no=person["staff_no"], phone=person["phone"],
                          department=person["department"])
    item.changes = _changes(stored, PersonInput(item.name, item.staff_no, item.phone, item.department))
    if not person["active"]:
        item.messages.append(_("该人员已停用，导入不会恢复在册"))
    item.status = "update" if item.changes else "same"


IMPORT_CLASH = N_("导入失败：工号、手机号或部门与刚保存的数据重复，没有导入任何一行；请重新上传预览。")


def commit_import(enterprise_id: int, result: RosterPreview, now: datetime) -> tuple[int, int]:
    """Write the new departments, then the new and updated people (flushed; the caller commits
    the whole import at once). (added, updated)."""
    if len(department_names(enterprise_id)) + len(result.new_departments) > units.MAX_DEPARTMENTS:
        raise QuizError(_("导入失败：部门不能超过 %(max)s 个，没有导入任何一行。", max=units.MAX_DEPARTMENTS), 422)
    for name in result.new_departments:
        db.session.add(Department(enterprise_id=enterprise_id, name=name, headcount=0))
    _flush(IMPORT_CLASH)
    added = updated = 0
    updates = {row.person_id for row in result.importable if row.status == "update"}
    people = {p.id: p for p in db.session.scalars(select(RosterPerson).where(
        RosterPerson.enterprise_id == enterprise_id))} if updates else {}  # one query, not one per row
    for row in result.importable:
        data = PersonInput(row.name, row.staff_no, row.phone, row.department)
        if row.status == "new":
            data.department = row.department or ""
            db.session.add(RosterPerson(enterprise_id=enterprise_id, name=data.name, staff_no=data.staff_no,
                                        phone=data.phone, department=data.department, active=True,
                                        created_at=now, updated_at=now))
            added += 1
        else:
            person = people.get(row.person_id)
            if person is None:
                raise Conflict(_(IMPORT_CLASH))
            update_person(person, data, now)
            updated += 1
    _flush(IMPORT_CLASH)
    return added, updated


# --------------------------------------------------------------------------- export


EXPORT_HEADERS = ["姓名", "工号", "手机号", "部门", "状态"]
# The import template keeps these Chinese headers in every language (the importer reads them).
TEMPLATE_WORDS = tuple(EXPORT_HEADERS[:-1])


def export_headers() -> list[str]:
    """The export's headers in the page's language (English ones are read back by the import)."""
    return [pgettext("export", "姓名"), pgettext("export", "工号"), pgettext("export", "手机号"),
            pgettext("export", "部门"), pgettext("export", "状态")]


def export_workbook(enterprise_id: int, filters: PeopleFilter) -> bytes:
    """The roster as .xlsx in the import's own layout (export → import changes nothing)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("花名册")
    table_import.write_row(sheet, export_headers())
    for person in list_people(enterprise_id, filters):
        table_import.write_row(sheet, [person.name, person.staff_no, person.phone, person.department or None,
                                       pgettext("status", "在册") if person.active else pgettext("status", "停用")])
    table_import.format_sheet(sheet, (14, 16, 16, 24, 8))
    return table_import.sheet_bytes(book)


def template_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("花名册")
    table_import.write_row(sheet, EXPORT_HEADERS[:-1])  # Chinese in every language: the importer reads them
    table_import.write_row(sheet, [_("张三"), "A1001", "13800138000", _("安全环保部")])
    table_import.format_sheet(sheet, (14, 16, 16, 24))
    notes = book.create_sheet(_("填写说明"))
    for line in (
        _("每行一人；第一行是表头，请勿修改表头名称。示例行可删除。也可以导入同样表头的 .csv 文件。"),
        _("姓名必填，不超过 %(max)s 个字；工号和手机号至少填写一项，同一单位内不能重复。", max=MAX_NAME),
        _("手机号为 11 位大陆手机号；工号为 2 到 32 位字母、数字、下划线或短横线。"),
        _("部门须是本单位已有的部门；没有的部门可在预览时勾选“同时新建这些部门”。"),
        _("已有人员按工号（没有工号时按手机号）更新；留空的单元格表示不修改；不会删除或停用任何人。"),
    ):
        notes.append([line])
    return table_import.sheet_bytes(book)


# --------------------------------------------------------------------------- 未参与名单


@dataclass(frozen=True)
class Scope:
    """What “taken part” is measured against: one contest, or every contest of a campaign."""

    contest_id: int | None = None
    campaign_id: int | None = None


def _took_part(scope: Scope):
    """A subquery of the roster people with a submitted, non-voided attempt in ``scope`` (a
    participant counts through the roster row sign-up linked them to)."""
    query = (select(Participant.roster_person_id.label("person_id"))
             .join(Attempt, Attempt.participant_id == Participant.id)
             .where(Participant.roster_person_id.is_not(None), Participant.voided_at.is_(None),
                    Attempt.submitted_at.is_not(None), Attempt.voided_at.is_(None)))
    if scope.contest_id is not None:
        query = query.where(Attempt.contest_id == scope.contest_id)
    else:
        query = query.where(Attempt.contest_id.in_(select(Contest.id).where(Contest.campaign_id == scope.campaign_id)))
    return query.distinct().subquery("took_part")


@dataclass(frozen=True)
class DepartmentTally:
    department: str
    expected: int  # 应参与: active people on the roster
    took_part: int  # 已参与

    @property
    def absent(self) -> int:  # 未参与
        return self.expected - self.took_part


def tallies(enterprise_id: int, scope: Scope) -> list[DepartmentTally]:
    """应参与 / 已参与 / 未参与 per 部门 of the roster (active people), by 部门; one query."""
    done = _took_part(scope)
    query = (select(RosterPerson.department, func.count(RosterPerson.id), func.count(done.c.person_id))
             .outerjoin(done, done.c.person_id == RosterPerson.id)
             .where(RosterPerson.enterprise_id == enterprise_id, RosterPerson.active.is_(True))
             .group_by(RosterPerson.department).order_by(RosterPerson.department))
    return [DepartmentTally(department, expected, took) for department, expected, took in db.session.execute(query)]


def absentees(enterprise_id: int, scope: Scope, department: str | None = None, limit: int | None = None) -> list:
    """The active roster people without a submitted, non-voided attempt in ``scope`` (an
    anti-join), by 部门 and name: rows of (name, staff_no, phone, department)."""
    done = _took_part(scope)
    query = (select(RosterPerson.name, RosterPerson.staff_no, RosterPerson.phone, RosterPerson.department)
             .outerjoin(done, done.c.person_id == RosterPerson.id)
             .where(RosterPerson.enterprise_id == enterprise_id, RosterPerson.active.is_(True),
                    done.c.person_id.is_(None))
             .order_by(RosterPerson.department, RosterPerson.name, RosterPerson.id))
    if department:
        query = query.where(RosterPerson.department == department)
    return list(db.session.execute(query.limit(limit) if limit else query))


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678: enough to tell people apart on a printed list. Anything
    else (a 工号 in an identifier column) is shown as it is."""
    if phone and len(phone) == 11 and phone.isdigit():
        return f"{phone[:3]}****{phone[-4:]}"
    return phone or ""


ABSENTEE_HEADERS = ["姓名", "工号", "手机号", "部门"]


def absentee_workbook(enterprise_name: str, scope_title: str, rows: list, counts: list[DepartmentTally]) -> bytes:
    """The 未参与名单 as .xlsx (phones masked), with the per-部门 counts on a second sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("未参与名单")
    table_import.write_row(sheet, export_headers()[:4])
    for name, staff_no, phone, department in rows:
        table_import.write_row(sheet, [name, staff_no, mask_phone(phone) or None, department or None])
    table_import.format_sheet(sheet, (14, 16, 16, 24))
    summary = book.create_sheet(_("按部门统计"))
    table_import.write_row(summary, [f"{enterprise_name} · {scope_title}"])
    table_import.write_row(summary, [pgettext("export", "部门"), _("应参与"), _("已参与"), _("未参与")])
    for cell in summary[2]:
        cell.font = Font(bold=True)
    summary.freeze_panes = "A3"
    for tally in counts:
        table_import.write_row(summary, [tally.department or _("（未分部门）"), tally.expected, tally.took_part,
                                         tally.absent])
    table_import.write_row(summary, [_("合计"), sum(t.expected for t in counts), sum(t.took_part for t in counts),
                                     sum(t.absent for t in counts)])
    return table_import.sheet_bytes(book)
