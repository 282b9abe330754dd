"""Vendors that sell surveillance technology and organisations that buy or run it."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class VendorBase(SQLModel):
    name: str = Field(max_length=200)
    slug: str = Field(max_length=200, unique=True, index=True)
    country: str | None = Field(default=None, max_length=2)
    ownership: str = Field(default="unknown", max_length=16)
    website: str | None = Field(default=None, max_length=500)
    description: str = ""
    wikidata_id: str | None = Field(default=None, max_length=32)
    notes: str = ""


class Vendor(VendorBase, table=True):
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="vendor.id", index=True)


class VendorPublic(VendorBase):
    id: int
    parent_id: int | None


class OrganisationBase(SQLModel):
    name: str = Field(max_length=200)
    slug: str = Field(max_length=200, unique=True, index=True)
    kind: str = Field(default="other", max_length=32)
    country: str | None = Field(default=None, max_length=2)


class Organisation(OrganisationBase, table=True):
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)


class OrganisationPublic(OrganisationBase):
    id: int
