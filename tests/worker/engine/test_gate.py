"""The gate engine's pieces that need no model: the suite it gates and the cache of a base's judged items."""

import pytest

from forgetlab.core.gate import Item
from forgetlab.core.settings import get_settings
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.gate import GateError, Scored, cached_base, gate_suite


def test_the_gate_suite_is_every_probe_of_the_capabilities_asked_for():
    tier = get_tier("smollm2")
    suite = gate_suite(tier)
    assert suite.capabilities == list(tier.capabilities) and suite.tasks == []
    assert len(suite.probes) == sum(p.kind == "capability" for p in tier.probe_suite().probes)
    assert gate_suite(tier, ["safety", "knowledge"]).capabilities == ["knowledge", "safety"]
    with pytest.raises(GateError, match="unknown capability 'telepathy' of tier smollm2"):
        gate_suite(tier, ["knowledge", "telepathy"])


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FORGETLAB_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_a_judged_base_is_measured_once_per_weights_and_probes(data_dir):
    tier = get_tier("smollm2")
    suite = gate_suite(tier, ["reasoning"])
    calls = []

    def measure(part):
        calls.append(part.capabilities)
        return Scored({c: [Item(i % 2 == 0, 0.25 * i) for i, p in enumerate(part.probes) if p.capability == c]
                       for c in part.capabilities},
                      {c: [f"{c} {i}" for i, p in enumerate(part.probes) if p.capability == c]
                       for c in part.capabilities}, 3.0)

    first, cached = cached_base(tier, suite, "sha-a", "cpu", measure)
    assert not cached and calls == [["reasoning"]] and first.seconds == 3.0
    again, cached = cached_base(tier, suite, "sha-a", "cpu", measure)
    assert cached and len(calls) == 1
    assert again.items == first.items and again.outputs == first.outputs and again.seconds == 0
    assert isinstance(again.items["reasoning"][0], Item)
    files = [p.name for p in (data_dir / "cache").iterdir()]
    assert len(files) == 1 and files[0].startswith("gate-base-smollm2-reasoning-")
    both, cached = cached_base(tier, gate_suite(tier, ["knowledge", "reasoning"]), "sha-a", "cpu", measure)
    assert not cached and calls[-1] == ["knowledge"]  # only the capability not measured yet
    assert list(both.items) == ["knowledge", "reasoning"] and both.items["reasoning"] == first.items["reasoning"]
    cached_base(tier, suite, "sha-b", "cpu", measure)  # other weights
    cached_base(tier, suite, "sha-a", "cuda", measure)  # another device
    assert len(calls) == 4
    assert cached_base(tier, suite, "", "cpu", measure)[1] is False  # no checksum (or --no-cache): measured
    synthetic = get_tier("synthetic")  # exact match is instant: never cached
    assert cached_base(synthetic, gate_suite(synthetic), "sha-a", "cpu", measure)[1] is False
    assert cached_base(synthetic, gate_suite(synthetic), "sha-a", "cpu", measure)[1] is False
    assert len(calls) == 7
