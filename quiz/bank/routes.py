"""The organiser's question bank: browse, search, filter, edit (by version), retire."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select


from question_bank.laws import article_text
from question_bank.loader import validate_question

from . import queries as bank, files as bank_io
from .. import downloads
from ..errors import NotFound
from ..units import table_import
from ..extensions import db
from ..models import TYPE_LABELS, Category, Question
from ..web import db_int, organiser_required, render
from .forms import ImportForm, QuestionForm

bp = Blueprint("questions", __name__, url_prefix="/admin/questions", template_folder="templates")

TYPE_NAMES = {"single": "单选", "multi": "多选", "judge": "判断"}
# The type labels as shown (models.TYPE_LABELS are the Chinese ids; templates show _(label)).
_TYPE_LABEL_IDS = (_l("单选题"), _l("多选题"), _l("判断题"))


def _filter_from_args() -> bank.BankFilter:
    args = request.args
    qtype = args.get("type", "")
    status = args.get("status", "active")
    return bank.BankFilter(
        text=args.get("q", "").strip()[:100],
        category_id=args.get("category", type=db_int),
        qtype=qtype if qtype in TYPE_LABELS else None,
        difficulty=args.get("difficulty", type=db_int),
        tag=args.get("tag", "").strip()[:40],
        source=args.get("source", "").strip()[:60],
        status=status if status in ("active", "retired", "all") else "active",
    )


@bp.get("/")
@organiser_required
def index():
    filters = _filter_from_args()
    page = db.paginate(bank.search(filters), page=request.args.get("page", 1, type=db_int),
                       per_page=50, error_out=False)
    return render(
        "questions/index.html", "questions/_results.html",
        page=page, filters=filters, figures=bank.figures([q.id for q in page.items]),
        categories=db.session.scalars(select(Category).order_by(Category.position)).all(),
        sources=bank.sources(), type_labels=TYPE_LABELS,
    )


# ---- writing a question ---------------------------------------------------------

TYPE_CODES = {"单选": "single", "多选": "multi", "判断": "judge"}


def _new_form() -> QuestionForm:
    form = QuestionForm()
    form.category.choices = [(0, _("请选择分类"))] + [
        (c.id, c.name) for c in db.session.scalars(select(Category).order_by(Category.position))]
    return form


def _typed(form: QuestionForm):
    """(question, category, problems) of the form; the question None while there are problems."""
    if not form.validate_on_submit():
        return None, None, []  # the form's own messages stand beside its fields
    category = db.session.get(Category, form.category.data) if form.category.data else None
    question, problems = bank_io.check_typed(
        category, TYPE_CODES.get(form.qtype.data), form.stem.data, form.options.data, form.answer.data,
        form.explanation.data, form.difficulty.data, form.basis.data, form.tags.data)
    return question, category, problems


def _preview_context(question) -> dict:
    found = article_text(question.basis) if question is not None and question.basis else None
    return dict(preview=question, basis_text=found[2] if found else None, type_labels=TYPE_LABELS,
                letters="ABCDEFGH")


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new():
    """Write a question: checked as an import is; stored as version 1 of a new uid."""
    form = _new_form()
    problems: list[str] = []
    if request.method == "POST":
        question, category, problems = _typed(form)
        if question is not None:
            saved = bank_io.add_typed(question, category)
            db.session.commit()
            flash(_("已添加题目 %(uid)s。", uid=saved.uid), "info")
            return redirect(url_for(".detail", question_id=saved.id), 303)
    status = 422 if request.method == "POST" else 200
    return render("questions/new.html", "questions/new.html", status, form=form, problems=problems,
                  **_preview_context(None))


@bp.post("/new/preview")
@organiser_required
def preview():
    """The question as a phone will show it, from the form as typed; nothing is stored."""
    form = _new_form()
    question, _category, problems = _typed(form)
    if question is None and not problems:
        problems = [e for field in form for e in field.errors]
    status = 200 if question is not None else 422
    return render("questions/new.html", "questions/_preview.html", status, form=form, problems=problems,
                  **_preview_context(question))


def _question(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound(_("找不到这道题。"))
    return question


@bp.get("/<int:question_id>")
@organiser_required
def detail(question_id: int):
    question = _question(question_id)
    found = article_text(question.basis) if question.basis else None
    history = bank.versions(question.uid)
    return render(
        "questions/detail.html", "questions/detail.html",
        question=question, basis_text=found[2] if found else None, history=history,
        figures=bank.figures([q.id for q in history]),
    )


@bp.route("/<int:question_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit(question_id: int):
    question = _question(question_id)
    if not question.current:
        current = bank.current_version(question.uid)
        return redirect(url_for(".edit", question_id=current.id), 303)
    form = QuestionForm(obj=None if request.method == "POST" else _form_data(question))
    form.category.choices = [(c.id, c.name) for c in db.session.scalars(select(Category).order_by(Category.position))]
    problems: list[str] = []
    if form.validate_on_submit():
        category = db.session.get(Category, form.category.data)
        raw = {
            "id": question.uid, "type": form.qtype.data, "stem": form.stem.data,
            "answer": form.answer.data, "explanation": form.explanation.data,
            "difficulty": form.difficulty.data,
            "tags": [t.strip() for t in form.tags.data.replace("，", ",").split(",") if t.strip()],
        }
        if form.qtype.data != "判断":
            raw["options"] = [line.strip() for line in form.options.data.splitlines() if line.strip()]
        if form.basis.data:
            raw["basis"] = form.basis.data
        checked, problems = validate_question(raw, category.name if category else "")
        problems = [p.split("：", 1)[-1] for p in problems]
        if category is None:
            problems.append(_("请选择分类。"))
        if not problems:
            saved = bank.revise(question, dict(
                category_id=category.id, qtype=checked.qtype, stem=checked.stem,
                options=checked.options, answer=checked.answer, explanation=checked.explanation,
                basis=checked.basis, difficulty=checked.difficulty, tags=checked.tags,
            ))
            db.session.commit()
            if saved is not question:
                flash(_("该题已有人作答，修改已保存为第 %(n)s 版；已交卷的成绩仍按原题计算。", n=saved.version), "info")
            else:
                flash(_("已保存。"), "info")
            return redirect(url_for(".detail", question_id=saved.id), 303)
    status = 422 if request.method == "POST" else 200
    return render("questions/edit.html", "questions/edit.html", status,
                  form=form, question=question, problems=problems)


class _FormData:
    def __init__(self, **values):
        self.__dict__.update(values)


def _form_data(question: Question) -> _FormData:
    judge = question.qtype == "judge"
    return _FormData(
        category=question.category_id,
        qtype=TYPE_NAMES[question.qtype],
        stem=question.stem,
        options="" if judge else "\n".join(question.options),
        answer=question.answer_label,
        explanation=question.explanation,
        difficulty=question.difficulty,
        tags=", ".join(question.tags or []),
        basis=question.basis or "",
    )


@bp.post("/<int:question_id>/retire")
@organiser_required
def retire(question_id: int):
    question = _question(question_id)
    bank.set_active(question, False)
    db.session.commit()
    flash(_("已停用：这道题不会再被抽到或练习；已有成绩不受影响。"), "info")
    return redirect(url_for(".detail", question_id=question.id), 303)


@bp.post("/<int:question_id>/restore")
@organiser_required
def restore(question_id: int):
    question = _question(question_id)
    if not question.current:
        raise NotFound(_("只能恢复最新版本。"))
    bank.set_active(question, True)
    db.session.commit()
    flash(_("已恢复启用。"), "info")
    return redirect(url_for(".detail", question_id=question.id), 303)




# ---- import and export --------------------------------------------------------

def _limits():
    return bank_io.limits(current_app.config["IMPORT_MAX_BYTES"])


UPLOAD_KIND = "bank"  # quiz.units.table_import keeps uploads and drops them after 24 h


def _stored(token: str) -> tuple[Path, dict]:
    """An uploaded file waiting for confirmation; only its uploader may see or confirm it."""
    return table_import.stored_upload(UPLOAD_KIND, token, user_id=current_user.id)


def _stored_preview(token: str):
    data_path, meta = _stored(token)
    result = bank_io.preview(meta["filename"], data_path.read_bytes(), meta["category"], _limits(),
                             meta.get("mapping") or {})
    return data_path, meta, result


def _import_page(status: int, form: ImportForm, result, token: str | None, page: int = 1):
    page = min(max(page, 1), result.pages()) if result else 1
    # Only a stored preview's page is swapped in by htmx; every other answer is the whole page.
    fragment = "questions/_import_rows.html" if token and result else "questions/import.html"
    return render("questions/import.html", fragment, status, form=form,
                  result=result, token=token, page=page, as_tag=bank_io.AS_TAG,
                  categories=bank_io.categories())


def _import_form() -> ImportForm:
    form = ImportForm()
    form.category.choices = [("", _("（不指定：每题须在文件中有分类）"))] + [
        (c.name, c.name) for c in bank_io.categories()]
    return form


@bp.route("/import", methods=["GET", "POST"])
@organiser_required
def import_file():
    form = _import_form()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _import_page(status, form, None, None)
    upload = form.file.data
    data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    filename = Path(upload.filename or "upload").name[:120]
    result = bank_io.preview(filename, data, form.category.data or None, _limits())
    token = None
    if result.rows:  # kept (for a day) so the preview can be paged, mapped and confirmed
        token = table_import.keep_upload(UPLOAD_KIND, data, {
            "user_id": current_user.id, "filename": filename, "category": form.category.data or None,
            "mapping": {}})
    status = 200 if result.importable or result.updates or result.count("same") else 422
    return _import_page(status, form, result, token)


@bp.get("/import/<token>")
@organiser_required
def import_preview(token: str):
    """The stored preview again: another page of rows (htmx), or after mapping categories."""
    _path, meta, result = _stored_preview(token)
    form = _import_form()
    form.category.data = meta["category"] or ""
    return _import_page(200, form, result, token, request.args.get("page", 1, type=db_int) or 1)


@bp.post("/import/<token>/map")
@organiser_required
def import_map(token: str):
    """Map each category value of the file to an existing category, a tag, or a category
    the organiser creates here on purpose; and choose the category of rows without one."""
    data_path, meta = _stored(token)
    mapping = dict(meta.get("mapping") or {})
    names = {c.name for c in bank_io.categories()}
    for value, target in zip(request.form.getlist("value"), request.form.getlist("target")):
        value = value.strip()
        if not value or not target:
            continue
        if target == "+new":
            target = bank_io.category_names().get(bank_io.name_key(value))
            if target is None:
                category, problem = bank_io.create_category(value)
                if category is None:
                    flash(_("“%(value)s”：%(problem)s", value=value, problem=problem), "error")
                    continue
                target = category.name
                flash(_("已新建分类“%(name)s”。", name=target), "info")
            names.add(target)
        elif target != bank_io.AS_TAG and target not in names:
            continue
        mapping[value] = target
    db.session.commit()
    if "default" in request.form:
        default = request.form["default"]
        meta["category"] = default if default in {c.name for c in bank_io.categories()} else None
    meta["mapping"] = mapping
    data_path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return redirect(url_for(".import_preview", token=token), 303)


@bp.post("/import/<token>")
@organiser_required
def import_confirm(token: str):
    data_path, meta, result = _stored_preview(token)
    added = bank_io.commit(result, f"导入:{meta['filename']}")
    db.session.commit()
    table_import.drop_upload(data_path)
    flash(_("已导入 %(added)s 题；更新 %(updated)s 题，未变 %(same)s 题；跳过重复 %(duplicate)s 题；拒绝 %(rejected)s 行。",
            added=added, updated=len(result.updates), same=result.count("same"), duplicate=result.count("duplicate"),
            rejected=result.count("rejected")), "info")
    if not added:  # only updates: they keep their own source
        return redirect(url_for(".index"), 303)
    return redirect(url_for(".index", source=f"导入:{meta['filename']}"[:60]), 303)


# ---- categories: a managed list ---------------------------------------------------

@bp.route("/categories", methods=["GET", "POST"])
@organiser_required
def categories():
    """The twelve built-in categories plus those an organiser creates here on purpose;
    imports map onto this list and never add to it silently."""
    problem = None
    if request.method == "POST":
        category, problem = bank_io.create_category(request.form.get("name", ""))
        if category is not None:
            db.session.commit()
            flash(_("已新建分类“%(name)s”。", name=category.name), "info")
            return redirect(url_for(".categories"), 303)
    counts = dict(db.session.execute(
        select(Question.category_id, func.count(Question.id))
        .where(Question.current.is_(True)).group_by(Question.category_id)).all())
    return render("questions/categories.html", "questions/categories.html",
                  422 if problem else 200, categories=bank_io.categories(), counts=counts,
                  problem=problem, name=request.form.get("name", ""))


@bp.get("/export.xlsx")
@organiser_required
def export():
    questions = db.session.scalars(bank.search(_filter_from_args())).all()
    return downloads.attachment(bank_io.workbook(questions), _("题库导出.xlsx"), "question-bank.xlsx")


@bp.get("/template.xlsx")
@organiser_required
def template():
    return downloads.attachment(bank_io.template(), _("题库导入模板.xlsx"), "question-bank-template.xlsx")
