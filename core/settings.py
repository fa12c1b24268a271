"""One typed Settings for the web app and the workers, read from the environment through a cached getter.

Nothing is read at import time, so tests can set the environment and call `get_settings.cache_clear()`.
The deployment mode follows from what is configured: REDIS_URL set means Celery over Redis
(distributed); otherwise runs execute in local worker processes (embedded).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

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

    @field_validator("allowed_models", "trusted_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value

    data_dir: Path = Field(Path("./data"), description="Where the embedded SQLite file and local state live.")
    # DATABASE_URL and REDIS_URL are conventional names, so they are read without the prefix too.
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "FORGETLAB_DATABASE_URL"))
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL", "FORGETLAB_REDIS_URL"))
    redis_prefix: str = Field("forgetlab", description="Prefix of Redis stream keys; tests use their own.")
    artifact_url: str | None = Field(None, description="Distributed: where run models go, an S3-compatible "
                                     "s3://bucket/prefix (the AWS_* environment gives credentials and endpoint); "
                                     "unset: the database (core/store/artifacts.py).")
    queue: str = Field("cpu", description="Celery queue new runs go to (cpu or gpu).")
    # Local Hugging Face chat-model directories the web lab may fine-tune, each listed as a tier
    # ("local-<dir name>"); comma-separated in the environment. The web never takes a path from a user.
    allowed_models: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Embedded executor: runs at once (one warm process each), and idle warm processes kept ready.
    # One process per core with one torch thread each keeps every core busy without oversubscribing.
    workers: int = Field(default_factory=lambda: usable_cores(), ge=0, le=16,
                         description="Concurrent runs in embedded mode (default: the CPU cores); 0 leaves runs queued.")
    warm_spares: int = Field(1, ge=0, le=8)
    # CPU threads per run. Unset: worker/threads.py's rule (one on the synthetic tier; a real model on the CPU
    # shares the usable cores between the runs at once). Set, it overrides that rule everywhere a run starts.
    torch_threads: int | None = Field(None, ge=1, le=64, description="CPU threads per run (default: the rule "
                                                                      "in worker/threads.py).")
    # bf16 autocast on the CPU (docs/real-model.md, "bf16 on a CPU with bf16 matmul units"): failed the lab's
    # agreement rule, so it is an opt-in for speed (on), never the default; off: float32 everywhere.
    cpu_bf16: Literal["off", "on"] = Field("off", description="on: bf16 autocast, in training and evaluation, "
                                                              "for the smollm2 tier where the CPU has bf16 "
                                                              "matmul units (faster; does not agree with "
                                                              "float32 by the lab's rule); off: float32.")
    # Grouped training (docs/grouped-training.md): a worker that takes a queued LoRA run also takes the compatible
    # queued runs (same tier, base and queue) and trains them as one group on one frozen base. Both modes.
    group_size: int = Field(8, ge=1, le=64, description="Most runs a worker trains as one group; 1 turns "
                                                        "grouping off (every run trains alone).")
    group_wait_ms: int = Field(200, ge=0, le=60_000, description="How long a worker that took a groupable run "
                                                                 "waits for more compatible runs to be queued "
                                                                 "before it starts with those it has.")
    # Lifecycle limits, shared by both modes.
    run_time_limit: int = Field(1800, description="Hard limit on one run's seconds; the Celery visibility "
                                                  "timeout is set above it.")
    heartbeat_seconds: float = 2.0
    heartbeat_timeout: float = 30.0  # a running run whose heartbeat is older is presumed dead
    reap_seconds: float = 5.0  # how often the web process looks for such runs
    max_attempts: int = Field(2, ge=1, description="Tries per run when its worker dies (distributed).")
    cancel_poll_seconds: float = 0.5  # how often a Celery worker checks the cancel flag
    live_poll_seconds: float = 0.05  # embedded live channel: DB polling interval
    # Reliability (docs/reliability.md): the outbox, checkpoints, body and rate limits, hosts.
    outbox_seconds: float = Field(10.0, description="How often the web process re-sends queued runs whose "
                                                    "message was never sent or may be lost.")
    outbox_stale_seconds: float = Field(60.0, description="A queued run sent this long ago without a worker "
                                                          "claiming it is sent again (a lost Redis message).")
    checkpoint_every: int = Field(50, ge=0, description="Steps between training checkpoints (0: none); a "
                                                         "retried run resumes from its last one.")
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="Largest request body outside dataset uploads.")
    rate_limit: float = Field(5.0, ge=0, description="Sustained requests per second per client that change "
                                                     "something (POST, DELETE); 0 turns this limit off.")
    rate_burst: int = Field(30, ge=1, description="Such requests a client may send at once before the rate applies.")
    read_rate_limit: float = Field(50.0, ge=0, description="Sustained reads (GET) per second per client; 0: off.")
    read_burst: int = Field(200, ge=1)
    # Brakes on a public lab's forms, per client address (app/middleware/throttles.py).
    login_rate: float = Field(1.0, ge=0, description="Sustained log-in tries per second per address, whatever the "
                                                     "accounts; 0 turns every log-in brake off.")
    login_burst: int = Field(30, ge=1, description="Log-in tries an address may make at once (a class starting "
                                                   "together behind one NAT) before login_rate applies.")
    login_account_failures: int = Field(50, ge=1, description="Wrong passwords an hour for one account, from all "
                                                              "addresses together, before only addresses that "
                                                              "logged in to it before may try it.")
    signup_per_hour: float = Field(10.0, ge=0, description="New accounts per hour per address; 0: not limited.")
    signup_burst: int = Field(5, ge=1, description="New accounts an address may make at once.")
    max_active_runs_per_address: int = Field(
        8, ge=0, description="Public lab: runs queued or running at once of all students without a class who "
                             "submitted from one address lately (0: no limit); a class's students count alone.")
    public_url: str | None = Field(None, description="The lab's address as people reach it (https://lab.example."
                                                     "org): join links are built from it, never from the request's "
                                                     "Host header.")
    trusted_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"], description="Host headers the web app answers (comma-separated; '*': any).")
    trust_proxy: bool = Field(False, description="Take the client address from X-Forwarded-For (behind a proxy).")
    # Accounts (docs/accounts.md). Embedded and not public: no login, the visitor is
    # the local instructor. Public (`forgetlab serve --public`) or distributed: everyone signs in.
    public: bool = Field(False, description="Ask everyone to sign in (always so in distributed mode).")
    signup: Literal["student", "guest", "off"] = Field(
        "student", description="The role a self-signed-up account gets, or 'off' to allow no sign-up.")
    session_days: float = Field(14.0, gt=0, description="How long a browser session lasts.")
    invite_only: bool = Field(False, description="Sign-up needs a class's join code (roster imports and "
                                                 "set-password links still make accounts).")
    # Classes (docs/instructors.md; core/quotas.py).
    max_active_runs: int = Field(4, ge=0, description="Runs a student may have queued or running at once "
                                                      "(0: no limit); instructors are not limited.")

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            # Heroku-style "postgres://" and plain "postgresql://" both mean psycopg 3 here.
            url = self.database_url.replace("postgres://", "postgresql://", 1)
            return url.replace("postgresql://", "postgresql+psycopg://", 1)
        return f"sqlite:///{(self.data_dir / 'forgetlab.db').resolve()}"

    def run_model_dir(self, run_id: int) -> Path:
        """Where a finished run's model is kept (worker/jobs.py writes it; the gate, downloads and the
        "ask the model" box read it)."""
        return self.data_dir / "artifacts" / f"run-{run_id}"

    @property
    def distributed(self) -> bool:
        return bool(self.redis_url)

    @property
    def mode(self) -> str:
        return "distributed" if self.distributed else "embedded"

    @property
    def login_required(self) -> bool:
        return self.public or self.distributed


@lru_cache
def get_settings() -> Settings:
    return Settings()
