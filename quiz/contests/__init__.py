"""Contests: the organiser's pages (routes.py) and the phone's (phone_routes.py)."""
from ..i18n import N_

# Labels defined outside this package (quiz/models, quiz/clock) that its pages show: listed so
# that pybabel puts them in this package's catalogue; the pages translate them where they show
# them (``_(question.type_label)``, ``_(zone_label())``).
SHOWN_LABELS = (
    N_("单选题"), N_("多选题"), N_("判断题"),
    N_("开放"), N_("名单"), N_("名单优先"),
    N_("交卷后立即显示"), N_("竞赛结束后显示"), N_("不显示"),
    N_("北京时间"),
    # quiz.web's ``duration`` filter and the error page (translations/ has them too).
    N_("%(minutes)s分%(seconds)02d秒"), N_("%(seconds)s秒"), N_("出错了"), N_("返回首页"),
)
