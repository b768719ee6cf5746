"""The campaign's settings: the composite index weights (综合指数权重), who may practise, and
what its certificates print (the issuing body and its seal)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField
from wtforms import RadioField, StringField
from wtforms.validators import Length

from ..forms import Form, strip
from ..models import IDENTITY_LABELS

MAX_WEIGHT = Decimal("100")


def parse_weight(raw: str | None) -> tuple[float | None, str | None]:
    """A weight typed by the organiser: a decimal >= 0 with at most two places."""
    text = (raw or "").strip().replace("，", ".").replace("。", ".")
    if not text:
        return None, "请填写权重。"
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"“{text[:20]}”不是数字，请填写如 0.5 的小数。"
    if not value.is_finite():
        return None, f"“{text[:20]}”不是数字，请填写如 0.5 的小数。"
    if value < 0:
        return None, "权重不能小于 0。"
    if value > MAX_WEIGHT:
        return None, "权重不能大于 100。"
    if value != value.quantize(Decimal("0.01")):
        return None, "权重最多保留两位小数。"
    return float(value), None


class WeightsForm(Form):
    weight_participation = StringField("参与率权重", filters=[strip])
    weight_score = StringField("平均分权重", filters=[strip])
    practice_identity_mode = RadioField("练习的参与方式", default="open", choices=[
        ("open", f"{IDENTITY_LABELS['open']}：任何人登记即可练习"),
        ("roster", f"{IDENTITY_LABELS['roster']}：只限各单位花名册上的人员（姓名与工号或手机号须一致）"),
        ("roster_first", f"{IDENTITY_LABELS['roster_first']}：花名册人员自动识别，其他人也可练习"),
    ], validate_choice=True)

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
            self.weight_score.errors = [*self.weight_score.errors, "两个权重不能都为 0。"]
            ok = False
        self.values = values
        return ok


ISSUER_MAX = 80  # Campaign.certificate_issuer is a String(80)


class CertificateForm(Form):
    issuer = StringField("主办单位（印在证书落款处）", filters=[strip],
                         validators=[Length(max=ISSUER_MAX, message=f"主办单位最多 {ISSUER_MAX} 个字。")])
    seal = FileField("印章图片（PNG 或 JPG，不超过 300 KB）")
