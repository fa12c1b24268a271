"""lm-evaluation-harness scores an exported suite exactly as forgetlab does: the same accuracy on every item
of the knowledge suite, on a real 2-layer SmolLM2 saved as an ordinary Hugging Face model directory.

lm-eval (the test extra) runs as its own process, offline, on CPU in float32; a tiny model keeps it to
about a minute on two quiet cores. Its log-likelihoods are computed by other code (its own batching,
padding and log-softmax), so an exactly equal accuracy says the context, the continuation and the
summed score are the same."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from forgetlab.core.lm_eval_export import export_lm_eval
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.evaluate import EncodedSuite, evaluate
from forgetlab.worker.engine.model import load


def test_lm_eval_accuracy_equals_forgetlab_accuracy(truncated, tmp_path):
    lm_eval = shutil.which("lm-eval", path=str(Path(sys.executable).parent)) or pytest.fail(
        "lm-eval is not installed: pip install -e '.[test]'")
    suite = get_tier("smollm2").probe_suite().select(["knowledge"])
    [task] = export_lm_eval("smollm2", suite, tmp_path / "tasks")

    model, tokenizer = load(truncated)
    ours = evaluate(model, EncodedSuite.build(suite, tokenizer))["capabilities"]["knowledge"]["accuracy"]

    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    run = subprocess.run([lm_eval, "run", "--model", "hf", "--model_args", f"pretrained={truncated},dtype=float32",
                          "--include_path", str(tmp_path / "tasks"), "--tasks", task, "--apply_chat_template",
                          "--device", "cpu", "--batch_size", "32", "--output_path", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    [results] = (tmp_path / "out").rglob("results_*.json")
    theirs = json.loads(results.read_text())["results"][task]
    assert theirs["sample_len"] == len(suite.probes)  # every item, no subset
    assert theirs["acc,none"] == ours
