"""indexes for practice-wide date ranges

Revision ID: 0003
Revises: 0002

``export appointments --from --to`` (the biller's nightly file) and ``appointment list``
without a provider filter appointments by start time alone, and ``export audit`` /
``audit list --since`` filter events by time; without these indexes both read the whole
table (a million appointments take a full scan on every nightly export).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appointment_start_at", "appointment", ["start_at"])
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_at", table_name="audit_event")
    op.drop_index("ix_appointment_start_at", table_name="appointment")
