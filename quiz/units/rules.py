"""Participating units (企业/单位) and their departments: rules, the list, .xlsx import/export.

Plain functions on plain data; the views in ``quiz.admin`` only call them and show what they
return. Validation returns messages in Chinese per field; nothing is written when there is one.

Import follows the question import (``quiz.bank.files``): the upload is read with the same guarded
workbook reader (``question_bank.importers``: zip-bomb check, old .xls, formulas, row limit), the
header row is found among the first rows, every row gets a verdict (新增 / 更新 / 未变 / 错误) in a
preview, and the confirmation writes only the valid rows, in one transaction.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _, pgettext
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import table_import
from .table_import import N_
from ..codes import new_code
from ..errors import Conflict, QuizError
from ..extensions import db
from ..models import Attempt, Department, Enterprise, Participant, parse_id

# The 11 key industry areas named in the campaign notices (../shared/BRIEF.md), in that
# order, and 其他 for everything else.
# Stored and imported in Chinese; shown as _(industry).
INDUSTRIES = (
    N_("危险化学品"), N_("非煤矿山"), N_("消防"), N_("道路运输"), N_("交通运输和渔业船舶"), N_("城市建设"),
    N_("工业园区等功能区"), N_("危险废物"), N_("仓储物流"), N_("油气长输管道"), N_("特种设备"), N_("其他"),
)
DEFAULT_INDUSTRY = "其他"

MAX_NAME = 120
MAX_REGION = 60
MAX_DEPARTMENT = 60
MAX_DEPARTMENTS = 200
MAX_HEADCOUNT = 1_000_000

# The Chinese texts (compared in tests); ``_headcount_error`` gives them in the page's language.
HEADCOUNT_RANGE = f"应参与人数应在 0 到 {MAX_HEADCOUNT} 之间。"
HEADCOUNT_NEGATIVE = f"应参与人数应在 0 到 {MAX_HEADCOUNT} 之间，不能为负数。"
HEADCOUNT_NOT_INT = "应参与人数应为整数。"


def _headcount_error(kind: str, department: bool = False, raw=None) -> str:
    """A headcount problem, for a unit's 应参与人数 or (``department``) a 部门's 人数."""
    if kind == "range":
        return (_("部门人数应在 0 到 %(max)s 之间。", max=MAX_HEADCOUNT) if department
                else _("应参与人数应在 0 到 %(max)s 之间。", max=MAX_HEADCOUNT))
    if kind == "negative":
        return (_("部门人数应在 0 到 %(max)s 之间，不能为负数。", max=MAX_HEADCOUNT) if department
                else _("应参与人数应在 0 到 %(max)s 之间，不能为负数。", max=MAX_HEADCOUNT))
    if kind == "missing":
        return _("请填写部门人数。") if department else _("请填写应参与人数。")
    if kind == "not_number":
        return (_("部门人数“%(value)s”不是数字。", value=raw) if department
                else _("应参与人数“%(value)s”不是数字。", value=raw))
    return _("部门人数应为整数。") if department else _("应参与人数应为整数。")
CODE_PATTERN = re.compile(r"[0-9A-Z]{2,16}")

# Names people write for an industry, each pointing at exactly one of INDUSTRIES. Anything
# else is matched by containment (“危险化学品企业” contains 危险化学品), and only when that
# is unambiguous.
INDUSTRY_ALIASES = {
    "危化": "危险化学品", "危化品": "危险化学品", "危险化学品企业": "危险化学品", "化工": "危险化学品",
    "矿山": "非煤矿山", "非煤矿": "非煤矿山",
    "消防安全": "消防",
    "渔业": "交通运输和渔业船舶", "渔业船舶": "交通运输和渔业船舶", "交通": "交通运输和渔业船舶",
    "建筑": "城市建设", "建筑施工": "城市建设", "城建": "城市建设", "建筑业": "城市建设",
    "园区": "工业园区等功能区", "功能区": "工业园区等功能区", "工业园区": "工业园区等功能区",
    "危废": "危险废物",
    "仓储": "仓储物流", "物流": "仓储物流",
    "油气管道": "油气长输管道", "长输管道": "油气长输管道",
    "其它": "其他", "其他行业": "其他",
}

_DEPARTMENT_SEPARATORS = re.compile(r"[、,，;；/\n\r]+")


# --------------------------------------------------------------------------- values


def name_key(name: str) -> str:
    """What makes two unit names the same: width-folded, without spaces.

    “示范化工（集团）有限公司” and “示范化工(集团) 有限公司” are one unit."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "")).upper()


