"""The domain, as SQLAlchemy 2 typed models, one module per domain; import them from here.

Rules that say "one per" are unique constraints here, not checks in code:
one participant per (enterprise, phone/工号), one attempt number per
(contest, participant), one row per (attempt, question).
"""
from .ids import ID_MAX, parse_id  # noqa: F401
from .bank import JUDGE_OPTIONS, QUESTION_TYPES, TYPE_LABELS, Category, Question, QuestionLabels  # noqa: F401
from .people import Department, Enterprise, RosterPerson, User  # noqa: F401
from .contests import CAMPAIGNS_NEWEST_FIRST, IDENTITY_LABELS, IDENTITY_MODES, REVIEW_LABELS, REVIEW_MODES, Attempt, AttemptQuestion, AuditEntry, Campaign, Contest, ContestPoints, ContestQuestionUse, Participant, contest_category, contest_enterprise  # noqa: F401
from .training import Mistake, PracticeAnswer  # noqa: F401
from .live import LIVE_STATES, LiveAnswer, LivePlayer, LiveQuestion, LiveRound  # noqa: F401
from .stagecontest import RISK_STAKES, SEGMENT_LABELS, SEGMENTS, StageContest, StageCorrection, StageItem, StageJudgement, StagePress, StageTeam  # noqa: F401
