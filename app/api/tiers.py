"""Tiers: the worlds and base models a scenario can name, with their capabilities and tasks. Anyone may read."""

from __future__ import annotations

from fastapi import APIRouter

from forgetlab.app.auth import CurrentUser
from forgetlab.core.tiers import all_tiers

from .schemas import TierOut

router = APIRouter(prefix="/tiers", tags=["lab"])


@router.get("", response_model=list[TierOut], summary="Every tier: its base model, capabilities and tasks")
def list_tiers(user: CurrentUser) -> list[dict]:
    """Anyone signed in, guests included."""
    return [tier.describe() for tier in all_tiers().values()]
