"""People and places: accounts, enterprises (单位), departments, staff rosters (花名册)."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db

if TYPE_CHECKING:  # relationships name these; SQLAlchemy finds them in its registry
    from .contests import Participant


class User(UserMixin, db.Model):
    """Someone who logs in: an organiser (安委办) or an enterprise admin."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default="organiser")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # A disabled account cannot log in, and its open sessions end (see web.load_user).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Flask-Login's alternative id: part of every session and remember cookie, and replaced on
    # logout, password change or reset and disabling, so that every earlier cookie ends.
    login_token: Mapped[str] = mapped_column(String(32), default="", server_default="")

    __table_args__ = (CheckConstraint("role in ('organiser', 'enterprise_admin')", name="role"),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in an inactive user
        return bool(self.active)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.new_login_token()  # a changed or reset password ends every earlier session

    def new_login_token(self) -> None:
        """End every session and remember-me cookie of this account (they carry the token)."""
        self.login_token = secrets.token_hex(16)

    def get_id(self) -> str:  # Flask-Login's alternative id; web.load_user checks both parts
        return f"{self.id}:{self.login_token}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"

    def may_read_attempt_of(self, participant: "Participant") -> bool:
        return self.is_organiser or (
            self.enterprise_id is not None and participant.enterprise_id == self.enterprise_id
        )


class Enterprise(db.Model):
    """A participating unit (企业/单位) with its headcount (应参与人数)."""

    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Short code in the enterprise's own poster URL: /j/<contest>/<code>
    code: Mapped[str] = mapped_column(String(16), unique=True)
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    region: Mapped[str] = mapped_column(String(60), default="")
    industry: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("headcount >= 0", name="headcount"),)


class Department(db.Model):
    """A 部门/车间 of an enterprise, with its own 应参与人数 when the enterprise gives one."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    headcount: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "name"),
        CheckConstraint("headcount >= 0", name="headcount"),
    )


class RosterPerson(db.Model):
    """One person on an enterprise's staff roster (花名册): 姓名, 工号 and/or 手机号, 部门.

    Retired people (``active`` False) stay, so that their results keep their name; they no
    longer count toward the enterprise's 应参与人数 and cannot sign up in 名单 mode.
    """

    __tablename__ = "roster_person"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    name: Mapped[str] = mapped_column(String(40))
    staff_no: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(11))
    department: Mapped[str] = mapped_column(String(60), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        # One person per 工号 and per phone in an enterprise (NULLs do not collide).
        UniqueConstraint("enterprise_id", "staff_no"),
        UniqueConstraint("enterprise_id", "phone"),
        Index("ix_roster_person_enterprise_active", "enterprise_id", "active"),
        CheckConstraint("staff_no IS NOT NULL OR phone IS NOT NULL", name="identifier"),
    )
