"""The forgetlab web lab: FastAPI pages and JSON API over the run database. Never imports torch.

It also holds what web and workers share without torch: settings, DB models and data functions,
the live channel and the executors (app.config, app.db, app.models, app.runs, app.live, app.queue).
"""
