"""The lab's actions, shared by the JSON API (api/) and the pages (pages/): both parse a request, call one of
these, and render what it returns. Each takes plain keyword arguments (the DB session, the user, the run)
and speaks in core's domain errors (core/errors.py, core/quotas.py, ScenarioError), never in HTTP codes;
app/errors.py maps those to statuses.

`state` is the lab's long-lived pieces, as the web process holds them on app.state: `settings`, the
`executor` that runs work, and the live `publisher`.

- runs.py: submit, cancel (one or all queued), delete a run; which preset a scenario is
- sweeps.py: submit and cancel a sweep
- datasets.py: store an uploaded dataset, and how it is listed and shown
- asks.py: ask a run's model a question
- labels.py: a run's name, tags and note
- gate.py: the regression gate between runs, and a run's saved model as a zip
- classes.py, assignments.py, attempts.py: teaching (classes and lessons; assignments; attempts, verdicts
  and leaderboards)
- outbox.py: sending queued runs to the executor, and re-sending lost ones
"""
