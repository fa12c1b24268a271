"""`forgetlab export RUN_OR_SWEEP`: a run's, several runs' or a sweep's metrics and summaries as files.

Reads the lab's database (the same settings as `forgetlab serve`: --data-dir, FORGETLAB_DATA_DIR or
DATABASE_URL) and writes the bytes the web lab's download links serve. Never imports torch.
"""

from __future__ import annotations

from pathlib import Path

from .export import FORMATS, TABLES, ExportError, filename, render, select_runs


class ExportFailed(Exception):
    """A one-line reason, printed by the CLI."""


def parse_target(target: str) -> tuple[list[int] | None, int | None]:
    """"12", "3,5,8" or "sweep:3" -> (run ids, sweep id)."""
    text = target.strip().lower()
    if text.startswith("sweep:"):
        number = text.removeprefix("sweep:")
        if not number.isdigit():
            raise ExportFailed(f"{target!r}: a sweep is sweep:ID, e.g. sweep:3")
        return None, int(number)
    parts = [p.strip().lstrip("#") for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise ExportFailed(f"{target!r}: give a run id (12), several (3,5,8) or a sweep (sweep:3)")
    return list(dict.fromkeys(int(p) for p in parts)), None


def export(target: str, *, out: str = ".", formats: tuple[str, ...] = FORMATS, data_dir: str | None = None) -> list[Path]:
    """Write metrics and summary files for the target; returns their paths."""
    from .config import Settings
    from .db import migrate, session_factory

    settings = Settings(data_dir=data_dir) if data_dir else Settings()  # the environment, as `serve` reads it
    if not settings.database_url:
        db_file = settings.data_dir / "forgetlab.db"
        if not db_file.exists():  # opening it would create an empty lab, and "no run 12" would mislead
            raise ExportFailed(f"no lab database at {db_file.resolve()}; pass --data-dir, or set "
                               "FORGETLAB_DATA_DIR or DATABASE_URL as for `forgetlab serve`")
    run_ids, sweep_id = parse_target(target)
    migrate(settings.sqlalchemy_url)  # a lab last served by an older version may lack the sweep tables
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with session_factory(settings.sqlalchemy_url)() as session:
        try:
            chosen = select_runs(session, run_ids=run_ids, sweep_id=sweep_id)
        except ExportError as e:
            raise ExportFailed(e.message) from None
        for fmt in formats:
            for table in TABLES:
                path = folder / filename(run_ids=run_ids, sweep_id=sweep_id, table=table, fmt=fmt)
                path.write_text(render(session, chosen, table=table, fmt=fmt))
                written.append(path)
    return written
