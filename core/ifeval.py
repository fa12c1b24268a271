"""IFEval's instruction checks for engineers' own suites (core/suites.py's `ifeval` scorer).

The checks are IFEval's own verifiers, from the `if-verifiable` package (the `ifeval` extra), scored
strictly: a reply passes when it follows every listed instruction as written (IFEval's "strict"
accuracy, no loose retries without the first or last line). Two checkers need nltk's punkt
sentence data, which nltk downloads at run time and the lab never does: a suite that names them is
refused at upload (NEEDS_PUNKT) rather than failing in a run. Torch-free; the package is imported
only when an `ifeval` item is read or scored.
"""

from __future__ import annotations

# The IFEval checkers that call nltk's punkt tokenizer (sentence counts, word_tokenize).
NEEDS_PUNKT = ("length_constraints:number_sentences", "change_case:capital_word_frequency")


class Unavailable(Exception):
    """if-verifiable is not installed."""


def _registry() -> dict:
    try:
        from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT
    except ImportError:
        raise Unavailable("the ifeval scorer needs the if-verifiable package: pip install 'forgetlab[ifeval]'") \
            from None
    return INSTRUCTION_DICT


def problems(instructions) -> list[str]:
    """Why `instructions` ([{"id": ..., "kwargs": {...}}, ...]) cannot be checked, one reason each; [] when
    all can. Every argument the checker takes must be given: IFEval's checkers pick random values for missing
    ones, which would make a suite mean something else on every run."""
    try:
        registry = _registry()
    except Unavailable as e:
        return [str(e)]
    if not isinstance(instructions, list) or not instructions:
        return ['a non-empty list of {"id": ..., "kwargs": {...}}']
    found = []
    for i, item in enumerate(instructions, 1):
        if not isinstance(item, dict) or set(item) - {"id", "kwargs"} or not isinstance(item.get("id"), str):
            found.append(f'instruction {i}: expected {{"id": ..., "kwargs": {{...}}}}')
            continue
        name, kwargs = item["id"], item.get("kwargs") or {}
        if name in NEEDS_PUNKT:
            found.append(f"instruction {i}: {name} needs nltk's punkt data, which the lab does not download")
        elif name not in registry:
            found.append(f"instruction {i}: unknown IFEval instruction {name!r}")
        elif not isinstance(kwargs, dict):
            found.append(f"instruction {i}: kwargs must be an object")
        else:
            checker = registry[name](name)
            wanted = set(checker.get_instruction_args_keys() or []) - {"prompt"}
            given = {k for k, v in kwargs.items() if v is not None}
            if given != wanted:
                found.append(f"instruction {i}: {name} takes kwargs {sorted(wanted) or 'none'}, got {sorted(given)}")
                continue
            try:
                checker.build_description(**kwargs)
            except (TypeError, ValueError) as e:
                found.append(f"instruction {i}: {name}: {e}")
    return found


def follows(instructions: list[dict], prompt: str, output: str) -> bool:
    """Does `output` follow every instruction (IFEval's strict check)?"""
    registry = _registry()
    for item in instructions:
        checker = registry[item["id"]](item["id"])
        checker.build_description(**{k: v for k, v in (item.get("kwargs") or {}).items() if v is not None})
        if "prompt" in (checker.get_instruction_args_keys() or []):
            checker.build_description(prompt=prompt)
        try:
            followed = bool(output.strip()) and checker.check_following(output)
        except Exception:  # IFEval's checkers assume well-formed replies; one that trips a checker does not follow it
            followed = False
        if not followed:
            return False
    return True
