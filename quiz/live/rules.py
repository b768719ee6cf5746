"""Rules of a live "我问你答" round: the state machine, answers, scoring, standings.

Every change of state is one conditional UPDATE on ``live_round`` that also adds one
to ``version`` and only matches the version it was decided on: two hosts (or two
processes) pressing "next" at the same moment make exactly one step. Functions take
session-bound objects and ``now`` (naive UTC), flush but never commit.

Time in a round can run faster than the wall clock (``speed``, tests only): a question
of T seconds lasts T / speed real seconds, and response times are scaled back up.

An online round (直播答题) has a stream delay D: the stage shows a question at once (the
stream carries it to viewers D seconds later), the phones' question opens D seconds after
the stage's (``question_started_at``), and the answer window of T seconds and the response
times count from the phones' opening (``question_deadline`` = stage opening + D + T).
"""
from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, bindparam, case, cast, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from flask_babel import gettext as _

from ..contests import participants, scoring
from ..contests.draws import drawable
from ..errors import Conflict, NotFound, QuizError, TooLate
from ..extensions import db
from ..models import Enterprise, LiveAnswer, LivePlayer, LiveQuestion, LiveRound, Question
from ..i18n import N_  # marks a message for extraction; translated where shown


MIN_SECONDS, MAX_SECONDS = 10, 60
MAX_STREAM_DELAY = 60
SCORING_MODES = ("speed", "count", "accuracy")
MAX_QUESTIONS = 50
STREAK_STEP, STREAK_CAP = 100, 500
COUNT_POINTS = 100  # "count right answers" mode: 100 per right answer, time breaks ties
ACCURACY_POINTS = 100  # "accuracy only": 100 per fully right answer, no partial credit, no bonus


# ------------------------------------------------------------------ scoring


def speed_points(response_ms: int, question_ms: int) -> int:
    """A right answer in speed mode: round(1000 × (1 − t/T ÷ 2)), from 1000 (t=0) to 500 (t=T).

    Half-up rounding (not Python's banker's rounding), so 750.5 gives 751 everywhere.
    """
    t = min(max(response_ms, 0), question_ms)
    # In integers: floats miss exact halves (871.5 came out as 871.4999… → 871).
    return (2000 * question_ms - 1000 * t + question_ms) // (2 * question_ms)


def streak_bonus(run: int) -> int:
    """Bonus for the ``run``-th right answer in a row: +100 for the 2nd, +200 for the 3rd …,
    at most +500. A wrong or missing answer ends the run."""
    return min(STREAK_STEP * max(run - 1, 0), STREAK_CAP)


def share_right(question: Question | AnswerKey, chosen: str, partial: bool) -> float:
    """1 for a right answer; for 多选 with partial credit the share of right options chosen,
    0 as soon as a wrong one is chosen (the contests' rule)."""
    if chosen == question.answer:
        return 1.0
    if question.qtype != "multi" or not partial:
        return 0.0
    chosen_set, right = set(chosen), set(question.answer)
    if chosen_set - right:
        return 0.0
    return len(chosen_set) / len(right)


def answer_points(round_: LiveRound, question: Question | AnswerKey, chosen: str, response_ms: int) -> int:
    """Speed: 500–1000 by time; count: 100 (× the share with partial credit); accuracy: 100 for
    a fully right answer, else 0 (time only breaks ties in the standings)."""
    if round_.scoring == "accuracy":
        return ACCURACY_POINTS if chosen == question.answer else 0
    share = share_right(question, chosen, round_.multi_partial)
    if not share:
        return 0
    full = speed_points(response_ms, round_.question_seconds * 1000) if round_.scoring == "speed" else COUNT_POINTS
    return math.floor(full * share + 0.5)


# ------------------------------------------------------------------ creating


def pick_questions(category_ids: list[int], count: int, rng: random.Random | None = None) -> list[Question]:
    """``count`` drawable questions at random from the categories, no question twice."""
    pool = list(db.session.scalars(select(Question).where(*drawable(), Question.category_id.in_(category_ids))))
    if len(pool) < count:
        raise QuizError(_("所选分类只有 %(n)s 道可用题目，不够抽取 %(count)s 道。", n=len(pool), count=count))
    return (rng or random.SystemRandom()).sample(pool, count)


