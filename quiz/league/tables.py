"""The league tables of a campaign: individuals, enterprises, regions, industries, departments.

Every table is ONE SQL statement (subqueries, anti-joins and RANK(), portable between SQLite
and PostgreSQL) that returns columns — no ORM objects, no per-row queries — wrapped in
:func:`results_cache.cached` (invalidated in one place, when an attempt is submitted). The
composite index weights are part of the cache key, so changing them needs no second
invalidation.

How the statement runs: the attempts in scope are read in participant order, each flagged
"counted" by an anti-join on the unique index (contest, participant, number); then summed
per person, then per enterprise (or region, industry), then the rates, the index and RANK()
are computed. On the large demo campaign (100 000 people, 109 000 attempts) one table takes
about half a second on SQLite.

Definitions
-----------
Scope
    The submitted attempts of the campaign's contests (or of the one ``contest_id``), with
    ``since <= submitted_at < until`` when given (naive UTC, as stored). ``enterprise_id``
    restricts the scope to one enterprise's participants.
Counted attempt
    One per participant per contest, chosen among the attempts in scope as the contest's
    ``ranking`` says (as :func:`standings.counted_attempts`, for many contests at once):
    ``best`` = score desc, time used asc, submitted asc, id asc; ``latest`` = submitted desc,
    id desc.
Voided
    A voided attempt, and every attempt of a voided participant, is out of scope everywhere
    (:func:`voiding.counts`): it neither counts nor beats another attempt.
headcount (应参与人数)
    Where the enterprise has a roster (at least one active person): its active people
    (``headcount_source`` 名单); otherwise the typed ``Enterprise.headcount`` (填报).
participants
    Distinct people with at least one attempt in scope — where the enterprise has a roster,
    only people matched to it; the others are counted apart as ``off_roster`` (名单外), so
    invented identities never raise the rate. (Their attempts still count in attempts,
    averages and pass rates: 名单优先 lets them take part; voiding is what removes results.)
participation_rate
    participants ÷ headcount (应参与人数); None when the headcount is 0. Not capped (a rate
    over 100% shows the headcount is out of date).
attempts
    Every attempt in scope (not only counted ones).
average_score
    百分制: the mean over counted attempts of 100 × score ÷ max_score (attempts with a
    max_score of 0 are left out). None when there is none.
pass_rate
    passed ÷ counted attempts of contests that have a pass mark; None when no counted attempt
    belongs to such a contest.
index (综合指数)
    100 × (w_p × min(rate, 1) + w_s × average ÷ 100) ÷ (w_p + w_s), rate None → 0,
    average None → 0. Weights from the campaign (default 0.5 / 0.5).
rank
    RANK() by index descending: equal indexes share a rank (1, 1, 3). Rows come ordered by
    rank, then by key (name) — the key orders ties only for display, they keep one rank.

Groupings
---------
enterprise
    Every active enterprise (zero participants included) plus any retired one that has
    attempts in scope. For one contest that is not open to all, the eligible enterprises
    (listed ones, or the internal contest's own) instead of every active one.
region / industry
    The same figures over the group's enterprises (the enterprise rows above), aggregated
    from people and attempts directly — not an average of enterprise averages. headcount and
    units are sums over those enterprises. An empty region/industry is "未填写".
department (needs ``enterprise_id``)
    A person counts (``participants``) in the department of their LATEST attempt in scope
    (``Attempt.department``, the 部门 when the attempt started); attempts, averages and
    pass rates count each attempt in the department it was made in. Departments of the
    Department table without attempts appear with zeros; headcount comes from the
    Department table (0 when the department is not defined there), or — where the
    enterprise has a roster — is the department's active roster people. units is 0.

Individuals
-----------
Per contest: each participant's counted attempt; RANK() by score desc, time used asc,
submitted asc (as :func:`standings.individuals`). Across the campaign: per participant the
sum of the counted attempts' scores (one per contest taken), the number of contests taken and
the total time used; RANK() by total score desc, then total time asc (equal on both: equal
rank). ``enterprise_rank`` is the same ranking inside the participant's enterprise. With
``enterprise_id`` only that enterprise's people are returned, with their campaign-wide ranks.
The department shown is the person's 部门 as registered (updated by their latest sign-up).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, Integer, and_, case, cast, func, literal, or_, select, text, union
from sqlalchemy.orm import aliased

from .. import results_cache
from ..units import rosters
from ..contests import voiding
from ..extensions import db
from ..models import (
    Attempt,
    Campaign,
    Contest,
    Department,
    Enterprise,
    Participant,
    RosterPerson,
    contest_enterprise,
)
from ..i18n import N_  # marks a message for extraction; translated where shown

GROUPS = ("enterprise", "region", "industry", "department")


EMPTY_KEY = N_("未填写")
DEFAULT_WEIGHTS = (0.5, 0.5)
HEADCOUNT_ROSTER, HEADCOUNT_TYPED, HEADCOUNT_MIXED = N_("名单"), N_("填报"), N_("名单+填报")
OFF_ROSTER = N_("名单外")
OFF_ROSTER_NOTE = N_("“名单外”：所在单位有花名册，但此人未与名单匹配（名单优先的竞赛中名单外的人可以参加，"
                     "但不计入单位参与人数）。作废的答题不计入。")
HEADCOUNT_NOTE = N_("应参与人数：有花名册的单位（来源“名单”）为名单上在册人数，只有与名单匹配的人计入参与人数，"
                    "其他人计为“名单外”；没有花名册的单位（来源“填报”）为填报的应参与人数。作废的答题不计入。")
# The words the code puts into the tables (never user data): translated when shown.
WORDS = frozenset({EMPTY_KEY, HEADCOUNT_ROSTER, HEADCOUNT_TYPED, HEADCOUNT_MIXED, OFF_ROSTER})


def shown(value):
    """A table cell's text in the reader's language: the code's own words (未填写, 名单 …)
    translated, anything else (names typed by people) as it is."""
    if isinstance(value, str) and value in WORDS:
        from flask_babel import gettext

        return gettext(value)
    return value


@dataclass(frozen=True)
class Figures:
    key: str                    # enterprise name / region / industry / department name ("未填写" for empty)
    enterprise_id: int | None   # set for group "enterprise", else None
    region: str                 # enterprise rows: its region; region rows: the region; else ""
    industry: str               # enterprise rows: its industry; industry rows: the industry; else ""
    units: int                  # enterprises in the group (1 for an enterprise row; 0 for departments)
    headcount: int              # 应参与人数
    participants: int           # distinct people with >= 1 submitted attempt in scope
    participation_rate: float | None   # participants / headcount; None when headcount == 0
    attempts: int               # submitted attempts in scope (all of them)
    average_score: float | None  # 百分制 mean over counted attempts
    pass_rate: float | None     # passed / counted attempts whose contest has a pass mark
    index: float | None         # composite index (see module docstring)
    rank: int                   # RANK() by index desc
    # What totals need to be exact (sums, not averages of averages):
    counted: int = 0            # counted attempts
    scored: int = 0             # counted attempts with max_score > 0 (the average's divisor)
    score_sum: float = 0.0      # sum of their 百分制 scores
    passed: int = 0             # counted attempts passed, of contests with a pass mark
    pass_counted: int = 0       # counted attempts of contests with a pass mark
    roster_units: int = 0       # units whose 应参与人数 comes from a roster (else 填报)
    off_roster: int = 0         # 名单外: people with attempts, not matched to their unit's roster

    @property
    def headcount_source(self) -> str:
        """Where 应参与人数 came from: 名单 (rosters), 填报 (typed headcounts), or both."""
        units = max(self.units, 1)  # a department row is one unit's
        if self.roster_units <= 0:
            return HEADCOUNT_TYPED
        return HEADCOUNT_ROSTER if self.roster_units >= units else HEADCOUNT_MIXED


@dataclass(frozen=True)
class IndividualRow:
    rank: int
    enterprise_rank: int
    participant_id: int
    name: str
    enterprise_id: int
    enterprise: str
    department: str             # the person's 部门 as registered (their latest sign-up)
    score: float                # per contest: the counted attempt's; campaign: sum over contests
    max_score: float            # likewise (full marks), so 百分制 can be shown
    contests: int               # contests taken (1 per contest)
    attempts: int               # attempts in scope
    time_used_ms: int           # per contest: the counted attempt's; campaign: sum
    submitted_at: datetime      # per contest: the counted attempt's; campaign: the last one
    off_roster: bool = False    # 名单外: the enterprise has a roster and this person is not matched

    @property
    def roster_mark(self) -> str:
        return OFF_ROSTER if self.off_roster else ""


# ---- the shared scope ---------------------------------------------------------------


def weights(campaign_id: int) -> tuple[float, float]:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return DEFAULT_WEIGHTS
    return (float(campaign.weight_participation), float(campaign.weight_score))


BIG_TIME = 2**31 - 1  # a missing time used sorts last


def scoped_attempts(campaign_id: int, contest_id: int | None, enterprise_id: int | None,
            since: datetime | None, until: datetime | None, *, with_enterprise: bool = True,
            with_recent: bool = False):
    """Attempts in scope, narrow, each with ``counted`` (1 on the counted attempt of its
    participant and contest — the one definition of "counted", also used by
    :mod:`quiz.reports.item_stats`) and, with ``with_recent``, ``recent`` (1 on the participant's
    latest attempt in scope) and its department.

    Both flags are anti-joins ("no better attempt in scope exists"), probed through the
    unique index (contest_id, participant_id, number) and the participant index: no sort,
    and the same on SQLite and PostgreSQL. The orders are total (the id breaks every tie), so
    exactly one attempt per participant and contest is counted.
    """
    a, b = Attempt, aliased(Attempt, name="better")
    in_scope = [b.submitted_at.is_not(None), b.voided_at.is_(None)]
    if since is not None:
        in_scope.append(b.submitted_at >= since)
    if until is not None:
        in_scope.append(b.submitted_at < until)
    later = or_(b.submitted_at > a.submitted_at, and_(b.submitted_at == a.submitted_at, b.id > a.id))
    time_a, time_b = func.coalesce(a.time_used_ms, BIG_TIME), func.coalesce(b.time_used_ms, BIG_TIME)
    better_best = or_(
        b.score > a.score,
        and_(b.score == a.score, or_(
            time_b < time_a,
            and_(time_b == time_a, or_(
                b.submitted_at < a.submitted_at,
                and_(b.submitted_at == a.submitted_at, b.id < a.id),
            )),
        )),
    )
    beaten = (
        select(literal(1))
        .where(b.contest_id == a.contest_id, b.participant_id == a.participant_id, b.id != a.id,
               *in_scope,
               or_(and_(Contest.ranking == "latest", later), and_(Contest.ranking != "latest", better_best)))
        .exists()
    )
    conditions = [Contest.campaign_id == campaign_id, a.submitted_at.is_not(None), *voiding.counts(a)]
    if contest_id is not None:
        conditions.append(a.contest_id == contest_id)
    if since is not None:
        conditions.append(a.submitted_at >= since)
    if until is not None:
        conditions.append(a.submitted_at < until)
    columns = [
        a.id.label("attempt_id"),
        a.contest_id,
        a.participant_id,
        a.score,
        a.correct_count,
        a.max_score,
        a.passed,
        a.time_used_ms,
        a.submitted_at,
        Contest.pass_score,
        case((beaten, 0), else_=1).label("counted"),
    ]
    query = select(*columns).select_from(a).join(Contest, Contest.id == a.contest_id)
    if with_enterprise or enterprise_id is not None:
        query = query.add_columns(Participant.enterprise_id, Participant.roster_person_id).join(
            Participant, Participant.id == a.participant_id)
        if enterprise_id is not None:
            query = query.where(Participant.enterprise_id == enterprise_id)
    if with_recent:
        c = aliased(Attempt, name="newer")
        newer = or_(c.submitted_at > a.submitted_at, and_(c.submitted_at == a.submitted_at, c.id > a.id))
        scope_c = [c.submitted_at.is_not(None), c.voided_at.is_(None)]
        if since is not None:
            scope_c.append(c.submitted_at >= since)
        if until is not None:
            scope_c.append(c.submitted_at < until)
        if contest_id is not None:
            scope_c.append(c.contest_id == contest_id)
        else:
            scope_c.append(c.contest_id.in_(select(Contest.id).where(Contest.campaign_id == campaign_id)))
        has_newer = select(literal(1)).where(c.participant_id == a.participant_id, newer, *scope_c).exists()
        query = query.add_columns(a.department, case((has_newer, 0), else_=1).label("recent"))
    # OFFSET 0 keeps the flags computed once per row (a flattened subquery would repeat the
    # anti-join in every aggregate that reads them); SQLAlchemy writes it for each dialect.
    return query.where(*conditions).offset(0).subquery("scoped")


def _sums(scoped, person_counts=None):
    """The additive aggregate columns over rows of ``scoped``.

    ``person_counts``: the condition under which a row counts its person (each person must
    count once in exactly one group); None: no participants column.
    """
    counted = scoped.c.counted == 1
    has_mark = and_(counted, scoped.c.pass_score.is_not(None))
    pct = case(
        (and_(counted, scoped.c.max_score > 0),
         100.0 * cast(scoped.c.score, Float) / cast(scoped.c.max_score, Float)),
    )
    people = [] if person_counts is None else [func.sum(case((person_counts, 1), else_=0)).label("participants")]
    return (
        *people,
        func.count().label("attempts"),
        func.sum(case((counted, 1), else_=0)).label("counted"),
        func.count(pct).label("scored"),
        func.sum(pct).label("score_sum"),
        func.sum(case((and_(has_mark, scoped.c.passed.is_(True)), 1), else_=0)).label("passed"),
        func.sum(case((has_mark, 1), else_=0)).label("pass_counted"),
    )


def _figures_select(base, wp: float, ws: float):
    """Rates, index and RANK() over a subquery with key, enterprise_id, region, industry,
    units, headcount and the additive sums (which may be NULL for groups without attempts)."""
    participants = func.coalesce(base.c.participants, 0)
    scored = func.coalesce(base.c.scored, 0)
    pass_counted = func.coalesce(base.c.pass_counted, 0)
    rate = case((base.c.headcount > 0, cast(participants, Float) / cast(base.c.headcount, Float)))
    average = case((scored > 0, cast(base.c.score_sum, Float) / cast(scored, Float)))
    pass_rate = case((pass_counted > 0, cast(func.coalesce(base.c.passed, 0), Float)
                      / cast(pass_counted, Float)))
    capped = case((base.c.headcount <= 0, 0.0), (rate > 1.0, 1.0), else_=rate)
    index = (
        100.0 * (literal(wp, Float) * capped + literal(ws, Float) * func.coalesce(average, 0.0) / 100.0)
        / literal(wp + ws, Float)
    )
    figures = select(
        base.c.key,
        base.c.enterprise_id,
        base.c.region,
        base.c.industry,
        base.c.units,
        base.c.headcount,
        func.coalesce(base.c.roster_units, 0).label("roster_units"),
        participants.label("participants"),
        func.coalesce(base.c.off_roster, 0).label("off_roster"),
        rate.label("participation_rate"),
        func.coalesce(base.c.attempts, 0).label("attempts"),
        average.label("average_score"),
        pass_rate.label("pass_rate"),
        index.label("index"),
        func.coalesce(base.c.counted, 0).label("counted"),
        scored.label("scored"),
        func.coalesce(base.c.score_sum, 0.0).label("score_sum"),
        func.coalesce(base.c.passed, 0).label("passed"),
        pass_counted.label("pass_counted"),
    ).subquery("figures")
    return select(
        figures,
        func.rank().over(order_by=figures.c.index.desc()).label("rank"),
    ).order_by(figures.c.index.desc(), figures.c.key)


def _universe(campaign_id: int, contest_id: int | None, enterprise_id: int | None, with_attempts):
    """Condition on Enterprise (left-joined to its sums): the enterprises the tables list."""
    if enterprise_id is not None:
        return Enterprise.id == enterprise_id
    listed = Enterprise.active.is_(True)
    if contest_id is not None:
        contest = db.session.get(Contest, contest_id)
        if contest is not None and contest.enterprise_id is not None:
            listed = Enterprise.id == contest.enterprise_id
        elif contest is not None and not contest.open_to_all:
            listed = Enterprise.id.in_(
                select(contest_enterprise.c.enterprise_id).where(contest_enterprise.c.contest_id == contest_id)
            )
    return or_(listed, with_attempts.is_not(None))


def _key(column):
    return func.coalesce(func.nullif(column, ""), EMPTY_KEY)


def _query(campaign_id: int, group: str, contest_id, enterprise_id, since, until, wp, ws):
    scoped = scoped_attempts(campaign_id, contest_id, enterprise_id, since, until,
                     with_recent=group == "department")
    if group == "department":
        # With a roster, only people matched to it count (others are 名单外) and a
        # department's 应参与人数 is its active roster people; else the Department table's.
        roster = rosters.has_roster(enterprise_id)
        recent = scoped.c.recent == 1
        matched = scoped.c.roster_person_id.is_not(None)
        dept = _key(scoped.c.department)
        per_dept = (
            select(dept.label("key"), *_sums(scoped, and_(recent, matched) if roster else recent),
                   func.sum(case((and_(recent, ~matched), 1), else_=0) if roster else literal(0))
                   .label("off_roster"))
            .group_by(dept)
            .subquery("per_dept")
        )
        if roster:
            roster_dept = _key(RosterPerson.department)
            defined = (
                select(roster_dept.label("key"), func.count().label("headcount"))
                .where(RosterPerson.enterprise_id == enterprise_id, RosterPerson.active.is_(True))
                .group_by(roster_dept)
                .subquery("defined")
            )
        else:
            defined = select(Department.name.label("key"), Department.headcount).where(
                Department.enterprise_id == enterprise_id
            ).subquery("defined")
        keys = union(select(per_dept.c.key), select(defined.c.key)).subquery("keys")
        base = (
            select(
                keys.c.key,
                literal(None, Integer).label("enterprise_id"),
                literal("").label("region"),
                literal("").label("industry"),
                literal(0).label("units"),
                func.coalesce(defined.c.headcount, 0).label("headcount"),
                literal(1 if roster else 0).label("roster_units"),
                *(per_dept.c[name] for name in
                  ("participants", "off_roster", "attempts", "counted", "scored", "score_sum", "passed",
                   "pass_counted")),
            )
            .select_from(keys)
            .outerjoin(per_dept, per_dept.c.key == keys.c.key)
            .outerjoin(defined, defined.c.key == keys.c.key)
            .subquery("base")
        )
        return _figures_select(base, wp, ws)

    # Per person first (the scan is in participant order: no sort), then per enterprise;
    # a person belongs to one enterprise, so each counts once.
    per_person = (
        select(func.max(scoped.c.enterprise_id).label("enterprise_id"),
               func.max(scoped.c.roster_person_id).label("roster_person_id"), *_sums(scoped))
        .group_by(scoped.c.participant_id)
        .subquery("per_person")
    )
    per_enterprise = (
        select(
            per_person.c.enterprise_id,
            func.count().label("people"),
            func.count(per_person.c.roster_person_id).label("matched"),
            *(func.sum(per_person.c[name]).label(name)
              for name in ("attempts", "counted", "scored", "score_sum", "passed", "pass_counted")),
        )
        .group_by(per_person.c.enterprise_id)
        .subquery("per_enterprise")
    )
    universe = _universe(campaign_id, contest_id, enterprise_id, per_enterprise.c.enterprise_id)
    roster, has_roster, headcount, participants, off_roster = rosters.headcounts(
        Enterprise.headcount, per_enterprise.c.people, per_enterprise.c.matched)
    roster_units = case((has_roster, 1), else_=0)
    sums = ("attempts", "counted", "scored", "score_sum", "passed", "pass_counted")
    if group == "enterprise":
        base = (
            select(
                Enterprise.name.label("key"),
                Enterprise.id.label("enterprise_id"),
                Enterprise.region,
                Enterprise.industry,
                literal(1).label("units"),
                headcount.label("headcount"),
                roster_units.label("roster_units"),
                participants.label("participants"),
                off_roster.label("off_roster"),
                *(per_enterprise.c[name] for name in sums),
            )
            .outerjoin(per_enterprise, per_enterprise.c.enterprise_id == Enterprise.id)
            .outerjoin(roster, roster.c.enterprise_id == Enterprise.id)
            .where(universe)
            .subquery("base")
        )
        return _figures_select(base, wp, ws)

    column = Enterprise.region if group == "region" else Enterprise.industry
    key = _key(column)
    base = (
        select(
            key.label("key"),
            literal(None, Integer).label("enterprise_id"),
            (key if group == "region" else literal("")).label("region"),
            (key if group == "industry" else literal("")).label("industry"),
            func.count(Enterprise.id).label("units"),
            func.sum(headcount).label("headcount"),
            func.sum(roster_units).label("roster_units"),
            func.sum(participants).label("participants"),
            func.sum(off_roster).label("off_roster"),
            *(func.sum(per_enterprise.c[name]).label(name) for name in sums),
        )
        .outerjoin(per_enterprise, per_enterprise.c.enterprise_id == Enterprise.id)
        .outerjoin(roster, roster.c.enterprise_id == Enterprise.id)
        .where(universe)
        .group_by(key)
        .subquery("base")
    )
    return _figures_select(base, wp, ws)


def _execute(query):
    """Run one table's statement. On PostgreSQL without JIT for this transaction: the
    anti-join's cost estimate makes the planner compile the query (≈ 0.7 s), which costs more
    than the query itself (≈ 0.3 s)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
    return db.session.execute(query)


