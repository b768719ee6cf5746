from flask_babel import lazy_gettext as _l

from ..forms import Form, strip
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from .participants import identifier_error, normalise_identifier


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# The first entry of a unit list: nothing chosen yet, so a phone that skips the list is asked
# to choose instead of being credited to the first unit (``validate_enterprise`` refuses it).
CHOOSE_UNIT = ("", _l("请选择单位"))


class UnitForm(Form):
    """Who someone is in the hall: name, 单位 (from the allowed list) and 部门."""

    name = StringField(
        _l("姓名"),
        filters=[strip],
        validators=[DataRequired(_l("请填写姓名。")), Length(max=20, message=_l("姓名不能超过 20 个字。"))],
    )
    enterprise = SelectField(_l("单位"), coerce=_int_or_none, validate_choice=False)
    department = StringField(
        _l("部门"),
        filters=[strip],
        validators=[DataRequired(_l("请填写部门。")), Length(max=30, message=_l("部门不能超过 30 个字。"))],
    )

    def validate_enterprise(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("请选择单位。"))


class SignupForm(UnitForm):
    """A contest's sign-up: identity is the enterprise plus phone number or 工号."""

    identifier = StringField(
        _l("手机号或工号"),
        filters=[normalise_identifier],
        validators=[DataRequired(_l("请填写手机号或工号。"))],
    )

    def validate_identifier(self, field):
        error = identifier_error(field.data)
        if error:
            raise ValidationError(error)
