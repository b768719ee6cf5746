"""Organiser and enterprise-admin accounts: checking a login, ending every session."""
from __future__ import annotations

from functools import cache

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User


@cache
def _unknown_user_hash() -> str:
    """A hash made the way real ones are, checked for a user name that does not exist: a
    failed login then costs the same either way and its time does not tell which names exist."""
    return generate_password_hash("no such user")


def authenticate(username: str, password: str) -> User | None:
    """The account whose name and password these are, else None (one password check always)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    matches = check_password_hash(user.password_hash if user else _unknown_user_hash(), password)
    return user if user is not None and matches else None
