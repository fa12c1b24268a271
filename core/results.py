"""The engine's output contract: typed events, the run summary and the metric keys, defined once.

The engine emits these events; the worker's recorder stores them (a metrics event as narrow
`key -> value` rows, see `Metrics.values`); the API returns the summary as `Summary`; the pages
and the JavaScript read curves by the keys below. A change here is a change of contract, and the
contract tests (tests/integration/test_contract.py) run the real engine through all of them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# --- metric keys: one spelling for the store, the API, the pages and the JavaScript -------------
TASK_ACCURACY = "task.accuracy"
TASK_NLL = "task.nll"
SCALAR_KEYS = ("epoch", "train_loss", "val_loss", "format_rigidity", "refusal", "over_refusal", "lr", "seconds")


def cap_key(capability: str, measure: str = "accuracy") -> str:
    """The stored key of one capability's measure: cap.<name>.<accuracy|nll>."""
    return f"cap.{capability}.{measure}"


def curve_keys(capabilities: list[str]) -> list[str]:
    """The accuracy curves a run page and a comparison draw: one per capability, then the task."""
    return [cap_key(c) for c in capabilities] + [TASK_ACCURACY]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- events --------------------------------------------------------------------------------------
class Measure(_Contract):
    accuracy: float
    nll: float


class TaskMeasure(Measure):
    name: str


class Started(_Contract):
    type: Literal["started"] = "started"
    step: int = 0
    total_steps: int
    scenario: dict
    parameters: int
    trainable: int


class PrivateMeasures(_Contract):
    """An evaluation point's private part (core/holdout.py): only instructors and the final leaderboard read it."""

    capabilities: dict[str, Measure]
    task: TaskMeasure


class Metrics(_Contract):
    """One evaluation point. Step 0 is the base model before any update."""

    type: Literal["metrics"] = "metrics"
    step: int
    epoch: float
    train_loss: float | None
    val_loss: float
    lr: float
    seconds: float
    capabilities: dict[str, Measure]
    task: TaskMeasure
    format_rigidity: float | None = None  # share of general answers opening with the task's template
    refusal: float | None = None  # share of harmful requests refused
    over_refusal: float | None = None  # share of benign requests refused
    # A run with a held-out split (core/holdout.py): `capabilities` and `task` are its public part, this its
    # private part. Never a stored row nor a live message (values() leaves it out): only the summary keeps it.
    private: PrivateMeasures | None = None

    def values(self) -> dict[str, float]:
        """The point as narrow rows: cap.<name>.<measure>, task.accuracy, task.nll and the scalars.
        None and NaN are left out (a row holds a number); so is the private part."""
        out: dict[str, float | None] = {}
        for cap, measure in self.capabilities.items():
            out[cap_key(cap, "accuracy")], out[cap_key(cap, "nll")] = measure.accuracy, measure.nll
        out[TASK_ACCURACY], out[TASK_NLL] = self.task.accuracy, self.task.nll
        out.update({key: getattr(self, key) for key in SCALAR_KEYS})
        return {k: float(v) for k, v in out.items() if isinstance(v, (int, float)) and v == v}


class Sample(_Contract):
    capability: str
    prompt: str
    expected: str
    base: str  # the base model's greedy answer
    output: str  # the answer now
    correct: bool


class Samples(_Contract):
    type: Literal["samples"] = "samples"
    step: int
    samples: list[Sample]


class EarlyStopped(_Contract):
    type: Literal["early_stopped"] = "early_stopped"
    step: int
    reason: str


class WisePoint(_Contract):
    alpha: float
    capabilities: dict[str, float]
    task: float
    nll: dict[str, float] | None = None  # each capability's mean answer NLL at this alpha (None in older runs)


class TaskAccuracy(_Contract):
    baseline: float
    final: float


class PrivateSummary(_Contract):
    """A held-out run's private part, as the summary's figures (core/holdout.py): what goals and grades judge."""

    baseline: dict[str, float]
    final: dict[str, float]
    forgetting: dict[str, float]
    max_drop: dict[str, float]
    retention: dict[str, float]
    bwt: float
    task_accuracy: TaskAccuracy
    task_gain: float
    baseline_nll: dict[str, float]
    final_nll: dict[str, float]


class Summary(_Contract):
    """A finished run: each capability before, after, its drop and its worst moment; the task; timings."""

    baseline: dict[str, float]
    final: dict[str, float]
    forgetting: dict[str, float]  # base minus final; positive is lost
    max_drop: dict[str, float]
    retention: dict[str, float]  # final as a percentage of base
    bwt: float
    # None for an external run (core/external.py): it was trained on its owner's data, no task of the lab's.
    task_accuracy: TaskAccuracy | None
    task_gain: float | None
    format_rigidity: float | None
    refusal: float | None
    over_refusal: float | None
    steps: int
    early_stopped: bool
    wise_ft: list[WisePoint] | None
    # Mean NLL of each capability's reference answers at the first and last points: the continuous
    # measure that shows forgetting even where accuracy sits near a floor (None in older runs).
    baseline_nll: dict[str, float] | None = None
    final_nll: dict[str, float] | None = None
    # Judged suites: the same NLL split per capability into {"whole", "first", "content", "end"}: the
    # answer's first token, the mean of the tokens between (None for one-token answers) and its
    # end-of-answer token. None for exact-match suites and in older runs.
    baseline_nll_parts: dict[str, dict[str, float | None]] | None = None
    final_nll_parts: dict[str, dict[str, float | None]] | None = None
    # Per probe [passed, reference NLL] of each capability at the first and last points, in suite
    # order: what the regression gate compares item by item (core/gate.py). None in older runs.
    baseline_items: dict[str, list[tuple[bool, float]]] | None = None
    final_items: dict[str, list[tuple[bool, float]]] | None = None
    # Early stopping: the step whose weights the run ended with (the best validation check). None: not restored.
    restored_step: int | None = None
    # Knowledge split into the facts mitigations may rehearse and those only pretraining saw:
    # {"rehearsed" | "never rehearsed": {baseline, final, baseline_nll, final_nll}}. None where the tier's
    # knowledge probes carry no such groups.
    fact_split: dict[str, dict[str, float]] | None = None
    # A run with a held-out split: the figures above are its public part, this its private part. The store
    # keeps it apart from the summary (runs.private_summary), so no route that shows a summary shows it.
    private: PrivateSummary | None = None
    seconds: float
    setup_seconds: float
    eval_seconds: float
    train_seconds: float
    # How the run computed (worker/engine/runtime.py): "float32", or e.g. "bfloat16 autocast (evaluation only)".
    # Curves of different precisions agree only within the tolerances in docs/real-model.md. Older runs: float32.
    precision: str = "float32"


class Finished(_Contract):
    type: Literal["finished"] = "finished"
    step: int
    summary: Summary


Event = Annotated[Started | Metrics | Samples | EarlyStopped | Finished, Field(discriminator="type")]
EVENT_TYPES = ("started", "metrics", "samples", "early_stopped", "finished")
