"""The shared ask function: answer one question to a run's model, from its DB row to its answers.

Celery's "forgetlab.ask" task and the embedded executor's child both call `ask_job`, like `run_job`
for runs. The engine (worker/engine/ask.py) loads the run's base and its saved model once per worker
and answers greedily; the answers, or why there are none, go to the DB, which the page polls.
"""

from __future__ import annotations

import logging

from forgetlab.core import artifacts
from forgetlab.core.scenario import ScenarioError, parse
from forgetlab.core.settings import Settings, get_settings
from forgetlab.core.store import asks, runs
from forgetlab.core.store.db import session_factory
from forgetlab.core.tiers import get_tier

from .jobs import run_tier

log = logging.getLogger(__name__)


def ask_job(*, ask_id: int, settings: Settings | None = None) -> str:
    """Answer one queued question; returns "answered", "failed" or "skipped" (already answered)."""
    settings = settings or get_settings()
    sessions = session_factory(settings.sqlalchemy_url)
    with sessions() as session:
        question = asks.get_ask(session, ask_id=ask_id)
        if question is None or question.status != "queued":
            return "skipped"
        run = runs.get_run(session, run_id=question.run_id)
        if run is None:
            asks.answer(session, ask_id=ask_id, error="the run was deleted")
            return "failed"
        if not artifacts.belongs_to(settings.run_model_dir(run.id), run):  # never another run's model
            asks.answer(session, ask_id=ask_id, error="this run's model was not kept; ask a run that kept one")
            return "failed"
        try:
            scenario = parse(run.config)
            tier = (run_tier(session, scenario) or get_tier(scenario.tier)).for_base(scenario.base_seed)
            from forgetlab.worker.engine.ask import AskError, ask  # torch, imported in the worker only

            try:
                answers = ask(tier, settings.run_model_dir(run.id), question.prompt)
            except AskError as e:
                asks.answer(session, ask_id=ask_id, error=str(e))
                return "failed"
        except (ScenarioError, LookupError) as e:
            asks.answer(session, ask_id=ask_id, error=str(e))
            return "failed"
        except Exception as e:  # the question fails, never the worker; the reason is shown beside it
            log.exception("ask %s failed", ask_id)
            asks.answer(session, ask_id=ask_id, error=f"the worker could not answer: {type(e).__name__}: {e}")
            return "failed"
        asks.answer(session, ask_id=ask_id, base=answers["base"], tuned=answers["tuned"])
        return "answered"
