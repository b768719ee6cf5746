"""Server-side SVG charts (quiz/reports/charts.py): valid XML, honest bars, escaped text, no data."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from quiz.reports.charts import bar_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


def test_a_bar_chart_is_valid_svg_with_title_desc_and_viewbox():
    svg = bar_chart(["6/15", "6/16", "6/17"], [("参与人数", [3, 12, 7])], "每日参与情况", ident="daily")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 720 360" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "daily-title daily-desc"
    assert root.find(f"{SVG}title").text == "每日参与情况"
    assert root.find(f"{SVG}desc").text == "6/15：参与人数 3；6/16：参与人数 12；6/17：参与人数 7"
    # Values above the bars, labels under them, nothing fetched or run.
    assert {"3", "12", "7", "6/15", "6/16", "6/17"} <= set(texts(root))
    assert "<script" not in str(svg) and "href" not in str(svg) and "@import" not in str(svg)


def test_bar_heights_are_proportional_to_the_values():
    root = parse(bar_chart(["a", "b", "c", "d"], [("n", [10, 20, 40, 0])], "t"))
    heights = [float(r.get("height")) for r in bars(root)]
    assert heights[3] == 0
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == pytest.approx(4 * heights[0])
    # The bars stand on one baseline.
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in bars(root)}
    assert len(bottoms) == 1
    assert [r.get("data-value") for r in bars(root)] == ["10", "20", "40", "0"]


def test_two_series_are_grouped_bars_with_a_legend():
    root = parse(bar_chart(["6/1", "6/2"], [("参与人数", [2, 4]), ("参与人次", [3, 6])], "每日"))
    assert len(bars(root)) == 4
    heights = [float(r.get("height")) for r in bars(root)]  # label by label, series by series
    assert heights[1] == pytest.approx(1.5 * heights[0], abs=0.2)
    assert heights[3] == pytest.approx(2 * heights[1], abs=0.2)
    assert "参与人数" in texts(root) and "参与人次" in texts(root)


def test_labels_and_titles_are_escaped():
    svg = bar_chart(["<script>alert(1)</script>", "A&B"], [("<b>人</b>", [1, 2])], 'x"><svg onload=1>')
    text = str(svg)
    assert "<script>" not in text and "<b>" not in text and "onload=1>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "A&amp;B" in text
    root = parse(svg)  # still well-formed
    assert "<script>alert(1)</script>" in texts(root)
    assert root.find(f"{SVG}title").text == 'x"><svg onload=1>'


@pytest.mark.parametrize("labels, values", [([], []), (["a", "b"], [0, 0])])
def test_no_data_gives_a_chart_saying_so(labels, values):
    root = parse(bar_chart(labels, [("人数", values)], "成绩分布"))
    assert "暂无数据" in texts(root) and not bars(root)
    assert root.find(f"{SVG}desc").text == "暂无数据"


def test_axis_ticks_are_round_numbers():
    assert nice_ticks(87) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(100) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(3) == [0, 1, 2, 3]
    assert nice_ticks(1) == [0, 1]
    assert nice_ticks(12000) == [0, 5000, 10000, 15000]
    root = parse(bar_chart(["a"], [("n", [87])], "t"))
    assert {"0", "20", "40", "60", "80", "100"} <= set(texts(root))


def test_many_labels_are_thinned_out_but_every_bar_is_drawn():
    labels = [f"6/{d}" for d in range(1, 31)]
    root = parse(bar_chart(labels, [("n", list(range(1, 31)))], "t"))
    assert len(bars(root)) == 30
    shown = [t for t in texts(root) if t in labels]
    assert 5 <= len(shown) < 30 and shown[0] == "6/1"


def test_series_must_match_the_labels():
    with pytest.raises(ValueError):
        bar_chart(["a", "b"], [("n", [1])], "t")
