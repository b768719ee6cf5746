from ..forms import Form, strip
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {value for value, *_ in self.choices}
        if any(value not in known for value in self.data or []):
            raise ValidationError("选择的项目不存在。")


def _int_list(values):
    return int(values)


class ContestForm(Form):
    title = StringField(
        "竞赛名称",
        filters=[strip],
        validators=[DataRequired("请填写竞赛名称。"), Length(max=120, message="名称不能超过 120 个字。")],
    )
    campaign = SelectField("所属活动", coerce=int)
    opens_at = DateTimeLocalField(
        "开始时间", format="%Y-%m-%dT%H:%M", validators=[InputRequired("请填写开始时间。")]
    )
    closes_at = DateTimeLocalField(
        "结束时间", format="%Y-%m-%dT%H:%M", validators=[InputRequired("请填写结束时间。")]
    )
    question_count = IntegerField(
        "题目数量",
        default=10,
        validators=[InputRequired("请填写题目数量。"), NumberRange(1, 100, "题目数量应在 1 到 100 之间。")],
    )
    time_limit_minutes = IntegerField(
        "答题限时（分钟）",
        default=10,
        validators=[InputRequired("请填写答题限时。"), NumberRange(1, 180, "限时应在 1 到 180 分钟之间。")],
    )
    points_per_question = IntegerField(
        "每题分值",
        default=10,
        validators=[InputRequired("请填写每题分值。"), NumberRange(1, 100, "每题分值应在 1 到 100 之间。")],
    )
    categories = MultiCheckboxField("题目分类（从中随机抽题）", coerce=_int_list)
    open_to_all = RadioField(
        "参赛单位", choices=[("all", "所有单位"), ("listed", "仅限下列单位")], default="all"
    )
    enterprises = MultiCheckboxField("", coerce=_int_list)
