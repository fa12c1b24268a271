"""What the pages' charts draw, decided on the server: the colours, and the run page's live contract.

static/run.js reads the contract from one JSON blob the run page renders (templates/run.html, #run-live):
the run statuses that end a run (core's TERMINAL), the scalar series of its loss and rate charts (keys
from core/results.py's SCALAR_KEYS, with their labels and colours) and the key of the run's clock. No
status, metric key or colour is spelled again in static/ or the templates. The comparison page gives each
run its colour from the same palette (comparison.py).
"""

from __future__ import annotations

from forgetlab.core.store.models import TERMINAL

# One colour per run (the comparison) or per chart (the run page's capabilities), in this order.
PALETTE = ("#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#0f8b8d", "#edc948", "#9c755f")
# The run page's scalar charts: figure name -> (metric key, legend label, colour), keys from SCALAR_KEYS.
SERIES = {
    "loss": (("train_loss", "train", PALETTE[0]), ("val_loss", "validation", PALETTE[1])),
    "rates": (("format_rigidity", "format rigidity", PALETTE[3]), ("refusal", "refusal", PALETTE[2]),
              ("over_refusal", "over-refusal", PALETTE[4])),
}
CLOCK = "seconds"  # the scalar holding a point's wall-clock seconds since the run started (its pace)


def run_live() -> dict:
    """The run page's live contract, as static/run.js reads it."""
    return {"terminal": sorted(TERMINAL), "palette": list(PALETTE), "clock": CLOCK,
            "series": {name: [{"key": k, "label": label, "color": color} for k, label, color in lines]
                       for name, lines in SERIES.items()}}

