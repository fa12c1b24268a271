"""The web package's `forgetlab` subcommands: serve (the lab in one command) and export (runs' data as files).

Neither imports torch: the web process never loads it, and export only reads the lab's database.
Registered by core/cli.py through the `forgetlab.commands` entry points.
"""

from __future__ import annotations

from pathlib import Path

from forgetlab.core.cli import UsageError

from . import cli_users
from .views.export import FORMATS, TABLES, filename, render, select_runs

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args) -> None:
    """Embedded mode unless REDIS_URL is set."""
    import os

    if args.data_dir:
        os.environ["FORGETLAB_DATA_DIR"] = args.data_dir
    if args.workers is not None:
        os.environ["FORGETLAB_WORKERS"] = str(args.workers)
    if args.public:
        os.environ["FORGETLAB_PUBLIC"] = "1"

    import uvicorn

    from forgetlab.core.settings import get_settings
    from forgetlab.core.store.db import migrate

    get_settings.cache_clear()
    settings = get_settings()
    if not settings.login_required and args.host not in LOOPBACK:
        # Without log-in every visitor is the lab's instructor: fine on this computer, not on a network.
        os.environ["FORGETLAB_PUBLIC"] = "1"
        get_settings.cache_clear()
        settings = get_settings()
        print(f"serving on {args.host}, beyond this computer: log-in is on (as with --public). Create the first "
              "instructor with `forgetlab user create NAME --role instructor`.", flush=True)
    migrate()
    where = "SQLite in " + str(settings.data_dir.resolve()) if not settings.database_url else "DATABASE_URL"
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    print(f"forgetlab lab ({settings.mode} mode, {where}): http://{host}:{args.port}/", flush=True)
    uvicorn.run("forgetlab.app.main:create_app", factory=True, host=args.host, port=args.port, log_level=args.log_level,
                timeout_graceful_shutdown=3)




def parse_target(target: str) -> tuple[list[int] | None, int | None]:
    """"12", "3,5,8" or "sweep:3" -> (run ids, sweep id)."""
    text = target.strip().lower()
    if text.startswith("sweep:"):
        number = text.removeprefix("sweep:")
        if not number.isdigit():
            raise UsageError(f"{target!r}: a sweep is sweep:ID, e.g. sweep:3")
        return None, int(number)
    parts = [p.strip().lstrip("#") for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise UsageError(f"{target!r}: give a run id (12), several (3,5,8) or a sweep (sweep:3)")
    return list(dict.fromkeys(int(p) for p in parts)), None


def export(target: str, *, out: str = ".", formats: tuple[str, ...] = FORMATS, data_dir: str | None = None) -> list[Path]:
    """Write metrics and summary files for the target; returns their paths."""
    from forgetlab.core.settings import Settings
    from forgetlab.core.store.db import migrate, session_factory

    settings = Settings(data_dir=data_dir) if data_dir else Settings()  # the environment, as `serve` reads it
    if not settings.database_url:
        db_file = settings.data_dir / "forgetlab.db"
        if not db_file.exists():  # opening it would create an empty lab, and "no run 12" would mislead
            raise UsageError(f"no lab database at {db_file.resolve()}; pass --data-dir, or set "
                               "FORGETLAB_DATA_DIR or DATABASE_URL as for `forgetlab serve`")
    run_ids, sweep_id = parse_target(target)
    migrate(settings.sqlalchemy_url)  # a lab last served by an older version may lack the sweep tables
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with session_factory(settings.sqlalchemy_url)() as session:
        chosen = select_runs(session, run_ids=run_ids, sweep_id=sweep_id)  # a DomainError says what is wrong
        for fmt in formats:
            for table in TABLES:
                path = folder / filename(run_ids=run_ids, sweep_id=sweep_id, table=table, fmt=fmt)
                path.write_text(render(session, chosen, table=table, fmt=fmt))
                written.append(path)
    return written


def cmd_export(args) -> None:
    paths = export(args.target, out=args.out, data_dir=args.data_dir,
                   formats=(args.format,) if args.format else FORMATS)
    for path in paths:
        print(path)


def register(sub) -> None:
    p = sub.add_parser("serve", help="start the web lab (embedded mode unless REDIS_URL is set)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", help="where the SQLite file lives (default: $FORGETLAB_DATA_DIR or ./data)")
    p.add_argument("--workers", type=int, help="concurrent runs in embedded mode (default: the CPU cores; 0 leaves runs queued)")
    p.add_argument("--log-level", default="info")
    p.add_argument("--public", action="store_true", help="ask everyone to log in (on by itself in distributed mode "
                                                         "and on a host other than localhost)")
    p.set_defaults(func=cmd_serve)
    cli_users.register(sub)

    p = sub.add_parser("export", help="write the metrics and summaries of runs or a sweep from the lab's database")
    p.add_argument("target", help="a run id (12), several (3,5,8) or a sweep (sweep:3)")
    p.add_argument("--out", default=".", help="directory to write into (default: the current one)")
    p.add_argument("--format", choices=list(FORMATS), help="only this format (default: both)")
    p.add_argument("--data-dir", help="the lab's data directory (default: $FORGETLAB_DATA_DIR or ./data)")
    p.set_defaults(func=cmd_export)
