"""The SmolLM2 tier trains for real: a 2-layer copy built from the same GGUF (tests/conftest.py), through
the same loop, chat template, judged suites and mitigations as the full model. Nothing is mocked."""

import math

import pytest

from forgetlab.core.scenario import parse
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.smollm2 import weights
from forgetlab.worker.engine.encoding import encode, prompt_ids, text_ids
from forgetlab.worker.engine.model import ModelLoadError, load, load_model
from forgetlab.worker.engine.train import train


@pytest.fixture(scope="module")
def small_tier(truncated):
    tier = get_tier("smollm2").with_model(truncated)
    tier.final_probes, tier.run_probes, tier.generation_tokens = 4, 2, 12  # a few probes, short answers
    return tier


def test_prompts_go_through_the_chat_template_and_answers_end_the_turn(truncated):
    _, tokenizer = load(truncated)
    ids = prompt_ids(tokenizer, ["What is 2 + 2?"])[0]
    text = tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system") and text.endswith("<|im_start|>assistant\n")
    batch = encode(tokenizer, [("What is 2 + 2?", "4")])
    answer = batch.labels[0][batch.labels[0] != -100].tolist()
    assert answer == tokenizer("4", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    texts = ["4", "Dear customer,\n\nwe are sorry.", "  naïve café — 3½ ✓", ""]
    assert text_ids(tokenizer, texts) == tokenizer(texts, add_special_tokens=False)["input_ids"]


def test_a_few_real_steps_learn_the_task_and_report_every_measure(small_tier):
    scenario = parse({"tier": "smollm2", "task": "support", "method": "lora", "lr": 2e-3, "epochs": 1,
                      "task_examples": 50, "batch_size": 8, "eval_every": 9, "rehearsal_ratio": 0.25,
                      "rehearsal_prompts": 8})  # 6 task rows + 2 self-rehearsal rows a batch: 9 steps
    events = []
    summary = train(scenario, events.append, tier=small_tier)
    metrics = [e for e in events if e.type == "metrics"]
    assert [m.step for m in metrics] == [0, 5, 9]
    for m in metrics:
        assert set(m.capabilities) == set(small_tier.capabilities)
        assert all(0 <= c.accuracy <= 1 and math.isfinite(c.nll) for c in m.capabilities.values())
        assert set(m.format_rigidity or {}) <= {"support", "sql"} and m.refusal is not None
    # The task's reference replies grow more likely as the house style is learnt.
    assert metrics[-1].task.nll < metrics[0].task.nll
    assert summary.final_nll and set(summary.final_nll) == set(small_tier.capabilities)
    # Beside each whole NLL, its split into the answer's first token, content and end token.
    for level, whole in ((summary.baseline_nll_parts, summary.baseline_nll), (summary.final_nll_parts, summary.final_nll)):
        assert set(level) == set(small_tier.capabilities)
        for cap, parts in level.items():
            assert parts["whole"] == pytest.approx(whole[cap]) and math.isfinite(parts["first"] + parts["end"])
    assert summary.final_nll_parts["instruction"]["content"] > 0  # knowledge's references are one-word options
    samples = [e for e in events if e.type == "samples"][-1].samples
    assert {s.capability for s in samples} == set(small_tier.capabilities) | {"support"}
    started = events[0]
    assert started.type == "started" and 0 < started.trainable < started.parameters


def test_missing_weights_say_how_to_install(monkeypatch, tmp_path):
    def missing():
        raise weights.ModelUnavailable("x")

    monkeypatch.setattr("forgetlab.core.tiers.smollm2.find_gguf", missing)
    monkeypatch.setenv("FORGETLAB_DATA_DIR", str(tmp_path))
    from forgetlab.core.settings import get_settings

    get_settings.cache_clear()
    try:
        ref = get_tier("smollm2").base_model()
        assert ref.checksum == "" and "not installed" in ref.revision
        with pytest.raises(ModelLoadError, match="forgetlab install smollm2"):
            load_model(ref)
    finally:
        get_settings.cache_clear()


def test_every_budget_fits_twice_the_longest_reference_and_the_floor(truncated):
    # A correct answer worded a little longer than the reference must end inside the budget, so the
    # budget never decides the score; the tier's cap must not cut below that.
    from forgetlab.worker.engine.encoding import IGNORE
    from forgetlab.worker.engine.decode import BUDGET_FLOOR, budget
    from forgetlab.worker.engine.evaluate import EncodedSuite

    _, tokenizer = load(truncated)
    tier = get_tier("smollm2")
    encoded = EncodedSuite.build(tier.probe_suite(), tokenizer, max_new_tokens=tier.generation_tokens)
    for name, batch in encoded.batches.items():
        longest = int((batch.labels != IGNORE).sum(-1).max())
        assert encoded.budgets[name] == budget(longest) >= 2 * longest and budget(longest) >= BUDGET_FLOOR
    assert budget(3) == 64 and budget(69) == 138


def test_a_runs_step_0_validation_loss_is_the_bases_kept_on_disk(small_tier, monkeypatch, tmp_path):
    """Step 0's validation loss is the base's on the run's own validation examples: measured by a first run,
    read back by the next with the same examples, measured again for other examples (another seed)."""
    from forgetlab.core.settings import get_settings
    from forgetlab.worker.engine import train as train_module

    monkeypatch.setenv("FORGETLAB_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    measured = []
    monkeypatch.setattr(train_module, "validation_loss",
                        lambda model, data, inner=train_module.validation_loss: measured.append(inner(model, data))
                        or measured[-1])
    try:
        def first_val_loss(seed: int) -> tuple[float, int]:
            measured.clear()
            events = []
            train(parse({"tier": "smollm2", "task": "support", "method": "lora", "epochs": 1, "task_examples": 50,
                         "batch_size": 25, "eval_every": 2, "seed": seed}), events.append, tier=small_tier)
            return [e for e in events if e.type == "metrics"][0].val_loss, len(measured)

        loss, computed = first_val_loss(0)
        assert computed == 2 and loss == measured[0]  # steps 0 and 2
        assert first_val_loss(0) == (loss, 1)  # step 0's read back: only step 2's computed
        other, computed = first_val_loss(1)
        assert computed == 2 and other != loss
    finally:
        get_settings.cache_clear()
