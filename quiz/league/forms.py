"""The campaign's settings: the composite index weights (综合指数权重), who may practise, and
what its certificates print (the issuing body and its seal)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, StringField
from wtforms.validators import Length

from ..forms import Form, strip
from ..models import IDENTITY_LABELS
from ..i18n import N_  # marks a message for extraction; translated where shown

MAX_WEIGHT = Decimal("100")


def parse_weight(raw: str | None) -> tuple[float | None, str | None]:
    """A weight typed by the organiser: a decimal >= 0 with at most two places."""
    text = (raw or "").strip().replace("，", ".").replace("。", ".")
    if not text:
        return None, _("请填写权重。")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, _("“%(text)s”不是数字，请填写如 0.5 的小数。", text=text[:20])
    if not value.is_finite():
        return None, _("“%(text)s”不是数字，请填写如 0.5 的小数。", text=text[:20])
    if value < 0:
        return None, _("权重不能小于 0。")
    if value > MAX_WEIGHT:
        return None, _("权重不能大于 100。")
    if value != value.quantize(Decimal("0.01")):
        return None, _("权重最多保留两位小数。")
    return float(value), None


# IDENTITY_LABELS (quiz/models) in this catalogue too: the choices below show them.
N_("开放"), N_("名单"), N_("名单优先")


def _identity_choices() -> list[tuple[str, str]]:
    """Who may practise, in the reader's language (asked for when the form is built)."""
    return [
        ("open", _("%(mode)s：任何人登记即可练习", mode=_(IDENTITY_LABELS["open"]))),
        ("roster", _("%(mode)s：只限各单位花名册上的人员（姓名与工号或手机号须一致）",
                     mode=_(IDENTITY_LABELS["roster"]))),
        ("roster_first", _("%(mode)s：花名册人员自动识别，其他人也可练习", mode=_(IDENTITY_LABELS["roster_first"]))),
    ]


class WeightsForm(Form):
    weight_participation = StringField(_l("参与率权重"), filters=[strip])
    weight_score = StringField(_l("平均分权重"), filters=[strip])
    practice_identity_mode = RadioField(_l("练习的参与方式"), default="open", choices=_identity_choices,
                                        validate_choice=True)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        values = {}
        for field in (self.weight_participation, self.weight_score):
            value, problem = parse_weight(field.data)
            if problem:
                field.errors = [*field.errors, problem]
                ok = False
            values[field.name] = value
        if ok and values["weight_participation"] + values["weight_score"] <= 0:
            self.weight_score.errors = [*self.weight_score.errors, _("两个权重不能都为 0。")]
            ok = False
        self.values = values
        return ok


ISSUER_MAX = 80  # Campaign.certificate_issuer is a String(80)


class CertificateForm(Form):
    issuer = StringField(_l("主办单位（印在证书落款处）"), filters=[strip],
                         validators=[Length(max=ISSUER_MAX, message=_l("主办单位最多 %(max)d 个字。"))])
    seal = FileField(_l("印章图片（PNG 或 JPG，不超过 300 KB）"))
