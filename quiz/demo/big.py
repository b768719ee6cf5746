"""``flask demo big``: a realistic large campaign, for the league tables, the reports and
their benchmark (bench/league.py).

At full size: 500 enterprises in 20 regions (镇/街道/开发区), 100 000 participants,
3 contests in June of the campaign year, about 108 000 attempts and 2.2 million answers.

What makes it realistic, and what the tables and item statistics then show:

- regions of three kinds; industries (the 11 key areas of the campaign plus 其他) skewed and
  depending on the kind of region (chemicals in 开发区, crowded places in 街道, mines in 镇);
  headcounts (应参与人数) 10–2000, log-normal; 3–8 departments each, with headcounts;
- participation rates spread between 20 % and 100 %, a few enterprises with no participant;
- answers follow an item-response model: P(right) = c + (1 − c) · σ(1.7 · a · (θ − b)), with
  the person's ability θ (the enterprise's level plus personal spread), the question's
  difficulty b (from its bank difficulty 1–3), discrimination a and guessing c (½ for 判断,
  ¼ for 单选, little for 多选). Harder questions have lower facility and every question
  a positive discrimination, as on a real paper;
- wrong answers are plausible: another option for 单选/判断; for 多选 a subset of the right
  options (partial credit in the contest that gives it) or a near miss;
- most people take one attempt; people who failed often take a second one (a little better),
  and some changed department in between (the attempt keeps the department of its day);
- submissions over the 30 days of June (Beijing time, stored as naive UTC): weekdays more than
  weekends, working hours and evenings, a peak on 6·16 (咨询日) and a rush at the end;
- about 2 % of attempts ran out of time with the last questions unanswered.

Every figure stored is consistent as if the app had recorded it: an attempt's score is the sum
of its rows' points, correct_count the number of right rows, ``chosen`` holds original letters
(whatever the shuffled ``option_order``), times are ordered start ≤ answers ≤ submission ≤
deadline, passed attempts have a certificate number.

Speed: every row's id is assigned here, and rows go to the database in chunks by executemany
(SQLAlchemy Core) or, on PostgreSQL, by COPY; on SQLite ``synchronous=OFF`` and a large page
cache are set for this connection only, while the load runs. PostgreSQL then gets VACUUM
ANALYZE (as autovacuum would); SQLite no ANALYZE (the app never runs it). Deterministic for a seed.

The demo's enterprises have poster codes ``DM0001`` …; ``--replace`` removes the campaign, its
contests and everything of those enterprises (departments, participants and their attempts,
practice answers, 错题本), and refuses when something else (an account, a live round, another
contest) refers to them.
"""
from __future__ import annotations

import json
import math
import random
import string
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import combinations, permutations
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection, delete, func, insert, select, text

from .. import clock
from ..codes import ALPHABET
from ..contests.draws import recount_uses
from ..extensions import db
from ..models import (
    Attempt,
    AttemptQuestion,
    Campaign,
    Category,
    Contest,
    ContestQuestionUse,
    Department,
    Enterprise,
    LivePlayer,
    LiveRound,
    Mistake,
    Participant,
    PracticeAnswer,
    Question,
    User,
    contest_category,
    contest_enterprise,
)

BEIJING = ZoneInfo("Asia/Shanghai")
LETTERS = string.ascii_uppercase[:8]
CODE_PREFIX = "DM"  # the demo's enterprises: DM0001, DM0002, …
CHUNK_ROWS = 40_000  # answers per executemany / COPY batch (one commit each)

