from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import Form, strip


class EnterpriseForm(Form):
    name = StringField(
        "单位名称",
        filters=[strip],
        validators=[DataRequired("请填写单位名称。"), Length(max=120, message="名称不能超过 120 个字。")],
    )
    headcount = IntegerField(
        "应参与人数",
        validators=[InputRequired("请填写应参与人数。"), NumberRange(0, 1_000_000, "人数应在 0 到 1000000 之间。")],
    )
    region = StringField("所属镇（街）", filters=[strip], validators=[Length(max=60)])
    industry = StringField("行业", filters=[strip], validators=[Length(max=60)])
