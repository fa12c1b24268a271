"""Health: probes the database and the broker (or the local workers), and says what is degraded. Open to everyone.

- 200 `{"status": "ok"}`: everything answers.
- 200 `{"status": "degraded"}`: the database answers but the broker (distributed) or the local worker
  pool (embedded) does not. Pages and the API still work and new runs wait in the outbox; they start
  once the broker is back (see `outbox.unsent`).
- 503 `{"status": "degraded"}`: the database does not answer; nothing works.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select, text

from forgetlab.app.auth import PUBLIC
from forgetlab.core.store.models import Run

router = APIRouter(tags=["lab"])


class Health(BaseModel):
    status: str  # ok | degraded
    mode: str  # embedded | distributed
    database: dict[str, Any]  # {"ok": bool, "detail"?: str}
    executor: dict[str, Any]  # {"ok": bool, "kind": local|celery|none, ...}
    outbox: dict[str, Any] | None  # {"unsent": queued runs whose message has not reached the broker}


def _database(state) -> tuple[dict, dict | None]:
    try:
        with state.sessions() as session:
            session.execute(text("SELECT 1"))
            unsent = session.scalar(select(func.count()).select_from(Run)
                                    .where(Run.status == "queued", Run.sent_at.is_(None)))
        return {"ok": True}, {"unsent": unsent}
    except Exception as e:
        return {"ok": False, "detail": f"{type(e).__name__}: {str(e)[:200]}"}, None


@router.get("/health", response_model=Health, dependencies=[PUBLIC], summary="Probe the database and the broker; 503 if the database is down",
            responses={503: {"model": Health, "description": "The database does not answer"}})
def health(request: Request):
    state = request.app.state
    database, outbox = _database(state)
    executor = state.executor.probe()
    ok = database["ok"] and executor["ok"]
    body = Health(status="ok" if ok else "degraded", mode=state.settings.mode, database=database,
                  executor=executor, outbox=outbox)
    return JSONResponse(body.model_dump(), status_code=200 if database["ok"] else 503)
