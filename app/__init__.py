"""The forgetlab web lab: FastAPI pages and JSON API over the run database. Never imports torch.

What web and workers share (settings, the store, the live channel, the queue contract) lives in
core/; app/ holds the web side only:

- main.py: create_app; http.py: what every layer reads from a request (imports nothing from app);
  errors.py: every exception handler; deps.py: the session and the objects a path names, for the user
- auth/: who is asking and what they may call; middleware/: body and rate limits, security headers
- services/: the actions the API and the pages share, in core's domain errors
- api/ and pages/: thin adapters (parse the request, call a service, render JSON or a template)
- views/: presentation (a run in words, comparisons, the scatter, exports, the charts' contract)
- executors/: where runs go (local warm processes, or Celery); cli.py: `forgetlab serve`, `export`, users
"""
