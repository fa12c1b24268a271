"""The OpenAPI document, typed: request bodies are the scenario and sweep schemas, and every error is documented.

FastAPI derives most of the document from the routes. What it cannot know is added here, in one place,
so routes added later get it too:
- POST /api/runs takes a Scenario and POST /api/sweeps a SweepSpec (the routes read a plain mapping and
  validate it themselves, to name each bad field with its allowed range);
- every 4xx answer has the one error body the API sends (ErrorOut: `detail` is a string, `errors` lists
  each field at fault), replacing FastAPI's default 422 shape, which this API never sends;
- the statuses any API route may answer: 401 and 403 (accounts, app/auth), 429 (rate limit, with
  Retry-After), and 400 and 413 (a malformed or oversized body) on routes that take one;
- the 200 of a POST that found its result already stored (a reused run, a dataset uploaded again);
- the `runs` of a comparison or an export: required, and only lists of ids (RUN_IDS). The routes also take
  `sweep` instead, which one parameter list cannot say ("one of the two"), so the schema names the form that
  every request must have unless it names a sweep, and a request it calls valid is never refused for lacking it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from forgetlab.core.grid import MAX_SWEEP_RUNS
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario

from .api.schemas import ErrorOut, ScenarioFields

REF = "#/components/schemas/{model}"
ERROR = {"application/json": {"schema": {"$ref": REF.format(model="ErrorOut")}}}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}
# What core/ids.py's parse_ids reads: ids (a leading # allowed), comma-separated. Nine digits keeps every id the
# schema allows inside the id columns' range (ten-digit ids past 2**31 - 1 are refused).
RUN_IDS = {"type": "string", "pattern": r"^\s*#?[0-9]{1,9}\s*(,\s*#?[0-9]{1,9}\s*)*$"}
RUNS_REQUIRED = {("/api/compare", "get"), ("/api/export/{table}.{fmt}", "get")}
BODIES = {("/api/runs", "post"): "Scenario", ("/api/sweeps", "post"): "SweepSpec"}
ALSO_200 = {("/api/runs", "post"): "A finished run with the same config and seed (`reuse=true`): it is returned, "
                                   "nothing new is queued",
            ("/api/datasets", "post"): "You stored these pairs already: your existing dataset"}


class SweepSpec(BaseModel):
    """A sweep: every combination of the grid's values, laid over the preset's or base's fields, is one run."""

    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(None, description="A preset's name (GET /api/presets) whose fields are the base",
                               json_schema_extra={"enum": list(PRESETS)})
    base: ScenarioFields | None = Field(None, description="Scenario fields over the preset's or the defaults; any "
                                                         "other key is refused, by name (`base: FIELD`)")
    grid: dict[str, list[Any]] = Field(description="{field: [values]} over scenario fields; every combination "
                                                   f"is one run, at most {MAX_SWEEP_RUNS}", min_length=1)


def _typed(schema: dict) -> dict:
    _, top = models_json_schema([(Scenario, "validation"), (SweepSpec, "validation"), (ErrorOut, "serialization")],
                                ref_template=REF)
    schema.setdefault("components", {}).setdefault("schemas", {}).update(top["$defs"])
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            responses = op.setdefault("responses", {})
            has_body = "requestBody" in op
            if (path, method) in BODIES:
                op["requestBody"]["content"] = {"application/json": {"schema": {
                    "$ref": REF.format(model=BODIES[path, method])}}}
            if (path, method) in RUNS_REQUIRED:
                for param in op.get("parameters", []):
                    if param["name"] == "runs":
                        param["required"] = True
                        param["schema"] = {**param["schema"], "items": RUN_IDS, "minItems": 1}
            if (path, method) in ALSO_200 and "200" not in responses:
                first = next((r for code, r in responses.items() if code.startswith("2")), {})
                responses["200"] = {**first, "description": ALSO_200[path, method]}
            if not path.startswith("/api/"):
                continue
            extra = {"429": ("Too many requests from this client: wait Retry-After seconds", RETRY_AFTER),
                     "401": ("Not signed in (a browser session, or Authorization: Bearer <API token>)", None),
                     "403": ("Not allowed: another role's action, another's run, or a cross-site request", None),
                     "404": ("An unknown id or code, or one you may not see", None)}
            if has_body:
                extra["400"] = ("The body could not be read (malformed JSON, a bad Content-Length)", None)
                extra["413"] = ("The request body is over the size limit", None)
            for code, (description, headers) in extra.items():
                responses.setdefault(code, {"description": description})
                if headers:
                    responses[code]["headers"] = headers
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = ERROR
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _typed(get_openapi(title=app.title, version=app.version,
                                                    description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi
