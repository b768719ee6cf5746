"""Official 安全生产月 slogans (全国“安全生产月”活动宣传标语, seed notice 002 附件1)."""
from ..i18n import N_

# Marked for the catalogue; the poster shows them translated (contests/poster.html: _(slogan)).
SLOGANS = [
    N_("消除事故隐患　筑牢安全防线"),
    N_("生命至上　安全第一"),
    N_("生命重于泰山　守住安全底线"),
    N_("树牢安全发展理念　守住安全生产底线"),
    N_("发展决不能以牺牲安全为代价"),
    N_("事故是最大的成本　安全是最大的效益"),
    N_("安全生产必须警钟长鸣　常抓不懈"),
    N_("安全来自警惕　事故出于麻痹"),
    N_("你对违章讲人情　事故对你不留情"),
    N_("宁为安全受累　不为事故流泪"),
    N_("多看一眼安全保险　多防一步少出事故"),
    N_("我行动　我参与　我安全"),
    N_("安全为天　平安是福"),
    N_("安全生产人人有责"),
    N_("安全你我他　平安靠大家"),
    N_("道路千万条　安全第一条"),
]


def slogan_for(seed: int) -> str:
    return SLOGANS[seed % len(SLOGANS)]
