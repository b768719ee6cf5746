"""The session cookie and the CSRF token, each signature checked once per worker.

A phone sends the same signed session cookie and the same CSRF token with each of the ~25
requests of a contest, and checking them (HMACs, base64, JSON, a serializer built per
request) was about 6 % of what an answer costs the server. Whether a signature is good
depends only on the signed string and the secret key, so a worker checks a string once and
remembers what it decoded to. A string that fails is never remembered: it is checked again
every time. Expiry is still checked on every request, against the time signed into the
string.
"""
from __future__ import annotations

import hmac
import time
from collections import OrderedDict

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

# Enough for every phone of a large hall per worker; the oldest is forgotten first.
REMEMBERED = 8192

# A remembered payload is handed out again; only values nobody can change in place are
# remembered (a session holding a list, e.g. flashed messages, is decoded afresh).
_IMMUTABLE = (str, int, float, bool, type(None))


class _Remembered(OrderedDict):
    def remember(self, key, value) -> None:
        self[key] = value
        if len(self) > REMEMBERED:
            self.popitem(last=False)


class RememberingSerializer(URLSafeTimedSerializer):
    """``loads`` that checks each distinct signed string's signature once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked = _Remembered()

    def loads(self, s, max_age=None, return_timestamp=False, salt=None):
        if salt is not None:
            return super().loads(s, max_age=max_age, return_timestamp=return_timestamp, salt=salt)
        key = want_bytes(s)
        hit = self._checked.get(key)
        if hit is None:
            # Raises BadSignature for a forged or damaged string: nothing is remembered.
            hit = super().loads(key, return_timestamp=True)
            payload = hit[0]
            if isinstance(payload, dict) and all(isinstance(v, _IMMUTABLE) for v in payload.values()):
                self._checked.remember(key, hit)
        payload, signed_at = hit
        if max_age is not None:
            age = int(time.time()) - int(signed_at.timestamp())
            if age > max_age or age < 0:  # as TimestampSigner.unsign decides
                raise SignatureExpired(f"Signature age {age} outside 0..{max_age} seconds",
                                       payload=payload, date_signed=signed_at)
        if isinstance(payload, dict):
            payload = dict(payload)  # the caller's own copy
        return (payload, signed_at) if return_timestamp else payload


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with one remembering serializer per secret key
    (Flask builds a new serializer for every request)."""

    def __init__(self):
        self._serializers: dict[tuple, RememberingSerializer] = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # current key last
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = RememberingSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
        return serializer


class RememberingCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF check, remembering each token that passed for the raw token it stands
    for. Only with WTF_CSRF_TIME_LIMIT = None (a token's validity then never changes) and
    not over HTTPS (where Flask-WTF also checks the Referer on every request)."""

    def __init__(self, app=None):
        self._passed = _Remembered()
        super().__init__(app)

    def protect(self, apply_exemptions=False):
        config = current_app.config
        if (request.method not in config["WTF_CSRF_METHODS"] or config["WTF_CSRF_TIME_LIMIT"] is not None
                or request.is_secure):
            return super().protect(apply_exemptions)
        token = self._get_csrf_token()
        raw = session.get(config["WTF_CSRF_FIELD_NAME"])
        key = (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, token)
        known = self._passed.get(key) if token and isinstance(raw, str) else None
        if known is not None and hmac.compare_digest(known, raw):
            g.csrf_valid = True
            return None
        super().protect(apply_exemptions)  # aborts with a CSRFError when the token is bad
        if token and isinstance(raw, str) and g.get("csrf_valid"):
            self._passed.remember(key, raw)
        return None