INDUSTRIES = [
    # name, weight, headcount factor, ability shift
    ("其他", 24, 0.8, -0.10),
    ("城市建设", 12, 1.2, 0.00),
    ("工业园区等功能区", 12, 1.1, 0.05),
    ("危险化学品", 10, 1.3, 0.25),
    ("仓储物流", 9, 0.9, -0.05),
    ("消防", 8, 0.9, 0.00),
    ("道路运输", 7, 1.0, -0.05),
    ("特种设备", 6, 0.7, 0.15),
    ("交通运输和渔业船舶", 4, 0.8, -0.15),
    ("危险废物", 3, 0.6, 0.10),
    ("非煤矿山", 3, 1.0, 0.05),
    ("油气长输管道", 2, 1.2, 0.30),
]
# The kind of region shifts which industries are there.
REGION_BIAS = {
    "开发区": {"危险化学品": 2.5, "工业园区等功能区": 3.0, "危险废物": 2.0, "仓储物流": 1.5,
            "油气长输管道": 1.5},
    "街道": {"消防": 3.0, "道路运输": 1.5, "城市建设": 1.5, "其他": 1.3},
    "镇": {"非煤矿山": 3.0, "交通运输和渔业船舶": 2.5, "其他": 1.3, "特种设备": 1.2},
}
REGIONS = [
    "经济技术开发区", "滨海街道", "新城镇", "高新技术产业开发区", "城关街道", "临江镇", "东城街道",
    "桥头镇", "临港经济开发区", "西城街道", "石门镇", "南湖街道", "白沙镇", "青山镇", "北山街道",
    "化学工业园区", "龙湖镇", "江滨街道", "黄岗镇", "马鞍镇", "新华街道", "柳河镇", "长安镇",
    "人民路街道", "清溪镇", "凤凰镇", "双桥镇", "南港开发区", "金沙街道", "太平镇",
]
TRADES = {
    "危险化学品": ["化工", "精细化工", "石油化工", "化学品贸易", "新材料", "涂料", "化肥"],
    "非煤矿山": ["矿业", "石料", "建材矿业", "砂石"],
    "消防": ["商业广场管理", "大酒店", "购物中心", "百货", "物业管理", "文化娱乐"],
    "道路运输": ["汽车运输", "客运", "货运", "公交", "危险货物运输"],
    "交通运输和渔业船舶": ["航运", "港务", "海运", "渔业", "船务"],
    "城市建设": ["建筑工程", "建设", "市政工程", "路桥工程", "装饰工程", "房地产开发"],
    "工业园区等功能区": ["机械制造", "电子科技", "纺织", "金属制品", "汽车零部件", "塑料制品", "家具"],
    "危险废物": ["环保科技", "固废处置", "再生资源", "环境服务"],
    "仓储物流": ["物流", "仓储", "供应链管理", "冷链物流", "快递"],
    "油气长输管道": ["燃气", "天然气管道", "能源", "石油销售"],
    "特种设备": ["电梯工程", "起重机械", "锅炉", "压力容器", "特种设备检测"],
    "其他": ["食品", "医药", "印刷", "服装", "电力", "供水", "农业开发", "粮油", "餐饮管理"],
}
BRANDS = (
    "宏达 恒通 华信 金鼎 瑞丰 鑫源 永安 中联 东方 海天 正泰 新华 远航 博远 天成 嘉禾 盛世 安泰 万通 "
    "长城 华宇 鸿运 信达 兴业 鼎盛 汇通 联合 金诚 德信 宏图 海诚 利民 华安 振华 龙腾 创新 光明 宝丰 "
    "三和 裕华 明达 福顺 通达 瑞祥 恒信 华泰 腾飞 先锋 凯达 同心 中天 泰和 广源 富康 晨光 卓越 宇通 "
    "环宇 金桥 银河 华茂 国泰 蓝天 绿源 鸿达 佳和 聚力 天润 永兴 新世纪"
).split()
SUFFIXES = [("有限公司", 60), ("有限责任公司", 15), ("股份有限公司", 15), ("集团有限公司", 10)]
DEPARTMENTS = [
    "安全环保部", "生产部", "设备动力部", "质量管理部", "仓储部", "综合办公室", "技术研发部", "采购部",
    "销售部", "财务部", "人力资源部", "一车间", "二车间", "三车间", "维修班", "运输队", "后勤保障部",
    "工程部", "项目部",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
)
GIVEN = (
    "建国华明伟志强军平海文红玉兰英芳丽敏静燕霞丹杰涛斌波辉鹏磊刚勇峰俊浩宇轩子涵欣怡佳琪雪梅晨阳"
    "思雨婷博龙飞成林春秋亮超凯鑫瑞晓慧颖新德永东庆立家荣秀桂金琳"
)
PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                  "152", "155", "156", "157", "158", "159", "166", "177", "180", "181", "183",
                  "185", "186", "187", "188", "189", "198", "199"]
# Share of submissions by local hour (work breaks, lunch, evening at home).
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 9, 10, 8, 5, 6, 8, 9, 8, 6, 5, 7, 9, 8, 5, 2]
TIME_LIMIT_SECONDS = 15 * 60


@dataclass(frozen=True)
class BigOptions:
    enterprises: int = 500
    regions: int = 20
    participants: int = 100_000
    questions: int = 20
    seed: int = 1
    year: int | None = None  # default: the year of the server clock
    replace: bool = False


class DemoRefused(Exception):
    """The demo cannot be made as asked; the message is for the person at the terminal."""


def campaign_name(year: int) -> str:
    return f"演示大赛 {year}"


@dataclass
class _Ent:
    id: int
    name: str
    code: str
    region: str
    industry: str
    headcount: int
    level: float  # the enterprise's mean ability
    departments: list[tuple[str, int]] = field(default_factory=list)
    people: int = 0


@dataclass
class _ContestPlan:
    id: int
    title: str
    ranking: str
    pass_score: float | None
    max_attempts: int
    multi_partial: bool
    first_day: int  # of June
    last_day: int
    share: float  # of the participants who take this contest


@dataclass
class _Question:
    id: int
    qtype: str
    options: int
    answer: str
    a: float
    b: float
    c: float
    wrong: list[tuple[str, float]]  # (chosen, share of full points under partial credit)


