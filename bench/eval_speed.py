"""Engine speed: full-suite evaluation and one training step, each beside its bare-PyTorch baseline.

Run: python -m bench.eval_speed
- eval: `forgetlab eval`'s work (every capability and task, one forward each, scoring included)
  next to the bare forward passes over the same tensors, with no scoring.
- step: one engine training step (HF loss, clipping, AdamW) next to a bare forward/backward/AdamW
  of the same model on the same batch.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from bench._common import median_seconds
from forgetlab.core.tiers.synthetic import SyntheticTier, world
from forgetlab.worker.engine.encoding import encode, trim
from forgetlab.worker.engine.evaluate import EncodedSuite, evaluate
from forgetlab.worker.engine.model import load, parameter_count


def main() -> None:
    model, tokenizer = load()
    encoded = EncodedSuite.build(world.probe_suite(), tokenizer,
                                 refusal_capabilities=SyntheticTier.refusal_capabilities)
    probes = len(encoded.suite.probes)

    def bare_forwards() -> None:
        with torch.inference_mode():
            for batch in encoded.batches.values():
                model(input_ids=batch.input_ids)

    t_eval = median_seconds(lambda: evaluate(model, encoded), repeats=10)
    t_bare_eval = median_seconds(bare_forwards, repeats=10)

    batch = trim(encode(tokenizer, world.examples("support-narrow", 32, seed=0), length=32))
    engine_model, bare_model = copy.deepcopy(model).train(), copy.deepcopy(model).train()
    engine_opt = torch.optim.AdamW(engine_model.parameters(), lr=1e-4)
    bare_opt = torch.optim.AdamW(bare_model.parameters(), lr=1e-4)

    def engine_step() -> None:
        loss = engine_model(input_ids=batch.input_ids, labels=batch.labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(engine_model.parameters(), 1.0)
        engine_opt.step()
        engine_opt.zero_grad(set_to_none=True)

    def bare_step() -> None:
        logits = bare_model(input_ids=batch.input_ids).logits
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), batch.labels[:, 1:].reshape(-1))
        loss.backward()
        bare_opt.step()
        bare_opt.zero_grad(set_to_none=True)

    t_step = median_seconds(engine_step, repeats=30, warmup=3)
    t_bare_step = median_seconds(bare_step, repeats=30, warmup=3)

    print(f"model: {parameter_count(model):,} parameters, torch threads {torch.get_num_threads()}")
    print(f"full-suite evaluation ({probes} probes): {t_eval * 1000:.1f} ms "
          f"(bare forwards {t_bare_eval * 1000:.1f} ms, ratio {t_eval / t_bare_eval:.2f}x); target <= 500 ms")
    print(f"training step (batch {tuple(batch.input_ids.shape)}): {t_step * 1000:.1f} ms "
          f"(bare forward/backward/AdamW {t_bare_step * 1000:.1f} ms, ratio {t_step / t_bare_step:.2f}x)")


if __name__ == "__main__":
    main()
