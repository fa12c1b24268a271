"""Replay: a share of every batch drawn from a small fixed buffer of general examples kept from before."""

from .base import Mitigation, field

MITIGATION = Mitigation(
    batch_share="replay_ratio", name="replay", title="Replay buffer",
    fields={"replay_ratio": (float, field(0.0, "Share of each batch replayed from a fixed buffer of general "
                                               "examples.", ge=0.0, le=0.9)),
            "replay_buffer": (int, field(200, "Size of the replay buffer (general examples kept from before).",
                                         ge=10, le=5000))},
    describe=lambda c: f"{c['replay_ratio'] * 100:.0f}% of each batch replayed from {c['replay_buffer']} kept examples")
