"""A tier's likelihood-scored suites as lm-evaluation-harness tasks (`forgetlab suites export --lm-eval DIR`).

A suite is likelihood-scored when every probe of a capability is a multiple-choice item (check
{"type": "choice", "options": [...], "reference": the right option}); the engine scores it by the option with the highest
summed log-likelihood (worker/engine/choice.py), which is lm-evaluation-harness's `acc` on a
`multiple_choice` task. Each such capability becomes DIR/<task>.yaml beside DIR/<task>.jsonl (every item,
in the suite's order); the YAML names its data file by absolute path (lm-evaluation-harness reads a
relative one from its working directory). Run it as

    lm-eval run --model hf --model_args pretrained=MODEL_DIR,dtype=float32 --include_path DIR \\
        --tasks forgetlab_smollm2_knowledge --apply_chat_template

--apply_chat_template matters: forgetlab reads every prompt through the model's chat template, and then
lm-evaluation-harness puts no delimiter before the option, as forgetlab does. Torch-free.
"""

from __future__ import annotations

import json
from pathlib import Path

from .probes import Probe, Suite


def is_choice(probes: list[Probe]) -> bool:
    """True when every probe of a name is a multiple-choice item (then it is scored by likelihood)."""
    return bool(probes) and all(p.check and p.check.get("type") == "choice" for p in probes)


def likelihood_names(suite: Suite) -> list[str]:
    return [name for name in suite.capabilities + suite.tasks
            if is_choice([p for p in suite.probes if p.capability == name])]


def task_name(tier: str, capability: str) -> str:
    return f"forgetlab_{tier}_{capability}"


def _yaml(task: str, data_file: Path) -> str:
    # JSON strings are valid YAML scalars, so every value is written with json.dumps: no quoting to get wrong.
    return "\n".join([
        "# Written by `forgetlab suites export --lm-eval`. Run with --apply_chat_template: forgetlab reads",
        "# prompts through the model's chat template, and scores the option with the highest summed",
        "# log-likelihood (acc).",
        f"task: {json.dumps(task)}",
        "dataset_path: json",
        "dataset_kwargs:",
        "  data_files:",
        f"    test: {json.dumps(str(data_file))}",
        "test_split: test",
        "output_type: multiple_choice",
        "doc_to_text: prompt",
        "doc_to_choice: options",
        "doc_to_target: answer",
        'target_delimiter: " "',
        "metric_list:",
        "  - metric: acc",
        "    aggregation: mean",
        "    higher_is_better: true",
        "",
    ])


def export_lm_eval(tier: str, suite: Suite, out_dir: Path) -> list[str]:
    """Write one lm-evaluation-harness task per likelihood-scored capability into out_dir; return their names.
    Raises ValueError when the suite has none."""
    names = likelihood_names(suite)
    if not names:
        raise ValueError(f"tier {tier!r} has no likelihood-scored (multiple-choice) suite to export")
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = []
    for name in names:
        task = task_name(tier, name)
        rows = [{"prompt": p.prompt, "options": p.check["options"], "answer": p.check["options"].index(p.check["reference"])}
                for p in suite.probes if p.capability == name]
        data_file = out_dir / f"{task}.jsonl"
        data_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        (out_dir / f"{task}.yaml").write_text(_yaml(task, data_file), encoding="utf-8")
        tasks.append(task)
    return tasks
