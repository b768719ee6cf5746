"""First start: the built-in bank, a demo campaign, and the organiser's account."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from question_bank.loader import load_bank, read_bank

from ..codes import new_code
from ..extensions import db
from ..models import Campaign, Category, Contest, Enterprise, Question, User

DEMO_ENTERPRISES = [
    # name, poster code, 应参与人数, region, industry
    ("示范化工有限公司", "HGQY", 120, "滨海街道", "危险化学品"),
    ("安达物流股份有限公司", "ADWL", 80, "开发区", "仓储物流"),
    ("城建第三工程有限公司", "CJSG", 60, "新城镇", "城市建设"),
]


def load_builtin_bank() -> dict[str, int]:
    files, problems = read_bank()
    if problems:
        raise RuntimeError("内置题库有错误：\n" + "\n".join(problems))
    return load_bank(db.session, files, retire_missing=True)


def create_user(username: str, password: str, role: str = "organiser", now=None) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, role=role, created_at=now)
        db.session.add(user)
    user.role = role
    user.set_password(password)
    db.session.flush()
    return user


def load_demo(now) -> Contest | None:
    """A demo campaign with three enterprises and one open contest; only into an empty database."""
    if db.session.scalar(select(func.count(Contest.id))):
        return None
    year = now.year
    campaign = Campaign(
        name=f"{year}年“安全生产月”", theme="人人讲安全、个个会应急", year=year
    )
    db.session.add(campaign)
    enterprises = []
    for name, code, headcount, region, industry in DEMO_ENTERPRISES:
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.name == name))
        if enterprise is None:
            enterprise = Enterprise(
                name=name, code=code, headcount=headcount, region=region, industry=industry
            )
            db.session.add(enterprise)
        enterprises.append(enterprise)
    categories = list(db.session.scalars(select(Category).order_by(Category.position)))
    contest = Contest(
        campaign=campaign,
        code=new_code(),
        title="安全生产知识竞赛（示范）",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=60),
        question_count=10,
        time_limit_seconds=10 * 60,
        points_single=10,
        points_multi=10,
        points_judge=10,
        max_attempts=1,
        pass_score=60,
        open_to_all=True,
        created_at=now,
        categories=categories,
    )
    db.session.add(contest)
    db.session.flush()
    return contest


def first_start(now, production: bool = False, username: str = "admin") -> list[str]:
    """Idempotent set-up; returns lines to print (the organiser password appears only once).
    ``production``: the bank and the organiser only, no demo campaign or enterprises."""
    lines = []
    # Only into an empty bank: later edits are loaded on purpose with `flask bank load`.
    if not db.session.scalar(select(func.count(Question.id))):
        counts = load_builtin_bank()
        lines.append(f"题库已载入：{counts['added']} 题。")
    contest = None if production else load_demo(now)
    if contest is not None:
        lines.append(f"示范竞赛已创建：{contest.title}（参赛码 {contest.code}）。")
    if not db.session.scalar(select(func.count(User.id)).where(User.role == "organiser")):
        password = secrets.token_urlsafe(9)
        create_user(username, password, now=now)
        lines.append(
            "组织者账号已创建 / organiser account created: "
            f"用户名 {username}  密码 {password}  (shown once; change it with "
            f"`flask --app app user create {username}`)"
        )
    db.session.commit()
    return lines
