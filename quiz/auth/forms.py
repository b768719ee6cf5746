from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..forms import Form


class LoginForm(Form):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。"))])
