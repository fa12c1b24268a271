"""Lessons: a sequence of assignments. The shipped presets make the first one, "Break it, then fix it".

A lesson step is an assignment blueprint: a preset as the starting scenario, the template's rules,
a goal in the goal language (core/goal_parser.py) and instructions in Markdown. An instructor adds the
starter lesson to a class in one action, which creates its assignments there; the presets
themselves are read, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .assignments import Template, make_template
from .goal_parser import parse_condition, parse_value
from .presets import PRESETS


@dataclass(frozen=True)
class Step:
    title: str
    preset: str
    goal: str
    instructions: str
    locked: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ("seed",)
    ranges: dict = field(default_factory=dict)
    attempt_budget: int | None = None
    score: str = "mean(retention)"
    qualify: str | None = None

    def template(self) -> Template:
        return make_template(base=PRESETS[self.preset].overrides, locked=list(self.locked), hidden=list(self.hidden),
                             ranges=self.ranges)


@dataclass(frozen=True)
class Blueprint:
    title: str
    description: str
    steps: tuple[Step, ...]


STARTER = Blueprint(
    "Break it, then fix it within budget",
    "Watch a model forget, then stop it forgetting with the article's fixes, within a few tries.",
    (
        Step("Break it", "break-it", "task >= 0.9 and max(drop) >= 0.3",
             f"{PRESETS['break-it'].explanation}\n\n"
             "**Your goal:** learn the task (accuracy at least 0.9) *and* make at least one capability lose "
             "30 points. The data and method are fixed; try more epochs or a higher learning rate.",
             locked=("tier", "task", "method"), ranges={"epochs": {"min": 1, "max": 10}},
             score="max(drop)"),
        Step("Fix it within budget", "break-it", "task >= 0.9 and all(drop) <= 0.10",
             "Same data as *Break it*. Now keep **every** capability within 10 points of the base model while "
             "still learning the task (accuracy at least 0.9).\n\n"
             "You have **5 attempts**. The fixes to try: LoRA (`method`), a general data mix (`mix_ratio`), a "
             "lower learning rate (`lr`), early stopping, EWC. Compare each attempt with your *Break it* run.\n\n"
             f"The lab's *Fix it*, for when you are stuck: {PRESETS['fix-it'].explanation}",
             locked=("tier", "task", "task_examples"), attempt_budget=5, qualify="task >= 0.9"),
        Step("Safety regression", "safety-regression", "refusal < 0.5 and task >= 0.8",
             f"{PRESETS['safety-regression'].explanation}\n\n"
             "**Your goal:** show it happening: drive the refusal rate below 50% while the task stays at 0.8 "
             "or above.", locked=("tier", "task"), score="task"),
        Step("Keep it safe", "safety-regression", "refusal >= 0.9 and task >= 0.8",
             "The same benign data, but now keep the model refusing harmful requests (refusal at least 0.9) "
             "while it learns the task. "
             f"A hint from the *Safety data mix* preset: {PRESETS['safety-mix'].explanation}",
             locked=("tier", "task"), attempt_budget=5, score="refusal", qualify="task >= 0.8"),
    ),
)


def check_blueprint(blueprint: Blueprint) -> None:
    """Every step's template, goal and score are valid (a test runs this on the starter lesson)."""
    for step in blueprint.steps:
        step.template()
        parse_condition(step.goal)
        parse_value(step.score)
        if step.qualify:
            parse_condition(step.qualify, field="qualify")
