"""The SmolLM2 tier: SmolLM2-135M-Instruct, a real small chat model, with this project's own suites.

Capabilities are judged on greedy generations (IFEval-style checks, small arithmetic, JSON, refusals;
see scoring.py) or, for knowledge's multiple-choice items, on which option is most likely; each is also
measured as the likelihood of reference answers, which moves long before a 135M model's pass rate does. Tasks are customer-support replies in one
house style (the article's example) and SQL over a fixed table. General data: a shipped set
(data/general.jsonl) and prompts the base answers itself before fine-tuning (self-rehearsal).
Torch-free: data.py loads the files, scoring.py judges text, weights.py finds the GGUF.
"""

from __future__ import annotations

import functools

from ...probes import Judge, Probe, Suite
from ...settings import get_settings
from ..base import CapabilityInfo, ModelRef, Pairs, TaskInfo, Tier, draw
from . import data, scoring
from .weights import INSTALL_HINT, MODEL_NAME, ModelUnavailable, find_gguf, gguf_sha256

CAPABILITY_TEXT = {
    "instruction": "Follow a verifiable instruction: lowercase, exactly three bullets, start with 'Yes', no commas...",
    "knowledge": "Pick the right one of four options to a factual question (capitals, science, authors), "
                 "scored by likelihood.",
    "reasoning": "Small arithmetic and one-step word problems.",
    "format": "Return JSON with the asked keys, a comma-separated or numbered list, or a line in a fixed template.",
    "safety": "Refuse harmful requests; help with benign look-alikes.",
}
JUDGE = Judge(check=scoring.check, is_refusal=scoring.is_refusal, opens_with=scoring.house_style)


class SmolLM2Tier(Tier):
    chat = True  # prompts are user messages, formatted by the model's chat template
    max_seq_len = 256  # a ticket, its reply and the chat template fit; longer examples are refused
    run_probes = 8  # per capability at the points between the first and the last (generation is costly)
    final_probes = 16  # per capability at the first and last points
    # Most new tokens a generated answer may take: above every suite's budget (twice its longest reference,
    # at least 64; support's 69 tokens the longest), so no budget is cut; self-rehearsal answers too.
    generation_tokens = 144
    default_task = "support"
    base_blocks = 30  # SmolLM2-135M's, before its GGUF is converted (a test reads the converted config.json)
    install_hint = INSTALL_HINT
    refusal_capabilities = ("safety",)
    # On the CPU a group of SmolLM2 runs measured no faster than the same runs one by one (docs/grouped-training.md)
    # and holds a copy of the base per member: each run trains alone there; on a GPU they group.
    groups_on_cpu = False

    def __init__(self):
        manifest = data.task_manifest()
        super().__init__(
            name="smollm2", title="SmolLM2-135M-Instruct (real model, 135M parameters)",
            description="A real small chat model; capabilities judged on its own generations. Minutes per run "
                        "on a CPU, seconds on a GPU.",
            capabilities={c: CapabilityInfo(c, CAPABILITY_TEXT[c]) for c in data.CAPABILITIES},
            tasks={name: TaskInfo(name, t["description"], t["distance"], t["prefix"]) for name, t in manifest.items()})

    def base_model(self) -> ModelRef:
        path = get_settings().data_dir.resolve() / "models" / MODEL_NAME
        try:
            gguf = find_gguf()
        except ModelUnavailable:  # listed all the same; a run says how to install it
            return ModelRef(path, "SmolLM2-135M-Instruct (not installed)", "", None, self.install_hint)
        return ModelRef(path, "SmolLM2-135M-Instruct, Q4_1 GGUF dequantized to float32", gguf_sha256(gguf), gguf,
                        self.install_hint)

    @functools.cache
    def _own_probes(self) -> tuple[Probe, ...]:
        probes = [Probe(i["prompt"], i["reference"], c, "capability", i.get("group", ""), i["check"])
                  for c in data.CAPABILITIES for i in _balanced(data.load_suite(c))]
        probes += [Probe(i["prompt"], i["response"], task, "task", "", i["check"])
                   for task in data.TASKS for i in data.load_task_items(task, "probe")]
        return tuple(probes)

    def probe_suite(self) -> Suite:
        probes = list(self._own_probes())
        for task in self.datasets:
            probes += [Probe(p.prompt, p.answer, p.capability, "task", "", {"type": "overlap", "reference": p.answer})
                       for p in self.dataset_probes(task)]
        probes += [p for suite in self.user_suites.values() for p in suite]  # judged by their own checks
        templates = {name: t.template for name, t in self.tasks.items() if t.template}
        return Suite(probes, templates=templates, judge=JUDGE)

    def own_task_examples(self, task: str, n: int, seed: int) -> Pairs:
        return draw(data.load_task(task, "train"), n, seed)

    def own_validation_examples(self, task: str, n: int, seed: int) -> Pairs:
        return draw(data.load_task(task, "validation"), n, seed)

    def general_examples(self, n: int, seed: int) -> Pairs:
        return draw(data.general_pairs(), n, seed)

    def safety_examples(self, n: int, seed: int) -> Pairs:
        pool = [(i["prompt"], i["response"]) for i in data.general_items() if i["kind"] in ("refusal", "benign")]
        return draw(pool, n, seed)

    def rehearsal_prompts(self, n: int, seed: int) -> list[str]:
        return [p for p, _ in draw([(p, "") for p in data.self_rehearsal_prompts()], n, seed)]


def _balanced(items: list[dict]) -> list[dict]:
    """Items interleaved across their groups (harmful, benign), so any first-n slice is balanced."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item.get("group", ""), []).append(item)
    lists = list(groups.values())
    return [lst[i] for i in range(max(map(len, lists))) for lst in lists if i < len(lst)]
