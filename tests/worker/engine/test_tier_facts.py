"""Facts of one tier stay on its Tier: where refusal is measured, and what to run when its base is missing."""

import pytest

from forgetlab.core.tiers import ModelRef, get_tier
from forgetlab.worker.engine.evaluate import EncodedSuite, evaluate
from forgetlab.worker.engine.model import ModelLoadError, load_model


def test_refusal_is_measured_on_the_capabilities_the_tier_names(base, encoded_suite):
    assert get_tier("synthetic").refusal_capabilities == encoded_suite.refusal_capabilities == ("safety",)
    assert evaluate(base[0], encoded_suite)["refusal"] >= 0.95
    unmeasured = EncodedSuite.build(encoded_suite.suite, base[1], refusal_capabilities=())
    result = evaluate(base[0], unmeasured)
    assert "refusal" not in result and "over_refusal" not in result and "safety" in result["capabilities"]


def test_a_missing_base_quotes_its_own_tier_s_install_hint(tmp_path):
    with pytest.raises(ModelLoadError, match="run  make-the-base"):
        load_model(ModelRef(tmp_path / "absent", "another tier's base", "", None, "run  make-the-base"))
    with pytest.raises(ModelLoadError) as missing:
        load_model(ModelRef(tmp_path / "absent", "local model absent", ""))  # a tier with nothing to install
    assert "smollm2" not in str(missing.value) and "does not exist" in str(missing.value)
    assert get_tier("smollm2").base_model().install_hint == get_tier("smollm2").install_hint
