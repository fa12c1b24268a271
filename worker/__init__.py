"""forgetlab's worker side: the training engine and the Celery tasks that run it."""
