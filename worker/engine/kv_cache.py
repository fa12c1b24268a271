"""KV caches for scoring and decoding without recomputing a shared context: copying chosen rows of a cache, and a
cache that appends each new token in place.

transformers' DynamicCache appends by concatenation, copying the whole cache at every decode step: a fifth of a
24-row SmolLM2 decode step's CPU time under torch's profiler. `decode_cache` holds each layer's keys and values in
buffers sized for the whole decode once, and hands attention a view of the filled part.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer


def kv_rows(cache: DynamicCache, index: torch.Tensor, length: int | None = None) -> DynamicCache:
    """A new cache holding the rows `index` of `cache` (a row may repeat), and only its first `length` positions
    where given; `cache` stays as it was, to be read again."""
    return DynamicCache(ddp_cache_data=[(keys[index, :, :length], values[index, :, :length])
                                        for keys, values, *_ in cache])


# Fewer shared leading tokens are not worth a forward of their own (a word-level model's bos): scoring and the
# decode read a prefix every row shares once only from this many tokens.
SHARED_PREFIX_MIN = 8


def shared_prefix(ids: torch.Tensor, most: int) -> int:
    """How many leading tokens every row of `ids` has in common, at most `most`."""
    same = (ids[:, :most] == ids[:1, :most]).all(0)
    return int(same.long().cumprod(0).sum())


def prefix_cache(model, input_ids: torch.Tensor, shared: int) -> tuple[int, DynamicCache | None]:
    """Reads the `shared` leading tokens every row of `input_ids` opens with (shared_prefix()) once, in a one-row
    forward, when there are SHARED_PREFIX_MIN or more: their count and a cache holding them for every row, from
    which the rows continue (under a causal mask, the same computation as reading each row whole). (0, None)
    otherwise. With gradients on, each row's use of the prefix sends its gradient back through the one forward."""
    if shared < SHARED_PREFIX_MIN:
        return 0, None
    cache = DynamicCache()
    model(input_ids=input_ids[:1, :shared], cache=cache, use_cache=True, logits_to_keep=1)
    return shared, kv_rows(cache, torch.zeros(len(input_ids), dtype=torch.long, device=input_ids.device))


class _InPlaceLayer(DynamicLayer):
    """A DynamicLayer whose keys and values live in buffers of `capacity` positions: an update writes the new
    positions in place, and `keys`/`values` are views of the positions filled so far."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity, self.filled = capacity, 0

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
            rows, heads, _, width = key_states.shape
            self.key_buffer = key_states.new_empty(rows, heads, self.capacity, width)
            self.value_buffer = value_states.new_empty(rows, heads, self.capacity, value_states.shape[-1])
        new = key_states.shape[-2]
        self.key_buffer[:, :, self.filled: self.filled + new] = key_states
        self.value_buffer[:, :, self.filled: self.filled + new] = value_states
        self.filled += new
        self._view()
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self.key_buffer, self.value_buffer = self.key_buffer[indices], self.value_buffer[indices]
            self._view()

    def _view(self) -> None:
        self.keys = self.key_buffer[:, :, : self.filled]
        self.values = self.value_buffer[:, :, : self.filled]


def decode_cache(model, capacity: int) -> DynamicCache:
    """An empty cache for a decode of at most `capacity` positions (prompt and new tokens), appending in place."""
    cache = DynamicCache()
    cache.layers = [_InPlaceLayer(capacity) for _ in range(model.config.get_text_config(decoder=True).num_hidden_layers)]
    return cache
