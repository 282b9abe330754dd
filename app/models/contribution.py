"""Public submissions, their evidence images, and the revision history of published records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Submission(SQLModel, table=True):
    """A public tip; never public itself. `proposed` holds the fields as the person typed them."""

    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, index=True)  # new_deployment | correction | new_source
    state: str = Field(default="pending", max_length=16, index=True)
    target_deployment_id: int | None = Field(default=None, foreign_key="deployment.id", index=True)
    proposed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # sha256 of the receipt code: the code itself is shown once and never stored.
    receipt_hash: str = Field(max_length=64, unique=True, index=True)
    decision_note: str | None = None
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    claimed_by_id: int | None = Field(default=None, foreign_key="user.id")
    claim_expires_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # Truncated to the hour, so the queue cannot be lined up against network logs.
    received_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    deployment_id: int | None = Field(default=None, foreign_key="deployment.id")  # the result


class SubmissionContact(SQLModel, table=True):
    """Contact details, kept apart, seen by moderators only, erased at decision time."""

    __tablename__ = "submission_contact"
    submission_id: int = Field(foreign_key="submission.id", primary_key=True, ondelete="CASCADE")
    contact: str = Field(max_length=500)


class EvidenceImage(SQLModel, table=True):
    """An uploaded image, re-encoded with no metadata, stored under a random name."""

    __tablename__ = "evidence_image"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int | None = Field(
        default=None, foreign_key="submission.id", index=True, ondelete="SET NULL"
    )
    deployment_id: int | None = Field(default=None, foreign_key="deployment.id", index=True)
    file_name: str = Field(max_length=80, unique=True)  # random, with the extension
    content_type: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    size: int
    width: int
    height: int
    caption: str | None = Field(default=None, max_length=500)
    credit: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Revision(SQLModel, table=True):
    """Append-only history of a published record: who changed which fields, from what to what."""

    __table_args__ = (
        UniqueConstraint("entity", "entity_id", "number"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)  # deployment | source | oversight_event
    entity_id: int = Field(index=True)
    number: int
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor_label: str = Field(max_length=120)  # a display name, "submission #N" or "import"
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )
    summary: str = Field(max_length=500)
    # [{"field": ..., "old": ..., "new": ...}, ...]
    changes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