def clean(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def split_departments(text: str | None) -> list[str]:
    """“安全环保部、生产部，仓储部” → three names (also , ; ／ and new lines), in order, once each."""
    names: list[str] = []
    for part in _DEPARTMENT_SEPARATORS.split(text or ""):
        name = clean(part)
        if name and name not in names:
            names.append(name)
    return names


def parse_headcount(raw, department: bool = False) -> tuple[int | None, str | None]:
    """(headcount, error) from a form or a cell: “120”, “1,200”, “120人”, 120.0."""
    if isinstance(raw, bool):
        return None, _headcount_error("not_int", department)
    if isinstance(raw, int):
        value = raw
    else:
        text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
        text = text.replace(",", "").removesuffix("人").strip()
        if not text:
            return None, _headcount_error("missing", department)
        if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            value = int(text.split(".")[0])
        elif re.fullmatch(r"[+-]?\d*\.\d+", text):
            return None, _headcount_error("not_int", department)
        else:
            return None, _headcount_error("not_number", department, clean(raw)[:20])
    if value < 0:
        return None, _headcount_error("negative", department)
    if value > MAX_HEADCOUNT:
        return None, _headcount_error("range", department)
    return value, None


def normalise_industry(raw: str | None) -> tuple[str | None, str | None]:
    """(industry, error): one of INDUSTRIES, from the exact name or an unambiguous variant."""
    text = name_key(raw or "")
    if not text:
        return None, _("请选择行业。")
    if text in INDUSTRIES:
        return text, None
    if text in INDUSTRY_ALIASES:
        return INDUSTRY_ALIASES[text], None
    candidates = [i for i in INDUSTRIES[:-1] if (len(text) >= 2 and text in i) or i in text]
    if len(candidates) == 1:
        return candidates[0], None
    allowed = "、".join(INDUSTRIES)
    if len(candidates) > 1:
        return None, _("行业“%(value)s”不明确，可能是：%(candidates)s；可填：%(allowed)s", value=clean(raw),
                       candidates="、".join(candidates), allowed=allowed)
    return None, _("行业“%(value)s”无法识别，可填：%(allowed)s", value=clean(raw), allowed=allowed)


@dataclass
class UnitInput:
    """A unit as typed in a form or read from a row (already cleaned)."""

    name: str
    headcount: int | None
    region: str = ""
    industry: str = ""
    departments: list[str] = field(default_factory=list)


def read_form(name, headcount, region, industry, departments_text: str | None = None
              ) -> tuple[UnitInput, dict[str, list[str]]]:
    """(input, errors per field) from the raw form values; the industry must be exact."""
    errors: dict[str, list[str]] = {}
    count, error = parse_headcount(headcount)
    if error:
        errors.setdefault("headcount", []).append(error)
    data = UnitInput(name=clean(name), headcount=count, region=clean(region),
                     industry=clean(industry), departments=split_departments(departments_text))
    for key, messages in validate_unit(data, check_headcount=False).items():
        errors.setdefault(key, []).extend(messages)
    return data, errors


def validate_unit(data: UnitInput, check_headcount: bool = True) -> dict[str, list[str]]:
    """Errors per field (name, headcount, region, industry, departments); empty when valid.

    Rules: name required, at most 120 characters; headcount an integer 0…1 000 000; region at
    most 60; industry one of INDUSTRIES; at most 200 departments of at most 60 characters."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not data.name:
        add("name", _("请填写单位名称。"))
    elif len(data.name) > MAX_NAME:
        add("name", _("单位名称不能超过 %(max)s 个字。", max=MAX_NAME))
    if check_headcount:
        if data.headcount is None:
            add("headcount", _headcount_error("missing"))
        elif not 0 <= data.headcount <= MAX_HEADCOUNT:
            add("headcount", _headcount_error("range"))
    if len(data.region) > MAX_REGION:
        add("region", _("所属镇（街）不能超过 %(max)s 个字。", max=MAX_REGION))
    if data.industry not in INDUSTRIES:
        add("industry", _("请选择行业。") if not data.industry else
            _("行业“%(value)s”不在列表中，可填：%(allowed)s", value=data.industry, allowed="、".join(INDUSTRIES)))
    if len(data.departments) > MAX_DEPARTMENTS:
        add("departments", _("部门不能超过 %(max)s 个。", max=MAX_DEPARTMENTS))
    for name in data.departments:
        if len(name) > MAX_DEPARTMENT:
            add("departments", _("部门“%(name)s…”超过 %(max)s 个字。", name=name[:20], max=MAX_DEPARTMENT))
    return errors


def _same_name(name: str, exclude_id: int | None = None) -> str | None:
    """The existing unit whose name is the same as ``name`` (see name_key), if any."""
    key = name_key(name)
    for unit_id, existing in db.session.execute(select(Enterprise.id, Enterprise.name)):
        if unit_id != exclude_id and name_key(existing) == key:
            return existing
    return None


SAVE_CLASH = N_("保存失败：单位名称或编码重复（可能刚被别人添加），请检查后重试。")


def save(message: str = SAVE_CLASH) -> None:
    """Commit; a unique constraint hit by a concurrent change → nothing written, a clear message
    (a message id such as SAVE_CLASH is translated here)."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_(str(message))) from exc


def taken_codes() -> set[str]:
    return set(db.session.scalars(select(Enterprise.code)))


def fresh_code(taken: set[str]) -> str:
    """A new 4-character poster code not in ``taken`` (which it joins)."""
    for attempt in range(200):
        code = new_code(4 + attempt // 50)
        if code not in taken:
            taken.add(code)
            return code
    raise QuizError(_("无法生成单位编码，请重试。"))  # pragma: no cover - 31⁴ codes


def _flush(message: str = SAVE_CLASH) -> None:
    """Flush; a unique constraint hit by a concurrent change → rolled back, a clear message."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_(str(message))) from exc


# --------------------------------------------------------------------------- units


def create_enterprise(data: UnitInput) -> Enterprise:
    """Add a unit with its departments (flushed, not committed). Refuses a name already used."""
    existing = _same_name(data.name)
    if existing:
        raise Conflict(_("已有同名单位“%(name)s”。", name=existing))
    enterprise = Enterprise(name=data.name, code=fresh_code(taken_codes()), headcount=data.headcount or 0,
                            region=data.region, industry=data.industry, active=True)
    db.session.add(enterprise)
    _flush()
    for name in data.departments:
        db.session.add(Department(enterprise_id=enterprise.id, name=name, headcount=0))
    _flush()
    return enterprise


def update_enterprise(enterprise: Enterprise, data: UnitInput) -> list[str]:
    """Change name, headcount, region, industry; returns what changed (in Chinese)."""
    existing = _same_name(data.name, exclude_id=enterprise.id)
    if existing:
        raise Conflict(_("已有同名单位“%(name)s”。", name=existing))
    old = {"name": enterprise.name, "headcount": enterprise.headcount, "region": enterprise.region,
           "industry": enterprise.industry}
    changes = describe_changes(old, data.name, data.headcount, data.region, data.industry)
    enterprise.name = data.name
    enterprise.headcount = data.headcount if data.headcount is not None else enterprise.headcount
    enterprise.region = data.region
    enterprise.industry = data.industry
    _flush()
    return changes


def describe_changes(old: dict, name, headcount, region, industry) -> list[str]:
    """“应参与人数：4 → 6” for each value that differs from ``old``; None means “not given”."""
    changes = []
    empty = _("（空）")
    for label, before, new in ((_("名称"), old["name"], name), (_("应参与人数"), old["headcount"], headcount),
                               (_("镇（街）"), old["region"], region), (_("行业"), old["industry"], industry)):
        if new is not None and before != new:
            changes.append(_("%(label)s：%(before)s → %(after)s", label=label,
                             before=before if before not in ("", None) else empty, after=new if new != "" else empty))
    return changes


def set_active(enterprise: Enterprise, active: bool) -> None:
    """Retire (停用) or restore a unit. A retired unit leaves the sign-up lists; its results stay."""
    enterprise.active = active
    db.session.flush()


@dataclass(frozen=True)
class ListFilter:
    region: str = ""
    industry: str = ""
    status: str = "active"  # active | retired | all

    @classmethod
    def from_args(cls, args) -> "ListFilter":
        status = args.get("status", "active")
        return cls(region=clean(args.get("region"))[:MAX_REGION],
                   industry=clean(args.get("industry"))[:60],
                   status=status if status in ("active", "retired", "all") else "active")


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    code: str
    headcount: int
    region: str
    industry: str
    active: bool
    departments: int
    admins: int


def list_units(filters: ListFilter) -> list[UnitRow]:
    """The units matching the filter, by name; one query (department and admin counts as
    correlated subqueries)."""
    from ..models import User

    departments = (select(func.count(Department.id)).where(Department.enterprise_id == Enterprise.id)
                   .correlate(Enterprise).scalar_subquery())
    admins = (select(func.count(User.id)).where(User.enterprise_id == Enterprise.id)
              .correlate(Enterprise).scalar_subquery())
    query = select(Enterprise.id, Enterprise.name, Enterprise.code, Enterprise.headcount,
                   Enterprise.region, Enterprise.industry, Enterprise.active,
                   departments.label("departments"), admins.label("admins"))
    if filters.region:
        query = query.where(Enterprise.region == filters.region)
    if filters.industry:
        query = query.where(Enterprise.industry == filters.industry)
    if filters.status == "active":
        query = query.where(Enterprise.active.is_(True))
    elif filters.status == "retired":
        query = query.where(Enterprise.active.is_(False))
    query = query.order_by(Enterprise.name, Enterprise.id)
    return [UnitRow(*row) for row in db.session.execute(query)]


def regions() -> list[str]:
    """Every region some unit is in, for filters and the region <datalist>."""
    return list(db.session.scalars(
        select(Enterprise.region).where(Enterprise.region != "").distinct().order_by(Enterprise.region)))


# --------------------------------------------------------------------------- departments


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    name: str
    headcount: int
    participants: int  # people whose current 部门 is this name
    attempts: int  # attempts taken while in this 部门 (Attempt.department)


def list_departments(enterprise_id: int) -> list[DepartmentRow]:
    """The enterprise's departments with how many participants and attempts use each name; one query."""
    people = (select(func.count(Participant.id))
              .where(Participant.enterprise_id == enterprise_id, Participant.department == Department.name)
              .correlate(Department).scalar_subquery())
    taken = (select(func.count(Attempt.id)).join(Participant, Participant.id == Attempt.participant_id)
             .where(Participant.enterprise_id == enterprise_id, Attempt.department == Department.name)
             .correlate(Department).scalar_subquery())
    query = (select(Department.id, Department.name, Department.headcount, people, taken)
             .where(Department.enterprise_id == enterprise_id).order_by(Department.name, Department.id))
    return [DepartmentRow(*row) for row in db.session.execute(query)]


def _department_name(name) -> str:
    value = clean(name)
    if not value:
        raise QuizError(_("请填写部门名称。"), 422)
    if len(value) > MAX_DEPARTMENT:
        raise QuizError(_("部门名称不能超过 %(max)s 个字。", max=MAX_DEPARTMENT), 422)
    if _DEPARTMENT_SEPARATORS.search(value):
        raise QuizError(_("部门名称不能包含 、,，;；/ 等分隔符。"), 422)
    return value


def _department_headcount(raw) -> int:
    if raw in (None, ""):
        return 0
    value, error = parse_headcount(raw, department=True)
    if error:
        raise QuizError(error, 422)
    return value


def _name_taken(enterprise_id: int, name: str, exclude_id: int | None = None) -> bool:
    query = select(Department.id).where(Department.enterprise_id == enterprise_id, Department.name == name)
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    return db.session.scalar(query) is not None


def add_department(enterprise: Enterprise, name, headcount=None) -> Department:
    value = _department_name(name)
    count = _department_headcount(headcount)
    if _name_taken(enterprise.id, value):
        raise Conflict(_("已有部门“%(name)s”。", name=value))
    if db.session.scalar(select(func.count(Department.id)).where(
            Department.enterprise_id == enterprise.id)) >= MAX_DEPARTMENTS:
        raise QuizError(_("部门不能超过 %(max)s 个。", max=MAX_DEPARTMENTS), 422)
    department = Department(enterprise_id=enterprise.id, name=value, headcount=count)
    db.session.add(department)
    _flush(_("保存失败：已有部门“%(name)s”（可能刚被别人添加）。", name=value))
    return department


def update_department(department: Department, name, headcount) -> list[str]:
    """Rename and/or set the headcount. Renaming does not rewrite history: participants and
    attempts keep the name they were recorded with."""
    value = _department_name(name)
    count = _department_headcount(headcount)
    if value != department.name and _name_taken(department.enterprise_id, value, department.id):
        raise Conflict(_("已有部门“%(name)s”。", name=value))
    changes = []
    if value != department.name:
        changes.append(_("名称：%(before)s → %(after)s", before=department.name, after=value))
        department.name = value
    if count != department.headcount:
        changes.append(_("人数：%(before)s → %(after)s", before=department.headcount, after=count))
        department.headcount = count
    _flush(_("保存失败：已有部门“%(name)s”（可能刚被别人改名）。", name=value))
    return changes


def department_in_use(department: Department) -> tuple[int, int]:
    """(participants, attempts) recorded with this department name in its enterprise."""
    people = db.session.scalar(select(func.count(Participant.id)).where(
        Participant.enterprise_id == department.enterprise_id, Participant.department == department.name))
    taken = db.session.scalar(select(func.count(Attempt.id)).join(
        Participant, Participant.id == Attempt.participant_id).where(
        Participant.enterprise_id == department.enterprise_id, Attempt.department == department.name))
    return people or 0, taken or 0


def delete_department(department: Department) -> None:
    """Only a name nobody used: results must keep pointing at a department that exists."""
    people, taken = department_in_use(department)
    if people or taken:
        raise Conflict(_("部门“%(name)s”已有 %(people)s 名参赛者、%(taken)s 次答题记录，不能删除；"
                         "可以改名（已有记录保留原名）。", name=department.name, people=people, taken=taken))
    db.session.delete(department)
    db.session.flush()


# --------------------------------------------------------------------------- import


IMPORT_HEADERS = {
    "name": ["单位名称", "企业名称", "单位", "企业", "单位全称", "企业全称", "名称"],
    "headcount": ["应参与人数", "应参赛人数", "人数", "职工人数", "职工总数", "员工人数", "从业人数"],
    "region": ["所属镇", "所属镇街", "镇街", "区域", "所属区域", "镇", "所属街道", "街道", "乡镇",
               "所属乡镇"],
    "industry": ["行业", "所属行业", "行业领域", "行业类别", "所属领域", "重点行业领域"],
    "departments": ["部门", "部门/车间", "部门车间", "车间", "部门名称"],
    "code": ["编码", "单位编码", "企业编码"],
}
# The English export's headers (see export_workbook), read back too: headers are compared
# upper-cased, without spaces and without a bracketed part.
for _key, _names in {"name": ["UNITNAME", "UNIT"], "headcount": ["EXPECTEDPARTICIPANTS", "HEADCOUNT"],
                     "region": ["TOWN/SUBDISTRICT", "TOWN", "REGION"], "industry": ["INDUSTRY"],
                     "departments": ["DEPARTMENTS", "DEPARTMENT"], "code": ["CODE"]}.items():
    IMPORT_HEADERS[_key].extend(_names)
NO_UNIT_HEADER = N_("找不到表头：需要“单位名称”列和“应参与人数”“行业”等列")
NO_UNITS = N_("文件中没有找到单位")
ONLY_XLSX = table_import.ONLY_XLSX
TOTAL_ROWS = table_import.TOTAL_ROWS
STATUS_LABELS = table_import.STATUS_LABELS
ImportPreview = table_import.Preview


@dataclass
class ImportRow(table_import.PreviewRow):
    name: str = ""
    code: str = ""
    headcount: int | None = None
    region: str | None = None  # None: the cell was empty (an update keeps the old value)
    industry: str | None = None
    departments: list[str] = field(default_factory=list)
    enterprise_id: int | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class _Known:
    """The units already stored, read once for a whole preview (two queries)."""

    by_key: dict[str, dict]
    by_code: dict[str, dict]
    departments: dict[int, set[str]]

    @classmethod
    def load(cls) -> "_Known":
        units = [dict(row._mapping) for row in db.session.execute(select(
            Enterprise.id, Enterprise.name, Enterprise.code, Enterprise.headcount, Enterprise.region,
            Enterprise.industry, Enterprise.active))]
        departments: dict[int, set[str]] = {}
        for enterprise_id, name in db.session.execute(select(Department.enterprise_id, Department.name)):
            departments.setdefault(enterprise_id, set()).add(name)
        return cls({name_key(u["name"]): u for u in units}, {u["code"]: u for u in units}, departments)


def preview_import(filename: str, data: bytes, max_bytes: int) -> ImportPreview:
    """Every row of an uploaded unit list with its verdict; nothing is written."""
    from question_bank.importers import FORMULA_ERROR

    result = ImportPreview(filename=filename)
    sheets, error = table_import.read_sheets(filename, data, max_bytes, IMPORT_HEADERS)
    if error:
        result.file_errors.append(error)
        return result
    known = _Known.load()
    seen_names: dict[str, ImportRow] = {}
    seen_codes: dict[str, ImportRow] = {}
    for source in table_import.source_rows(result, sheets, IMPORT_HEADERS, "name", _(NO_UNIT_HEADER), _(NO_UNITS)):
        item = ImportRow(line=source.line, sheet=source.sheet, status="error", messages=[])
        if source.formula:
            item.messages.append(FORMULA_ERROR)
        else:
            _read_row(item, source.cell)
            _check_duplicates(item, seen_names, seen_codes)
            if item.status != "error":
                _compare(item, known)
        result.rows.append(item)
    return result


def _read_row(item: ImportRow, cell) -> None:
    errors = item.messages
    item.name = clean(cell("name"))
    if not item.name:
        errors.append(_("缺少单位名称"))
    elif len(item.name) > MAX_NAME:
        errors.append(_("单位名称超过 %(max)s 个字", max=MAX_NAME))
    raw_code = name_key(cell("code"))
    if raw_code:
        if not CODE_PATTERN.fullmatch(raw_code):
            errors.append(_("编码“%(code)s”无效：应为 2–16 位字母或数字", code=clean(cell("code"))[:20]))
        item.code = raw_code
    if cell("headcount").strip():
        item.headcount, error = parse_headcount(cell("headcount"))
        if error:
            errors.append(error.rstrip("。."))
    region = clean(cell("region"))
    if region:
        if len(region) > MAX_REGION:
            errors.append(_("所属镇（街）超过 %(max)s 个字", max=MAX_REGION))
        item.region = region
    if cell("industry").strip():
        item.industry, error = normalise_industry(cell("industry"))
        if error:
            errors.append(error)
    departments = split_departments(cell("departments"))
    if len(departments) > MAX_DEPARTMENTS:
        errors.append(_("部门超过 %(max)s 个", max=MAX_DEPARTMENTS))
    for name in departments:
        if len(name) > MAX_DEPARTMENT:
            errors.append(_("部门“%(name)s…”超过 %(max)s 个字", name=name[:20], max=MAX_DEPARTMENT))
    item.departments = departments
    item.status = "error" if errors else "ok"


def _check_duplicates(item: ImportRow, seen_names: dict, seen_codes: dict) -> None:
    if item.name:
        first = seen_names.setdefault(name_key(item.name), item)
        if first is not item:
            item.messages.append(_("与%(where)s单位名称重复", where=first.where))
            item.status = "error"
    if item.code:
        first = seen_codes.setdefault(item.code, item)
        if first is not item:
            item.messages.append(_("与%(where)s编码重复", where=first.where))
            item.status = "error"


def _compare(item: ImportRow, known: _Known) -> None:
    """Decide 新增 / 更新 / 未变 against the stored units (by 编码 when given, else by name)."""
    by_name = known.by_key.get(name_key(item.name))
    unit = known.by_code.get(item.code) if item.code else by_name
    if item.code and unit is None and by_name is not None:
        item.messages.append(_("单位“%(name)s”已有编码 %(code)s，与文件中的编码 %(file_code)s 不一致"
                               "（编码印在海报上，不能修改）", name=by_name["name"], code=by_name["code"],
                               file_code=item.code))
        item.status = "error"
        return
    if unit is not None and by_name is not None and by_name["id"] != unit["id"]:
        item.messages.append(_("名称“%(name)s”已被编码 %(code)s 的单位使用", name=item.name, code=by_name["code"]))
        item.status = "error"
        return
    if unit is None:
        if item.headcount is None:
            item.messages.append(_("缺少应参与人数"))
            item.status = "error"
            return
        if item.industry is None:
            item.industry = DEFAULT_INDUSTRY
            item.messages.append(_("未填行业，记为“%(industry)s”", industry=DEFAULT_INDUSTRY))
        item.region = item.region or ""
        item.status = "new"
        return
    item.enterprise_id = unit["id"]
    name = item.name if name_key(item.name) != name_key(unit["name"]) else None
    item.changes = describe_changes(unit, name, item.headcount, item.region, item.industry)
    have = known.departments.get(unit["id"], set())
    added = [d for d in item.departments if d not in have]
    if added:
        item.changes.append(_("新增部门：%(names)s", names=_("、").join(added)))
    item.departments = added
    if not unit["active"]:
        item.messages.append(_("该单位已停用，导入不会恢复启用"))
    item.status = "update" if item.changes else "same"


def commit_import(result: ImportPreview) -> tuple[int, int]:
    """Write the new and updated rows (flushed; the caller commits). (added, updated)."""
    added = updated = 0
    taken = taken_codes() | {row.code for row in result.importable if row.code}
    for row in result.importable:
        if row.status == "new":
            enterprise = Enterprise(name=row.name, code=row.code or fresh_code(taken),
                                    headcount=row.headcount or 0, region=row.region or "",
                                    industry=row.industry or DEFAULT_INDUSTRY, active=True)
            db.session.add(enterprise)
            _flush(_("导入失败：单位名称或编码与刚添加的单位重复，没有导入任何一行；请重新上传预览。"))
            added += 1
        else:
            enterprise = db.session.get(Enterprise, row.enterprise_id)
            if name_key(row.name) != name_key(enterprise.name):
                enterprise.name = row.name
            if row.headcount is not None:
                enterprise.headcount = row.headcount
            if row.region is not None:
                enterprise.region = row.region
            if row.industry is not None:
                enterprise.industry = row.industry
            updated += 1
        for name in row.departments:
            db.session.add(Department(enterprise_id=enterprise.id, name=name, headcount=0))
    _flush(_("导入失败：单位名称、编码或部门与刚保存的数据重复，没有导入任何一行；请重新上传预览。"))
    return added, updated


# --------------------------------------------------------------------------- export


EXPORT_HEADERS = ["编码", "单位名称", "应参与人数", "所属镇（街）", "行业", "部门（车间）", "状态"]
# The import template keeps these Chinese headers in every language (the importer reads them)
# and the industries (the values the importer accepts); its example and instructions are translated.
TEMPLATE_WORDS = (*EXPORT_HEADERS[:-1], *INDUSTRIES)


def export_headers() -> list[str]:
    """The export's headers in the page's language (English ones are read back by the import)."""
    return [pgettext("export", "编码"), pgettext("export", "单位名称"), pgettext("export", "应参与人数"),
            pgettext("export", "所属镇（街）"), pgettext("export", "行业"), pgettext("export", "部门（车间）"),
            pgettext("export", "状态")]


_sheet_bytes = table_import.sheet_bytes
_write = table_import.write_row


def export_workbook(filters: ListFilter) -> bytes:
    """The unit list as .xlsx, in the import's own layout (export → import changes nothing)."""
    rows = list_units(filters)
    ids = [row.id for row in rows]
    departments: dict[int, list[str]] = {}
    if ids:
        for enterprise_id, name in db.session.execute(
                select(Department.enterprise_id, Department.name)
                .where(Department.enterprise_id.in_(ids)).order_by(Department.name)):
            departments.setdefault(enterprise_id, []).append(name)
    book = Workbook()
    sheet = book.active
    sheet.title = _("参赛单位")
    _write(sheet, export_headers())
    for row in rows:
        _write(sheet, [row.code, row.name, row.headcount, row.region or None, row.industry or None,
                       _("、").join(departments.get(row.id, [])) or None,
                       pgettext("status", "启用") if row.active else pgettext("status", "已停用")])
    _format(sheet)
    return _sheet_bytes(book)


def template_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("参赛单位")
    _write(sheet, EXPORT_HEADERS[:-1])  # Chinese in every language: the importer reads them
    _write(sheet, ["", _("示范化工有限公司"), 120, _("滨海街道"), "危险化学品", _("安全环保部、生产一车间、仓储部")])
    _format(sheet)
    notes = book.create_sheet(_("填写说明"))
    for line in (
        _("每行一个单位；第一行是表头，请勿修改表头名称。示例行可删除。"),
        _("单位名称必填，不超过 120 个字；同名单位再次导入时按名称更新。"),
        _("编码可留空，导入时自动生成（印在单位专用二维码海报上，生成后不能修改）。"),
        _("应参与人数：0 到 1000000 的整数。"),
        _("行业只能填：%(industries)s。", industries="、".join(INDUSTRIES)),
        _("部门（车间）：多个部门用顿号、逗号、分号或换行分隔；已有部门不会被删除。"),
        _("更新已有单位时，留空的单元格表示不修改；“合计”行会被跳过。"),
    ):
        notes.append([line])
    return _sheet_bytes(book)


def _format(sheet) -> None:
    table_import.format_sheet(sheet, (10, 36, 12, 16, 18, 40, 8))


# --------------------------------------------------------------------------- accounts


MIN_PASSWORD = 8


@dataclass(frozen=True)
class AccountRow:
    id: int
    username: str
    role: str
    enterprise_id: int | None
    enterprise: str | None
    created_at: object
    active: bool


def list_accounts() -> list[AccountRow]:
    """Every login account with its unit's name; one query. Organisers first, then by unit, name."""
    from ..models import User

    query = (select(User.id, User.username, User.role, User.enterprise_id, Enterprise.name, User.created_at,
                    User.active)
             .outerjoin(Enterprise, Enterprise.id == User.enterprise_id)
             .order_by((User.role != "organiser"), Enterprise.name, User.username))
    return [AccountRow(*row) for row in db.session.execute(query)]


def _password_error(password: str | None) -> str | None:
    if not password or len(password) < MIN_PASSWORD:
        return _("密码至少 %(n)s 位。", n=MIN_PASSWORD)
    if len(password) > 128:
        return _("密码不能超过 128 位。")
    return None


def create_enterprise_admin(username: str, password: str, enterprise_id, now):
    """An enterprise admin account for one unit (flushed). Usernames are unique."""
    from ..models import User
    from ..demo.setup import create_user

    username = (username or "").strip()
    if not username:
        raise QuizError(_("请填写用户名。"), 422)
    if len(username) > 64 or len(username) < 2 or re.search(r"\s", username):
        raise QuizError(_("用户名应为 2 到 64 个字符，不含空格。"), 422)
    error = _password_error(password)
    if error:
        raise QuizError(error, 422)
    enterprise = db.session.get(Enterprise, number) if (number := parse_id(enterprise_id)) else None
    if enterprise is None:
        raise QuizError(_("请选择单位。"), 422)
    if not enterprise.active:
        raise QuizError(_("单位“%(name)s”已停用，不能新建管理员。", name=enterprise.name), 422)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("用户名“%(name)s”已被使用。", name=username))
    try:
        user = create_user(username, password, role="enterprise_admin", now=now)
        user.enterprise_id = enterprise.id
        db.session.flush()
    except IntegrityError as exc:  # the same username created at the same moment
        db.session.rollback()
        raise Conflict(_("保存失败：用户名“%(name)s”已被使用（可能刚被别人创建）。", name=username)) from exc
    return user


def set_account_active(user, active: bool, acting_user_id: int) -> None:
    """Disable or re-enable an account. Nobody disables their own account, and the last
    active organiser stays (someone must be able to log in and undo it)."""
    from ..models import User

    if not active:
        if user.id == acting_user_id:
            raise QuizError(_("不能停用自己正在使用的账号。"), 422)
        if user.role == "organiser":
            others = db.session.scalar(select(func.count(User.id)).where(
                User.role == "organiser", User.active.is_(True), User.id != user.id))
            if not others:
                raise QuizError(_("这是最后一个可用的组织者账号，不能停用。"), 422)
    user.active = active
    if not active:
        user.new_login_token()  # its remember-me cookies end too, even if it is enabled again
    db.session.flush()


def reset_password(user, password: str) -> None:
    error = _password_error(password)
    if error:
        raise QuizError(error, 422)
    user.set_password(password)
    db.session.flush()
