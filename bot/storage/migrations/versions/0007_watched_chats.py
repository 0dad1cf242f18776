"""linked groups, watched conversations, Business connections; a team's reply SLA

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_sla_minutes', sa.Integer(), nullable=False, server_default='120'))
    op.create_table(
        'chats',
        sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=256), nullable=False),
        sa.Column('chat_type', sa.String(length=16), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('linked_by', sa.BigInteger(), nullable=False),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_chats_client_id_clients'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_chats_workspace_id_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_chats')),
    )
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chats_workspace_id'), ['workspace_id'], unique=False)
    op.create_table(
        'conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('thread_id', sa.BigInteger(), nullable=False),
        sa.Column('connection_id', sa.String(length=64), nullable=False),
        sa.Column('chat_type', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=256), nullable=False),
        sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('waiting_message_id', sa.BigInteger(), nullable=True),
        sa.Column('waiting_text', sa.Text(), nullable=False),
        sa.Column('last_client_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_ours_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_conversations_client_id_clients'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_conversations_workspace_id_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_chat_thread', ['chat_id', 'thread_id', 'connection_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_conversations_client_id'), ['client_id'], unique=False)
    op.create_table(
        'business_connections',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('user_chat_id', sa.BigInteger(), nullable=False),
        sa.Column('can_reply', sa.Boolean(), nullable=False),
        sa.Column('can_read', sa.Boolean(), nullable=False),
        sa.Column('is_enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_business_connections')),
    )
    with op.batch_alter_table('business_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_business_connections_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('business_connections')
    op.drop_table('conversations')
    op.drop_table('chats')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('reply_sla_minutes')
