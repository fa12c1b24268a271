"""Response models: they document the API in OpenAPI and fix what each endpoint returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class RunCreated(BaseModel):
    id: int
    status: str
    url: str
    events: str


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    preset: str | None
    queue: str
    config: dict[str, Any]
    config_hash: str
    total_steps: int
    step: int
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    worker: str | None
    error: str | None
    info: dict[str, Any] | None
    summary: dict[str, Any] | None


class RunList(BaseModel):
    runs: list[RunOut]
    limit: int
    offset: int


class Point(BaseModel):
    step: int
    values: dict[str, float]


class Metrics(BaseModel):
    run_id: int
    points: list[Point]


class Samples(BaseModel):
    run_id: int
    step: int | None
    samples: list[dict[str, Any]]


class PresetOut(BaseModel):
    name: str
    title: str
    explanation: str
    overrides: dict[str, Any]
    scenario: dict[str, Any]
