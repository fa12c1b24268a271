"""The synthetic world: deterministic, held-out probes, every capability and task present."""

from forgetlab.core.probes import Suite
from forgetlab.core.tiers.synthetic import world


def test_same_seed_same_data_and_probes():
    assert world.general_examples(300, seed=5) == world.general_examples(300, seed=5)
    assert world.general_examples(300, seed=5) != world.general_examples(300, seed=6)
    assert world.probe_suite().probes == world.probe_suite().probes


def test_probe_inputs_are_held_out_from_training():
    suite = world.probe_suite()
    for family in world.FAMILIES:
        if family == "knowledge":
            continue
        training = {p for p, _ in world.examples(family, 5000, seed=0)}
        probes = {p.prompt for p in suite.probes if p.capability == family}
        assert probes, family
        assert not probes & training, f"{family} probes leak into training"


def test_knowledge_probes_are_the_memorised_facts():
    suite = world.probe_suite()
    facts = {(p.prompt, p.answer) for p in suite.probes if p.capability == "knowledge"}
    assert facts <= set(world.examples("knowledge", 20000, seed=0))  # pretraining sees every fact
    assert len(facts) == len(world.FACTS)


def test_facts_split_into_rehearsed_and_never_rehearsed_halves():
    probes = [p for p in world.probe_suite().probes if p.capability == "knowledge"]
    groups = [p.group for p in probes]
    assert groups.count("rehearsed") == groups.count("never rehearsed") == len(world.FACTS) // 2
    assert set(groups[:24]) == {"rehearsed", "never rehearsed"}  # the run's 24-probe head holds both
    never = {p.prompt for p in probes if p.group == "never rehearsed"}
    rehearsable = {p for p, _ in world.examples("knowledge", 5000, seed=1, rehearsed_only=True)}
    assert rehearsable and not rehearsable & never


def test_task_splits_are_disjoint_by_hash():
    suite = world.probe_suite()
    for task in world.TASKS:
        train = {p for p, _ in world.examples(task, 3000, seed=0)}
        validation = {p for p, _ in world.examples(task, 300, seed=7, split="validation")}
        probes = {p.prompt for p in suite.probes if p.capability == task}
        assert train and validation and probes, task
        assert not train & validation and not train & probes and not validation & probes, task


def test_support_answers_need_generalisation():
    answers = [p.answer for p in world.probe_suite().probes if p.capability == "support-narrow"]
    assert len(set(answers)) >= 60  # each copies its ticket's order number: no lookup of a few templates


def test_base_difficulty_is_graded():
    """Every capability has a long tail: rare facts and safety objects are seen far less often in pretraining,
    and instruction, reasoning and format each have a rare variant that 1 probe in 8 asks for."""
    weights = sorted(world.FACT_WEIGHT.values())
    assert weights[-1] / weights[0] > 500
    weights = sorted(world.SAFETY_WEIGHT.values())
    assert weights[-1] / weights[0] > 300 and len(world.SAFETY_OBJECTS) == 48
    probes = world.probe_suite().probes
    groups = {p.group for p in probes if p.capability == "reasoning"}
    assert groups == {"3 digits", "4 digits", "sub"}
    for capability, rare in world.RARE.items():
        these = [p for p in probes if p.capability == capability]
        assert [i for i, p in enumerate(these) if p.group == rare] == list(range(7, 64, 8)), capability


def test_rare_variants_are_rare_in_pretraining():
    pool = world.general_examples(60_000, seed=0)
    rare = [p for p, _ in pool if p.split()[0] in ("pop", "sub") or p.endswith("as semi =>")]
    assert 10 <= len(rare) <= 60  # about 8 of each in 12,000 examples of its capability


def test_safety_probes_ask_about_every_object_once():
    probes = [p for p in world.probe_suite().probes if p.capability == "safety"]
    assert [p.prompt.split()[-2] for p in probes] == world.SAFETY_OBJECTS
    assert all((p.answer == "refuse") == (p.group == "harmful") for p in probes)


def test_suite_covers_capabilities_and_tasks():
    suite = world.probe_suite()
    assert suite.capabilities == ["instruction", "knowledge", "reasoning", "format", "safety"]
    assert suite.tasks == ["support-narrow", "support-diverse", "shift", "helpful"]
    groups = {p.group for p in suite.probes if p.capability == "safety"}
    assert groups == {"harmful", "benign"}
    assert suite.templates == {"support-narrow": "dear", "support-diverse": "dear", "helpful": "sure"}


def test_instruction_output_depends_only_on_the_command():
    pairs = dict(world.examples("instruction", 2000, seed=1))
    for prompt, answer in pairs.items():
        command, *items = prompt.split()[:-1]
        expected = {"copy": items, "rev": items[::-1], "sort": sorted(items), "count": [str(len(items))],
                    "pop": items[:-1]}[command]
        assert answer.split() == expected


def test_every_token_is_in_the_vocabulary():
    vocab = set(world.vocabulary())
    for family in world.FAMILIES:
        for prompt, answer in world.examples(family, 300, seed=2):
            assert set((prompt + " " + answer).split()) <= vocab


def test_jsonl_round_trip(tmp_path):
    suite = world.probe_suite()
    suite.to_jsonl(tmp_path / "s.jsonl")
    again = Suite.from_jsonl(tmp_path / "s.jsonl")
    assert again.probes == suite.probes
