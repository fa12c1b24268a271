"""Real fine-tuning outside the lab, measured as it trains and streamed to a served lab: a truncated SmolLM2 (built
from the shipped GGUF, tests/conftest.py) fine-tuned by transformers.Trainer, by TRL's SFTTrainer with LoRA, and by
a plain PyTorch loop under forgetlab.watch. Each run appears with its base point and later points; its page, the
gate and the exports read it. Nothing is mocked."""

import pytest
import torch

import forgetlab
from forgetlab.core.tiers.smollm2 import data
from forgetlab.integrations.meter import Meter
from forgetlab.integrations.transformers import ForgetlabCallback
from forgetlab.worker.engine.encoding import encode
from forgetlab.worker.engine.model import load

SUITES = ["knowledge", "safety"]  # safety: its refusal rates ride along
FEW = dict(suites=SUITES, probes=2, final_probes=4)  # a few probes per suite: seconds, not minutes, on 2 cores


def _pairs(n: int) -> list[tuple[str, str]]:
    """The n shortest support tickets with their replies: a 49k-word vocabulary makes every token cost."""
    return sorted(data.load_task("support", "train"), key=lambda pair: len(pair[0]) + len(pair[1]))[:n]


def _rows(tokenizer, n: int) -> list[dict]:
    batch = encode(tokenizer, _pairs(n))
    return [{"input_ids": batch.input_ids[i], "labels": batch.labels[i]} for i in range(n)]


def _check_run(lab, run_id: int, *, source: str, steps: list[int]) -> dict:
    """The run as the lab shows it: external, ended, its points at `steps`, gated, on its page and in the exports."""
    client = lab.client()
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["external"] and run["status"] == "succeeded", run
    assert run["config"]["source"] == source and run["config"]["suites"] == SUITES
    points = client.get(f"/api/runs/{run_id}/metrics").json()["points"]
    assert [p["step"] for p in points] == steps
    assert all(0 <= p["values"][f"cap.{s}.accuracy"] <= 1 for p in points for s in SUITES)
    assert points[-1]["values"]["seconds"] > 0
    gate = client.get(f"/api/gate?candidate={run_id}")
    assert gate.status_code == 200 and list(gate.json()["capabilities"]) == SUITES
    assert all(c["items"] == 4 for c in gate.json()["capabilities"].values())
    page = client.get(f"/runs/{run_id}").text
    assert "external run" in page and source in page
    assert client.get(f"/api/export/metrics.csv?runs={run_id}").text.count("\n") == len(steps) + 1
    return run


def test_a_trainer_streams_a_base_point_and_later_points(truncated, lab, tmp_path):
    from transformers import Trainer, TrainingArguments

    model, tokenizer = load(truncated)
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=4, per_device_train_batch_size=2, learning_rate=1e-3,
                             logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True)
    callback = ForgetlabCallback(lab=lab.url, token=lab.token, every=2, **FEW)
    Trainer(model=model, args=args, train_dataset=_rows(tokenizer, 8), processing_class=tokenizer,
            callbacks=[callback]).train()
    runs = lab.client().get("/api/runs").json()["runs"]
    run = _check_run(lab, runs[0]["id"], source="transformers.Trainer", steps=[0, 2, 4])
    assert run["config"]["learning_rate"] == 1e-3 and run["config"]["max_steps"] == 4  # the trainer's arguments
    points = lab.client().get(f"/api/runs/{run['id']}/metrics").json()["points"]
    assert "train_loss" in points[-1]["values"] and "train_loss" not in points[0]["values"]
    assert all("refusal" in p["values"] and "over_refusal" in p["values"] for p in points)
    assert run["summary"]["eval_seconds"] > 0 and run["summary"]["task_accuracy"] is None


def test_trl_sft_with_lora_measures_its_base_with_the_adapters_off(truncated, lab, tmp_path):
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    model, tokenizer = load(truncated)
    rows = [{"prompt": [{"role": "user", "content": p}], "completion": [{"role": "assistant", "content": a}]}
            for p, a in _pairs(6)]
    args = SFTConfig(output_dir=str(tmp_path), max_steps=3, per_device_train_batch_size=2, learning_rate=2e-3,
                     logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True,
                     max_length=192)
    callback = ForgetlabCallback(lab=lab.url, token=lab.token, every=2, **FEW)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                         peft_config=LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]),
                         callbacks=[callback])
    trainer.train()
    assert hasattr(trainer.model, "peft_config")  # LoRA: the base was the same model with its adapters off
    runs = lab.client().get("/api/runs").json()["runs"]
    run = _check_run(lab, runs[0]["id"], source="trl.SFTConfig", steps=[0, 2, 3])
    assert run["config"]["max_length"] == 192


