"""The regression gate between two finished runs' models, from what the runs stored (no model is loaded), and
a run's saved model as a download.

Every run keeps, per probe of each capability, whether its model passed and the reference NLL, at its
first point (the base) and its last (`Summary.baseline_items` / `final_items`). The gate compares a
candidate run's final items with its own base's (the deployment question: did fine-tuning break
anything?) or with another run's final items on the same tier's probes (which of two candidates is
safer to ship?). The statistics are core/gate.py's, the same the `forgetlab gate` command prints.
"""

from __future__ import annotations

import io
import zipfile

from forgetlab.core import artifacts, gate
from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.store.models import Run
from forgetlab.core.tiers import tier_of


def _items(run: Run, which: str) -> dict:
    items = (run.summary or {}).get(which)
    if run.status != "succeeded" or not items:
        raise Invalid(f"run {run.id} has no per-probe results to gate (it has not finished, or it was trained "
                      "before runs kept them); run it again", "candidate" if which == "final_items" else "base")
    return items


def report(*, candidate: Run | None, base: Run | None, max_drop: float, max_nll_rise: float | None = None) -> dict:
    """The gate of `candidate` against `base` (a run's model), or against its own base model when base is None."""
    if candidate is None:
        raise NotFound("no such candidate run", "candidate")
    cand_items = _items(candidate, "final_items")
    if base is None:
        base_items, base_label = _items(candidate, "baseline_items"), f"the base model of run {candidate.id}"
    else:
        if tier_of(base.config).name != tier_of(candidate.config).name:
            raise Invalid(f"runs {base.id} and {candidate.id} are of different tiers: their probes differ", "base")
        base_items, base_label = _items(base, "final_items"), f"run {base.id}'s model"
    if {k: len(v) for k, v in base_items.items()} != {k: len(v) for k, v in cand_items.items()}:
        raise Invalid("the two runs were measured on different probe sets; gate runs of the same tier and version",
                      "base")
    result = gate.compare(base_items, cand_items, max_drop=max_drop, max_nll_rise=max_nll_rise)
    return {**result, "candidate": candidate.id, "base": base.id if base else None, "base_label": base_label,
            "lines": gate.table(result)}


def model_archive(*, settings, run: Run) -> bytes:
    """The run's saved model as a zip (its files under run-<id>/); NotFound when the worker saved none for this
    run (a directory whose manifest names another run is not this run's model: core/artifacts.py)."""
    folder = settings.run_model_dir(run.id)
    if not folder.is_dir() or not artifacts.belongs_to(folder, run):
        raise NotFound(f"run {run.id} has no saved model (only finished runs save one; full fine-tunes of large "
                       "models are not saved)", "run")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"run-{run.id}/{path.name}")
    return buffer.getvalue()
