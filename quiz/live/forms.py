from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..contests.forms import MultiCheckboxField
from ..forms import Form, strip
from .rules import MAX_QUESTIONS, MAX_SECONDS, MAX_STREAM_DELAY, MIN_SECONDS
from ..models import IDENTITY_LABELS
from ..contests.phone_forms import SignupForm


class RoundForm(Form):
    title = StringField("名称", filters=[strip], validators=[
        DataRequired("请填写名称。"), Length(max=120, message="名称不能超过 120 个字。")])
    source = RadioField("出题方式", default="draw", choices=[
        ("draw", "从所选分类随机抽题"), ("pick", "指定题目编号")])
    category_ids = MultiCheckboxField("分类", coerce=int)
    count = IntegerField("题目数量", default=10, validators=[
        Optional(), NumberRange(1, MAX_QUESTIONS, f"题目数量应在 1 到 {MAX_QUESTIONS} 之间。")])
    uids = TextAreaField("题目编号（每行一个，按出题顺序）", filters=[strip])
    question_seconds = IntegerField("每题时间（秒）", default=20, validators=[
        InputRequired("请填写每题时间。"),
        NumberRange(MIN_SECONDS, MAX_SECONDS, f"每题时间应在 {MIN_SECONDS} 到 {MAX_SECONDS} 秒之间。")])
    scoring = RadioField("计分方式", default="speed", choices=[
        ("speed", "抢答计分：答对得 500–1000 分，越快越多"),
        ("count", "按答对题数计分，用时少者排前"),
        ("accuracy", "只计正确率（直播答题）：每答对一题 100 分，不设连对奖励和部分得分，总用时少者排前")])
    streak = BooleanField("连对奖励（第 2 题起每连对一题 +100，最多 +500）")
    multi_partial = RadioField("多选题计分", default="all", choices=[
        ("all", "全部选对才得分"), ("partial", "少选按比例得分，错选不得分")])
    question_on_phone = BooleanField("手机上也显示题目（不勾选则只在大屏显示）", default=True)
    stream_delay = IntegerField("直播延迟（秒，直播答题用；手机比大屏晚这么多秒出题，现场答题填 0）", default=0,
                                validators=[
        Optional(),  # left empty: 0, a round in the hall
        NumberRange(0, MAX_STREAM_DELAY, f"直播延迟应在 0 到 {MAX_STREAM_DELAY} 秒之间。")])
    identity_mode = RadioField("参与方式", default="open", choices=[
        ("open", f"{IDENTITY_LABELS['open']}：填写姓名和单位即可加入"),
        ("roster", f"{IDENTITY_LABELS['roster']}：只限花名册上的人员，姓名与工号或手机号须一致"),
        ("roster_first", f"{IDENTITY_LABELS['roster_first']}：花名册人员自动识别，其他人也可加入，标为名单外"),
    ])


# A phone joins a live round with the fields of a contest's sign-up. Identity in the hall is the
# signed cookie token; only a round with a roster identity mode asks for the phone number or 工号
# (the view removes the field in an open round).
JoinForm = SignupForm