def _figures(row) -> Figures:
    m = row._mapping
    return Figures(
        key=m["key"],
        enterprise_id=m["enterprise_id"],
        region=m["region"] or "",
        industry=m["industry"] or "",
        units=int(m["units"] or 0),
        headcount=int(m["headcount"] or 0),
        participants=int(m["participants"]),
        participation_rate=None if m["participation_rate"] is None else float(m["participation_rate"]),
        attempts=int(m["attempts"]),
        average_score=None if m["average_score"] is None else float(m["average_score"]),
        pass_rate=None if m["pass_rate"] is None else float(m["pass_rate"]),
        index=None if m["index"] is None else float(m["index"]),
        rank=int(m["rank"]),
        counted=int(m["counted"]),
        scored=int(m["scored"]),
        score_sum=float(m["score_sum"]),
        passed=int(m["passed"]),
        pass_counted=int(m["pass_counted"]),
        roster_units=int(m["roster_units"]),
        off_roster=int(m["off_roster"]),
    )


def unit_figures(campaign_id: int, group: str = "enterprise", *, contest_id: int | None = None,
                 enterprise_id: int | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[Figures]:
    """The table of one grouping, ordered by rank then key (see the module docstring)."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    if group == "department" and enterprise_id is None:
        raise ValueError("the department table needs an enterprise_id")
    wp, ws = weights(campaign_id)
    params = (campaign_id, group, contest_id, enterprise_id, since, until, wp, ws)

    def compute() -> list[Figures]:
        query = _query(campaign_id, group, contest_id, enterprise_id, since, until, wp, ws)
        return [_figures(row) for row in _execute(query)]

    return results_cache.cached("league.unit_figures", params, compute)


def composite_index(rate: float | None, average: float | None, wp: float, ws: float) -> float:
    capped = 0.0 if rate is None else min(rate, 1.0)
    return 100.0 * (wp * capped + ws * (average or 0.0) / 100.0) / (wp + ws)


def total(rows: list[Figures], label: str = "合计", weights: tuple[float, float] | None = None) -> Figures:
    """The sum of rows: counts summed, rates recomputed from the sums, the average weighted by
    counted attempts (exactly: sum of 百分制 scores ÷ their number). The index uses
    ``weights`` (default 0.5/0.5; pass the campaign's). rank is 0 (a total has none)."""
    wp, ws = weights or DEFAULT_WEIGHTS
    headcount = sum(r.headcount for r in rows)
    participants = sum(r.participants for r in rows)
    scored = sum(r.scored for r in rows)
    score_sum = sum(r.score_sum for r in rows)
    passed = sum(r.passed for r in rows)
    pass_counted = sum(r.pass_counted for r in rows)
    rate = participants / headcount if headcount > 0 else None
    average = score_sum / scored if scored > 0 else None
    return Figures(
        key=label, enterprise_id=None, region="", industry="",
        units=sum(r.units for r in rows), headcount=headcount, participants=participants,
        participation_rate=rate, attempts=sum(r.attempts for r in rows), average_score=average,
        pass_rate=passed / pass_counted if pass_counted > 0 else None,
        index=composite_index(rate, average, wp, ws), rank=0,
        counted=sum(r.counted for r in rows), scored=scored, score_sum=score_sum,
        passed=passed, pass_counted=pass_counted,
        roster_units=sum(r.roster_units for r in rows), off_roster=sum(r.off_roster for r in rows),
    )


# ---- individuals ------------------------------------------------------------------------


def off_roster(roster):
    """SQL: 1 when the Participant row is 名单外 (its enterprise, outer-joined to ``roster`` =
    :func:`rosters.active_counts`, has a roster and the person is not matched to it)."""
    return case((and_(roster.c.people.is_not(None), Participant.roster_person_id.is_(None)), 1), else_=0)


def _individuals_query(campaign_id, contest_id, enterprise_id, since, until, limit):
    # The scope is the whole campaign (or contest): ranks are campaign-wide even when only one
    # enterprise's people are returned. Names are joined after ranking and limiting.
    scoped = scoped_attempts(campaign_id, contest_id, None, since, until, with_enterprise=enterprise_id is not None)
    counted = scoped.c.counted == 1
    per_person = (
        select(
            scoped.c.participant_id,
            *([func.max(scoped.c.enterprise_id).label("enterprise_id")] if enterprise_id is not None else []),
            func.sum(case((counted, cast(scoped.c.score, Float)), else_=0.0)).label("score"),
            func.sum(case((counted, cast(scoped.c.max_score, Float)), else_=0.0)).label("max_score"),
            func.sum(case((counted, 1), else_=0)).label("contests"),
            func.count().label("attempts"),
            func.sum(case((counted, func.coalesce(scoped.c.time_used_ms, 0)), else_=0)).label("time_used_ms"),
            func.max(case((counted, scoped.c.submitted_at))).label("submitted_at"),
        )
        .group_by(scoped.c.participant_id)
        .subquery("per_person")
    )
    if contest_id is not None:
        order = (per_person.c.score.desc(), per_person.c.time_used_ms.asc(), per_person.c.submitted_at.asc())
    else:
        order = (per_person.c.score.desc(), per_person.c.time_used_ms.asc())
    ranked = select(per_person, func.rank().over(order_by=order).label("rank")).subquery("ranked")
    top = select(ranked).order_by(ranked.c.rank, ranked.c.participant_id)
    if enterprise_id is not None:
        top = top.where(ranked.c.enterprise_id == enterprise_id)
    if limit is not None:
        top = top.limit(limit)
    top = top.subquery("top")  # names are looked up for the rows shown only
    roster = rosters.active_counts()
    return (
        select(
            top.c.rank,
            top.c.participant_id,
            Participant.name,
            Participant.enterprise_id,
            Enterprise.name.label("enterprise"),
            Participant.department,
            top.c.score,
            top.c.max_score,
            top.c.contests,
            top.c.attempts,
            top.c.time_used_ms,
            top.c.submitted_at,
            off_roster(roster).label("off_roster"),
        )
        .join(Participant, Participant.id == top.c.participant_id)
        .join(Enterprise, Enterprise.id == Participant.enterprise_id)
        .outerjoin(roster, roster.c.enterprise_id == Participant.enterprise_id)
        .order_by(top.c.rank, top.c.participant_id)
    )


def individuals(campaign_id: int, *, contest_id: int | None = None, enterprise_id: int | None = None,
                limit: int | None = None, since: datetime | None = None,
                until: datetime | None = None) -> list[IndividualRow]:
    """Individual standings of a contest or of the whole campaign (see the module docstring),
    ordered by rank, then participant id."""
    params = (campaign_id, contest_id, enterprise_id, limit, since, until)

    def compute() -> list[IndividualRow]:
        query = _individuals_query(campaign_id, contest_id, enterprise_id, since, until, limit)
        rows = []
        # enterprise_rank = 1 + the enterprise's people ranked strictly better. The rows are a
        # prefix of the ranking, so everyone better is already among them: no second window.
        seen: dict[int, tuple[int, int, int]] = {}  # enterprise → (people so far, last rank, its rank)
        for m in (row._mapping for row in _execute(query)):
            rank = int(m["rank"])
            count, last_rank, last_enterprise_rank = seen.get(m["enterprise_id"], (0, 0, 0))
            enterprise_rank = last_enterprise_rank if rank == last_rank else count + 1
            seen[m["enterprise_id"]] = (count + 1, rank, enterprise_rank)
            rows.append(IndividualRow(
                rank=rank, enterprise_rank=enterprise_rank,
                participant_id=m["participant_id"], name=m["name"], enterprise_id=m["enterprise_id"],
                enterprise=m["enterprise"], department=m["department"] or "",
                score=float(m["score"]), max_score=float(m["max_score"]), contests=int(m["contests"]),
                attempts=int(m["attempts"]), time_used_ms=int(m["time_used_ms"]),
                submitted_at=m["submitted_at"], off_roster=bool(m["off_roster"]),
            ))
        return rows

    return results_cache.cached("league.individuals", params, compute)


__all__ = ["GROUPS", "Figures", "IndividualRow", "unit_figures", "total", "individuals", "weights",
           "composite_index"]
