"""Watching fine-tuning that happens outside the lab: `forgetlab.integrations.transformers.ForgetlabCallback` for a
`transformers.Trainer` (TRL's SFTTrainer included) and `forgetlab.watch` for a plain PyTorch loop.

Both measure the model being trained on a tier's capability suites with the engine's own evaluation
(worker/engine/evaluate.py): the base before the first update, then every few steps, and stream each point to a
lab as an external run (its API, with a token) or into a local lab database. This layer imports torch, core and
the worker's engine, never the web app.
"""
