"""Writes every file and checks the build (every reference passes its checker, splits are disjoint,
held-out facts stay out of the general data); raises if anything is off."""

import argparse
import json
import re
from pathlib import Path

from forgetlab.core.tiers.smollm2.scoring import check, house_style, is_refusal

from .common import DATA_DIR, is_number, norm
from .format import format_suite
from .general import general_data
from .instruction import instruction_suite
from .knowledge import knowledge_suite
from .reasoning import reasoning_suite
from .safety import safety_suite
from .self_rehearsal import self_rehearsal
from .sql import sql_pool
from .support import support_pool
from .tasks import TASK_INFO, split_task


def _jsonl_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _verify(suites: dict, tasks: dict, general: list[dict], rehearsal: list[dict]) -> None:
    """The build's own sanity checks; the test suite repeats the important ones on the shipped files."""
    ids = [it["id"] for items in suites.values() for it in items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for items in suites.values():
        for it in items:
            assert check(it["check"], it["reference"]), f"{it['id']} reference fails its own check"
    for name, splits in tasks.items():
        for rows in splits.values():
            for row in rows:
                assert check(row["check"], row["response"]), f"{name} response fails its check: {row}"
                assert house_style(row["response"], TASK_INFO[name]["prefix"])
    probes = [norm(it["prompt"]) for items in suites.values() for it in items]
    probes += [norm(row["prompt"]) for splits in tasks.values() for row in splits["probe"]]
    for row in general + rehearsal:
        p = norm(row["prompt"])
        clash = next((q for q in probes if p in q or q in p), None)
        assert clash is None, f"{row['prompt']!r} overlaps probe prompt {clash!r}"
    # Every knowledge answer stays out (held out or not); numbers ("six", "64") are too common to ban.
    held = [it["reference"] for it in suites["knowledge"] if not is_number(it["reference"])]
    for row in general + rehearsal:
        text = row["prompt"] + " " + row.get("response", "")
        for a in held:
            assert not re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", text, re.IGNORECASE), \
                f"knowledge answer {a!r} appears in {row['prompt']!r}"
    for row in general:
        if row["kind"] != "refusal":
            assert not is_refusal(row["response"]), row


def build(out_dir: Path) -> dict[str, int]:
    """Write every data file into out_dir; return {file name: item count}."""
    suites = {"instruction": instruction_suite(), "knowledge": knowledge_suite(),
              "reasoning": reasoning_suite(), "format": format_suite(), "safety": safety_suite()}
    tasks = {"support": split_task(support_pool()), "sql": split_task(sql_pool())}
    general = general_data(suites["reasoning"])
    rehearsal = self_rehearsal(suites["reasoning"])
    _verify(suites, tasks, general, rehearsal)

    files = {f"{cap}.jsonl": items for cap, items in suites.items()}
    for name, splits in tasks.items():
        for split, rows in splits.items():
            files[f"{name}.{split}.jsonl"] = rows
    files["general.jsonl"] = general
    files["self_rehearsal_prompts.jsonl"] = rehearsal

    manifest = {name: {**info, "files": {s: f"{name}.{s}.jsonl" for s in tasks[name]},
                       "counts": {s: len(rows) for s, rows in tasks[name].items()}}
                for name, info in TASK_INFO.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    for fname, rows in files.items():
        (out_dir / fname).write_bytes(_jsonl_bytes(rows))
    (out_dir / "tasks.json").write_bytes((json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return {fname: len(rows) for fname, rows in files.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write every file under core/tiers/smollm2/data/.")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder (default: the shipped data)")
    args = parser.parse_args(argv)
    for fname, count in build(args.out).items():
        print(f"{count:5d}  {fname}")
