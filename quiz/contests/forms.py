from flask_babel import lazy_gettext as _l

from ..forms import Form, strip
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    TextAreaField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import IDENTITY_LABELS, REVIEW_LABELS

IDENTITY_HELP = {
    "open": _l("任何人填写姓名和手机号/工号即可参加"),
    "roster": _l("仅限各单位花名册人员，姓名和工号/手机号须与花名册一致"),
    "roster_first": _l("花名册人员按名单识别；名单外人员也可参加，标记为“名单外”，不计入参与率"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {value for value, *_ in self.choices}
        if any(value not in known for value in self.data or []):
            raise ValidationError(_l("选择的项目不存在。"))


def _int_list(values):
    return int(values)


class ContestForm(Form):
    title = StringField(
        _l("竞赛名称"),
        filters=[strip],
        validators=[DataRequired(_l("请填写竞赛名称。")), Length(max=120, message=_l("名称不能超过 120 个字。"))],
    )
    description = TextAreaField(
        _l("竞赛说明（可选，显示在报名页和海报上）"), filters=[strip],
        validators=[Length(max=500, message=_l("说明不能超过 500 个字。"))],
    )
    campaign = SelectField(_l("所属活动"), coerce=int)
    opens_at = DateTimeLocalField(
        _l("开始时间"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("请填写开始时间。"))]
    )
    closes_at = DateTimeLocalField(
        _l("结束时间"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("请填写结束时间。"))]
    )
    question_count = IntegerField(
        _l("题目数量"),
        default=10,
        validators=[InputRequired(_l("请填写题目数量。")), NumberRange(1, 100, _l("题目数量应在 1 到 100 之间。"))],
    )
    time_limit_minutes = IntegerField(
        _l("答题限时（分钟）"),
        default=10,
        validators=[InputRequired(_l("请填写答题限时。")), NumberRange(1, 180, _l("限时应在 1 到 180 分钟之间。"))],
    )
    per_question_seconds = IntegerField(
        _l("逐题限时（秒，留空则按整卷限时）"),
        validators=[Optional(), NumberRange(5, 600, _l("逐题限时应在 5 到 600 秒之间。"))],
    )
    points_single = IntegerField(_l("单选题分值"), default=10, validators=[
        InputRequired(_l("请填写分值。")), NumberRange(1, 100, _l("分值应在 1 到 100 之间。"))])
    points_multi = IntegerField(_l("多选题分值"), default=10, validators=[
        InputRequired(_l("请填写分值。")), NumberRange(1, 100, _l("分值应在 1 到 100 之间。"))])
    points_judge = IntegerField(_l("判断题分值"), default=10, validators=[
        InputRequired(_l("请填写分值。")), NumberRange(1, 100, _l("分值应在 1 到 100 之间。"))])
    multi_partial = RadioField(_l("多选题计分"), default="all", choices=[
        ("all", _l("全部选对才得分")), ("partial", _l("少选按比例得分，错选不得分"))])
    max_attempts = IntegerField(_l("答题次数"), default=1, validators=[
        InputRequired(_l("请填写答题次数。")), NumberRange(1, 100, _l("答题次数应在 1 到 100 之间。"))])
    attempts_per_day = RadioField(_l("次数计算"), default="total", choices=[
        ("total", _l("整个竞赛期间")), ("day", _l("每天"))])
    pass_score = DecimalField(_l("及格分（留空则不设）"), places=None, validators=[
        Optional(), NumberRange(0, 100000, _l("及格分不能为负数。"))])
    ranking = RadioField(_l("排名计入"), default="best", choices=[("best", _l("最好一次成绩")), ("latest", _l("最近一次成绩"))])
    leave_limit = IntegerField(_l("离开页面超过几次自动交卷（留空则只记录）"), validators=[
        Optional(), NumberRange(0, 100, _l("次数应在 0 到 100 之间。"))])
    fixed_paper = TextAreaField(_l("固定试卷：题目编号（每行或用逗号分隔；填写后忽略抽题设置）"), filters=[strip])
    categories = MultiCheckboxField(_l("题目分类（未按题型设置数量时，从中随机抽题）"), coerce=_int_list)
    open_to_all = RadioField(
        _l("参赛单位"), choices=[("all", _l("所有单位")), ("listed", _l("仅限下列单位"))], default="all"
    )
    enterprises = MultiCheckboxField("", coerce=_int_list)
    identity_mode = RadioField(_l("参赛身份"), default="open", choices=[
        (mode, _l("%(label)s：%(help)s", label=_l(label), help=IDENTITY_HELP[mode]))
        for mode, label in IDENTITY_LABELS.items()])
    review_mode = RadioField(_l("正确答案、解析和依据"), default="after_close", choices=[(mode, _l(label)) for mode, label in REVIEW_LABELS.items()])


class StartedContestForm(Form):
    """What may change once someone has started (quiz/contests/lifecycle.py)."""

    title = ContestForm.title
    description = ContestForm.description
    closes_at = ContestForm.closes_at
    pass_score = ContestForm.pass_score


class CloseTimeForm(Form):
    """延长: a new close time."""

    closes_at = ContestForm.closes_at
