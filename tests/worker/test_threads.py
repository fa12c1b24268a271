"""Every way a run starts picks its threads and OpenMP wait policy through worker/threads.py's configure(),
and that function's rule is the documented one. Not a timing test: bench.train_speed and bench.smollm2_speed
measure what the rule buys."""

import argparse
import os
import subprocess
import sys

import pytest

from forgetlab.core.settings import Settings
from forgetlab.worker import threads
from forgetlab.worker.threads import threads_for


class Configured(Exception):
    """Raised by the spy: the entry point reached configure(), and nothing after it runs."""


@pytest.fixture
def spy(monkeypatch):
    """configure() replaced by a recorder that stops the caller there; returns the calls made."""
    calls = []

    def configure(tier="synthetic", **kwargs):
        calls.append({"tier": tier, **kwargs})
        raise Configured

    monkeypatch.setattr(threads, "configure", configure)
    return calls


def test_the_rule():
    assert threads_for("synthetic", cores=16) == 1
    assert threads_for("smollm2", cores=16) == 16 and threads_for("smollm2", processes=4, cores=16) == 4
    assert threads_for("smollm2", processes=32, cores=16) == 1
    assert threads_for("smollm2", device="cuda", cores=16) == 1
    assert threads_for("synthetic", override=3, cores=16) == 3 and threads_for("smollm2", override=2, cores=16) == 2


def _in_a_fresh_process(code: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "KMP_BLOCKTIME", "OMP_NUM_THREADS",
                                                              "FORGETLAB_TORCH_THREADS")}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          check=True).stdout.split()


CHECK = ("from forgetlab.worker.threads import configure; import sys; n = configure(sys.argv[-1] if len(sys.argv) > 1 "
         "else 'synthetic'); import os, torch; print(n, torch.get_num_threads(), os.environ['OMP_WAIT_POLICY'], "
         "os.environ['KMP_BLOCKTIME'])")


def test_configure_sets_the_wait_policy_before_torch_and_the_threads():
    assert _in_a_fresh_process(CHECK) == ["1", "1", "PASSIVE", "0"]


def test_the_user_s_environment_wins():
    assert _in_a_fresh_process(CHECK, OMP_WAIT_POLICY="ACTIVE", FORGETLAB_TORCH_THREADS="2") == ["2", "2", "ACTIVE", "0"]


def _args(**fields):
    return argparse.Namespace(**fields)


def test_the_cli_commands_configure_before_they_import_the_engine(spy):
    from forgetlab.worker import cli_claims, cli_gate, cli_models, cli_run

    run = _args(config=None, preset="break-it", tier="smollm2", set=None, data=None, save=None, json=None, model=None,
                user_suite=None)
    commands = [
        (cli_run.cmd_run, run, {"tier": "smollm2"}),
        (cli_models.cmd_eval, _args(tier="synthetic", model=None, suite=None, json=False), {"tier": "synthetic"}),
        (cli_models.cmd_pretrain, _args(out=None, seed=0, steps=None), {"tier": "synthetic"}),
        (cli_gate.cmd_gate, _args(base="synthetic", tier=None, candidate="x", suite=None, max_drop=0.05, json=None,
                                  seed=0, device=None, no_cache=False, max_nll_rise=None, junit=None,
                                  user_suite=None),
         {"tier": "synthetic", "device": "cpu"}),
        (cli_claims.cmd_claims, _args(seeds=None, bases=None, full=False, only=None, markdown=False, no_cache=True,
                                      workers=None, tier="synthetic", device="cpu", model=None, json=False),
         {"tier": "synthetic", "device": "cpu"}),
    ]
    for command, args, expected in commands:
        with pytest.raises(Configured):
            command(args)
        assert expected.items() <= spy[-1].items(), command.__name__
    assert len(spy) == len(commands)


def test_sweep_processes_configure_before_torch_and_for_each_run(spy):
    from forgetlab.worker.engine import parallel

    with pytest.raises(Configured):
        parallel._init("synthetic", 2)
    with pytest.raises(Configured):
        parallel._train({"tier": "synthetic"}, None, 2)
    assert spy == [{"tier": "synthetic", "processes": 2}] * 2


def test_claims_processes_start_by_configuring(monkeypatch):
    """--workers: each process's initializer is configure() for the tier and the pool's size."""
    from forgetlab.worker.engine import claims

    class Pool:
        def __init__(self, workers, mp_context=None, initializer=None, initargs=()):
            raise Configured(initializer)

    monkeypatch.setattr(claims, "ProcessPoolExecutor", Pool)
    with pytest.raises(Configured) as stopped:
        claims.run_claims(1, tier="synthetic", workers=2, only=[1])
    setup = stopped.value.args[0]
    assert setup.func is claims.configure is threads.configure
    assert setup.args == ("synthetic",) and setup.keywords == {"processes": 2}


def test_the_embedded_pool_and_celery_children_configure_as_they_warm(spy, monkeypatch):
    from forgetlab.worker import celery_app, embedded, parent_death

    with pytest.raises(Configured):
        embedded.warm_up(3, None, first_only=True)
    monkeypatch.setattr(parent_death, "die_with_parent", lambda *a: False)  # not the test process's business
    monkeypatch.setitem(celery_app.app.conf, "worker_concurrency", 2)
    with pytest.raises(Configured):
        celery_app._warm_child()
    assert [c["processes"] for c in spy] == [3, 2]


def test_each_job_configures_for_its_own_tier(spy):
    """The embedded child and Celery's both run jobs through run_job, which sets the run's tier's threads."""
    from forgetlab.worker import jobs

    with pytest.raises(Configured):
        jobs._runtime("cpu", "smollm2", 2, Settings(torch_threads=None))
    with pytest.raises(Configured):
        jobs._runtime("gpu", "smollm2", 1, Settings(torch_threads=4))
    assert spy == [{"tier": "smollm2", "processes": 2, "device": "cpu", "override": None},
                   {"tier": "smollm2", "processes": 1, "device": "cuda", "override": 4}]