@dataclass
class _Attempt:
    start: datetime  # naive UTC
    person: int  # index into the people list
    contest: int  # index into the contest plans
    number: int
    department: str
    boost: float  # ability gained by the second attempt


# ---------------------------------------------------------------- the command


@click.command("big")
@click.option("--enterprises", default=500, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--regions", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--participants", default=100_000, show_default=True, type=click.IntRange(0, 10_000_000))
@click.option("--questions", default=20, show_default=True, type=click.IntRange(1, 200),
              help="questions per attempt (AttemptQuestion rows)")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--year", type=click.IntRange(2000, 2100), help="campaign year (default: this year)")
@click.option("--replace", is_flag=True, help="remove an existing demo campaign of that year first")
@with_appcontext
def big_command(enterprises, regions, participants, questions, seed, year, replace) -> None:
    """A large realistic demo campaign (500 enterprises, 100 000 participants, 2 million answers)."""
    options = BigOptions(enterprises=enterprises, regions=regions, participants=participants,
                         questions=questions, seed=seed, year=year, replace=replace)
    try:
        generate(options, click.echo)
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal)) from None


# ---------------------------------------------------------------- generation


def generate(options: BigOptions, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Fill the database with the demo campaign; returns the counts. Raises DemoRefused."""
    began = time.perf_counter()
    year = options.year or clock.now().year
    name = campaign_name(year)
    rng = random.Random(options.seed)
    if not db.session.scalar(select(func.count(Question.id))):
        from .setup import load_builtin_bank

        counts = load_builtin_bank()
        db.session.commit()
        echo(f"题库已载入：{counts['added']} 题。")
    db.session.commit()  # nothing of the session's stays open while the bulk connection writes

    with db.engine.connect() as conn:
        existing = conn.scalar(select(Campaign.id).where(Campaign.name == name))
        if existing is not None:
            if not options.replace:
                raise DemoRefused(f"活动“{name}”已存在；如需重新生成，请加 --replace。"
                                  f" / The campaign already exists: add --replace to rebuild it.")
            _remove(conn, existing, echo)
        pool = _question_pool(conn, rng)
        if len(pool) < options.questions:
            raise DemoRefused(f"题库只有 {len(pool)} 道可用题，不足每卷 {options.questions} 题。")
        taken_codes = set(conn.scalars(select(Enterprise.code)))
        clash = sorted(c for c in taken_codes if c.startswith(CODE_PREFIX) and c[2:].isdigit())
        if clash:
            other = conn.scalar(select(Campaign.name).where(Campaign.name.like("演示大赛 %"))
                                .order_by(Campaign.id.desc()))
            where = f"（属于“{other}”）" if other else ""
            raise DemoRefused(f"数据库中已有演示单位{where}，单位编码 {clash[0]} 等已被使用；"
                              "请对那一年的演示活动加 --year 和 --replace 重新生成。")
        taken_names = set(conn.scalars(select(Enterprise.name)))

        pragmas = _bulk_pragmas(conn)
        try:
            counts = _load(conn, options, year, name, rng, pool, taken_names, echo)
        finally:
            _restore_pragmas(conn, pragmas)
        _analyze(echo)
    elapsed = time.perf_counter() - began
    echo(f"完成 / done: 单位 {counts['enterprises']}（{counts['regions']} 个镇街区），"
         f"部门 {counts['departments']}，参赛者 {counts['participants']}，竞赛 {counts['contests']}，"
         f"答卷 {counts['attempts']}，答题记录 {counts['answers']}，用时 {elapsed:.1f} 秒。")
    counts["seconds"] = round(elapsed, 1)
    return counts


def _load(conn: Connection, options: BigOptions, year: int, name: str, rng: random.Random,
          pool: list[_Question], taken_names: set[str], echo) -> dict[str, int]:
    t0 = time.perf_counter()
    ids = _IdSource(conn)
    regions = _regions(options.regions)
    ents = _enterprises(options, regions, rng, taken_names, ids)
    _allocate_people(ents, options.participants, rng)
    contests = _contest_plans(ids)
    june_first = datetime(year, 6, 1)

    # campaign and contests (a handful of rows)
    campaign_id = ids.next("campaign")
    conn.execute(insert(Campaign), [dict(
        id=campaign_id, name=name, theme="人人讲安全、个个会应急", year=year,
        weight_participation=0.5, weight_score=0.5)])
    points = max(1, round(100 / options.questions))
    used_codes = set(conn.scalars(select(Contest.code)))
    contest_rows = []
    for plan in contests:
        code = _unique_code(rng, used_codes, 6)
        opens = _utc(june_first + timedelta(days=plan.first_day - 1))
        closes = _utc(june_first + timedelta(days=plan.last_day))
        contest_rows.append(dict(
            id=plan.id, campaign_id=campaign_id, code=code, title=plan.title,
            opens_at=opens, closes_at=closes, question_count=options.questions,
            time_limit_seconds=TIME_LIMIT_SECONDS, points_single=points, points_multi=points,
            points_judge=points, multi_partial=plan.multi_partial, max_attempts=plan.max_attempts,
            attempts_per_day=False, pass_score=plan.pass_score, ranking=plan.ranking,
            open_to_all=True, created_at=_utc(june_first - timedelta(days=7)),
        ))
    conn.execute(insert(Contest), contest_rows)
    category_ids = list(conn.scalars(select(Category.id).order_by(Category.id)))
    conn.execute(insert(contest_category), [
        dict(contest_id=plan.id, category_id=cid) for plan in contests for cid in category_ids])

    # enterprises and departments
    conn.execute(insert(Enterprise), [dict(
        id=e.id, name=e.name, code=e.code, headcount=e.headcount, region=e.region,
        industry=e.industry, active=True) for e in ents])
    dept_rows = [dict(id=ids.next("department"), enterprise_id=e.id, name=d, headcount=h)
                 for e in ents for d, h in e.departments]
    conn.execute(insert(Department), dept_rows)
    conn.commit()
    echo(f"单位 {len(ents)}，部门 {len(dept_rows)}，{len(regions)} 个镇街区；竞赛 "
         + "、".join(p.title for p in contests) + f"（{time.perf_counter() - t0:.1f} 秒）")

    # people and when they took part
    people, plan_attempts = _people_and_attempts(ents, contests, year, rng)
    # Ids in the order things happened: people by sign-up, attempts by start.
    first_start: dict[int, datetime] = {}
    for a in plan_attempts:
        if a.person not in first_start or a.start < first_start[a.person]:
            first_start[a.person] = a.start
    order = sorted(range(len(people)), key=lambda i: (first_start[i], i))
    person_id = {}
    rows = []
    for i in order:
        p = people[i]
        person_id[i] = ids.next("participant")
        rows.append(dict(id=person_id[i], enterprise_id=p[0], identifier=p[1], name=p[2],
                         department=p[3], created_at=first_start[i] - timedelta(seconds=20 + i % 40)))
    for chunk in _chunks(rows, CHUNK_ROWS):
        _bulk(conn, Participant.__table__, chunk)
    conn.commit()
    echo(f"参赛者 {len(rows)}（{time.perf_counter() - t0:.1f} 秒）")
    del rows

    plan_attempts.sort(key=lambda a: (a.start, a.person, a.number))
    answers = _attempts_and_answers(conn, plan_attempts, people, person_id, contests, pool,
                                    options.questions, points, rng, ids, echo, t0)
    recount_uses(conn, [p.id for p in contests])
    ids.sync(conn)
    conn.commit()
    return dict(enterprises=len(ents), regions=len(regions), departments=len(dept_rows),
                participants=len(people), contests=len(contests), attempts=len(plan_attempts),
                answers=answers)


def _attempts_and_answers(conn, plan_attempts: list[_Attempt], people, person_id, contests,
                          pool: list[_Question], n_questions: int, points: int,
                          rng: random.Random, ids: "_IdSource", echo, t0) -> int:
    """Attempts and their answer rows, generated and written chunk by chunk."""
    aq_table = AttemptQuestion.__table__
    attempt_table = Attempt.__table__
    perms = {n: [list(p) for p in permutations(range(n))] for n in {q.options for q in pool}}
    judge_order = [0, 1]
    pool_index = list(range(len(pool)))
    certificates: set[str] = set()
    limit = timedelta(seconds=TIME_LIMIT_SECONDS)
    closes = {i: conn.scalar(select(Contest.closes_at).where(Contest.id == plan.id))
              for i, plan in enumerate(contests)}
    max_score = float(points * n_questions)
    total = len(plan_attempts) * n_questions
    written = 0
    attempt_rows: list[dict] = []
    answer_rows: list[dict] = []
    next_report = 0.1
    exp = math.exp
    rand = rng.random

    for a in plan_attempts:
        plan = contests[a.contest]
        _enterprise_id, _ident, _name, _dept, theta = people[a.person]
        theta += a.boost
        attempt_id = ids.next("attempt")
        deadline = min(a.start + limit, closes[a.contest])
        timed_out = rand() < 0.02
        unanswered = rng.randint(1, min(5, n_questions)) if timed_out else 0
        if timed_out:
            used_ms = int((deadline - a.start).total_seconds() * 1000)
        else:
            used_ms = int(min(rng.lognormvariate(math.log(330), 0.45), TIME_LIMIT_SECONDS - 5) * 1000)
            used_ms = min(used_ms, int((deadline - a.start).total_seconds() * 1000))
        submitted = a.start + timedelta(milliseconds=used_ms)
        score = 0.0
        correct_count = 0
        answered = n_questions - unanswered
        step = used_ms / (n_questions + 1)
        for position, qi in enumerate(rng.sample(pool_index, n_questions), start=1):
            q = pool[qi]
            order = judge_order if q.qtype == "judge" else perms[q.options][int(rand() * len(perms[q.options]))]
            row = dict(id=ids.next("attempt_question"), attempt_id=attempt_id, position=position,
                       question_id=q.id, option_order=order, chosen=None, is_correct=None,
                       points=0.0, answered_at=None)
            if position <= answered:
                p_right = q.c + (1 - q.c) / (1 + exp(-1.7 * q.a * (theta - q.b)))
                if rand() < p_right:
                    chosen, got = q.answer, float(points)
                    correct_count += 1
                else:
                    chosen, share = q.wrong[int(rand() * len(q.wrong))]
                    got = round(points * share, 2) if plan.multi_partial else 0.0
                row["chosen"] = chosen
                row["is_correct"] = chosen == q.answer
                row["points"] = got
                row["answered_at"] = a.start + timedelta(milliseconds=int(step * (position + rand() * 0.9)))
                score += got
            answer_rows.append(row)
        score = max(0.0, round(score, 2))
        passed = None if plan.pass_score is None else score >= plan.pass_score
        attempt_rows.append(dict(
            id=attempt_id, contest_id=plan.id, participant_id=person_id[a.person], number=a.number,
            started_at=a.start, deadline=deadline, submitted_at=submitted, score=score,
            max_score=max_score, correct_count=correct_count, time_used_ms=used_ms, passed=passed,
            leave_count=_leaves(rand()), certificate_no=_unique_code(rng, certificates, 10, "SQ") if passed else None,
            department=a.department,
        ))
        if len(answer_rows) >= CHUNK_ROWS:
            written += _flush(conn, attempt_table, attempt_rows, aq_table, answer_rows)
            if written / total >= next_report:
                echo(f"答题记录 {written}/{total}（{time.perf_counter() - t0:.1f} 秒）")
                next_report += 0.1
    written += _flush(conn, attempt_table, attempt_rows, aq_table, answer_rows)
    echo(f"答卷 {len(plan_attempts)}，答题记录 {written}（{time.perf_counter() - t0:.1f} 秒）")
    return written


def _flush(conn, attempt_table, attempt_rows: list[dict], aq_table, answer_rows: list[dict]) -> int:
    count = len(answer_rows)
    if attempt_rows:
        _bulk(conn, attempt_table, attempt_rows)
    if answer_rows:
        _bulk(conn, aq_table, answer_rows)
    conn.commit()
    attempt_rows.clear()
    answer_rows.clear()
    return count


def _leaves(r: float) -> int:
    return 0 if r < 0.9 else 1 if r < 0.97 else 2 if r < 0.99 else 3


# ---------------------------------------------------------------- the parts


def _regions(count: int) -> list[str]:
    names = list(REGIONS[:count])
    k = 1
    while len(names) < count:
        names.append(f"第{k}工业园区" if k % 3 == 0 else f"新区{k}街道" if k % 3 == 1 else f"新建{k}镇")
        k += 1
    return names


def _region_kind(region: str) -> str:
    if region.endswith(("开发区", "园区")):
        return "开发区"
    return "街道" if region.endswith("街道") else "镇"


def _region_short(region: str) -> str:
    for suffix in ("街道", "镇"):
        if region.endswith(suffix):
            return region[: -len(suffix)]
    return ""


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _enterprises(options: BigOptions, regions: list[str], rng: random.Random,
                 taken_names: set[str], ids: "_IdSource") -> list[_Ent]:
    region_weights = [2.0 if _region_kind(r) == "开发区" else 1.2 if _region_kind(r) == "街道" else 1.0
                      for r in regions]
    region_weights = [w * rng.uniform(0.6, 1.4) for w in region_weights]
    industry_names = [i[0] for i in INDUSTRIES]
    industry = {i[0]: i for i in INDUSTRIES}
    # Headcounts: log-normal around what the participants need (about 65 % take part), 10–2000.
    mean_headcount = max(10.0, options.participants / 0.65 / options.enterprises)
    sigma = 0.9
    mu = math.log(mean_headcount) - sigma * sigma / 2
    names = set(taken_names)
    ents = []
    for i in range(options.enterprises):
        region = regions[i] if i < len(regions) else _weighted(rng, regions, region_weights)
        bias = REGION_BIAS[_region_kind(region)]
        trade_industry = _weighted(rng, industry_names,
                                   [w * bias.get(n, 1.0) for n, w, _f, _s in INDUSTRIES])
        _n, _w, factor, shift = industry[trade_industry]
        headcount = int(min(2000, max(10, round(rng.lognormvariate(mu, sigma) * factor))))
        name = _enterprise_name(rng, region, trade_industry, names)
        names.add(name)
        ent = _Ent(id=ids.next("enterprise"), name=name, code=f"{CODE_PREFIX}{i + 1:04d}",
                   region=region, industry=trade_industry, headcount=headcount,
                   level=0.3 + shift + rng.gauss(0, 0.45))
        k = rng.randint(3, 8)
        dept_names = rng.sample(DEPARTMENTS, k)
        weights = [rng.expovariate(1.0) + 0.2 for _ in dept_names]
        ent.departments = list(zip(dept_names, _split(headcount, weights)))
        ents.append(ent)
    return ents


def _enterprise_name(rng: random.Random, region: str, industry: str, taken: set[str]) -> str:
    suffixes, weights = zip(*SUFFIXES)
    for attempt in range(50):
        prefix = _region_short(region) if rng.random() < 0.3 else ""
        name = (prefix + rng.choice(BRANDS) + rng.choice(TRADES[industry])
                + _weighted(rng, list(suffixes), list(weights)))
        if attempt > 20:
            name = name.replace("有限", f"第{attempt - 19}分公司有限", 1)
        if name not in taken and len(name) <= 120:
            return name
    raise DemoRefused("无法生成不重复的单位名称。")


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), summing exactly."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    parts = [int(x) for x in raw]
    rest = total - sum(parts)
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[:rest]:
        parts[i] += 1
    return parts


def _allocate_people(ents: list[_Ent], participants: int, rng: random.Random) -> None:
    """How many participants each enterprise has: a rate of 20 %–100 % of its headcount, a few
    enterprises with nobody; scaled so that the total is exactly ``participants``."""
    none = max(1, round(len(ents) * 0.03)) if len(ents) >= 3 else 0
    silent = set(rng.sample(range(len(ents)), none))
    targets = []
    for i, e in enumerate(ents):
        rate = 0.0 if i in silent else 0.2 + 0.8 * rng.random() ** 0.7
        targets.append(rate * e.headcount)
    caps = [0 if i in silent else e.headcount for i, e in enumerate(ents)]
    want = [0.0] * len(ents)
    remaining = float(participants)
    active = [i for i in range(len(ents)) if caps[i] > 0]
    for _ in range(20):  # scale to the total; whoever reaches 100 % stops there
        if remaining <= 0.5 or not active:
            break
        weight = sum(targets[i] for i in active)
        if weight <= 0:
            break
        scale = remaining / weight
        remaining = 0.0
        still = []
        for i in active:
            want[i] += targets[i] * scale
            if want[i] > caps[i]:
                remaining += want[i] - caps[i]
                want[i] = caps[i]
            else:
                still.append(i)
        active = still
    if remaining > 0.5:  # more people than headcounts: everyone over 100 %, in proportion
        open_ = [i for i in range(len(ents)) if caps[i] > 0] or list(range(len(ents)))
        extra = _split(round(remaining), [max(1, ents[i].headcount) for i in open_])
        for i, x in zip(open_, extra):
            want[i] += x
    counts = _split(participants, want) if sum(want) > 0 else [0] * len(ents)
    for e, n in zip(ents, counts):
        e.people = n


def _contest_plans(ids: "_IdSource") -> list[_ContestPlan]:
    return [
        _ContestPlan(ids.next("contest"), "“安全生产月”安全知识竞赛", "best", 60.0, 2, False, 1, 30, 0.7),
        _ContestPlan(ids.next("contest"), "“人人讲安全、个个会应急”网络答题", "latest", None, 2, True, 10, 30, 0.2),
        _ContestPlan(ids.next("contest"), "6·16 安全宣传咨询日专题赛", "best", 80.0, 1, False, 16, 22, 0.1),
    ]


def _day_weights(plan: _ContestPlan, year: int) -> tuple[list[int], list[float]]:
    days, weights = [], []
    for day in range(plan.first_day, plan.last_day + 1):
        weekday = date(year, 6, day).weekday()
        w = 1.0 if weekday < 5 else 0.45
        if day == plan.first_day:
            w *= 1.8  # the launch
        if day == 16:
            w *= 3.0  # 安全宣传咨询日
        if day >= plan.last_day - 2:
            w *= 1.9  # the rush before it closes
        days.append(day)
        weights.append(w)
    return days, weights


def _people_and_attempts(ents: list[_Ent], contests: list[_ContestPlan], year: int,
                         rng: random.Random):
    """People as (enterprise id, identifier, name, department, ability) and their attempts."""
    surname_weights = [1 / (k + 6) for k in range(len(SURNAMES))]
    surnames = list(SURNAMES)
    day_tables = [_day_weights(plan, year) for plan in contests]
    hours = list(range(24))
    shares = [plan.share for plan in contests]
    people = []
    attempts: list[_Attempt] = []
    for e in ents:
        if e.people == 0:
            continue
        dept_names = [d for d, _h in e.departments]
        dept_weights = [h + 0.5 for _d, h in e.departments]
        prefix_offset = rng.randrange(10_000_000)
        for k in range(e.people):
            department = _weighted(rng, dept_names, dept_weights)
            if rng.random() < 0.12:
                identifier = f"GH{k + 1:05d}"  # 工号
            else:
                identifier = rng.choice(PHONE_PREFIXES) + f"{(prefix_offset + k * 7_919) % 100_000_000:08d}"
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            name = _weighted(rng, surnames, surname_weights) + given
            theta = e.level + rng.gauss(0, 1.0)
            person = len(people)
            ci = _weighted(rng, list(range(len(contests))), shares)
            plan = contests[ci]
            days, weights = day_tables[ci]
            day = _weighted(rng, days, weights)
            first = _moment(rng, year, day, hours, day == plan.last_day)
            # A failed (or weak) first attempt is more often taken again, on a later day.
            later = [d for d in days if d > day]
            second = None
            if plan.max_attempts > 1 and later and rng.random() < (0.25 if theta < 0.0 else 0.03):
                again = rng.choice(later)
                second = _moment(rng, year, again, hours, again == plan.last_day)
                if second < first + timedelta(hours=1):
                    second = None
            # Some moved to another department between their two attempts.
            first_department = department
            if second is not None and len(dept_names) > 1 and rng.random() < 0.25:
                first_department = rng.choice([d for d in dept_names if d != department])
            attempts.append(_Attempt(first, person, ci, 1, first_department, 0.0))
            if second is not None:
                attempts.append(_Attempt(second, person, ci, 2, department, 0.35))
            people.append((e.id, identifier, name, department, theta))
    return people, attempts


def _moment(rng: random.Random, year: int, day: int, hours: list[int], closing: bool) -> datetime:
    """A start on that local day; on the contest's last day early enough to finish by midnight."""
    hour = _weighted(rng, hours, HOUR_WEIGHTS)
    minutes = 60 if not (closing and hour == 23) else 60 - TIME_LIMIT_SECONDS // 60 - 1
    local = datetime(year, 6, day, hour, rng.randrange(minutes), rng.randrange(60))
    return _utc(local)


def _utc(local: datetime) -> datetime:
    """A naive Beijing time as naive UTC (how times are stored)."""
    return local.replace(tzinfo=BEIJING).astimezone(timezone.utc).replace(tzinfo=None)


def _question_pool(conn: Connection, rng: random.Random) -> list[_Question]:
    """The current active questions with their item parameters (deterministic for the seed)."""
    rows = conn.execute(
        select(Question.id, Question.qtype, Question.options, Question.answer, Question.difficulty)
        .where(Question.current.is_(True), Question.active.is_(True))
        .order_by(Question.id)
    ).all()
    pool = []
    for qid, qtype, options, answer, difficulty in rows:
        n = len(options)
        if n < 2 or not answer:
            continue
        b = {1: -1.1, 2: -0.2, 3: 0.7}.get(difficulty, 0.0) + rng.gauss(0, 0.45)
        a = rng.uniform(0.4, 1.4)
        c = {"judge": 0.5, "single": 1.0 / n}.get(qtype, 0.03)
        pool.append(_Question(qid, qtype, n, answer, a, b, c, _wrong_answers(qtype, n, answer)))
    return pool


def _wrong_answers(qtype: str, n: int, answer: str) -> list[tuple[str, float]]:
    """Plausible wrong answers with their share of the points under partial credit; repeated
    entries make the likelier ones likelier."""
    letters = LETTERS[:n]
    if qtype != "multi":
        return [(x, 0.0) for x in letters if x != answer]
    right = set(answer)
    found: list[tuple[str, float]] = []
    for size in range(2, n + 1):
        for combo in combinations(letters, size):
            chosen = "".join(combo)
            if chosen == answer:
                continue
            picked = set(combo)
            if picked < right:  # part of the right options: partial credit
                found += [(chosen, len(picked) / len(right))] * 3
            elif len(picked ^ right) <= 2:  # one off: a near miss
                found += [(chosen, 0.0)] * 2
            else:
                found.append((chosen, 0.0))
    return found


def _unique_code(rng: random.Random, used: set[str], length: int, prefix: str = "") -> str:
    while True:
        code = prefix + "".join(rng.choice(ALPHABET) for _ in range(length))
        if code not in used:
            used.add(code)
            return code


def _chunks(rows: list, size: int) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


# ---------------------------------------------------------------- database helpers


class _IdSource:
    """Ids assigned here, after the highest one in each table (no per-row round trip);
    ``sync`` moves PostgreSQL's sequences past them afterwards."""

    TABLES = ("campaign", "contest", "enterprise", "department", "participant", "attempt",
              "attempt_question")

    def __init__(self, conn: Connection):
        self.last = {t: conn.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")) for t in self.TABLES}

    def next(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]

    def sync(self, conn: Connection) -> None:
        if conn.dialect.name != "postgresql":
            return
        for table in self.TABLES:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def _bulk(conn: Connection, table, rows: list[dict]) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    dbapi = conn.connection.dbapi_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(tuple(
                json.dumps(row[c], ensure_ascii=False) if c in json_columns and row[c] is not None
                else row[c]
                for c in columns))


def _bulk_pragmas(conn: Connection) -> dict:
    """SQLite, for this connection while the load runs: no fsync, a 256 MB page cache."""
    if conn.dialect.name != "sqlite":
        return {}
    saved = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
             for name in ("synchronous", "cache_size")}
    conn.exec_driver_sql("PRAGMA synchronous=OFF")
    conn.exec_driver_sql("PRAGMA cache_size=-262144")
    return saved


def _restore_pragmas(conn: Connection, saved: dict) -> None:
    if conn.in_transaction():
        conn.rollback()
    for name, value in saved.items():
        conn.exec_driver_sql(f"PRAGMA {name}={int(value)}")


def _analyze(echo) -> None:
    """After the bulk load, what a running database would have had time to do by itself.

    PostgreSQL: VACUUM ANALYZE, which autovacuum does within minutes of such a load anyway
    (planner statistics, visibility map). SQLite keeps no planner statistics unless someone
    runs ANALYZE, and the app never does; so none are made here either, and pages are
    measured as a database the app grew itself would serve them. Only the write-ahead log
    is folded back into the database file.
    """
    t0 = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("enterprise", "department", "participant", "attempt", "attempt_question"):
                conn.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
        echo(f"VACUUM ANALYZE（{time.perf_counter() - t0:.1f} 秒）")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _remove(conn: Connection, campaign_id: int, echo) -> None:
    """--replace: the campaign, its contests and the demo's enterprises with all they hold."""
    t0 = time.perf_counter()
    contest_ids = select(Contest.id).where(Contest.campaign_id == campaign_id).scalar_subquery()
    demo_ids = [i for i, code in conn.execute(select(Enterprise.id, Enterprise.code))
                if code.startswith(CODE_PREFIX) and code[2:].isdigit()]
    # Anything outside the demo that points at its enterprises: refuse rather than break it.
    for what, query in (
        ("账号", select(func.count(User.id)).where(User.enterprise_id.in_(demo_ids))),
        ("现场答题", select(func.count(LiveRound.id)).where(LiveRound.enterprise_id.in_(demo_ids))),
        ("现场答题选手", select(func.count(LivePlayer.id)).where(LivePlayer.enterprise_id.in_(demo_ids))),
        ("其他竞赛", select(func.count(Contest.id)).where(
            Contest.enterprise_id.in_(demo_ids), Contest.campaign_id != campaign_id)),
        ("其他竞赛的参赛单位", select(func.count()).select_from(contest_enterprise).where(
            contest_enterprise.c.enterprise_id.in_(demo_ids),
            contest_enterprise.c.contest_id.not_in(contest_ids))),
    ):
        if conn.scalar(query):
            raise DemoRefused(f"演示单位已被{what}引用，不能自动删除；请换一个年份（--year）或先手工清理。")
    people = select(Participant.id).where(Participant.enterprise_id.in_(demo_ids)).scalar_subquery()
    attempts = select(Attempt.id).where(
        (Attempt.contest_id.in_(contest_ids)) | (Attempt.participant_id.in_(people))).scalar_subquery()
    conn.execute(delete(AttemptQuestion).where(AttemptQuestion.attempt_id.in_(attempts)))
    conn.execute(delete(Attempt).where(Attempt.id.in_(attempts)))
    conn.execute(delete(PracticeAnswer).where(PracticeAnswer.participant_id.in_(people)))
    conn.execute(delete(Mistake).where(Mistake.participant_id.in_(people)))
    conn.execute(delete(Participant).where(Participant.enterprise_id.in_(demo_ids)))
    conn.execute(delete(Department).where(Department.enterprise_id.in_(demo_ids)))
    conn.execute(delete(ContestQuestionUse).where(ContestQuestionUse.contest_id.in_(contest_ids)))
    conn.execute(delete(contest_category).where(contest_category.c.contest_id.in_(contest_ids)))
    conn.execute(delete(contest_enterprise).where(contest_enterprise.c.contest_id.in_(contest_ids)))
    conn.execute(delete(Contest).where(Contest.campaign_id == campaign_id))
    conn.execute(delete(Campaign).where(Campaign.id == campaign_id))
    conn.execute(delete(Enterprise).where(Enterprise.id.in_(demo_ids)))
    conn.commit()
    echo(f"旧的演示数据已删除（{time.perf_counter() - t0:.1f} 秒）。")
