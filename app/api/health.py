from fastapi import APIRouter, Request

router = APIRouter(tags=["lab"])


@router.get("/health", summary="Mode, and in embedded mode the state of the local worker processes")
def health(request: Request) -> dict:
    state = request.app.state
    busy = getattr(state.executor, "busy", None)
    return {"status": "ok", "mode": state.settings.mode, "executor": busy() if busy else None}
