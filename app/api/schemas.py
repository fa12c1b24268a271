"""Response models: they document the API in OpenAPI and fix what each endpoint returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

from forgetlab.core.scenario import Scenario


def _aware(value: datetime | None) -> datetime | None:
    """The store keeps naive UTC (core/store/models/base.py); the API says so: 2026-01-01T12:00:00Z-style offsets."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# Every datetime in a response carries its timezone (UTC).
datetime = Annotated[datetime, AfterValidator(_aware)]


# Scenario fields as a request states them (an assignment's `settings`, a sweep's `base`): the Scenario schema,
# which has no required field and no other key. The routes read a plain mapping and core checks it, so a bad or
# unknown field is named with where it sits ("settings: FIELD", "base: FIELD") beside the request's other bad parts.
ScenarioFields = Annotated[dict[str, Any], WithJsonSchema(
    {k: v for k, v in Scenario.model_json_schema().items() if k != "title"})]


class FieldError(BaseModel):
    field: str  # the field, parameter or header at fault ("epochs", "grid", "offset", "body", "rate")
    reason: str


class ErrorOut(BaseModel):
    """Every error the API returns (4xx): a message, and each field at fault with why."""

    detail: str
    errors: list[FieldError]


class RunCreated(BaseModel):
    id: int
    status: str
    url: str
    events: str
    reused: bool = False  # an earlier finished run with the same config and seed (POST ...?reuse=true)


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
    sweep_id: int | None = None  # the sweep that launched this run, if any
    name: str | None = None  # a person's words on the run (PATCH /api/runs/{id})
    tags: str | None = None  # comma-separated
    note: str | None = None
    parent_id: int | None = None  # the run a one-click follow-up was made from
    owner_id: int | None = None  # who made it (None: made before accounts)
    shared: bool = False  # shared by its owner with everyone signed in, guests included
    external: bool = False  # trained outside the lab; its points came from its owner's process (/api/external-runs)
    task_name: str | None = None  # an uploaded dataset's name, when the task is one (data:<id>)


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


class SweepPoint(BaseModel):
    position: int
    run_id: int
    reused: bool  # the result of an earlier run with the same config and seed, not trained again
    status: str
    step: int
    total_steps: int
    values: dict[str, Any]  # this point's value of each grid field
    task_accuracy: float | None
    mean_drop: float | None


class SweepOut(BaseModel):
    id: int
    title: str
    created_at: datetime
    spec: dict[str, Any]
    axes: dict[str, list[Any]]
    size: int
    progress: dict[str, Any]
    finished: bool
    best: int | None  # the run that learns the task with the least forgetting, once known; None in a seed sweep
    # A sweep with seeds: the setting that does, on its seed means: {"runs", "n", "label", "task_accuracy",
    # "mean_drop"}, each of the last two {"mean", "lo", "hi", "n"} (90% t interval over the seeds)
    best_group: dict[str, Any] | None = None
    seeded: bool = False  # some setting of the grid runs with several seeds
    url: str
    compare: str
    points: list[SweepPoint]


class SweepCreated(BaseModel):
    id: int
    size: int
    new_runs: list[int]
    reused: int
    url: str
    api: str
    compare: str


class SweepSummary(BaseModel):
    id: int
    title: str
    created_at: datetime
    size: int
    done: int
    url: str


class CompareRun(BaseModel):
    id: int
    status: str
    color: str
    label: str  # the values of the fields that differ between the compared runs
    varying: dict[str, Any]
    config: dict[str, Any]
    summary: dict[str, Any] | None
    deltas: dict[str, dict[str, Any]] | None  # metric -> {value, delta, verdict: better|worse|same}
    frontier: dict[str, Any] | None  # {task_gain, mean_drop, pareto}
    wise_ft: list[dict[str, float]]  # [{alpha, task, general}]
    curve: dict[str, list[Any]] | None  # {"steps": [...], "cap.knowledge.accuracy": [...], ...}


class CompareGroup(BaseModel):
    """Runs that differ only in their seed: one setting (core/seeds.py)."""
    index: int
    ids: list[int]
    seeds: list[Any]
    color: str
    label: str
    # {"seeds", "n", "metrics": {metric: {mean, lo, hi, n}}} over its finished runs (90% t interval), or None
    summary: dict[str, Any] | None
    curve: dict[str, Any] | None  # {"steps": [...], key: {"mean": [...], "lo": [...], "hi": [...]}}


class Comparison(BaseModel):
    runs: list[CompareRun]
    varying: list[str]
    baseline: int | None
    best: int | None  # the run that learns the task with the least forgetting; None when seeded
    metrics: list[str]
    base: dict[str, float | None]
    seeded: bool  # some setting ran with several seeds: the groups decide, not single runs
    groups: list[CompareGroup]  # [] unless seeded
    best_group: int | None  # index into groups: the pick on seed means
    verdict: str
    note: str | None = None


class TierModel(BaseModel):
    revision: str
    checksum: str  # sha256 of the weights: part of every run's cache key ("" when not installed)
    installed: bool


class TierItem(BaseModel):
    name: str
    description: str


class TierTask(TierItem):
    distance: str


class TierOut(BaseModel):
    name: str
    title: str
    description: str
    model: TierModel
    capabilities: list[TierItem]
    tasks: list[TierTask]


class DatasetCounts(BaseModel):
    train: int
    validation: int
    probe: int


class DatasetCreated(BaseModel):
    id: str
    task: str  # "data:<id>": the scenario's task that trains on it
    name: str
    counts: DatasetCounts
    url: str


class DatasetSummary(BaseModel):
    id: str
    task: str
    name: str
    created_at: datetime
    size_bytes: int
    url: str


class DatasetPair(BaseModel):
    prompt: str
    response: str


class DatasetOut(DatasetSummary):
    counts: DatasetCounts
    preview: dict[str, list[DatasetPair]]  # the first pairs of each split: train, validation, probe


class SuiteSummary(BaseModel):
    id: str  # what a scenario's `suites` names
    name: str  # the capability it measures
    created_at: datetime
    size_bytes: int
    url: str


class SuiteOut(SuiteSummary):
    scorers: dict[str, int]  # items per scorer
    items: list[dict]
