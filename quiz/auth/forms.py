from ..forms import Form
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired("请填写用户名。")])
    password = PasswordField("密码", validators=[DataRequired("请填写密码。")])
