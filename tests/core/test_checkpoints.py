"""core/checkpoints.py: a checkpoint file outlives its run only while the run may still resume."""

from forgetlab.core import checkpoints
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import runs


def touch(data_dir, name: str):
    path = checkpoints.directory(data_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"state")
    return path


def test_sweep_removes_files_of_ended_and_gone_runs_only(sessions, tmp_path):
    session = sessions()
    made = [runs.create_run(session, scenario=Scenario(task_examples=50), queue="cpu") for _ in range(4)]
    queued, running, failed, cancelled = (r.id for r in made)
    runs.claim(session, run_id=running, worker="w")
    runs.claim(session, run_id=failed, worker="w")
    runs.finish(session, run_id=failed, status="failed", error="killed")
    runs.finish(session, run_id=cancelled, status="cancelled")
    files = {rid: touch(tmp_path, f"run-{rid}.pt") for rid in (queued, running, failed, cancelled, 999_999)}
    torn = touch(tmp_path, f"run-{failed}.tmp4242")  # a save cut short by the kill
    other = touch(tmp_path, "notes.txt")

    assert checkpoints.sweep(session, tmp_path) == [failed, cancelled, 999_999]
    assert files[queued].exists() and files[running].exists()  # a retry resumes from these
    assert not any(files[rid].exists() for rid in (failed, cancelled, 999_999)) and not torn.exists()
    assert other.exists()
    assert checkpoints.sweep(session, tmp_path) == []
    session.close()


def test_sweep_without_a_checkpoint_directory_does_nothing(sessions, tmp_path):
    with sessions() as session:
        assert checkpoints.sweep(session, tmp_path / "absent") == []


def test_drop_removes_one_runs_files_and_no_other(tmp_path):
    mine, torn, other = touch(tmp_path, "run-7.pt"), touch(tmp_path, "run-7.tmp12"), touch(tmp_path, "run-70.pt")
    checkpoints.drop(tmp_path, 7)
    assert not mine.exists() and not torn.exists() and other.exists()
    checkpoints.drop(tmp_path / "absent", 7)  # nothing there: no error
