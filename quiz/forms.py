"""The base form: CSRF from Flask-WTF, built-in WTForms messages in the page's language, and text cleaned
of control characters in every text field of every form.

Control characters (C0 U+0000–U+001F, DEL, C1 U+0080–U+009F) never reach the database from a
form: a name like "\\x1b[31m张三" is stored as "[31m张三", and the length limits are checked on
the cleaned text. One-line fields (names, 部门, titles…) keep none of them: a tab, line feed or
carriage return becomes a space (then trimmed like any space), the rest is dropped. Multi-line
fields (``TextAreaField``: stems, options, explanations, lists of 编号) keep their line breaks
(CR LF and CR become LF), tabs become spaces. Passwords are left exactly as typed.
"""
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

_CONTROLS = [*range(0x20), *range(0x7F, 0xA0)]
_ONE_LINE = dict.fromkeys(_CONTROLS) | {ord("\t"): " ", ord("\n"): " ", ord("\r"): " "}
_MULTI_LINE = dict.fromkeys(_CONTROLS) | {ord("\t"): " ", ord("\n"): "\n"}


def clean_line(value):
    """One line of text without control characters (see the module docstring)."""
    return value.translate(_ONE_LINE) if isinstance(value, str) else value


def clean_block(value):
    """Multi-line text without control characters, line breaks kept as LF."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_MULTI_LINE)


class Form(FlaskForm):
    class Meta:
        @property
        def locales(self):
            """WTForms' own catalogue (config WTF_I18N_ENABLED is off): Chinese, or English."""
            return ["en"] if str(get_locale()) == "en" else ["zh"]

        def bind_field(self, form, unbound_field, options):
            """Every text field cleans its input first, before its own filters and validators."""
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
                clean = clean_block if issubclass(kind, TextAreaField) else clean_line
                options = dict(options, filters=[clean, *unbound_field.kwargs.get("filters", ())])
            return unbound_field.bind(form=form, **options)


def strip(value):
    """Field filter: surrounding spaces never count (phones add them)."""
    return value.strip() if isinstance(value, str) else value
