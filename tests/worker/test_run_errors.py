"""A failed run's error is shown to everyone who sees the run (a shared run: everyone signed in): it never
quotes the pairs of the dataset it trained on (worker/jobs.py error_text)."""

from forgetlab.core.datasets import parse_jsonl
from forgetlab.core.scenario import parse
from forgetlab.core.store import runs
from forgetlab.core.store.datasets import create_dataset
from forgetlab.core.store.db import session_factory
from forgetlab.worker import jobs

from .test_jobs import EVENTS, cpu_runtime, fake_train, settings  # noqa: F401  (fixtures)

SECRET = "the launch code is 0000"


def test_an_error_quoting_the_dataset_says_so_instead(settings, monkeypatch):  # noqa: F811
    lines = "\n".join(f'{{"prompt": "{SECRET} {i}", "response": "answer {i}"}}' for i in range(40)).encode()
    sessions = session_factory(settings.sqlalchemy_url)
    with sessions() as session:
        task = "data:" + create_dataset(session, dataset=parse_jsonl(lines, "d"), owner_id=None)[0].id
        quoting = runs.create_run(session, scenario=parse({"task_examples": 50, "task": task}), queue="cpu").id
        plain = runs.create_run(session, scenario=parse({"task_examples": 50, "task": task, "seed": 2}),
                                queue="cpu").id
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:1], fail=ValueError(f"bad pair: '{SECRET} 7'")))
    assert jobs.run_job(run_id=quoting, settings=settings) == "failed"
    monkeypatch.setattr(jobs, "_engine", lambda: fake_train(EVENTS[:1], fail=RuntimeError("out of memory")))
    assert jobs.run_job(run_id=plain, settings=settings) == "failed"
    with sessions() as session:
        error = runs.get_run(session, run_id=quoting).error
        assert SECRET not in error and error.startswith("ValueError while training on data:")
        assert runs.get_run(session, run_id=plain).error == "RuntimeError: out of memory"
