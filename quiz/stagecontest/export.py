"""A stage contest as .xlsx: teams and scores, questions, every press and every judgement
(with the server's timestamps to the millisecond), and the corrections log."""
from __future__ import annotations

import io

from openpyxl import Workbook
from flask_babel import gettext as _, pgettext
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..live.export import _sheet
from ..models import SEGMENT_LABELS, StageContest, StageItem, StagePress, User
from . import rules
from ..i18n import N_  # marks a message for extraction; translated where shown


KIND_LABELS = {"answer": N_("判定"), "pass": N_("放弃（交下一位）"), "foul": N_("抢跑犯规")}


def _ms(moment) -> str:
    """Server time, local, to the millisecond (text: Excel keeps no milliseconds reliably)."""
    local = clock.to_local(moment)
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}" if local else ""


def workbook(contest: StageContest) -> bytes:
    book = Workbook()
    book.remove(book.active)
    teams = {t.id: t for t in rules.teams(contest)}
    users = {u.id: u.username for u in db.session.scalars(select(User))}
    items = {i.id: i for i in db.session.scalars(select(StageItem).where(StageItem.contest_id == contest.id)
                                                 .order_by(StageItem.seq))}
    _sheet(book, _("代表队得分"), [_("名次"), _("代表队"), _("单位"), _("队员"), _("得分")], (
        [s.rank, s.name, s.unit, teams[s.team_id].members, s.score] for s in rules.team_scores(contest)),
        [8, 24, 30, 30, 10])
    _sheet(book, pgettext("sheet", "题目"), [_("序号"), _("环节"), _("题目编号"), _("题干"), _("作答代表队"), _("风险分值"), _("分值"),
                           _("出题时间"), _("解锁时间"), _("结束时间")], (
        [i.seq, _(SEGMENT_LABELS[i.segment]), i.question.uid, i.question.stem,
         teams[i.team_id].name if i.team_id else "", i.stake, i.points, _ms(i.shown_at),
         _ms(i.unlocked_at), _ms(i.closed_at)] for i in items.values()),
        [6, 10, 14, 50, 20, 10, 8, 26, 26, 26])
    presses = db.session.scalars(select(StagePress).join(StageItem, StageItem.id == StagePress.item_id)
                                 .where(StageItem.contest_id == contest.id)
                                 .order_by(StageItem.seq, StagePress.received_at, StagePress.id)).all()
    ranks: dict[int, int] = {}
    for item in items.values():
        for rank, found in enumerate(rules.buzz_order(item), start=1):
            ranks[found.id] = rank
    rows = []
    for p in presses:
        item = items[p.item_id]
        after = (p.received_at - item.unlocked_at).total_seconds() * 1000 if item.unlocked_at else None
        rows.append([item.seq, teams[p.team_id].name, _ms(p.received_at),
                     None if after is None else round(after, 1), _("抢跑犯规") if p.foul else _("有效"), ranks.get(p.id)])
    _sheet(book, _("抢答记录"), [_("题序"), _("代表队"), _("服务器接收时间"), _("距解锁（毫秒）"), _("类型"), _("抢答顺序")],
           rows,
           [6, 24, 26, 14, 10, 10])
    _sheet(book, _("判定"), [_("题序"), _("代表队"), _("类型"), _("结果"), _("得分"), _("判定人"), _("服务器时间")], (
        [items[j.item_id].seq, teams[j.team_id].name, _(KIND_LABELS[j.kind]),
         (_("正确") if j.correct else _("错误")) if j.kind == "answer" else "", j.points,
         users.get(j.judged_by, _("（规则）")), _ms(j.judged_at)] for j in rules.judgements(contest)),
        [6, 24, 16, 8, 8, 16, 26])
    _sheet(book, _("更正记录"), [_("时间"), _("更正人"), _("代表队"), _("对象"), _("分数变化"), _("更正前总分"), _("更正后总分"),
                            _("原因")], (
        [_ms(c.at), users.get(c.by_id, ""), teams[c.team_id].name,
         _("判定 #%(n)s", n=c.judgement_id) if c.judgement_id else _("总分调整"), c.delta, c.score_before, c.score_after, c.reason]
        for c in rules.corrections(contest)), [26, 16, 24, 14, 10, 12, 12, 40])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
