"""The synthetic world: deterministic, held-out probes, every capability and task present."""

from core.probes import Suite
from core.tiers.synthetic import world


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
    assert facts <= set(world.examples("knowledge", 5000, seed=0))
    assert len(facts) == len(world.FACTS)


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
        expected = {"copy": items, "rev": items[::-1], "sort": sorted(items), "count": [str(len(items))]}[command]
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
