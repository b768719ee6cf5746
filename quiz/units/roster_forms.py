"""Forms of the roster pages. They carry CSRF and the raw values; the rules (identifiers,
departments, clashes) live in ``quiz.units.rosters`` so that the form and the import agree."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField

from ..forms import Form, strip


class PersonForm(Form):
    name = StringField(_l("姓名"), filters=[strip])
    staff_no = StringField(_l("工号"), filters=[strip])
    phone = StringField(_l("手机号"), filters=[strip])
    department = SelectField(_l("部门"), validate_choice=False)


class RosterImportForm(Form):
    file = FileField(_l("花名册（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择要导入的文件。"))])
