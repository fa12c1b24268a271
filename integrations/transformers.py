"""`ForgetlabCallback`: a `transformers.TrainerCallback` that measures the model a Trainer fine-tunes (TRL's
SFTTrainer included) on a tier's capability suites, and streams each point to a lab as an external run.

    trainer = Trainer(model=model, args=args, train_dataset=data,
                      callbacks=[ForgetlabCallback(lab="http://lab:8000", token="fl_...")])

At the start of training it measures the base (a peft model with its adapters disabled), then every `every`
optimizer steps the model being trained, and at the end of training the final model on the full suites; the run
ends succeeded. The trainer's arguments (`args.to_dict()`) are the run's config. The losses the Trainer logs
ride along with the next point. If the training raises, the Trainer calls no callback: the run stays running
until its owner cancels it on its page.
"""

from __future__ import annotations

from transformers import TrainerCallback

from .watch import DEFAULT_EVERY, Watcher


class ForgetlabCallback(TrainerCallback):
    def __init__(self, *, lab: str | None = None, token: str | None = None, database: str | None = None,
                 suites: list[str] | None = None, tier: str = "smollm2", every: int = DEFAULT_EVERY,
                 tokenizer=None, name: str | None = None, probes: int | None = None, final_probes: int | None = None):
        self.options = dict(lab=lab, token=token, database=database, suites=suites, tier=tier, every=every,
                            name=name, probes=probes, final_probes=final_probes)
        self.tokenizer = tokenizer
        self.watcher: Watcher | None = None
        self.seconds = 0.0  # spent measuring during the last training

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        tokenizer = self.tokenizer or getattr(processing_class, "tokenizer", processing_class)
        if tokenizer is None:
            raise ValueError("ForgetlabCallback needs the model's tokenizer: pass tokenizer=, or give the Trainer "
                             "its processing_class")
        root = type(args).__module__.split(".")[0]
        source = "transformers.Trainer" if root == "transformers" else f"{root}.{type(args).__name__}"
        self.watcher = Watcher(model, tokenizer, source=source, config=args.to_dict(), total_steps=state.max_steps,
                               **self.options).start()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.watcher is not None and logs:
            self.watcher.note(loss=logs.get("loss"), lr=logs.get("learning_rate"), epoch=logs.get("epoch"))

    def on_step_end(self, args, state, control, **kwargs):
        # The last step is measured on the full suites at the end of training, after the Trainer's last log.
        if self.watcher is not None and state.global_step < state.max_steps:
            self.watcher.at(state.global_step, epoch=state.epoch)

    def on_train_end(self, args, state, control, **kwargs):
        if self.watcher is not None:
            self.watcher.finish(step=state.global_step)
            self.seconds, self.watcher = self.watcher.meter.seconds, None
