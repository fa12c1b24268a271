"""External runs: fine-tuning done outside the lab (a Trainer callback, `forgetlab.watch`) measured on a tier's
capability suites and streamed in as a run. Pure and torch-free: what an external run's config, points and
summary are, checked the same way for the HTTP API and for a training process that writes a local lab database.

A point is narrow values, as the engine's (cap.<suite>.accuracy | .nll, train_loss, lr, epoch, seconds,
refusal, over_refusal), and may carry per-probe items ([passed, reference NLL] per probe of each suite): the
first point's items are the base's, the last point's the final model's, and the gate compares the two. The lab
measures no task of an external run (the training data is the owner's), so its summary's task fields are None.
"""

from __future__ import annotations

import json
import math
import re

from . import metrics
from . import suites as user_suites
from .errors import Invalid
from .results import SCALAR_KEYS, Summary, cap_key
from .tiers import get_tier

SOURCE = re.compile(r"[\w .:/+-]{1,100}")  # "transformers.Trainer", "trl.SFTTrainer", "forgetlab.watch"
MAX_CONFIG_BYTES = 64_000  # a Trainer's arguments are a few kB of JSON
MAX_ITEMS = 1000  # probes per suite in one point


def make_config(*, tier: str, suites: list[str] | None, source: str, args: dict | None = None,
                model: str | None = None, every: int | None = None, own_suites: list[str] | None = None) -> dict:
    """An external run's stored config: the trainer's arguments as given (JSON), then what forgetlab adds:
    the tier and suites it measures, where the run came from, the model's name and the measuring cadence.
    `tier` and `source` are spelled as a lab scenario's keys, so lists, filters and exports read them alike.
    `own_suites`: the names of the engineer's own suites the process measures too (core/suites.py; their items
    stay where it trains); `suites` then lists the tier's chosen capabilities and these."""
    known = get_tier(tier)  # NotFound names the tier field
    chosen = list(suites) if suites else list(known.capabilities)
    unknown = [s for s in chosen if s not in known.capabilities]
    if unknown:
        raise Invalid(f"not a capability suite of tier {tier}: {', '.join(unknown)} "
                      f"(allowed: {', '.join(known.capabilities)})", "suites")
    own = list(own_suites or [])
    for name in own:
        if reason := user_suites.name_problem(name):
            raise Invalid(f"own suite {name!r}: {reason}", "own_suites")
    if reason := user_suites.names_problem(own, known):
        raise Invalid(reason, "own_suites")
    if not SOURCE.fullmatch(source or ""):
        raise Invalid("source is 1-100 letters, digits, spaces or . : / + - (e.g. transformers.Trainer)", "source")
    args = dict(args or {})
    try:
        size = len(json.dumps(args, allow_nan=False))
    except (TypeError, ValueError):
        raise Invalid("config must be JSON: numbers finite, keys strings", "config") from None
    if size > MAX_CONFIG_BYTES:
        raise Invalid(f"config is {size} bytes of JSON, over the limit of {MAX_CONFIG_BYTES}", "config")
    reserved = sorted({"tier", "suites", "own_suites", "source", "model", "every"} & set(args))
    if reserved:
        raise Invalid(f"config may not set {', '.join(reserved)}: forgetlab sets them", "config")
    extra = {"own_suites": own} if own else {}  # absent when none: configs stored before it read the same
    return {**args, "tier": tier, "suites": chosen + own, **extra, "source": source, "model": model, "every": every}


