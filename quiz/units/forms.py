"""Forms of the units and accounts pages. They carry CSRF and the raw values; the rules
(ranges, allowed industries, uniqueness) live in ``quiz.units.rules`` so import and forms agree."""
from flask_babel import lazy_gettext as _l, lazy_pgettext
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form, strip
from .rules import INDUSTRIES


class EnterpriseForm(Form):
    name = StringField(_l("单位名称"), filters=[strip])
    headcount = StringField(_l("应参与人数"), filters=[strip])
    region = StringField(_l("所属镇（街）"), filters=[strip])
    industry = SelectField(_l("行业"), choices=[("", _l("请选择行业")), *[(i, _l(i)) for i in INDUSTRIES]],
                           validate_choice=False)
    departments = TextAreaField(_l("部门（车间）：每行一个，或用顿号分隔（可留空，以后再加）"), filters=[strip])


class ImportForm(Form):
    file = FileField(_l("单位名单（.xlsx）"), validators=[FileRequired(_l("请选择要导入的文件。"))])


class DepartmentForm(Form):
    """Add (no id), or rename / set headcount (with the department's id)."""

    name = StringField(_l("部门名称"), filters=[strip])
    headcount = StringField(_l("人数"), filters=[strip])


class AdminAccountForm(Form):
    username = StringField(_l("用户名"), filters=[strip], validators=[
        DataRequired(_l("请填写用户名。")),
        Length(min=2, max=64, message=_l("用户名应为 2 到 64 个字符。")),
    ])
    enterprise = SelectField(lazy_pgettext("field", "单位"), validate_choice=False)
    password = PasswordField(_l("密码（至少 8 位）"), validators=[
        DataRequired(_l("请填写密码。")),
        Length(min=8, max=128, message=_l("密码应为 8 到 128 位。")),
    ])


class ResetPasswordForm(Form):
    password = PasswordField(_l("新密码（至少 8 位）"), validators=[
        DataRequired(_l("请填写新密码。")),
        Length(min=8, max=128, message=_l("密码应为 8 到 128 位。")),
    ])