def questions_by_uid(uids: list[str]) -> list[Question]:
    """The current versions of the listed questions, in the order given."""
    found = {q.uid: q for q in db.session.scalars(select(Question).where(*drawable(), Question.uid.in_(uids)))}
    missing = [uid for uid in uids if uid not in found]
    if missing:
        raise QuizError(_("以下题目编号不存在或已停用：") + "、".join(missing[:10]))
    if len(set(uids)) != len(uids):
        raise QuizError(_("同一道题不能出现两次。"))
    return [found[uid] for uid in uids]


def new_join_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(6))


def create_round(
    host_id: int, title: str, questions: list[Question], now: datetime, *,
    question_seconds: int = 20, scoring_mode: str = "speed", streak: bool = False,
    multi_partial: bool = False, question_on_phone: bool = True, enterprise_id: int | None = None,
    identity_mode: str = "open", stream_delay: int = 0,
) -> LiveRound:
    """A new round in the lobby. ``stream_delay`` (0–60 s): an online round's stream delay.
    The accuracy-only mode gives no streak bonus and no partial credit."""
    if not questions:
        raise QuizError(_("请至少选择一道题。"))
    if len(questions) > MAX_QUESTIONS:
        raise QuizError(_("一轮最多 %(n)s 道题。", n=MAX_QUESTIONS))
    if not MIN_SECONDS <= question_seconds <= MAX_SECONDS:
        raise QuizError(_("每题时间应在 %(min)s 到 %(max)s 秒之间。", min=MIN_SECONDS, max=MAX_SECONDS))
    if scoring_mode not in SCORING_MODES:
        raise QuizError(_("未知的计分方式。"))
    if not 0 <= stream_delay <= MAX_STREAM_DELAY:
        raise QuizError(_("直播延迟应在 0 到 %(max)s 秒之间。", max=MAX_STREAM_DELAY))
    if scoring_mode == "accuracy":
        streak = multi_partial = False
    for _attempt in range(20):  # a free 6-digit code; the unique constraint has the last word
        code = new_join_code()
        if db.session.scalar(select(LiveRound.id).where(LiveRound.code == code)) is None:
            break
    round_ = LiveRound(
        code=code, title=title, host_id=host_id, enterprise_id=enterprise_id,
        question_seconds=question_seconds, scoring=scoring_mode, streak_bonus=streak,
        multi_partial=multi_partial, question_on_phone=question_on_phone, identity_mode=identity_mode,
        stream_delay_seconds=stream_delay, state="lobby", position=0, version=1, created_at=now,
    )
    db.session.add(round_)
    db.session.flush()
    db.session.execute(insert(LiveQuestion), [
        dict(round_id=round_.id, position=i + 1, question_id=q.id, skipped=False)
        for i, q in enumerate(questions)
    ])
    return round_


def question_count(round_: LiveRound) -> int:
    return db.session.scalar(select(func.count()).where(LiveQuestion.round_id == round_.id)) or 0


@dataclass(frozen=True)
class RoundNow:
    """A round as judging an answer reads it: the columns of one row, not a session object.
    Every answer of a hall reads it (5 000 phones: some 800 a second), and loading an ORM
    object with all its columns cost several times the query itself. ``judge_answer`` takes
    this or a ``LiveRound``."""

    id: int
    version: int
    state: str
    position: int
    question_seconds: int
    scoring: str
    multi_partial: bool
    stream_delay_seconds: int
    question_started_at: datetime | None
    question_deadline: datetime | None
    paused_remaining_ms: int | None

    @classmethod
    def columns(cls) -> list:
        return [getattr(LiveRound, name) for name in cls.__dataclass_fields__]

    @property
    def paused(self) -> bool:
        return self.paused_remaining_ms is not None


@dataclass(frozen=True)
class PlayerNow:
    """A player as judging an answer reads it (see ``RoundNow``)."""

    id: int
    removed: bool


@dataclass(frozen=True)
class AnswerKey:
    """What judging an answer needs of a round's question: one row of columns, no objects
    (the hall's busiest request reads it for every answer)."""

    started_at: datetime | None
    closed_at: datetime | None
    skipped: bool
    qtype: str
    answer: str
    options: list


ANSWER_KEY_COLUMNS = (LiveQuestion.started_at, LiveQuestion.closed_at, LiveQuestion.skipped,
                      Question.qtype, Question.answer, Question.options)


