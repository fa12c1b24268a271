"""The Celery app the workers run: `celery -A forgetlab.worker.celery_app worker -Q cpu`, or
`forgetlab worker --queue cpu`.

Its settings come from forgetlab.core.queue.celery_config, the same the web's producer uses (acks_late,
prefetch 1, a visibility timeout above the hard time limit). Nothing here imports torch: the
prefork parent must never touch CUDA; each pool child imports the engine after it is forked.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_init, worker_process_init

from forgetlab.core.queue import celery_config
from forgetlab.core.settings import get_settings, usable_cores

app = Celery("forgetlab", include=["forgetlab.worker.tasks"])
app.conf.update(celery_config(get_settings()))


def pool_size() -> int:
    """Runs this worker runs at once (its pool's size), for worker/threads.py's rule."""
    return app.conf.worker_concurrency if isinstance(app.conf.worker_concurrency, int) else usable_cores()


@worker_init.connect
def _keep_pool_size(sender=None, **_kwargs) -> None:
    """In the worker's parent, before its pool forks: its concurrency (--concurrency, or Celery's default, the
    cores), kept in the conf that every pool child inherits."""
    if isinstance(getattr(sender, "concurrency", None), int):
        app.conf.worker_concurrency = sender.concurrency


@worker_process_init.connect
def _warm_child(**_kwargs) -> None:
    """In each forked pool child (never the parent): import torch and load the base before the first run."""
    from forgetlab.worker.embedded import warm_up
    from forgetlab.worker.parent_death import die_with_parent

    die_with_parent()  # a pool child whose worker was killed -9 stops too, instead of training for no one
    warm_up(pool_size(), get_settings().torch_threads)
