"""`forgetlab suites export --lm-eval DIR`: the likelihood-scored suites as lm-evaluation-harness tasks.
Torch-free: the files' content; tests/worker/test_lm_eval_export.py runs lm-eval on them."""

import json

import yaml

from forgetlab.core.cli import main
from forgetlab.core.lm_eval_export import export_lm_eval, likelihood_names
from forgetlab.core.tiers import get_tier


def test_every_multiple_choice_item_becomes_a_document(tmp_path):
    suite = get_tier("smollm2").probe_suite()
    assert likelihood_names(suite) == ["knowledge"]
    assert export_lm_eval("smollm2", suite, tmp_path) == ["forgetlab_smollm2_knowledge"]
    config = yaml.safe_load((tmp_path / "forgetlab_smollm2_knowledge.yaml").read_text())
    assert config["output_type"] == "multiple_choice" and config["dataset_path"] == "json"
    assert config["task"] == "forgetlab_smollm2_knowledge" and config["metric_list"][0]["metric"] == "acc"
    data = config["dataset_kwargs"]["data_files"][config["test_split"]]
    assert data == str(tmp_path.resolve() / "forgetlab_smollm2_knowledge.jsonl")  # absolute: lm-eval reads from its cwd
    docs = [json.loads(line) for line in open(data)]
    items = [p for p in suite.probes if p.capability == "knowledge"]
    assert len(docs) == len(items) >= 200  # the whole suite, in its order
    for doc, p in zip(docs, items):
        assert doc == {"prompt": p.prompt, "options": p.check["options"],
                       "answer": p.check["options"].index(p.check["reference"])}


def test_cli_writes_the_tasks_and_names_bad_input(tmp_path, capsys):
    assert main(["suites", "export", "--lm-eval", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "forgetlab_smollm2_knowledge.yaml").exists()
    assert "--apply_chat_template" in capsys.readouterr().out
    (tmp_path / "file").write_text("")
    for args, field in ((["--lm-eval", str(tmp_path / "file")], "--lm-eval"),
                        (["--lm-eval", str(tmp_path / "x"), "--tier", "synthetic"], "--tier")):
        assert main(["suites", "export", *args]) == 2
        assert f"error: {field}" in capsys.readouterr().err
