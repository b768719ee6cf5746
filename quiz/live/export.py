"""A live round as .xlsx: players, questions, and one sheet per question with every answer."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from flask_babel import gettext as _, pgettext
from sqlalchemy import select

from .. import clock
from . import rules as live_rules
from ..bank.files import text_cell
from ..extensions import db
from ..models import Enterprise, LiveAnswer, LivePlayer, LiveQuestion, LiveRound
from ..i18n import N_  # marks a message for extraction; translated where shown


def _sheet(book: Workbook, title: str, headers: list[str], rows, widths: list[int],
           formats: dict[int, str] | None = None):
    """One sheet: a bold header row kept in view (frozen panes below it), then the rows;
    ``formats``: number formats by column (1-based)."""
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for values in rows:
        row = sheet.max_row + 1
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column)
            text_cell(cell, value)  # names are text, never formulas
            if formats and column in formats and not isinstance(value, str):
                cell.number_format = formats[column]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    return sheet


ROSTER_MARK = {True: N_("名单内"), False: N_("名单外")}


def workbook(round_: LiveRound) -> bytes:
    book = Workbook()
    book.remove(book.active)
    standings = live_rules.player_standings(round_.id)
    # A round with a roster identity mode says who was on the roster (名单优先: others 名单外).
    by_roster = round_.identity_mode != "open"
    # The ranking's own order and tie-breaks (live_rules.player_standings): score, questions
    # answered, total time with an unanswered question at its full time, joining time.
    _sheet(book, _("选手"), [_("名次"), _("姓名"), _("单位"), _("部门"), _("得分"), _("答对题数"), _("作答题数"),
                          _("总用时（秒，未答按满时）")]
           + [_("名单")] * by_roster, (
        (s.rank, s.name, s.enterprise, s.department, s.score, s.correct, s.answered, round(s.time_ms / 1000, 1))
        + (_(ROSTER_MARK[s.on_roster]),) * by_roster
        for s in standings), [6, 12, 24, 14, 8, 10, 10, 14, 8])

    items = db.session.scalars(select(LiveQuestion).where(LiveQuestion.round_id == round_.id)
                               .order_by(LiveQuestion.position)).all()
    players = max(len(standings), 1)
    summary = []
    for item in items:
        dist = live_rules.distribution(round_.id, item.position, len(item.question.options))
        summary.append((
            item.position, item.question.uid, item.question.stem, _(item.question.type_label),
            _(item.question.answer_label), _("跳过") if item.skipped else (_("已出题") if item.started_at else _("未出题")),
            dist.answered, dist.right, dist.right / players,
        ))
    _sheet(book, pgettext("sheet", "题目"), [_("题号"), _("题目编号"), _("题目"), _("题型"), _("正确答案"), _("状态"), _("作答人数"),
                           _("答对人数"), _("答对率")], summary, [6, 12, 50, 8, 10, 8, 10, 10, 12], formats={9: "0.0%"})

    answers = db.session.execute(
        select(LiveAnswer.position, LivePlayer.name, Enterprise.name, LivePlayer.department,
               LivePlayer.roster_person_id.is_not(None), LiveAnswer.chosen, LiveAnswer.is_correct, LiveAnswer.response_ms,
               LiveAnswer.points + LiveAnswer.bonus, LiveAnswer.answered_at)
        .join(LivePlayer, LivePlayer.id == LiveAnswer.player_id)
        .join(Enterprise, Enterprise.id == LivePlayer.enterprise_id)
        .where(LiveAnswer.round_id == round_.id)
        .order_by(LiveAnswer.position, LiveAnswer.response_ms, LiveAnswer.id)
    ).all()
    by_position: dict[int, list] = {}
    for position, *row in answers:
        by_position.setdefault(position, []).append(row)
    for item in items:
        rows = (
            (name, enterprise, department, chosen, _("对") if ok else _("错"), round(ms / 1000, 2), points,
             clock.to_local(at).strftime("%H:%M:%S")) + (_(ROSTER_MARK[on_roster]),) * by_roster
            for name, enterprise, department, on_roster, chosen, ok, ms, points, at
            in by_position.get(item.position, [])
        )
        _sheet(book, _("第%(n)s题", n=item.position), [_("姓名"), _("单位"), _("部门"), _("所选答案"), _("对错"), _("用时（秒）"),
                                                        _("得分"), _("提交时间")] + [_("名单")] * by_roster, rows, [12, 24, 14, 10, 6, 10, 8, 10, 8])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
