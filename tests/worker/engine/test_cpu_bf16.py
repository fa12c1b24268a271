"""bf16 autocast on the CPU (docs/real-model.md, "bf16 on a CPU with bf16 matmul units"): the setting and the
detection choose it only for the smollm2 tier, only for the parts whose rule held, only where the CPU has bf16
units; `off` and the synthetic tier are the float32 the lab always ran; a run records its precision; bf16 on the
real 2-layer SmolLM2 agrees with float32 within the rule's tolerances and is reproducible."""

import pytest
import torch

from forgetlab.core.scenario import parse
from forgetlab.core.settings import Settings
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine import runtime as runtime_module
from forgetlab.worker.engine.base_view import cached_level
from forgetlab.worker.engine.runtime import Runtime, cpu_flags, cpu_has_bf16, has_bf16
from forgetlab.worker.engine.train import train

BF16 = Runtime("cpu", torch.bfloat16)
# bf16 computation is tested where the lab would compute in bf16: on a CPU with bf16 units. Elsewhere the lab stays
# float32 whatever the setting, and torch converts every bf16 matmul (about 8x slower than float32: the training
# test below ran for over 12 minutes on an AVX2-only CPU).
needs_bf16_units = pytest.mark.skipif(
    not cpu_has_bf16(), reason="this CPU has no bf16 matmul units: the lab never computes in bf16 on it")


def test_the_setting_reads_off_or_on(monkeypatch):
    assert Settings().cpu_bf16 == "off"  # both rules failed: float32 unless asked
    monkeypatch.setenv("FORGETLAB_CPU_BF16", "on")
    assert Settings().cpu_bf16 == "on"
    monkeypatch.setenv("FORGETLAB_CPU_BF16", "auto")
    with pytest.raises(ValueError):
        Settings()


def test_bf16_units_need_the_cpu_flags_not_only_onednn(tmp_path):
    """oneDNN says yes on any AVX-512 CPU (where bf16 is converted, 8x slower): the flags decide on x86."""
    assert has_bf16(True, {"avx512f", "avx512_bf16"}) and has_bf16(True, {"amx_bf16"})
    assert not has_bf16(True, {"avx512f", "avx512bw", "avx2"})  # the lab's earlier CPU: AVX-512-less too
    assert not has_bf16(False, {"avx512_bf16"})  # oneDNN cannot use them (an old torch build)
    assert has_bf16(None, {"avx512_bf16"}) and not has_bf16(None, {"avx2"})
    assert has_bf16(True, None) and not has_bf16(None, None)  # no x86 flags: oneDNN's answer stands
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu avx2 avx512_bf16\n")
    assert cpu_flags(str(info)) == {"fpu", "avx2", "avx512_bf16"}
    info.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n")
    assert cpu_flags(str(info)) is None and cpu_flags(str(tmp_path / "absent")) is None


@pytest.fixture
def bf16_units(monkeypatch):
    """The CPU has bf16 units, whatever this machine's CPU."""
    monkeypatch.setattr(runtime_module, "cpu_has_bf16", lambda: True)


def test_only_smollm2_with_on_and_bf16_units_runs_in_bf16(bf16_units, monkeypatch):
    assert Runtime.cpu_for_tier("smollm2", "on") == BF16
    assert Runtime.cpu_for_tier("smollm2", "off") == Runtime.cpu()
    assert Runtime.cpu_for_tier("synthetic", "on") == Runtime.cpu()
    assert Runtime.for_queue("cpu", "synthetic") == Runtime.cpu() and Runtime.for_queue("cpu") == Runtime.cpu()
    monkeypatch.setattr(runtime_module, "cpu_has_bf16", lambda: False)
    assert Runtime.cpu_for_tier("smollm2", "on") == Runtime.cpu()  # no bf16 units: float32, whatever the setting


def test_the_parts_apart_as_the_bench_runs_them():
    evaluation_only = Runtime("cpu", torch.bfloat16, training=False)
    assert evaluation_only.precision == "bfloat16 autocast (evaluation only)"
    with evaluation_only.autocast():
        assert torch.is_autocast_enabled("cpu")
    with evaluation_only.autocast(training=True):
        assert not torch.is_autocast_enabled("cpu")
    assert Runtime.cpu().precision == "float32" and BF16.precision == "bfloat16 autocast"


def test_the_base_level_is_measured_in_the_runs_own_evaluation_precision():
    """Step 0 and every later point of a curve in one precision, on the CPU and on CUDA (no CUDA needed to check)."""
    cuda = Runtime("cuda", torch.bfloat16)
    assert cuda.for_base_level.evaluation_precision == "bfloat16" == BF16.for_base_level.evaluation_precision
    assert Runtime.cpu().for_base_level.evaluation_precision == "float32"
    assert Runtime("cuda", torch.bfloat16, evaluation=False).for_base_level == Runtime("cuda")
    # one per-process base view per device and precision, whichever parts a run autocasts
    assert Runtime("cpu", torch.bfloat16, training=False).for_base_level == BF16.for_base_level


def test_the_default_is_float32_on_every_cpu():
    assert Runtime.cpu_for_tier("smollm2") == Runtime.cpu()


