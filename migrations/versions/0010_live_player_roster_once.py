"""one roster person joins a live round once

A second phone typing the same roster person's 工号/phone into a 名单 or 名单优先 round is
refused; the unique constraint settles two phones joining at the same instant. Players not
matched to a roster (NULL) do not collide.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 14:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_player', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_live_player_round_id_roster_person_id'),
                                          ['round_id', 'roster_person_id'])


def downgrade():
    with op.batch_alter_table('live_player', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_live_player_round_id_roster_person_id'), type_='unique')
