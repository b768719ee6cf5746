"""The base form: CSRF from Flask-WTF, built-in WTForms messages in Chinese."""
from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        locales = ["zh"]


def strip(value):
    """Field filter: surrounding spaces never count (phones add them)."""
    return value.strip() if isinstance(value, str) else value
