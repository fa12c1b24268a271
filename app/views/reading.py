"""A plain-language reading of a finished run: what was forgotten, by how much, why, and what to try.

Pure functions of the run's config, its summary and the base model's step-0 metrics, so the
run page, the runs list and tests all read a run the same way. Written for learners: percent
points and everyday words, no loss functions or Fisher matrices.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from forgetlab.core import mitigations as mitigation_registry
from forgetlab.core.external import is_external, settings_line
from forgetlab.core.metrics import wise_pick
from forgetlab.core.preset_outcomes import ranges
from forgetlab.core.presets import measured_runs
from forgetlab.core.scenario import Scenario, ScenarioError, with_overrides
from forgetlab.core.tiers import tier_of

from ..pages.forms import scenario_query
from .percent import pct, percent, pts, signed_pts

FORGOTTEN = 0.10  # a drop of 10 points or more is "forgotten"
SLIPPED = 0.03  # 3 to 10 points "slipped"; less is noise on 32-64 probes
NONE = 0.005  # under half a point rounds to 0 (views/percent.py)

# A learner's way through the presets: each step changes one thing and says what to look for.
LEARNING_PATH = [
    ("break-it", "watch the general skills fall while the task is learnt"),
    ("low-lr", "the same run with smaller steps: less is overwritten"),
    ("mix-20", "keep general data in every batch"),
    ("lora", "train adapters and leave the base weights alone"),
    ("early-stop", "stop when the task stops improving: see how little it saves"),
    ("fix-it", "the article's levers together, as the lab's search found them best"),
]



def and_list(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def method_phrase(c: dict) -> str:
    if c["method"] == "lora":
        return f"LoRA adapters (rank {c['lora_rank']}) on a frozen base"
    return "full fine-tuning"


def mitigations(c: dict) -> list[str]:
    """The active mitigations, each in a few plain words (each mitigation words itself: core/mitigations/)."""
    return mitigation_registry.describe(c)


def key_settings(c: dict, task: str | None = None) -> list[str]:
    """A run's settings in a line: what the runs list and the run page header show. `task`: how to name the
    task, where the caller knows better than its key (a dataset's name). A setting the viewer may not see (an
    attempt's hidden field: app/services/hidden.py) is left out, and so is what depends on it."""
    if is_external(c):
        return settings_line(c)
    phrases = [("task", lambda: task or c["task"]),
               ("method", lambda: method_phrase(c) if c["method"] == "lora" else "full"),
               ("lr", lambda: f"lr {c['lr']:g}"),
               ("epochs", lambda: f"{c['epochs']} epoch{'s' if c['epochs'] != 1 else ''}"),
               ("task_examples", lambda: f"{c['task_examples']} examples")]
    items = []
    for key, phrase in phrases:
        try:
            if key in c:
                items.append(phrase())
        except KeyError:  # what the phrase also names is hidden (lora's rank)
            continue
    try:
        return items + mitigations(c)
    except KeyError:  # a mitigation's setting hidden: its phrase would tell it
        return items


def headline(summary: dict | None) -> tuple[str, float] | None:
    """The most forgotten capability and its drop, for the runs list; None when nothing dropped."""
    if not summary or not summary.get("forgetting"):
        return None
    cap, drop = max(summary["forgetting"].items(), key=lambda kv: kv[1])
    return (cap, drop) if drop >= NONE else None


def preset_values(preset) -> list[str]:
    """What a preset sets, written from its values (never from its prose), for its card in the builder."""
    return key_settings(preset.scenario().model_dump(mode="json"))


def _planned_steps(config: dict) -> int | None:
    try:
        return Scenario.model_validate(config).total_steps
    except ValueError:
        return None


def _try(config: dict, label: str, why: str, **overrides) -> dict | None:
    """A suggestion is only offered if the changed scenario is valid: one click runs it (a POST of
    `pairs`, the form's fields), `url` opens it in the builder to edit first."""
    try:
        scenario = with_overrides(config, overrides)
    except ScenarioError:
        return None
    if scenario == Scenario.model_validate(config):
        return None
    query = scenario_query(scenario)
    return {"label": label, "why": why, "url": "/?" + query, "pairs": parse_qsl(query),
            "measured": _measured(scenario)}


LEARNT = 0.90  # a follow-up "learns" when every stored run of it reaches this task accuracy


def _measured(scenario: Scenario) -> str | None:
    """Where a follow-up leads, from the lab's stored runs of the preset it is (core/presets_measured.json):
    what it costs when it does not learn the task, its ranges when it does; None when it was never measured."""
    found = measured_runs(scenario)
    if not found:
        return None
    preset, runs = found
    r = ranges(runs)
    task, drop = r["task"], r["mean_drop"]
    where = f"in the lab's {len(runs)} runs of {preset.title}"
    if task[0] < LEARNT:
        return (f"It does not always learn the task here: task {task[0]:.2f}-{task[1]:.2f}, mean drop "
                f"{drop[0]:.2f}-{drop[1]:.2f} {where}.")
    return f"Task {task[0]:.2f}-{task[1]:.2f}, mean drop {drop[0]:.2f}-{drop[1]:.2f} {where}."


def _rows(config: dict, summary: dict) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Each measured capability's base, final, drop, lowest point and retention; and which were lost, slipped, kept."""
    forgetting, rows = summary.get("forgetting", {}), []
    described = tier_of(config).capabilities
    for cap in forgetting:  # the tier's capabilities measured, then the run's own suites
        description = described[cap].description if cap in described else "an engineer's own suite"
        rows.append({"name": cap, "description": description,
                     "base": summary["baseline"][cap], "final": summary["final"][cap], "drop": forgetting[cap],
                     "max_drop": summary.get("max_drop", {}).get(cap, 0.0),
                     "retention": summary.get("retention", {}).get(cap)})
    lost = [r for r in rows if r["drop"] >= FORGOTTEN]
    slipped = [r for r in rows if SLIPPED <= r["drop"] < FORGOTTEN]
    kept = [r for r in rows if r["drop"] < SLIPPED]
    return rows, lost, slipped, kept


def read_external(*, config: dict, summary: dict) -> dict:
    """read_run() for a run trained outside the lab: what was forgotten, with no advice on settings the lab
    cannot change (the trainer's arguments are its owner's)."""
    rows, lost, slipped, kept = _rows(config, summary)
    if lost:
        title = "Forgot " + and_list([f"{r['name']} ({pts(r['drop'])} down)" for r in lost]) + "."
    elif slipped:
        title = "Little was forgotten: " + ", ".join(f"{r['name']} slipped {pts(r['drop'])}" for r in slipped) + "."
    else:
        title = "Nothing important was forgotten."
    why = [f"Trained outside the lab ({config.get('source')}) for {summary.get('steps')} steps and measured on "
           f"the {config.get('tier')} tier's suites while it trained; the lab measured no task of its own."]
    if summary.get("train_seconds") and summary.get("eval_seconds"):
        share = summary["eval_seconds"] / summary["train_seconds"]
        why.append(f"Measuring took {summary['eval_seconds']:.1f} s, {share:.0%} of the training time.")
    return {"headline": title, "rows": rows, "lost": lost, "slipped": slipped, "kept": kept, "why": why, "tries": []}


def read_run(*, config: dict, summary: dict, base: dict[str, float], info: dict | None = None,
             lowest_val_loss: float | None = None) -> dict:
    """{headline, lost, slipped, kept, rows, why: [sentences], tries: [{label, why, url, config}]} for one run.

    `lowest_val_loss` is the lowest validation loss of any point of the run, quoted when early stopping
    is on (the stopping rule's own "best" only moves by more than min_delta, so it is not the minimum)."""
    c, info = config, info or {}
    rows, lost, slipped, kept = _rows(c, summary)
    recovered = [r for r in rows if r["max_drop"] >= FORGOTTEN and r["drop"] < SLIPPED]
    task = summary.get("task_accuracy", {})
    gain = summary.get("task_gain", 0.0)
    steps = summary.get("steps")
    how = (f"{method_phrase(c)} at learning rate {c['lr']:g} for {c['epochs']} epoch{'s' if c['epochs'] != 1 else ''}"
           f" ({steps} steps) on {c['task']}")
    How = how[0].upper() + how[1:]  # str.capitalize() would lowercase "LoRA"
    used = mitigations(c)
    names = "every general skill" if len(lost) == len(rows) > 1 else and_list([r["name"] for r in lost])

    why: list[str] = []
    if lost:
        drops = sorted(percent(r["drop"]) for r in lost)
        if len(lost) == 1:
            r = lost[0]
            title = f"Forgot {names}: it fell {pts(r['drop'])} ({pct(r['base'])} to {pct(r['final'])})."
        elif len(lost) == len(rows):
            title = f"Forgot {names}: all {len(rows)} fell {drops[0]} to {drops[-1]} points."
        else:
            title = f"Forgot {names}: they fell {drops[0]} to {drops[-1]} points."
        if c["method"] == "full" and not used:
            why.append(f"{How} rewrote weights that {names} depended on. Every weight was free to "
                       f"move and nothing in the batches reminded the model of {names}, so the changes that taught "
                       "the task also wrote over them.")
        elif c["method"] == "full":
            why.append(f"{How} still rewrote weights that {names} depended on, even with "
                       f"{and_list(used)}: the protection was not strong enough for this learning rate and "
                       "number of epochs.")
        else:
            why.append(f"{How} still changed how the model behaves on {names}: the base weights stayed "
                       "put, but the adapters' output is added to every layer they touch, general prompts included.")
    elif slipped:
        title = "Little was forgotten: " + ", ".join(f"{r['name']} slipped {pts(r['drop'])}" for r in slipped) + "."
    else:
        title = "Nothing important was forgotten."
    if not lost:
        if used:  # `how` already names the method: the protection adds only the mitigations
            why.append(f"{How}, with {and_list(used)}, kept the general skills close to the "
                       "base model's level.")
        elif c["method"] == "lora":
            why.append(f"{How} kept the general skills close to the base model's level.")
        else:
            why.append(f"{How} was gentle enough that the general skills stayed close to the base.")
    if recovered:
        why.append("Some drops were temporary: " + ", ".join(f"{r['name']} fell as much as {pts(r['max_drop'])} "
                                                           "before coming back" for r in recovered) + ".")
    if task:
        why.append(f"Meanwhile the task itself went from {pct(task.get('baseline'))} to {pct(task.get('final'))}"
                   + (" — it was learnt." if gain >= 0.3 else "." if gain > 0.05 else ", so it was barely learnt."))
    refusal, base_refusal = summary.get("refusal"), base.get("refusal")
    if refusal is not None and base_refusal is not None and base_refusal - refusal >= FORGOTTEN:
        cause = ("training only on answers that say yes taught it to say yes to everything, harmful requests "
                 "included" if c["task"] == "helpful" else "refusing was overwritten along with the other skills")
        why.append(f"The model now refuses {pct(refusal)} of harmful requests, down from {pct(base_refusal)}: {cause}.")
    rigidity, base_rigidity = summary.get("format_rigidity"), base.get("format_rigidity") or 0.0
    if rigidity is not None and rigidity - base_rigidity >= FORGOTTEN:
        why.append(f"{pct(rigidity)} of general answers now start like a task answer: the task's fixed reply "
                   "template has leaked into everything the model says.")
    early, planned = info.get("early_stopped"), _planned_steps(c)
    lowest = f" (its lowest was {lowest_val_loss:.4f})" if lowest_val_loss is not None else ""
    if early and (planned is None or early["step"] < planned):
        why.append(f"Early stopping ended training at step {early['step']} of {planned or steps}: the validation "
                   f"loss had not improved by more than {c.get('min_delta', 0):g} for {c.get('patience')} "
                   f"validation checks{lowest}, and the weights of its best check were restored.")
    elif c.get("early_stopping") and steps is not None:
        why.append(f"Early stopping was on but did not end training early: all {steps} planned steps ran"
                   f"{lowest}.")
    wise = summary.get("wise_ft")
    pick = wise_pick(wise) if wise else None  # the smallest share of the fine-tuned weights keeping 90% of the task
    if pick:
        why.append(f"Blending back toward the base (WiSE-FT): alpha {pick['alpha']:g} ({pct(pick['alpha'])} of the "
                   f"fine-tuned weights) keeps most of the task ({pct(pick['task'])}, against {pct(pick['tuned_task'])} "
                   f"fully fine-tuned) with general skills averaging {pct(pick['general'])} (fully fine-tuned: "
                   f"{pct(pick['tuned_general'])}), with no extra training.")

    tries = []
    if lost or slipped:
        if c["method"] == "full":
            tries.append(_try(c, "Try LoRA", "train small adapters and leave the base weights alone",
                              method="lora"))
        if c.get("mix_ratio", 0) < 0.2:
            tries.append(_try(c, "Try a 20% mix", "keep general data in every batch", mix_ratio=0.2))
        if c["lr"] >= 1e-3:
            tries.append(_try(c, f"Try lr {c['lr'] / 10:g}", "smaller steps overwrite less", lr=c["lr"] / 10))
        if not c.get("early_stopping") and c["epochs"] >= 3:
            tries.append(_try(c, "Try early stopping", "stop once the task stops improving", early_stopping=True))
    if refusal is not None and base_refusal is not None and base_refusal - refusal >= FORGOTTEN \
            and not c.get("safety_mix"):
        tries.append(_try(c, "Try a 10% safety mix", "keep refusal examples in the batches", safety_mix=0.1))
    if not lost and gain < 0.3:
        tries.append(_try(c, "Try more epochs", "the task was not learnt yet", epochs=min(20, c["epochs"] * 2)))
    tries = [t for t in tries if t][:4]
    if tries and lost:
        options = " or ".join(t["label"].removeprefix("Try ") for t in tries[:2])
        why[0] = f"{why[0].rstrip('.')}; try {options}."
    if (precision := summary.get("precision", "float32")) != "float32":  # the GPU's, or the CPU's bf16 opt-in
        why.append(f"It computed under {precision}, not float32, so its figures match a float32 run's of the "
                   "same scenario and seed only roughly: compare it with runs that computed the same way.")
    return {"headline": title, "rows": rows, "lost": lost, "slipped": slipped, "kept": kept, "why": why,
            "tries": tries}