def check_point(config: dict, step: int, values: dict, items: dict | None) -> tuple[dict[str, float], dict | None]:
    """A point's values and items, checked against the run's suites: Invalid names the bad field."""
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= 10_000_000:
        raise Invalid("step is a whole number from 0 to 10,000,000", "step")
    suites = config["suites"]
    allowed = set(SCALAR_KEYS) | {cap_key(s, m) for s in suites for m in ("accuracy", "nll")}
    out = {}
    for key, value in (values or {}).items():
        if key not in allowed:
            raise Invalid(f"unknown value {key!r} (allowed: cap.<suite>.accuracy or .nll for the suites "
                          f"{', '.join(suites)}, or {', '.join(SCALAR_KEYS)})", "values")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise Invalid(f"{key} must be a finite number", "values")
        out[key] = float(value)
    if not out:
        raise Invalid("a point needs at least one value", "values")
    if items is None:
        return out, None
    if not isinstance(items, dict) or set(items) - set(suites):
        raise Invalid(f"items are per suite of {', '.join(suites)}: {{suite: [[passed, nll], ...]}}", "items")
    for suite, rows in items.items():
        if not isinstance(rows, list) or not 0 < len(rows) <= MAX_ITEMS or not all(
                isinstance(r, list) and len(r) == 2 and isinstance(r[0], bool) and isinstance(r[1], (int, float))
                and not isinstance(r[1], bool) and math.isfinite(r[1]) for r in rows):
            raise Invalid(f"items.{suite} must be 1 to {MAX_ITEMS} pairs [passed (true/false), reference NLL]", "items")
    return out, items


def summarize(config: dict, points: list[tuple[int, dict[str, float]]], baseline_items: dict | None,
              final_items: dict | None, eval_seconds: float = 0.0) -> dict:
    """The finished run's summary (the engine's Summary, task fields None) from its stored points: the first is
    the base, the last the final model. Invalid when there is nothing to summarize."""
    suites = config["suites"]
    measured = [(step, v) for step, v in points if all(cap_key(s) in v for s in suites)]
    if len(measured) < 2 or measured[0][0] != 0:
        raise Invalid("a finished run needs its base point (step 0) and at least one later point measuring "
                      f"every suite ({', '.join(suites)})", "status")
    if not baseline_items or not final_items or set(baseline_items) != set(final_items):
        raise Invalid("a finished run needs per-probe items at its base point and at a later point", "items")
    table = [{s: v[cap_key(s)] for s in suites} for _, v in measured]
    first, last = measured[0][1], measured[-1][1]
    seconds = max(v.get("seconds", 0.0) for _, v in points)
    nll = {when: {s: v[cap_key(s, "nll")] for s in suites if cap_key(s, "nll") in v}
           for when, v in (("baseline", first), ("final", last))}
    summary = Summary(
        **metrics.summarize(table), task_accuracy=None, task_gain=None,
        format_rigidity=last.get("format_rigidity"), refusal=last.get("refusal"), over_refusal=last.get("over_refusal"),
        steps=measured[-1][0], early_stopped=False, wise_ft=None,
        baseline_nll=nll["baseline"] or None, final_nll=nll["final"] or None,
        baseline_items=baseline_items, final_items=final_items, seconds=round(seconds, 3), setup_seconds=0.0,
        eval_seconds=round(eval_seconds, 3), train_seconds=round(max(0.0, seconds - eval_seconds), 3))
    return summary.model_dump(mode="json")


def is_external(config: dict) -> bool:
    """Whether a stored config is an external run's (make_config's) rather than a lab scenario."""
    return "source" in config and "suites" in config


def settings_line(config: dict) -> list[str]:
    """An external run's settings in a line, as the runs list and the run page show them."""
    def pick(*names):
        return next((config[n] for n in names if config.get(n) is not None), None)

    items = [f"external: {config.get('source')}"]
    if config.get("model"):
        items.append(str(config["model"]).rsplit("/", 1)[-1])
    if (lr := pick("learning_rate", "lr")) is not None:
        items.append(f"lr {lr:g}" if isinstance(lr, (int, float)) else f"lr {lr}")
    steps = config.get("max_steps")
    if isinstance(steps, int) and steps > 0:  # a Trainer's max_steps overrides its epochs
        items.append(f"{steps} steps")
    elif (epochs := pick("num_train_epochs", "epochs")) is not None:
        items.append(f"{epochs:g} epochs" if isinstance(epochs, (int, float)) else f"{epochs} epochs")
    return items + [f"suites {', '.join(config.get('suites') or [])}"]
