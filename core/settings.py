"""One typed Settings for the web app and the workers, read from the environment through a cached getter.

Nothing is read at import time, so tests can set the environment and call `get_settings.cache_clear()`.
The deployment mode follows from what is configured: REDIS_URL set means Celery over Redis
(distributed); otherwise runs execute in local worker processes (embedded).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def usable_cores() -> int:
    """CPU cores this process may run on (a container's or taskset's share, not the host's), at most 16."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(16, cores))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORGETLAB_", extra="ignore", populate_by_name=True)

    @field_validator("allowed_models", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value

    data_dir: Path = Field(Path("./data"), description="Where the embedded SQLite file and local state live.")
    # DATABASE_URL and REDIS_URL are conventional names, so they are read without the prefix too.
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "FORGETLAB_DATABASE_URL"))
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL", "FORGETLAB_REDIS_URL"))
    redis_prefix: str = Field("forgetlab", description="Prefix of Redis stream keys; tests use their own.")
    queue: str = Field("cpu", description="Celery queue new runs go to (cpu or gpu).")
    # Local Hugging Face chat-model directories the web lab may fine-tune, each listed as a tier
    # ("local-<dir name>"); comma-separated in the environment. The web never takes a path from a user.
    allowed_models: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Embedded executor: runs at once (one warm process each), and idle warm processes kept ready.
    # One process per core with one torch thread each keeps every core busy without oversubscribing.
    workers: int = Field(default_factory=lambda: usable_cores(), ge=0, le=16,
                         description="Concurrent runs in embedded mode (default: the CPU cores); 0 leaves runs queued.")
    warm_spares: int = Field(1, ge=0, le=8)
    torch_threads: int = Field(1, ge=1, le=64, description="CPU threads per run; the base model is tiny.")
    # Lifecycle limits, shared by both modes.
    run_time_limit: int = Field(1800, description="Hard limit on one run's seconds; the Celery visibility "
                                                  "timeout is set above it.")
    heartbeat_seconds: float = 2.0
    heartbeat_timeout: float = 30.0  # a running run whose heartbeat is older is presumed dead
    reap_seconds: float = 5.0  # how often the web process looks for such runs
    max_attempts: int = Field(2, ge=1, description="Tries per run when its worker dies (distributed).")
    cancel_poll_seconds: float = 0.5  # how often a Celery worker checks the cancel flag
    live_poll_seconds: float = 0.05  # embedded live channel: DB polling interval

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            # Heroku-style "postgres://" and plain "postgresql://" both mean psycopg 3 here.
            url = self.database_url.replace("postgres://", "postgresql://", 1)
            return url.replace("postgresql://", "postgresql+psycopg://", 1)
        return f"sqlite:///{(self.data_dir / 'forgetlab.db').resolve()}"

    @property
    def distributed(self) -> bool:
        return bool(self.redis_url)

    @property
    def mode(self) -> str:
        return "distributed" if self.distributed else "embedded"


@lru_cache
def get_settings() -> Settings:
    return Settings()