def test_the_base_level_cache_keeps_precisions_apart(monkeypatch, tmp_path):
    """A bf16 base level is never read for a float32 run, nor the reverse; float32 keeps its old key."""
    monkeypatch.setenv("FORGETLAB_DATA_DIR", str(tmp_path))
    from forgetlab.core.settings import get_settings
    from forgetlab.worker.engine.evaluate import EncodedSuite

    class Tokenizer:  # cached_level reads only the suite's probes and budgets
        pass

    get_settings.cache_clear()
    try:
        tier = get_tier("smollm2")
        monkeypatch.setattr(type(tier), "model", lambda self: type("Ref", (), {"checksum": "abc"})())
        suite = tier.probe_suite().head(1)
        full = EncodedSuite(suite, {}, {}, None, {}, Tokenizer(), {"knowledge": 4})
        levels = {"float32": {"tasks": {"x": 1}, "task_items": {}, "p": "float32"},
                  "bfloat16": {"tasks": {"x": 1}, "task_items": {}, "p": "bfloat16"}}
        for precision in ("float32", "bfloat16"):
            assert cached_level(tier, full, "cpu", lambda p=precision: levels[p], precision)["p"] == precision
        for precision in ("float32", "bfloat16"):  # read back, each its own
            assert cached_level(tier, full, "cpu", lambda: pytest.fail("measured again"), precision)["p"] == precision
        assert len(list((tmp_path / "cache").glob("base-smollm2-*.json"))) == 2
    finally:
        get_settings.cache_clear()


def test_the_synthetic_tier_records_float32_whatever_the_setting(bf16_units, monkeypatch):
    from forgetlab.core.settings import get_settings

    monkeypatch.setenv("FORGETLAB_CPU_BF16", "on")
    get_settings.cache_clear()
    try:
        assert Runtime.cpu_for_tier("smollm2") == BF16  # the setting is read: smollm2 would run in bf16
        scenario = parse({"tier": "synthetic", "task": "support-narrow", "epochs": 1, "task_examples": 50,
                          "batch_size": 16, "eval_every": 2})
        assert train(scenario).precision == "float32"
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def small_tier(truncated):
    tier = get_tier("smollm2").with_model(truncated)
    tier.final_probes, tier.run_probes, tier.generation_tokens = 4, 2, 12  # a few probes, short answers
    return tier


SCENARIO = {"tier": "smollm2", "task": "support", "method": "lora", "lr": 2e-3, "epochs": 1, "task_examples": 50,
            "batch_size": 16, "eval_every": 4}


def curves(summary, events):
    return ([(e.step, e.train_loss, e.val_loss, {c: (m.accuracy, m.nll) for c, m in e.capabilities.items()})
             for e in events if e.type == "metrics"], summary.final_nll, summary.task_accuracy)


@needs_bf16_units
def test_a_bf16_run_records_its_precision_and_is_reproducible(small_tier):
    runs = []
    for _ in range(2):
        events = []
        summary = train(parse(SCENARIO), events.append, tier=small_tier, runtime=BF16)
        runs.append(curves(summary, events))
    assert summary.precision == "bfloat16 autocast"
    assert runs[0] == runs[1]  # same config, seed and CPU: the same curves, to the bit


@needs_bf16_units
def test_bf16_agrees_with_float32_within_the_rule_on_the_small_model(small_tier):
    """The 2-layer model's training in bf16 against float32, both evaluated in float32 (the training rule's
    shape): the task's accuracy within 0.05, each capability's mean reference NLL within 5% relative. Its
    accuracies sit on 4 probes each, too few for the half-widths; its greedy texts are near-random (2 layers),
    so the evaluation rule's text agreement is for the real model (bench/cpu_bf16.py)."""
    fp32 = train(parse(SCENARIO), tier=small_tier, runtime=Runtime.cpu())
    bf16 = train(parse(SCENARIO), tier=small_tier, runtime=Runtime("cpu", torch.bfloat16, evaluation=False))
    assert fp32.precision == "float32" and bf16.precision == "bfloat16 autocast (training only)"
    assert fp32.baseline_nll == bf16.baseline_nll  # the same float32 base level
    assert abs(fp32.task_accuracy.final - bf16.task_accuracy.final) <= 0.05
    for name, nll in fp32.final_nll.items():
        assert bf16.final_nll[name] == pytest.approx(nll, rel=0.05)


@needs_bf16_units
def test_bf16_scores_within_the_evaluation_rule_on_the_small_model(truncated):
    """Reference NLLs per capability within 1% relative, and the same option wherever float32's margin is
    at least 0.05 nats, on the real 2-layer SmolLM2's items."""
    from forgetlab.worker.engine.choice import encode_choices, option_logliks
    from forgetlab.worker.engine.evaluate import EncodedSuite
    from forgetlab.worker.engine.scoring import score
    from forgetlab.worker.engine.model import load

    model, tokenizer = load(truncated)
    tier = get_tier("smollm2")
    encoded = EncodedSuite.build(tier.probe_suite().head(6), tokenizer, max_new_tokens=8)
    for name in encoded.suite.capabilities:
        nll32 = score(model, encoded.batches[name])[1].mean()
        with BF16.autocast():
            nll16 = score(model, encoded.batches[name])[1].mean()
        assert float(nll16) == pytest.approx(float(nll32), rel=0.01)
    items = [p for p in tier.probe_suite().probes if p.capability == "knowledge"][:24]
    choices = encode_choices(tokenizer, items)
    fp32 = option_logliks(model, choices)
    with BF16.autocast():
        bf16 = option_logliks(model, choices)
    clear = [(a, b) for a, b in zip(fp32, bf16) if (lambda r: r[0] - r[1])(a.sort(descending=True).values) >= 0.05]
    assert clear and all(int(a.argmax()) == int(b.argmax()) for a, b in clear)


def test_the_claims_run_cache_is_kept_apart_per_device_and_precision():
    """A claim's cached run is read back only by runs that compute as it did; CPU float32 keeps its old directory."""
    from forgetlab.worker.cli_claims import cache_name

    assert cache_name(Runtime.cpu()) == "claims"
    assert cache_name(BF16) == "claims-cpu-bfloat16-autocast"
    assert cache_name(Runtime("cuda", torch.bfloat16)) == "claims-cuda-bfloat16-autocast"
