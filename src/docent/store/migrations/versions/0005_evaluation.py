"""Evaluation runs and scores; alerts become de-duplicated incidents.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("suite", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("index_version", sa.String(32), nullable=False),
        sa.Column("judge_model", sa.String(200)),
        sa.Column("golden_set", sa.Text),
        sa.Column("golden_version", sa.String(64)),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON),
        sa.Column("findings", sa.JSON),
        sa.Column("n_items", sa.Integer, nullable=False),
        sa.Column("judge_tokens", sa.Integer, nullable=False),
        sa.Column("judge_cost", sa.Float, nullable=False),
        sa.Column("flow_run_id", sa.String(64)),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_eval_runs_suite_started_at", "eval_runs", ["suite", "started_at"])
    op.create_table(
        "eval_scores",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("eval_runs.id"), nullable=False),
        sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id")),
        sa.Column("item_key", sa.String(200), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("reference", sa.Text),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("index_version", sa.String(32), nullable=False),
        sa.Column("stratum", sa.String(64), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("answered_at", Stamp),
        sa.Column("created_at", Stamp, nullable=False),
        sa.UniqueConstraint("run_id", "item_key", name="uq_eval_scores_run_item"),
        sa.UniqueConstraint("message_id", name="uq_eval_scores_message_id"),
    )
    op.create_index("ix_eval_scores_run_id", "eval_scores", ["run_id"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("key", sa.String(200)))
        batch.add_column(sa.Column("open_key", sa.String(200)))
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="open"))
        batch.add_column(sa.Column("occurrences", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("last_seen_at", Stamp))
        batch.add_column(sa.Column("resolved_at", Stamp))
        batch.add_column(sa.Column("details", sa.JSON))
        batch.add_column(sa.Column("delivery", sa.JSON))
        batch.create_index("ix_alerts_key", ["key"])
        batch.create_unique_constraint("uq_alerts_open_key", ["open_key"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_open_key", type_="unique")
        batch.drop_index("ix_alerts_key")
        for name in ("delivery", "details", "resolved_at", "last_seen_at", "occurrences", "status", "open_key", "key"):
            batch.drop_column(name)
    op.drop_index("ix_eval_scores_run_id", "eval_scores")
    op.drop_table("eval_scores")
    op.drop_index("ix_eval_runs_suite_started_at", "eval_runs")
    op.drop_table("eval_runs")
