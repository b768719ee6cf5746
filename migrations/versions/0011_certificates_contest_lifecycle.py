"""certificate issuer and seal per campaign; contests can be paused and archived

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_issuer', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('certificate_seal', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('contest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('contest', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('paused_at')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('certificate_seal')
        batch_op.drop_column('certificate_issuer')
