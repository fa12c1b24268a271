"""The engine's events into the store (the source of truth) and then the live channel.

One metrics event becomes one batch of narrow rows in one transaction (`Metrics.values()`), then
one live message; re-sending a step changes nothing (the insert ignores duplicates).
"""

from __future__ import annotations

import math

from forgetlab.core.live import Point, SamplesReady
from forgetlab.core.results import EarlyStopped, Finished, Metrics, Samples, Started
from forgetlab.core.store import runs


def finite(value):
    """JSON for PostgreSQL's json type, which rejects NaN and Infinity: those become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


class Recorder:
    """on_event for the engine: DB first, then the live channel."""

    def __init__(self, run_id: int, sessions, publisher):
        self.run_id, self.sessions, self.publisher = run_id, sessions, publisher
        self.summary = None

    def __call__(self, event: Started | Metrics | Samples | EarlyStopped | Finished) -> None:
        step = event.step
        with self.sessions() as session:
            if isinstance(event, Started):
                runs.update_info(session, run_id=self.run_id, parameters=event.parameters,
                                 trainable=event.trainable, total_steps=event.total_steps)
            elif isinstance(event, Metrics):
                values = event.values()
                runs.write_points(session, run_id=self.run_id, step=step, values=values)
                # `prev`: the point before this one, so a viewer who never got it knows to read it from the DB.
                prev = runs.step_before(session, run_id=self.run_id, step=step)
                self.publisher.publish(self.run_id, Point(step, values, prev))
            elif isinstance(event, Samples):
                samples = finite([s.model_dump() for s in event.samples])
                runs.write_samples(session, run_id=self.run_id, step=step, samples=samples)
                self.publisher.publish(self.run_id, SamplesReady(step))
            elif isinstance(event, EarlyStopped):
                runs.update_info(session, run_id=self.run_id, early_stopped={"step": step, "reason": event.reason})
            elif isinstance(event, Finished):
                self.summary = event.summary
