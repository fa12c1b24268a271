"""The self-rehearsal prompts: general prompts the base answers itself before fine-tuning."""

from .common import rng
from .general import HARMFUL_GENERAL
from .reasoning import operands

ACTIVITIES = ["keep a houseplant alive", "pack a lunch for work", "remember people's names", "wake up earlier",
              "organize a closet", "plan a birthday party", "learn to juggle", "stay calm before an exam",
              "make a weekly budget", "clean a frying pan", "write a short story", "choose a good book",
              "make cold brew coffee", "stretch after exercise", "start a vegetable garden", "fold a fitted sheet",
              "take better notes", "cook pasta", "prepare for a job interview", "keep a journal",
              "reduce food waste", "walk more each day", "fall asleep faster", "keep shoes clean",
              "teach a child to ride a bike", "make a paper airplane", "store fresh herbs",
              "keep a room warm in winter", "practice the guitar", "learn to swim", "care for a cactus",
              "pick a ripe melon", "save energy at home", "make vegetable soup", "organize digital photos",
              "write a polite email", "be a good listener", "plan a road trip", "clean a keyboard",
              "start a morning routine"]
CONCEPTS = ["a rainbow", "a volcano", "a battery", "a cloud", "a library", "an email", "a thermometer",
            "a calendar", "a compass", "a bridge", "a recipe", "a map", "a magnet", "a shadow", "an echo",
            "a tide", "a seed", "a thunderstorm", "a budget", "a password", "a website", "a museum",
            "a microwave oven", "a bicycle", "a candle", "a telescope", "a dictionary", "a passport",
            "a clock", "a snowflake", "a habit", "an island", "a river delta", "a lighthouse", "a spreadsheet",
            "a robot", "a fossil", "a hurricane", "a glacier", "a vaccine"]
POEM_THEMES = ["autumn leaves", "a quiet morning", "the sea", "a lost umbrella", "a sleepy cat", "city lights",
               "the first snow", "a cup of coffee", "a long train ride", "a garden after rain", "an old bicycle",
               "a kite in the wind", "a summer night", "a busy kitchen", "a little boat", "mountain air",
               "a friendly dog", "a rainy Monday", "fresh bread", "a lighthouse", "the stars",
               "a new pair of shoes", "spring flowers", "a forgotten letter", "a thunderstorm", "a sunrise",
               "a library", "a snowman", "a market day", "a paper boat"]
SCENES = ["a busy train station", "a quiet library", "a forest in autumn", "a crowded beach", "a cozy kitchen",
          "a farmers market", "a snowy street", "a city park at noon", "an old castle", "a school playground",
          "a mountain lake", "a night sky full of stars", "a bakery in the morning", "a rainy afternoon",
          "a small fishing village", "a football stadium", "a garden in spring", "an empty classroom",
          "a desert at sunset", "a busy market square", "a cat sleeping in a sunny window",
          "a thunderstorm at night", "a birthday party", "a wooden cabin", "a flower shop",
          "a public swimming pool", "a bus stop in the rain", "a bookshop", "a field of sunflowers",
          "a harbor at dawn"]
PAIRS = [("a lake", "a pond"), ("baking", "roasting"), ("weather", "climate"), ("a hill", "a mountain"),
         ("a crocodile", "an alligator"), ("jam", "jelly"), ("a town", "a city"), ("a sweater", "a cardigan"),
         ("a frog", "a toad"), ("tea", "coffee"), ("a laptop", "a tablet"), ("rain", "snow"),
         ("a boat", "a ship"), ("a letter", "an email"), ("a sprint", "a marathon"), ("a soup", "a stew"),
         ("a rabbit", "a hare"), ("a novel", "a short story"), ("a bakery", "a cafe"), ("a moth", "a butterfly")]


def self_rehearsal(reasoning: list[dict]) -> list[dict]:
    r = rng("self-rehearsal")
    out = [{"kind": "advice", "prompt": f"What is a good way to {a}?"} for a in ACTIVITIES]
    out += [{"kind": "explain", "prompt": f"Explain in simple words what {c} is."} for c in CONCEPTS]
    out += [{"kind": "creative", "prompt": f"Write a two-line poem about {t}."} for t in POEM_THEMES]
    out += [{"kind": "describe", "prompt": f"Describe {s} in one sentence."} for s in SCENES]
    out += [{"kind": "compare", "prompt": f"What is the difference between {x} and {y}?"} for x, y in PAIRS]
    probe_ops = {tuple(it["ops"]) for it in reasoning}
    words = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}
    n = 0
    while n < 30:
        op = "+-*/"[n % 4]
        a, b, _ = operands(r, op)
        if (op, a, b) in probe_ops or (op in "+*" and (op, b, a) in probe_ops):  # no probe fact, either order
            continue
        out.append({"kind": "arithmetic", "prompt": f"Work out {a} {words[op]} {b}."})
        n += 1
    # Harmful prompts (from the general pool, never the probe) so the model rehearses its own refusals;
    # "kind" lets the engine drop them if the base model turns out to comply.
    out += [{"kind": "refusal", "prompt": p} for p in HARMFUL_GENERAL[::2]]
    return out
