"""Page weight on a weak network: a question page under 20 KB, the whole first visit under 100 KB
(uncompressed bytes, as the test client receives them)."""
from __future__ import annotations

import re

from .conftest import make_contest


def test_question_page_and_first_visit_are_light(app, enterprises, phone):
    contest = make_contest(question_count=20)
    join = phone.get(f"/j/{contest.code}")
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    question = phone.get(f"/a/{attempt_id}?q=1")
    assert len(question.data) < 20 * 1024, len(question.data)
    fragment = phone.get(f"/a/{attempt_id}?q=1", htmx=True)  # the same question, without the page
    assert len(fragment.data) < len(question.data)
    statics = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', join.get_data(as_text=True)))
    assert statics, "the page links its static files"
    static_bytes = 0
    for path in statics:
        response = phone.get(path)
        assert response.status_code == 200
        assert response.cache_control.max_age >= 86400  # cached after the first visit
        static_bytes += len(response.data)
        response.close()
    first_visit = len(join.data) + static_bytes + len(question.data)
    assert first_visit < 100 * 1024, first_visit
