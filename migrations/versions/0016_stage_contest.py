"""the on-stage team contest (现场赛): contests, teams, questions asked, presses, judgements, corrections

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stage_contest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('points_required', sa.Integer(), nullable=False),
    sa.Column('points_buzz', sa.Integer(), nullable=False),
    sa.Column('buzz_wrong_penalty', sa.Integer(), nullable=False),
    sa.Column('foul_penalty', sa.Integer(), nullable=False),
    sa.Column('buzz_window_ms', sa.Integer(), nullable=False),
    sa.Column('audience_round_id', sa.Integer(), nullable=True),
    sa.Column('current_item_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('buzz_window_ms between 0 and 5000', name=op.f('ck_stage_contest_buzz_window_ms')),
    sa.CheckConstraint('points_required >= 0 and points_buzz >= 0 and buzz_wrong_penalty >= 0 and foul_penalty >= 0', name=op.f('ck_stage_contest_points')),
    sa.ForeignKeyConstraint(['audience_round_id'], ['live_round.id'], name=op.f('fk_stage_contest_audience_round_id_live_round'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_stage_contest_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['host_id'], ['user.id'], name=op.f('fk_stage_contest_host_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_contest'))
    )
    with op.batch_alter_table('stage_contest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_contest_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('stage_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=False),
    sa.Column('members', sa.String(length=200), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('device', sa.String(length=32), nullable=True),
    sa.Column('takeover_code', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['stage_contest.id'], name=op.f('fk_stage_team_contest_id_stage_contest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_stage_team_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_team')),
    sa.UniqueConstraint('contest_id', 'name', name=op.f('uq_stage_team_contest_id_name')),
    sa.UniqueConstraint('contest_id', 'position', name=op.f('uq_stage_team_contest_id_position'))
    )
    op.create_table('stage_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=10), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('stake', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('shown_at', sa.DateTime(), nullable=False),
    sa.Column('unlocked_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("segment in ('required', 'buzz', 'risk')", name=op.f('ck_stage_item_segment')),
    sa.CheckConstraint('stake is null or stake in (10, 20, 30)', name=op.f('ck_stage_item_stake')),
    sa.ForeignKeyConstraint(['contest_id'], ['stage_contest.id'], name=op.f('fk_stage_item_contest_id_stage_contest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_stage_item_question_id_question')),
    sa.ForeignKeyConstraint(['team_id'], ['stage_team.id'], name=op.f('fk_stage_item_team_id_stage_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_item')),
    sa.UniqueConstraint('contest_id', 'seq', name=op.f('uq_stage_item_contest_id_seq'))
    )
    with op.batch_alter_table('stage_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_item_question_id'), ['question_id'], unique=False)

    op.create_table('stage_judgement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('judged_by', sa.Integer(), nullable=True),
    sa.Column('judged_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('answer', 'pass', 'foul')", name=op.f('ck_stage_judgement_kind')),
    sa.ForeignKeyConstraint(['contest_id'], ['stage_contest.id'], name=op.f('fk_stage_judgement_contest_id_stage_contest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['stage_item.id'], name=op.f('fk_stage_judgement_item_id_stage_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judged_by'], ['user.id'], name=op.f('fk_stage_judgement_judged_by_user')),
    sa.ForeignKeyConstraint(['team_id'], ['stage_team.id'], name=op.f('fk_stage_judgement_team_id_stage_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_judgement')),
    sa.UniqueConstraint('item_id', 'team_id', 'kind', name=op.f('uq_stage_judgement_item_id_team_id_kind'))
    )
    with op.batch_alter_table('stage_judgement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_judgement_contest_id'), ['contest_id'], unique=False)

    op.create_table('stage_press',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('foul', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['stage_item.id'], name=op.f('fk_stage_press_item_id_stage_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['stage_team.id'], name=op.f('fk_stage_press_team_id_stage_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_press')),
    sa.UniqueConstraint('item_id', 'team_id', name=op.f('uq_stage_press_item_id_team_id'))
    )
    with op.batch_alter_table('stage_press', schema=None) as batch_op:
        batch_op.create_index('ix_stage_press_item_received', ['item_id', 'received_at'], unique=False)

    op.create_table('stage_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('judgement_id', sa.Integer(), nullable=True),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('score_before', sa.Integer(), nullable=False),
    sa.Column('score_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_stage_correction_by_id_user')),
    sa.ForeignKeyConstraint(['contest_id'], ['stage_contest.id'], name=op.f('fk_stage_correction_contest_id_stage_contest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judgement_id'], ['stage_judgement.id'], name=op.f('fk_stage_correction_judgement_id_stage_judgement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['stage_team.id'], name=op.f('fk_stage_correction_team_id_stage_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_correction'))
    )
    with op.batch_alter_table('stage_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_correction_contest_id'), ['contest_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stage_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_correction_contest_id'))

    op.drop_table('stage_correction')
    with op.batch_alter_table('stage_press', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_press_item_received')

    op.drop_table('stage_press')
    with op.batch_alter_table('stage_judgement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_judgement_contest_id'))

    op.drop_table('stage_judgement')
    with op.batch_alter_table('stage_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_item_question_id'))

    op.drop_table('stage_item')
    op.drop_table('stage_team')
    with op.batch_alter_table('stage_contest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_contest_enterprise_id'))

    op.drop_table('stage_contest')
