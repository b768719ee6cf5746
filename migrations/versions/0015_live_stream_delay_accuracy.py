"""online 6·16 rounds (直播答题): a stream delay per live round and the accuracy-only scoring

``live_round.stream_delay_seconds`` (0–60): phones get each question that many seconds after
the host opens it on the stage, when the live stream shows it. ``scoring`` may now also be
'accuracy' (100 per fully right answer; total response time breaks ties).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream_delay_seconds', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(op.f('ck_live_round_scoring'), type_='check')
        batch_op.create_check_constraint(op.f('ck_live_round_scoring'), "scoring in ('speed', 'count', 'accuracy')")
        batch_op.create_check_constraint(op.f('ck_live_round_stream_delay_seconds'),
                                         'stream_delay_seconds between 0 and 60')


def downgrade():
    op.execute("UPDATE live_round SET scoring = 'count' WHERE scoring = 'accuracy'")
    with op.batch_alter_table('live_round', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_live_round_stream_delay_seconds'), type_='check')
        batch_op.drop_constraint(op.f('ck_live_round_scoring'), type_='check')
        batch_op.create_check_constraint(op.f('ck_live_round_scoring'), "scoring in ('speed', 'count')")
        batch_op.drop_column('stream_delay_seconds')
