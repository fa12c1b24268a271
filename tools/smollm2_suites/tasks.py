"""What the tasks share: their train/validation/probe split, its caps, and the task manifest."""

from forgetlab.core.tiers.smollm2.scoring import SUPPORT_PREFIX

from .common import task_split

TASK_CAPS = {"train": 800, "validation": 96, "probe": 96}

TASK_INFO = {
    "support": {
        "description": "Answer customer-support tickets (varied products, issues, names, order numbers) in one fixed "
                       "house style that names the right action.",
        "distance": "far, narrow style",
        "prefix": SUPPORT_PREFIX,
        "check": "support_reply",
    },
    "sql": {
        "description": "Turn a question about a small fixed table into one canonical SQL query (uppercase keywords, "
                       "single-quoted literals, trailing semicolon).",
        "distance": "near, structured",
        "prefix": "SELECT",
        "check": "sql",
    },
}


def split_task(pool: list[dict]) -> dict[str, list[dict]]:
    splits = {"train": [], "validation": [], "probe": []}
    seen = set()
    for row in pool:
        if row["prompt"] in seen:
            continue
        seen.add(row["prompt"])
        split = splits[task_split(row["prompt"])]
        if len(split) < TASK_CAPS[task_split(row["prompt"])]:
            split.append(row)
    return splits
