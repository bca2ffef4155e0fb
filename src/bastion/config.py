"""Settings, read from the environment (prefix `BASTION_`) and nothing else."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_FILE = "bastion.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BASTION_", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / DEFAULT_DATABASE_FILE}",
        description="SQLAlchemy URL of the store; a SQLite file in the working folder by default.",
    )
    session_hours: float = Field(default=12.0, gt=0, description="How long a web login lasts.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Force the Secure flag on cookies; by default set when the request came over HTTPS "
        "or to a loopback address.",
    )
    log_level: str = "INFO"
    webhook_url: str | None = Field(
        default=None, description="Where enforcement actions are delivered (the platform's receiver)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="The shared secret that signs webhook deliveries (HMAC-SHA256)."
    )
    media_origins: list[str] = Field(
        default_factory=list,
        description="Origins the review console may load images from (e.g. https://cdn.example.com).",
    )
    detection_worker: bool = Field(
        default=True,
        description="Run a detection worker inside `bastion serve` (one thread, however many API processes), "
        "so queued content is evaluated without a separate `bastion worker`. Turn off when workers run apart.",
    )
    index_dir: Path | None = Field(
        default=None,
        description="Folder where each process saves the hash banks' index, so a restart need not read every "
        "hash again; by default the index is saved beside a SQLite store's file and not at all for PostgreSQL.",
    )
    media_paths: bool = Field(
        default=False,
        description="Let ingest read images from a local `path` given in `media` (for a platform that shares a "
        "folder with Bastion); off by default, since any caller could otherwise make Bastion read its files.",
    )
    bulk_action_cap: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="The most items (accounts or posts) one bulk action on a network may change; a larger plan "
        "is refused, never cut short.",
    )
    plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Python modules to register as plugins, comma-separated (besides installed packages that "
        "declare a `bastion` entry point).",
    )

    @field_validator("plugins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()
