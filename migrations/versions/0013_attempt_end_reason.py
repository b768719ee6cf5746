"""why an attempt was submitted without the participant's 交卷

'leave' (left the page more often than the contest allows), 'time' (the time ran out), or
NULL (submitted by the participant). The result page tells the participant which.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_reason', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_column('end_reason')