def answer_key(round_id: int, position: int) -> AnswerKey | None:
    row = db.session.execute(
        select(*ANSWER_KEY_COLUMNS).join(Question, Question.id == LiveQuestion.question_id)
        .where(LiveQuestion.round_id == round_id, LiveQuestion.position == position)).first()
    return AnswerKey(*row) if row else None


def live_question(round_: LiveRound, position: int | None = None) -> LiveQuestion | None:
    return db.session.scalar(select(LiveQuestion).where(
        LiveQuestion.round_id == round_.id, LiveQuestion.position == (position or round_.position)))


# ------------------------------------------------------------------ the state machine


def _step(round_: LiveRound, **values) -> None:
    """Apply one change of state, if nobody else changed the round since it was read."""
    changed = db.session.execute(
        update(LiveRound)
        .where(LiveRound.id == round_.id, LiveRound.version == round_.version)
        .values(version=LiveRound.version + 1, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(round_)
    if not changed:
        raise Conflict(_("现场状态刚刚已被更新，请看最新画面。"))


def real_seconds(round_: LiveRound, speed: float) -> float:
    return round_.question_seconds / speed


def stream_delay(round_: LiveRound, speed: float = 1.0) -> timedelta:
    """How long after the stage the phones get a question (real time)."""
    return timedelta(seconds=(round_.stream_delay_seconds or 0) / speed)


def phones_open(round_: LiveRound, now: datetime) -> bool:
    """Whether the phones may see (and answer) the current question at ``now``: not before the
    stream shows it."""
    return (round_.state == "question" and round_.question_started_at is not None
            and now >= round_.question_started_at)


def _open_question(round_: LiveRound, position: int, now: datetime, speed: float) -> None:
    opens = now + stream_delay(round_, speed)  # the stage shows it now, the phones then
    _step(round_, state="question", position=position, question_started_at=opens,
          question_deadline=opens + timedelta(seconds=real_seconds(round_, speed)), paused_remaining_ms=None)
    db.session.execute(update(LiveQuestion).where(
        LiveQuestion.round_id == round_.id, LiveQuestion.position == position).values(started_at=now))


def _finish(round_: LiveRound, now: datetime) -> None:
    _step(round_, state="final", question_deadline=None, paused_remaining_ms=None, ended_at=now)


def start(round_: LiveRound, now: datetime, speed: float = 1.0) -> None:
    if round_.state != "lobby":
        raise Conflict(_("本轮已经开始。"))
    _open_question(round_, 1, now, speed)


def close_question(round_: LiveRound, now: datetime) -> None:
    """Time is up (or everyone answered, or the host pressed next): reveal the answer."""
    if round_.state != "question":
        raise Conflict(_("当前没有进行中的题目。"))
    position = round_.position
    _step(round_, state="reveal", question_deadline=None, paused_remaining_ms=None)
    db.session.execute(update(LiveQuestion).where(
        LiveQuestion.round_id == round_.id, LiveQuestion.position == position).values(closed_at=now))
    if round_.streak_bonus:
        _give_streak_bonuses(round_, position)


def _give_streak_bonuses(round_: LiveRound, position: int) -> None:
    """The run of right answers ending at ``position``, per player who got it right."""
    asked = [p for p, in db.session.execute(
        select(LiveQuestion.position).where(
            LiveQuestion.round_id == round_.id, LiveQuestion.position <= position,
            LiveQuestion.skipped.is_(False))
        .order_by(LiveQuestion.position.desc()))]
    right = db.session.execute(
        select(LiveAnswer.player_id, LiveAnswer.position).where(
            LiveAnswer.round_id == round_.id, LiveAnswer.position <= position,
            LiveAnswer.is_correct.is_(True))
    ).all()
    right_at: dict[int, set[int]] = {}
    for player_id, at in right:
        right_at.setdefault(player_id, set()).add(at)
    bonuses = []
    for player_id, positions in right_at.items():
        if position not in positions:
            continue
        run = 0
        for p in asked:  # newest first: count back until the first miss
            if p not in positions:
                break
            run += 1
        if streak_bonus(run):
            bonuses.append({"p": player_id, "b": streak_bonus(run)})
    if bonuses:

        db.session.execute(
            update(LiveAnswer.__table__)
            .where(LiveAnswer.__table__.c.player_id == bindparam("p"),
                   LiveAnswer.__table__.c.position == position)
            .values(bonus=bindparam("b")),
            bonuses,
        )


def next_step(round_: LiveRound, now: datetime, speed: float = 1.0) -> None:
    """The host's "next": lobby → first question → reveal → leaderboard → next question … final."""
    if round_.state == "lobby":
        start(round_, now, speed)
    elif round_.state == "question":
        close_question(round_, now)
    elif round_.state == "reveal":
        _step(round_, state="leaderboard")
    elif round_.state == "leaderboard":
        if round_.position >= question_count(round_):
            _finish(round_, now)
        else:
            _open_question(round_, round_.position + 1, now, speed)
    else:
        raise Conflict(_("本轮已经结束。"))


def pause(round_: LiveRound, now: datetime) -> None:
    if round_.state != "question" or round_.paused:
        raise Conflict(_("只有进行中的题目可以暂停。"))
    left = max(0, int((round_.question_deadline - now).total_seconds() * 1000))
    _step(round_, paused_remaining_ms=left, question_deadline=None)


def resume(round_: LiveRound, now: datetime, speed: float = 1.0) -> None:
    """Continue with the time that was left; response times leave the pause out."""
    if not round_.paused:
        raise Conflict(_("本题没有暂停。"))
    deadline = now + timedelta(milliseconds=round_.paused_remaining_ms)
    _step(round_, question_deadline=deadline, paused_remaining_ms=None,
          question_started_at=deadline - timedelta(seconds=real_seconds(round_, speed)))


def skip(round_: LiveRound, now: datetime, speed: float = 1.0) -> None:
    """Drop the current question (its answers count for nothing) and go on."""
    if round_.state not in ("question", "reveal", "leaderboard"):
        raise Conflict(_("当前没有可以跳过的题目。"))
    position = round_.position
    if position >= question_count(round_):
        _finish(round_, now)
    else:
        _open_question(round_, position + 1, now, speed)
    # Only after the step: a skip decided on a stale version must not mark anything.
    db.session.execute(update(LiveQuestion).where(
        LiveQuestion.round_id == round_.id, LiveQuestion.position == position
    ).values(skipped=True, closed_at=now))


def end(round_: LiveRound, now: datetime) -> None:
    if round_.state == "final":
        raise Conflict(_("本轮已经结束。"))
    _finish(round_, now)


def is_due(round_: LiveRound, now: datetime, grace_seconds: float) -> bool:
    """A question whose time (plus the network grace) is over."""
    return (round_.state == "question" and not round_.paused
            and now > round_.question_deadline + timedelta(seconds=grace_seconds))


def advance_if_due(round_: LiveRound, now: datetime, grace_seconds: float) -> bool:
    """Close the question when its time is up: called by whichever request or process sees it
    first; the others find the version changed and do nothing."""
    if not is_due(round_, now, grace_seconds):
        return False
    try:
        with db.session.begin_nested():
            close_question(round_, now)
    except Conflict:
        db.session.refresh(round_)
        return False
    return True


# ------------------------------------------------------------------ players and answers


def active_players(round_id: int) -> int:
    return db.session.scalar(select(func.count()).where(
        LivePlayer.round_id == round_id, LivePlayer.removed.is_(False))) or 0


LOBBY_LOCKED = N_("主持人已锁定入场，本轮不再接受新的加入。如需参加，请联系现场工作人员。")
JOINED_ELSEWHERE = N_("你已在另一部手机上加入本轮答题，请用那部手机继续作答；如有疑问请联系主持人。")


def join(round_: LiveRound, enterprise: Enterprise, name: str, department: str, now: datetime,
         identifier: str = "") -> LivePlayer:
    """A new player. In a 名单 / 名单优先 round ``identifier`` (the 工号 or phone, normalised) is
    matched against the enterprise's roster by ``participants.admit``; a matched player takes
    the roster's name and 部门. One roster person joins a round once: a second phone with their
    identity is refused (the first phone keeps its place through its cookie)."""
    if round_.state == "final":
        raise QuizError(_("本轮现场答题已经结束。"), status=410)
    if round_.lobby_locked:
        raise QuizError(_(LOBBY_LOCKED), status=403)
    if round_.enterprise_id is not None and enterprise.id != round_.enterprise_id:
        raise QuizError(_("本轮是单位内部答题，您的单位不在参加范围内。"), status=403)
    person = None
    if round_.identity_mode != "open":
        person = participants.admit(enterprise, identifier, name, round_.identity_mode)
    if person is not None:
        identifier, name, department = participants.as_on_roster(person, department)
    player = LivePlayer(round_id=round_.id, token=secrets.token_hex(16), name=name,
                        enterprise_id=enterprise.id, department=department, joined_at=now,
                        identifier=identifier if round_.identity_mode != "open" else "",
                        roster_person_id=person.id if person else None)
    try:
        with db.session.begin_nested():  # the unique (round, roster person) settles a race
            db.session.add(player)
    except IntegrityError:
        raise Conflict(_(JOINED_ELSEWHERE)) from None
    return player


def remove_player(round_: LiveRound, player_id: int) -> LivePlayer:
    player = db.session.get(LivePlayer, player_id)
    if player is None or player.round_id != round_.id:
        raise NotFound(_("找不到这位选手。"))
    player.removed = True
    db.session.flush()
    _step(round_)  # standings change: every screen must hear of it
    return player


def remove_players(round_: LiveRound, player_ids: list[int]) -> int:
    """Remove several players at once (one UPDATE, one change of state); ids of other rounds'
    players are ignored. Returns how many were removed."""
    ids = sorted({int(i) for i in player_ids})
    if not ids:
        raise QuizError(_("请先勾选要移出的选手。"))
    removed = db.session.execute(
        update(LivePlayer)
        .where(LivePlayer.round_id == round_.id, LivePlayer.id.in_(ids), LivePlayer.removed.is_(False))
        .values(removed=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if removed:
        _step(round_)
    return removed


SETTINGS = ("lobby_locked", "hide_names", "sound")


def change_setting(round_: LiveRound, name: str, value: bool) -> None:
    """One of the presenter's settings (lobby lock, names hidden, sound): a change of state, so
    every screen hears of it."""
    if name not in SETTINGS:
        raise QuizError(_("未知的设置。"))
    _step(round_, **{name: bool(value)})


def lobby_units(round_id: int) -> list[tuple[str, int]]:
    """The stage with names hidden: each unit in the hall and how many of its people joined."""
    count = func.count(LivePlayer.id)
    return [(name, n) for name, n in db.session.execute(
        select(Enterprise.name, count)
        .join(LivePlayer, LivePlayer.enterprise_id == Enterprise.id)
        .where(LivePlayer.round_id == round_id, LivePlayer.removed.is_(False))
        .group_by(Enterprise.id, Enterprise.name)
        .order_by(count.desc(), Enterprise.name))]


def record_answer(
    round_: LiveRound, player: LivePlayer, position: int, letters: list[str], now: datetime,
    grace_seconds: float, speed: float = 1.0,
) -> LiveAnswer:
    """Store a player's one answer to a question; a second one is refused (``judge_answer``,
    then ``store_answers`` for this one answer)."""
    answer = judge_answer(round_, player, position, letters, now, grace_seconds, speed)
    if not store_answers([answer])[0]:
        raise Conflict(_(ANSWERED_ALREADY))
    return answer


def judge_answer(
    round_: LiveRound, player: LivePlayer, position: int, letters: list[str], now: datetime,
    grace_seconds: float, speed: float = 1.0,
) -> LiveAnswer:
    """A player's answer to a question, checked and scored, not yet stored.

    ``now`` is when the server **received** the answer (``clock.received()``), not when it got
    round to it: in a big hall answers queue in the server for seconds, and one that arrived in
    time is taken even when the question has closed meanwhile, provided it arrived before the
    close and within the question's time plus the grace."""
    item = answer_key(round_.id, position) if position else None
    return judge_with_key(round_, player, position, item, letters, now, grace_seconds, speed)


def judge_with_key(
    round_: LiveRound | RoundNow, player: LivePlayer | PlayerNow, position: int, item: AnswerKey | None,
    letters: list[str], now: datetime, grace_seconds: float, speed: float = 1.0,
) -> LiveAnswer:
    """``judge_answer`` with the question's key already read (``item``: None when the round
    has no question at ``position``), as the answer view reads it with the round."""
    if player.removed:
        raise QuizError(_("您已被主持人移出本轮。"), status=403)
    if round_.state == "question" and position == round_.position:
        if round_.paused:
            raise Conflict(_("主持人已暂停，请稍候再答。"))
        started, deadline = round_.question_started_at, round_.question_deadline
    else:
        if (item is None or item.skipped or item.started_at is None or item.closed_at is None
                or now >= item.closed_at):
            raise TooLate(_("本题已结束，答案未被接受。"))
        # the current position keeps its start as a resume moved it; an earlier one, as opened
        started = (round_.question_started_at if position == round_.position
                   else item.started_at + stream_delay(round_, speed))  # the phones' opening
        deadline = started + timedelta(seconds=real_seconds(round_, speed))
    if now > deadline + timedelta(seconds=grace_seconds):
        raise TooLate(_("时间已到，答案未被接受。"))
    if now < started:  # the stream has not shown the question to the phones yet
        raise Conflict(_("题目还未在直播画面中出现，请稍候再答。"))
    question = item
    chosen = scoring.check_choice(question.qtype, letters, len(question.options))
    response_ms = int((now - started).total_seconds() * 1000 * speed)
    response_ms = min(max(response_ms, 0), round_.question_seconds * 1000)
    answer = LiveAnswer(
        round_id=round_.id, player_id=player.id, position=position, chosen=chosen,
        is_correct=chosen == question.answer, response_ms=response_ms,
        points=answer_points(round_, question, chosen, response_ms), bonus=0, answered_at=now,
    )
    return answer


def store_answers(answers: list[LiveAnswer]) -> list[bool]:
    """Insert judged answers in one statement; for each, whether it was stored. An answer is
    not stored when its player already has one for that question (the unique constraint, or
    an earlier answer in the same list): one row per player and question, ever, and the
    first one stands. Flushes, never commits."""
    first: dict[tuple[int, int], int] = {}
    for i, answer in enumerate(answers):
        first.setdefault((answer.player_id, answer.position), i)
    rows = [dict(round_id=a.round_id, player_id=a.player_id, position=a.position, chosen=a.chosen,
                 is_correct=a.is_correct, response_ms=a.response_ms, points=a.points, bonus=a.bonus,
                 answered_at=a.answered_at) for i, a in enumerate(answers)
            if first[(a.player_id, a.position)] == i]
    if not rows:
        return [False] * len(answers)
    dialect = db.session.get_bind().dialect.name
    insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
    inserted = {tuple(row) for row in db.session.execute(
        insert_(LiveAnswer).values(rows)
        .on_conflict_do_nothing(index_elements=[LiveAnswer.player_id, LiveAnswer.position])
        .returning(LiveAnswer.player_id, LiveAnswer.position))}
    return [first[key] == i and key in inserted
            for i, key in enumerate((a.player_id, a.position) for a in answers)]


ANSWERED_ALREADY = N_("本题您已作答，答案以第一次提交为准。")


def same_answer_stored(player_id: int, position: int, letters: list[str]) -> LiveAnswer | None:
    """The player's stored answer to ``position`` when it is exactly ``letters``: the phone
    sent it again because the first response was lost on the way (a retry), so it gets the
    same success, not an error. A different second answer is still refused."""
    stored = player_answer(player_id, position) if position else None
    if stored is None or stored.chosen != "".join(sorted(letters)):
        return None
    return stored


def everyone_answered(round_: LiveRound) -> bool:
    """Asked after every answer: one EXISTS that stops at the first player still thinking,
    rather than counting every answer of the question each time."""
    active = and_(LivePlayer.round_id == round_.id, LivePlayer.removed.is_(False))
    answered = exists().where(LiveAnswer.player_id == LivePlayer.id, LiveAnswer.position == round_.position)
    waiting, anyone = db.session.execute(select(
        exists().where(active, ~answered), exists().where(active))).one()
    return anyone and not waiting


def player_answer(player_id: int, position: int) -> LiveAnswer | None:
    return db.session.scalar(select(LiveAnswer).where(
        LiveAnswer.player_id == player_id, LiveAnswer.position == position))


# ------------------------------------------------------------------ standings


@dataclass(frozen=True)
class Standing:
    rank: int
    player_id: int
    name: str
    enterprise: str
    department: str
    score: int
    correct: int
    time_ms: int  # total response time; a question asked but not answered counts its full time
    on_roster: bool  # matched to the enterprise's roster (meaningful in 名单 / 名单优先 rounds)
    answered: int = 0  # questions answered (right or wrong)


def player_standings(round_id: int, limit: int | None = None) -> list[Standing]:
    """One aggregate. Order (every scoring mode):

    1. score, more first;
    2. questions answered, more first: a player who did not answer ranks below one who
       answered wrong (a non-answerer used to win a 0–0 tie on time, with 0 ms);
    3. total response time, less first, where a question asked but not answered counts as
       the full question time (so a missing answer is never faster than a slow one);
    4. joining time, earlier first (the list order only).

    Players equal on score, questions answered and time share a rank. Removed players and
    skipped questions do not count. "Asked" means opened, not skipped and no longer open
    (while a question runs, nobody is behind on it yet).
    """
    round_ = db.session.get(LiveRound, round_id)
    question_ms = (round_.question_seconds if round_ else 0) * 1000
    asked = db.session.scalar(select(func.count()).select_from(LiveQuestion).where(
        LiveQuestion.round_id == round_id, LiveQuestion.skipped.is_(False),
        LiveQuestion.started_at.is_not(None))) or 0
    if round_ is not None and round_.state == "question":
        asked -= 1  # the question open now
    counted = and_(LiveAnswer.player_id == LivePlayer.id, LiveQuestion.id.is_not(None))
    score = func.coalesce(func.sum(case((counted, LiveAnswer.points + LiveAnswer.bonus), else_=0)), 0)
    correct = func.coalesce(func.sum(case((and_(counted, LiveAnswer.is_correct.is_(True)), 1), else_=0)), 0)
    answered = func.coalesce(func.sum(case((counted, 1), else_=0)), 0)
    time_ms = func.coalesce(func.sum(case((counted, LiveAnswer.response_ms), else_=0)), 0)
    totals = (
        select(
            LivePlayer.id.label("player_id"), LivePlayer.name, Enterprise.name.label("enterprise"),
            LivePlayer.department, LivePlayer.joined_at, LivePlayer.roster_person_id,
            cast(score, Integer).label("score"), cast(correct, Integer).label("correct"),
            cast(answered, Integer).label("answered"),
            # Each question asked but not answered adds its full time.
            cast(time_ms + case((answered < asked, (asked - answered) * question_ms), else_=0),
                 Integer).label("time_ms"),
        )
        .join(Enterprise, Enterprise.id == LivePlayer.enterprise_id)
        .outerjoin(LiveAnswer, LiveAnswer.player_id == LivePlayer.id)
        .outerjoin(LiveQuestion, and_(
            LiveQuestion.round_id == LiveAnswer.round_id, LiveQuestion.position == LiveAnswer.position,
            LiveQuestion.skipped.is_(False)))
        .where(LivePlayer.round_id == round_id, LivePlayer.removed.is_(False))
        .group_by(LivePlayer.id, LivePlayer.name, Enterprise.name, LivePlayer.department, LivePlayer.joined_at,
                  LivePlayer.roster_person_id)
        .subquery()
    )
    order = (totals.c.score.desc(), totals.c.answered.desc(), totals.c.time_ms)
    ranked = select(
        func.rank().over(order_by=order).label("rank"),
        totals.c.player_id, totals.c.name, totals.c.enterprise, totals.c.department,
        totals.c.score, totals.c.correct, totals.c.time_ms, totals.c.roster_person_id.is_not(None),
        totals.c.answered,
    ).order_by(*order, totals.c.joined_at, totals.c.player_id)
    if limit:
        ranked = ranked.limit(limit)
    return [Standing(*row) for row in db.session.execute(ranked)]


@dataclass(frozen=True)
class Move:
    """A line of the leaderboard between questions, with its move since the question before."""

    standing: Standing
    before: int  # rank before this question (among the same players)

    @property
    def change(self) -> int:  # > 0: up
        return self.before - self.standing.rank


def leaderboard(round_id: int, position: int, limit: int = 10) -> list[Move]:
    """The top ``limit`` after question ``position`` and each one's rank before it: one
    aggregate with two windows (scores up to the question before and up to this one)."""
    counted = and_(LiveAnswer.player_id == LivePlayer.id, LiveQuestion.id.is_not(None))
    earlier = and_(counted, LiveAnswer.position < position)

    def total(condition, value):
        return cast(func.coalesce(func.sum(case((condition, value), else_=0)), 0), Integer)

    totals = (
        select(
            LivePlayer.id.label("player_id"), LivePlayer.name, Enterprise.name.label("enterprise"),
            LivePlayer.department, LivePlayer.joined_at, LivePlayer.roster_person_id,
            total(counted, LiveAnswer.points + LiveAnswer.bonus).label("score"),
            total(and_(counted, LiveAnswer.is_correct.is_(True)), 1).label("correct"),
            total(counted, LiveAnswer.response_ms).label("time_ms"),
            total(earlier, LiveAnswer.points + LiveAnswer.bonus).label("score_before"),
            total(earlier, LiveAnswer.response_ms).label("time_before"),
        )
        .join(Enterprise, Enterprise.id == LivePlayer.enterprise_id)
        .outerjoin(LiveAnswer, and_(LiveAnswer.player_id == LivePlayer.id, LiveAnswer.position <= position))
        .outerjoin(LiveQuestion, and_(
            LiveQuestion.round_id == LiveAnswer.round_id, LiveQuestion.position == LiveAnswer.position,
            LiveQuestion.skipped.is_(False)))
        .where(LivePlayer.round_id == round_id, LivePlayer.removed.is_(False))
        .group_by(LivePlayer.id, LivePlayer.name, Enterprise.name, LivePlayer.department, LivePlayer.joined_at,
                  LivePlayer.roster_person_id)
        .subquery()
    )
    ranked = select(
        func.rank().over(order_by=(totals.c.score.desc(), totals.c.time_ms)).label("rank"),
        totals.c.player_id, totals.c.name, totals.c.enterprise, totals.c.department,
        totals.c.score, totals.c.correct, totals.c.time_ms, totals.c.roster_person_id.is_not(None),
        func.rank().over(order_by=(totals.c.score_before.desc(), totals.c.time_before)).label("before"),
    ).order_by(totals.c.score.desc(), totals.c.time_ms, totals.c.joined_at, totals.c.player_id).limit(limit)
    return [Move(Standing(*row[:9]), row[9]) for row in db.session.execute(ranked)]


@dataclass(frozen=True)
class TeamStanding:
    rank: int
    enterprise: str
    players: int
    average: float


def enterprise_standings(round_id: int) -> list[TeamStanding]:
    """Team mode: an enterprise's score is the average of its players' scores, so a small
    enterprise competes with a big one on equal terms. Ties: more players, then name.
    A player who answered nothing adds 0 to the average (not affected by the time tie-break
    of ``player_standings``)."""
    per_player = (
        select(LivePlayer.enterprise_id, func.coalesce(func.sum(LiveAnswer.points + LiveAnswer.bonus), 0).label("score"))
        .outerjoin(LiveQuestion, and_(LiveQuestion.round_id == LivePlayer.round_id, LiveQuestion.skipped.is_(False)))
        .outerjoin(LiveAnswer, and_(LiveAnswer.player_id == LivePlayer.id,
                                    LiveAnswer.position == LiveQuestion.position))
        .where(LivePlayer.round_id == round_id, LivePlayer.removed.is_(False))
        .group_by(LivePlayer.id, LivePlayer.enterprise_id)
        .subquery()
    )
    average = func.avg(per_player.c.score)
    rows = db.session.execute(
        select(
            func.rank().over(order_by=average.desc()).label("rank"),
            Enterprise.name, func.count().label("players"), average.label("average"),
        )
        .join(per_player, per_player.c.enterprise_id == Enterprise.id)
        .group_by(Enterprise.id, Enterprise.name)
        .order_by(average.desc(), func.count().desc(), Enterprise.name)
    ).all()
    return [TeamStanding(rank, name, players, round(float(avg or 0), 1)) for rank, name, players, avg in rows]


@dataclass(frozen=True)
class Distribution:
    counts: dict[str, int]  # letter → players who chose it
    answered: int
    right: int


def distribution(round_id: int, position: int, option_count: int) -> Distribution:
    rows = db.session.execute(
        select(LiveAnswer.chosen, LiveAnswer.is_correct, func.count())
        .join(LivePlayer, LivePlayer.id == LiveAnswer.player_id)
        .where(LiveAnswer.round_id == round_id, LiveAnswer.position == position, LivePlayer.removed.is_(False))
        .group_by(LiveAnswer.chosen, LiveAnswer.is_correct)
    ).all()
    counts = {scoring.LETTERS[i]: 0 for i in range(option_count)}
    answered = right = 0
    for chosen, correct, n in rows:
        answered += n
        right += n if correct else 0
        for letter in chosen:
            counts[letter] = counts.get(letter, 0) + n
    return Distribution(counts, answered, right)


def answered_count(round_id: int, position: int) -> int:
    return db.session.scalar(select(func.count()).select_from(LiveAnswer).where(
        LiveAnswer.round_id == round_id, LiveAnswer.position == position)) or 0