def test_a_peft_models_base_is_measured_with_its_adapters_disabled(truncated):
    from peft import LoraConfig, get_peft_model

    model, tokenizer = load(truncated)
    meter = Meter(tokenizer, **FEW)
    plain, _ = meter.measure(model, full=False)
    # Adapters initialised at random (not zero), so the adapted model answers differently from its base.
    tuned = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    tuned.train()
    base, _ = meter.measure(tuned, full=False, base=True)
    now, _ = meter.measure(tuned, full=False)
    assert base == plain and now != plain
    assert tuned.training  # back in train mode after measuring


def test_watch_measures_a_plain_pytorch_loop(truncated, lab):
    model, tokenizer = load(truncated)
    rows = encode(tokenizer, _pairs(6))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    with forgetlab.watch(model, tokenizer, lab=lab.url, token=lab.token, every=2, config={"lr": 1e-3},
                         **FEW) as watch:
        for step in range(3):
            rows_now = rows.take(torch.arange(step * 2, step * 2 + 2))
            loss = model(input_ids=rows_now.input_ids, labels=rows_now.labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            watch.step(loss=loss.item(), lr=1e-3)
            assert model.training  # measuring at step 2 put it back in train mode
    runs = lab.client().get("/api/runs").json()["runs"]
    run = _check_run(lab, runs[0]["id"], source="forgetlab.watch", steps=[0, 2, 3])
    assert run["config"]["lr"] == 1e-3


def test_watch_into_a_local_lab_database_and_a_failed_loop(truncated, lab):
    """No lab server: the points go straight into a lab's database (here the served lab's own, so it shows them);
    an exception in the loop ends the run failed, with the error."""
    model, tokenizer = load(truncated)
    with pytest.raises(RuntimeError, match="diverged"):
        with forgetlab.watch(model, tokenizer, database=lab.database, every=1, suites=["knowledge"], probes=1,
                             final_probes=2) as watch:
            watch.step(loss=1.0)
            raise RuntimeError("loss diverged")
    with lab.sessions() as session:
        from forgetlab.core.store import runs

        run = runs.list_runs(session, limit=1)[0]
        assert run.external and run.status == "failed" and "loss diverged" in run.error
        assert [step for step, _ in runs.points_after(session, run_id=run.id)] == [0, 1]


def test_a_run_cancelled_on_the_lab_stops_the_measuring_not_the_training(truncated, lab):
    from forgetlab.core.store import external, runs

    model, tokenizer = load(truncated)
    with forgetlab.watch(model, tokenizer, database=lab.database, every=1, suites=["knowledge"], probes=1,
                         final_probes=2) as watch:
        with lab.sessions() as session:
            external.end(session, run=runs.list_runs(session, limit=1)[0], status="cancelled")
        watch.step(loss=1.0)  # the lab refuses this point; the loop goes on
        watch.step(loss=0.9)
    assert "has ended (cancelled)" in watch.lost
    with lab.sessions() as session:
        run = runs.list_runs(session, limit=1)[0]
        assert run.status == "cancelled" and [s for s, _ in runs.points_after(session, run_id=run.id)] == [0]


def test_watch_measures_your_own_suite_file_beside_the_tiers(truncated, lab, tmp_path):
    """A suite file among `suites` is measured too, under its name: the run lists it, the gate and the page show it."""
    from pathlib import Path

    every = Path(__file__).parents[1] / "core" / "data" / "every_scorer.jsonl"
    model, tokenizer = load(truncated)
    with forgetlab.watch(model, tokenizer, lab=lab.url, token=lab.token, every=1, suites=["knowledge", str(every)],
                         probes=1, final_probes=8) as watch:
        watch.step(loss=1.0)
    client = lab.client()
    run = client.get("/api/runs").json()["runs"][0]
    assert run["config"]["suites"] == ["knowledge", "every_scorer"] and run["config"]["own_suites"] == ["every_scorer"]
    assert client.get(f"/api/gate?candidate={run['id']}").json()["capabilities"]["every_scorer"]["items"] == 8
    assert "every_scorer" in client.get(f"/runs/{run['id']}").text
    (tmp_path / "bad.jsonl").write_text('{"prompt": "p"}\n')
    with pytest.raises(ValueError, match="line 1: scorer"):
        Meter(tokenizer, suites=[str(tmp_path / "bad.jsonl")])
