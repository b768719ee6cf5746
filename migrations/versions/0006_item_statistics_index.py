"""item statistics: a covering index of the answers by attempt

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 13:30:00

The knowledge report (quiz/reports/item_stats.py) reads every answer of the counted attempts:
attempt_id, question_id, is_correct and points. With this index it reads them from the
index alone, in attempt order, instead of visiting 2 million table rows.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt_question', schema=None) as batch_op:
        batch_op.create_index(
            'ix_attempt_question_scores', ['attempt_id', 'question_id', 'is_correct', 'points'], unique=False
        )


def downgrade():
    with op.batch_alter_table('attempt_question', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_question_scores')
