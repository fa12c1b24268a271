from fastapi import APIRouter

from forgetlab.app.auth import CurrentUser
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario

from .schemas import PresetOut

router = APIRouter(tags=["scenarios"])


@router.get("/presets", response_model=list[PresetOut], summary="Named scenarios: break it, fix it, each mitigation")
def list_presets(user: CurrentUser) -> list[PresetOut]:
    """Anyone signed in, guests included."""
    return [PresetOut(name=p.name, title=p.title, explanation=p.explanation, overrides=p.overrides,
                      scenario=p.scenario().model_dump(mode="json")) for p in PRESETS.values()]


@router.get("/scenario", summary="The scenario schema: every field's default, range and explanation")
def scenario_schema(user: CurrentUser) -> dict:
    """Anyone signed in, guests included."""
    return {"defaults": Scenario().model_dump(mode="json"), "schema": Scenario.model_json_schema()}
