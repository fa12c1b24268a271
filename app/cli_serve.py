"""`forgetlab serve`: the web lab in one command (embedded mode unless REDIS_URL is set). Never imports torch."""

from __future__ import annotations


def cmd_serve(args) -> None:
    import os

    if args.data_dir:
        os.environ["FORGETLAB_DATA_DIR"] = args.data_dir
    if args.workers is not None:
        os.environ["FORGETLAB_WORKERS"] = str(args.workers)

    import uvicorn

    from .config import get_settings
    from .db import migrate

    get_settings.cache_clear()
    settings = get_settings()
    migrate()
    where = "SQLite in " + str(settings.data_dir.resolve()) if not settings.database_url else "DATABASE_URL"
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    print(f"forgetlab lab ({settings.mode} mode, {where}): http://{host}:{args.port}/", flush=True)
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, log_level=args.log_level,
                timeout_graceful_shutdown=3)
