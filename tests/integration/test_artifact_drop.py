"""core/artifacts.drop clears a deleted run's saved model everywhere it is kept: its folder, and in a distributed
lab its copy in the artifact store (PostgreSQL large objects, or an S3-compatible bucket: moto's server)."""

from sqlalchemy import select, text

from forgetlab.core import artifacts
from forgetlab.core.settings import Settings
from forgetlab.core.store import artifacts as artifact_store
from forgetlab.core.store.db import session_factory
from forgetlab.core.store.models import RunArtifact

from .test_artifacts import _model_folder, _new_run, bucket  # noqa: F401 (bucket: a fixture)


def _stored_and_dropped(settings, tmp_path) -> list[int]:
    sessions = session_factory(settings.sqlalchemy_url)
    store = artifact_store.store_for(settings, sessions)
    folder, _ = _model_folder(tmp_path)
    run_id = _new_run(sessions)
    store.put_folder(run_id, folder)
    settings.run_model_dir(run_id).mkdir(parents=True)
    with sessions() as session:
        oids = list(session.scalars(select(RunArtifact.oid).where(RunArtifact.run_id == run_id)))
    assert store.names(run_id)
    artifacts.drop(settings, run_id, sessions)
    assert store.names(run_id) == [] and not settings.run_model_dir(run_id).exists()
    return oids


def test_drop_unlinks_the_large_objects(pg_url, redis_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "web", database_url=pg_url, redis_url=redis_url, redis_prefix="fltest")
    oids = _stored_and_dropped(settings, tmp_path)
    with session_factory(settings.sqlalchemy_url)() as session:
        left = session.scalar(text("SELECT count(*) FROM pg_largeobject_metadata WHERE oid = ANY(:o)"), {"o": oids})
    assert len(oids) == 2 and left == 0


def test_drop_deletes_the_bucket_objects(pg_url, redis_url, bucket, tmp_path):  # noqa: F811
    settings = Settings(data_dir=tmp_path / "web", database_url=pg_url, redis_url=redis_url, redis_prefix="fltest",
                        artifact_url=bucket)
    _stored_and_dropped(settings, tmp_path)
