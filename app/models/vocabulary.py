"""Vocabulary tables: seeded by migration, referenced by foreign keys."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Capability(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=64)
    parent_key: str | None = Field(default=None, foreign_key="capability.key", index=True)
    label: str = Field(max_length=120)
    description: str = Field(max_length=400)
    position: int = 0


class LifecycleStatus(SQLModel, table=True):
    __tablename__ = "lifecycle_status"
    key: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=120)
    explanation: str = Field(max_length=400)
    position: int = 0


class OversightStatus(SQLModel, table=True):
    __tablename__ = "oversight_status"
    key: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=120)
    explanation: str = Field(max_length=400)
    position: int = 0
