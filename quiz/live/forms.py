from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..contests.forms import MultiCheckboxField
from ..forms import Form, strip
from .rules import MAX_QUESTIONS, MAX_SECONDS, MAX_STREAM_DELAY, MIN_SECONDS
from ..contests.phone_forms import SignupForm


class RoundForm(Form):
    title = StringField(_l("名称"), filters=[strip], validators=[
        DataRequired(_l("请填写名称。")), Length(max=120, message=_l("名称不能超过 120 个字。"))])
    source = RadioField(_l("出题方式"), default="draw", choices=[
        ("draw", _l("从所选分类随机抽题")), ("pick", _l("指定题目编号"))])
    category_ids = MultiCheckboxField(_l("分类"), coerce=int)
    count = IntegerField(_l("题目数量"), default=10, validators=[
        Optional(), NumberRange(1, MAX_QUESTIONS, _l("题目数量应在 1 到 %(n)s 之间。", n=MAX_QUESTIONS))])
    uids = TextAreaField(_l("题目编号（每行一个，按出题顺序）"), filters=[strip])
    question_seconds = IntegerField(_l("每题时间（秒）"), default=20, validators=[
        InputRequired(_l("请填写每题时间。")),
        NumberRange(MIN_SECONDS, MAX_SECONDS,
                    _l("每题时间应在 %(min)s 到 %(max)s 秒之间。", min=MIN_SECONDS, max=MAX_SECONDS))])
    scoring = RadioField(_l("计分方式"), default="speed", choices=[
        ("speed", _l("抢答计分：答对得 500–1000 分，越快越多")),
        ("count", _l("按答对题数计分，用时少者排前")),
        ("accuracy", _l("只计正确率（直播答题）：每答对一题 100 分，不设连对奖励和部分得分，总用时少者排前"))])
    streak = BooleanField(_l("连对奖励（第 2 题起每连对一题 +100，最多 +500）"))
    multi_partial = RadioField(_l("多选题计分"), default="all", choices=[
        ("all", _l("全部选对才得分")), ("partial", _l("少选按比例得分，错选不得分"))])
    question_on_phone = BooleanField(_l("手机上也显示题目（不勾选则只在大屏显示）"), default=True)
    stream_delay = IntegerField(_l("直播延迟（秒，直播答题用；手机比大屏晚这么多秒出题，现场答题填 0）"), default=0,
                                validators=[
        Optional(),  # left empty: 0, a round in the hall
        NumberRange(0, MAX_STREAM_DELAY, _l("直播延迟应在 0 到 %(max)s 秒之间。", max=MAX_STREAM_DELAY))])
    # The labels of IDENTITY_LABELS (开放 / 名单 / 名单优先), each with what it means.
    identity_mode = RadioField(_l("参与方式"), default="open", choices=[
        ("open", _l("开放：填写姓名和单位即可加入")),
        ("roster", _l("名单：只限花名册上的人员，姓名与工号或手机号须一致")),
        ("roster_first", _l("名单优先：花名册人员自动识别，其他人也可加入，标为名单外")),
    ])

# A phone joins a live round with the fields of a contest's sign-up. Identity in the hall is the
# signed cookie token; only a round with a roster identity mode asks for the phone number or 工号
# (the view removes the field in an open round).
JoinForm = SignupForm
