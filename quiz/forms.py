"""The base form: CSRF from Flask-WTF, built-in WTForms messages in the page's language."""
from flask_babel import get_locale
from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        @property
        def locales(self):
            """WTForms' own catalogue (config WTF_I18N_ENABLED is off): Chinese, or English."""
            return ["en"] if str(get_locale()) == "en" else ["zh"]


def strip(value):
    """Field filter: surrounding spaces never count (phones add them)."""
    return value.strip() if isinstance(value, str) else value
