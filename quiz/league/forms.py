"""The campaign's composite index weights (综合指数权重)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import StringField

from ..forms import Form, strip

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
