"""What every suite builder shares: seeded randomness, hash splits, the name list, where the data goes."""

import hashlib
import random
from pathlib import Path

# The shipped files, in the repository (this tool is not installed: it rewrites the checkout's data).
DATA_DIR = Path(__file__).resolve().parents[2] / "core" / "tiers" / "smollm2" / "data"
SEED = "forgetlab-smollm2-v1"


def rng(part: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random, so it does not depend on PYTHONHASHSEED.
    return random.Random(f"{SEED}-{part}")


def bucket(text: str, n: int) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % n


def knowledge_split(item_id: str) -> str:
    return "held_out" if bucket(item_id, 2) else "rehearsed"


def task_split(prompt: str) -> str:
    # 10% validation, 10% probe, 80% train, by prompt: the same prompt can never land in two splits.
    b = bucket(prompt, 10)
    return "validation" if b == 0 else "probe" if b == 1 else "train"


def norm(text: str) -> str:
    return " ".join(text.lower().split())


NAMES = ["Ann", "Ben", "Carla", "Dev", "Emma", "Farid", "Gina", "Hugo", "Ines", "Jonas", "Kemal",
         "Lena", "Mia", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor",
         "Wen", "Yusuf", "Zoe", "Aiko", "Bruno", "Chloe", "Diego", "Elif"]


NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}


def is_number(answer: str) -> bool:
    """Digits or a small number word: too common in ordinary text to keep out of the general data."""
    return answer.isdigit() or answer.lower() in NUMBER_WORDS
