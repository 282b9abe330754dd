"""Settings read from SAFECITY_* environment variables or a .env file."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A setting that cannot work; the message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFECITY_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    map_tiles: str = ""
    map_attribution: str = ""
    base_url: str = Field(
        default="", description="Public origin used in citations, e.g. https://example.org"
    )
    page_size: int = 20
    # Public submissions (see app/services/submissions.py); raise the hourly limits for load tests.
    submissions_per_hour_per_client: int = 10
    submissions_per_hour_global: int = 600
    submission_min_seconds: float = 3.0  # a form sent back faster than this is refused
    submission_max_age_hours: float = 12.0  # as long as an anonymous CSRF token lives
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_max_pixels: int = 40_000_000
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed, so per-client limits see the visitor, not the proxy.
    # Empty: the connection's own address is the client, and those headers are ignored.
    trusted_proxies: str = ""

    @field_validator("database_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        networks = []
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                # Normalised (10.0.0.1/8 -> 10.0.0.0/8): uvicorn reads entries strictly and
                # would silently never match one with host bits set.
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return ",".join(networks)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'safecity.sqlite3').as_posix()}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
