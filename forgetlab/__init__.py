"""forgetlab: break a language model on purpose and watch it forget.

The repository's top-level folders install under this one namespace: `core/` as `forgetlab.core`
(torch-free, web-free), `app/` as `forgetlab.app` (the web process), `worker/` as `forgetlab.worker`
(jobs and the training engine), and `templates/`, `static/` and `migrations/` as package data.
"""
