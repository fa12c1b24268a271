"""Ask a run's model: one prompt to the base and to the fine-tuned model, both answering greedily.

This is the run page's "ask the model" box. A worker serves it (worker/asking.py), never the web
process: it needs torch and the models. The answer is bounded by the tier's generation budget, and
the prompt goes through the tier's tokenizer exactly as probes do (the chat template on a chat
model), so what the user reads is what the run's curves measured.
"""

from __future__ import annotations

import functools
from pathlib import Path

from forgetlab.core.tiers import Tier

from .encoding import is_chat, prompt_ids
from .decode import greedy
from .gate import GateError, load_base, load_candidate


class AskError(Exception):
    """A question that cannot be answered (no saved model, a word the model has no token for); for the user."""


@functools.lru_cache(maxsize=4)
def _models(tier: Tier, artifact_dir: str):
    """(base, fine-tuned, tokenizer), kept for a worker's next questions about the same run."""
    try:
        base, tokenizer, base_path, _ = load_base(tier, None)
        tuned, _, _ = load_candidate(artifact_dir, base, tokenizer, base_path)
    except GateError as e:
        raise AskError(str(e)) from None
    return base, tuned, tokenizer


def ask(tier: Tier, artifact_dir: str | Path, prompt: str) -> dict[str, str]:
    """{"base": answer, "tuned": answer}, each at most `tier.generation_tokens` new tokens."""
    if not Path(artifact_dir).is_dir():
        raise AskError("this run's model was not kept (only LoRA adapters and small full fine-tunes are saved), "
                       "so it cannot be asked")
    base, tuned, tokenizer = _models(tier, str(artifact_dir))
    if not is_chat(tokenizer) and tokenizer.unk_token_id in prompt_ids(tokenizer, [prompt])[0]:
        unknown = [w for w in prompt.split() if tokenizer.unk_token_id in tokenizer(w, add_special_tokens=False)["input_ids"]]
        raise AskError(f"the model has no token for: {', '.join(unknown[:5])} (this tier's words only)")
    budget = tier.generation_tokens
    return {"base": greedy(base, tokenizer, [prompt], budget)[0], "tuned": greedy(tuned, tokenizer, [prompt], budget)[0]}
