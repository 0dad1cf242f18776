"""one-shot questions, unnamed teams, holiday country that follows the zone, source codes

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A question's buttons carry its token, so a reused id (SQLite reuses the highest rowid
    # after a delete) can never answer another question; answered ones are kept as used.
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=12), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('used_at', sa.DateTime(timezone=True), nullable=True))
    # Until now every team was named after its owner's first name automatically: none was
    # named by a person, so all become unnamed ('' = "the team of <owner>").
    op.execute("UPDATE workspaces SET name = ''")
    # NULL = follow the time zone's country until the person chooses.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('holiday_country', existing_type=sa.String(length=8), nullable=True)
    op.execute("UPDATE users SET holiday_country = NULL WHERE holiday_country = 'RU'")
    # Sources are stored as codes and shown in the reader's language.
    op.execute(
        "UPDATE clients SET source = 'forward' "
        "WHERE source IN ('пересланное сообщение', 'forwarded message')"
    )


def downgrade() -> None:
    op.execute("UPDATE users SET holiday_country = 'RU' WHERE holiday_country IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('holiday_country', existing_type=sa.String(length=8), nullable=False)
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('used_at')
        batch_op.drop_column('token')
