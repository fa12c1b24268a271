""""repeat of #N" (a run with the same settings and seed as an earlier one) names only a run the viewer may open:
core/store/runs.first_runs takes the visibility filter, on the run page and the runs list."""

from fastapi.testclient import TestClient

from forgetlab.core.scenario import Scenario
from forgetlab.core.settings import Settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import migrate
from tests.accounts import login, make_user

SAME = Scenario(task_examples=50, epochs=1)


def test_the_repeat_marker_names_only_runs_the_viewer_may_see(tmp_path):
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)
    ada, bob = (make_user(app.state.sessions, name) for name in ("ada", "bob"))
    with app.state.sessions() as session:
        first = runs.create_run(session, scenario=SAME, queue="cpu", owner_id=ada.id)  # ada's, not shared
        mine = runs.create_run(session, scenario=SAME, queue="cpu", owner_id=bob.id)
        again = runs.create_run(session, scenario=SAME, queue="cpu", owner_id=bob.id)
        assert runs.first_runs(session, hashes=[SAME.canonical_hash()]) == {SAME.canonical_hash(): first.id}
    with TestClient(app) as client:
        login(client, "bob")
        page = client.get(f"/runs/{mine.id}").text
        assert f"repeat of #{first.id}" not in page and "repeat of #" not in page  # bob's first is his own
        assert f"repeat of #{mine.id}" in client.get(f"/runs/{again.id}").text
        listing = client.get("/runs").text
        assert f"repeat of #{first.id}" not in listing and f"repeat of #{mine.id}" in listing
        assert client.get(f"/runs/{first.id}").status_code == 404  # the run the marker would have named

        with app.state.sessions() as session:
            runs.set_shared(session, run_id=first.id, shared=True)  # once bob may open it, it is named
        assert f"repeat of #{first.id}" in client.get(f"/runs/{mine.id}").text
        assert f"repeat of #{first.id}" in client.get("/runs").text
