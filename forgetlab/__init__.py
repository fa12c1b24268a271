"""forgetlab: break a language model on purpose and watch it forget.

The repository's top-level folders install under this one namespace: `core/` as `forgetlab.core`
(torch-free, web-free), `app/` as `forgetlab.app` (the web process), `worker/` as `forgetlab.worker`
(jobs and the training engine), `integrations/` as `forgetlab.integrations` (a Trainer callback and `watch`, for
training outside the lab), and `templates/`, `static/` and `migrations/` as package data.
"""


def watch(model, tokenizer, **options):
    """Measure a plain PyTorch training loop on a tier's capability suites and stream it to a lab as a run:
    `with forgetlab.watch(model, tokenizer, lab=URL, token=TOKEN) as w: ... w.step(loss=...)`. See
    forgetlab.integrations.watch; imported here on first use, so `import forgetlab` never loads torch."""
    from forgetlab.integrations.watch import watch as start

    return start(model, tokenizer, **options)
