"""Engineers' own capability suites: store a validated upload, what lists show of one, and the check a run that
names suites passes before it is stored."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from forgetlab.core import suites
from forgetlab.core.scenario import Scenario, ScenarioError
from forgetlab.core.store.models import StoredSuite, User
from forgetlab.core.store.suites import create_suite, get_suite, suite_by_id
from forgetlab.core.tiers import CapabilityInfo, capabilities_of, get_tier


def upload(session: Session, *, data: bytes, name: str, owner: User) -> tuple[StoredSuite, bool]:
    """Validate the whole file, then store it as `owner`'s: (row, created). SuiteError names every bad line, and
    then nothing is stored; TooLarge: over the upload limit."""
    return create_suite(session, suite=suites.parse_suite(data, name), owner_id=owner.id)


def summary(row: StoredSuite) -> dict:
    return {"id": row.id, "name": row.name, "created_at": row.created_at, "size_bytes": row.size_bytes,
            "url": f"/api/suites/{row.id}"}


def view(row: StoredSuite) -> dict:
    """A stored suite with its items and the count of each scorer."""
    return {**summary(row), "scorers": dict(Counter(i["scorer"] for i in row.items)), "items": row.items}


def check_suites(session: Session, scenarios: list[Scenario], user: User | None) -> None:
    """A scenario may name only the suites `user` uploaded, in a tier that measures them, under names no
    capability of the run already has. An unknown id and another engineer's answer alike (422 naming
    `suites`), so the answer does not tell whether someone else has a suite of that id."""
    for scenario in scenarios:
        if not scenario.suites:
            continue
        tier = get_tier(scenario.tier)
        if not suites.accepts(tier):
            raise ScenarioError({"suites": suites.refusal_reason(tier)})
        names = []
        for suite_id in scenario.suites:
            row = get_suite(session, suite_id=suite_id, owner_id=user.id if user else None)
            if row is None:
                raise ScenarioError({"suites": f"no suite {suite_id} of yours; upload the file first"})
            names.append(row.name)
        if reason := suites.names_problem(names, tier):
            raise ScenarioError({"suites": reason})


def capabilities(session: Session, configs: list[dict]) -> list[CapabilityInfo]:
    """What pages chart for these runs: their tiers' capabilities, then each user suite a run measured, under its
    name (shown to whoever sees the run, as a dataset's name is; never its items)."""
    found = {c.name: c for c in capabilities_of(configs)}
    for config in configs:
        if "source" in config:  # an external run: its own suites by name (their items stayed with the trainer)
            names = config.get("own_suites") or []
        else:
            names = [row.name for row in (suite_by_id(session, suite_id=i) for i in config.get("suites") or []) if row]
        for name in names:
            found.setdefault(name, CapabilityInfo(name, "an engineer's own suite"))
    return list(found.values())
