"""One row whose counter moves on every change to what search shows (app/search_index.py).

Per-process search state (app/services/facet_index.py) is checked against it on each request.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class CatalogVersion(SQLModel, table=True):
    __tablename__ = "catalog_version"
    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
