"""live rounds: the presenter's settings (lobby lock, names hidden, sound)

lobby_locked: no new phone may join; hide_names: the stage lists units with their counts, not
names; sound: the stage plays a countdown tick and a reveal chime (Web Audio, off by default).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lobby_locked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('hide_names', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('sound', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('live_round', schema=None) as batch_op:
        batch_op.drop_column('sound')
        batch_op.drop_column('hide_names')
        batch_op.drop_column('lobby_locked')
