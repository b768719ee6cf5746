"""Signed cookies and CSRF tokens are checked once per worker and remembered: what was
refused is still refused, expiry still counts, and nothing remembered can be changed."""
from __future__ import annotations

import time

import pytest
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from quiz.extensions import db
from quiz.models import AttemptQuestion
from quiz.signing import RememberingSerializer
from tests.conftest import question_of, shown_letters_for


def _forged(token: str) -> str:
    """One character of the signature changed (not the last: its low bits are padding)."""
    i = len(token) - 5
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def _signed_ago(seconds: int):
    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    return RememberingSerializer("key", salt="cookie-session", signer=Signer)


def test_a_forged_csrf_token_is_refused_after_the_real_one_passed(contest, enterprises, phone):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    item = question_of(attempt_id, 1)
    choice = shown_letters_for(item, item.question.answer)
    real = phone.token
    first = phone.post(f"/a/{attempt_id}/answer", {"position": "1", "choice": choice})
    assert first.status_code == 200

    phone.token = _forged(real)
    other = question_of(attempt_id, 2)
    refused = phone.post(f"/a/{attempt_id}/answer", {"position": "2", "choice": shown_letters_for(other, other.question.answer)})
    assert refused.status_code == 400
    assert "页面已过期" in refused.get_data(as_text=True)
    assert db.session.get(AttemptQuestion, other.id).chosen is None

    phone.token = real  # the real one still passes
    again = phone.post(f"/a/{attempt_id}/answer", {"position": "2", "choice": shown_letters_for(other, other.question.answer)})
    assert again.status_code == 200
    assert db.session.get(AttemptQuestion, other.id).chosen == other.question.answer


def test_a_tampered_session_cookie_is_a_new_session(contest, enterprises, phone):
    attempt_id = phone.attempt_id(phone.sign_up(contest.code, enterprise=enterprises[0].id))
    assert phone.get(f"/a/{attempt_id}").status_code == 200  # the cookie is remembered now
    cookie = phone.client.get_cookie("session")
    phone.client.set_cookie("session", _forged(cookie.value))
    page = phone.get(f"/a/{attempt_id}")
    assert page.status_code == 403
    assert "这不是您的答卷" in page.get_data(as_text=True)


def test_expiry_counts_for_a_remembered_cookie():
    serializer = _signed_ago(100)
    cookie = serializer.dumps({"participant_id": 7})
    assert serializer.loads(cookie, max_age=1000) == {"participant_id": 7}  # remembered
    with pytest.raises(SignatureExpired):
        serializer.loads(cookie, max_age=50)
    with pytest.raises(BadSignature):
        serializer.loads(_forged(cookie), max_age=1000)


def test_what_is_handed_out_cannot_change_what_is_remembered():
    serializer = _signed_ago(0)
    plain = serializer.dumps({"participant_id": 7})
    serializer.loads(plain)["participant_id"] = 8
    assert serializer.loads(plain) == {"participant_id": 7}
    # A list inside (flashed messages) is decoded afresh every time, never remembered.
    flashes = serializer.dumps({"_flashes": [["info", "已保存"]]})
    serializer.loads(flashes)["_flashes"].append(["info", "别的"])
    assert serializer.loads(flashes) == {"_flashes": [["info", "已保存"]]}
