"""The base form: CSRF from Flask-WTF, built-in WTForms messages in Chinese."""
from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        locales = ["zh"]
