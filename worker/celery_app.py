"""The Celery app the workers run: `celery -A forgetlab.worker.celery_app worker -Q cpu`, or
`forgetlab worker --queue cpu`.

Its settings come from forgetlab.core.queue.celery_config, the same the web's producer uses (acks_late,
prefetch 1, a visibility timeout above the hard time limit). Nothing here imports torch: the
prefork parent must never touch CUDA; each pool child imports the engine after it is forked.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from forgetlab.core.queue import celery_config
from forgetlab.core.settings import get_settings

app = Celery("forgetlab", include=["forgetlab.worker.tasks"])
app.conf.update(celery_config(get_settings()))


@worker_process_init.connect
def _warm_child(**_kwargs) -> None:
    """In each forked pool child (never the parent): import torch and load the base before the first run."""
    from forgetlab.worker.embedded import warm_up
    from forgetlab.worker.parent_death import die_with_parent

    die_with_parent()  # a pool child whose worker was killed -9 stops too, instead of training for no one
    warm_up(get_settings().torch_threads)
