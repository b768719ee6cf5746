"""contest question use counts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 15:35:00

The draw read how often each question was used by counting every attempt_question row of
the contest at each sign-up; the counts are now kept per contest and question. Existing
papers are counted once here.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contest_question_use',
        sa.Column('contest_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('uses', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contest_id'], ['contest.id'], name=op.f('fk_contest_question_use_contest_id_contest'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_contest_question_use_question_id_question')),
        sa.PrimaryKeyConstraint('contest_id', 'question_id', name=op.f('pk_contest_question_use')),
    )
    op.execute(
        "INSERT INTO contest_question_use (contest_id, question_id, uses) "
        "SELECT attempt.contest_id, attempt_question.question_id, count(*) "
        "FROM attempt_question JOIN attempt ON attempt.id = attempt_question.attempt_id "
        "GROUP BY attempt.contest_id, attempt_question.question_id"
    )


def downgrade():
    op.drop_table('contest_question_use')
