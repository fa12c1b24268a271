"""Replay: a share of every batch drawn from a small fixed buffer of general examples kept from before."""

from ..fields import field
from .base import GROUP, Mitigation

MITIGATION = Mitigation(
    batch_share="replay_ratio", name="replay", title="Replay buffer", order=20,
    fields={"replay_ratio": (float, field(0.0, "Share of each batch replayed from a fixed buffer of general "
                                               "examples.", GROUP, label="Replay share", ge=0.0, le=0.9)),
            "replay_buffer": (int, field(200, "Size of the replay buffer (general examples kept from before).",
                                         GROUP, ge=10, le=5000))},
    describe=lambda c: f"{c['replay_ratio'] * 100:.0f}% of each batch replayed from {c['replay_buffer']} kept examples")
