"""Which queued runs the workers gather into one group (core/grouping.py), by tier and queue."""

from forgetlab.core.grouping import config_key, group_key, scheduled_key, share
from forgetlab.core.presets import preset_scenario
from forgetlab.core.scenario import with_overrides

SYNTHETIC_LORA = preset_scenario("lora")
SMOLLM2_LORA = preset_scenario("smollm2-break-it")


def test_the_synthetic_tier_groups_on_either_device():
    assert scheduled_key(SYNTHETIC_LORA, None) == group_key(SYNTHETIC_LORA, "cpu") is not None
    assert scheduled_key(SYNTHETIC_LORA, "gpu") == group_key(SYNTHETIC_LORA, "cuda") is not None


def test_smollm2_groups_on_a_gpu_only():
    # Measured no faster grouped than one by one on the CPU, with a copy of the base per member.
    assert SMOLLM2_LORA.method == "lora" and group_key(SMOLLM2_LORA) is not None
    assert scheduled_key(SMOLLM2_LORA, "cpu") is None and scheduled_key(SMOLLM2_LORA, None) is None
    assert scheduled_key(SMOLLM2_LORA, "gpu") is not None


def test_a_stored_config_is_keyed_on_its_queue():
    config = SMOLLM2_LORA.model_dump(mode="json")
    assert config_key(config, "cpu") is None and config_key(config, "gpu") == scheduled_key(SMOLLM2_LORA, "gpu")
    assert config_key({"lr": "not a number"}) is None
    full = with_overrides(SYNTHETIC_LORA, {"method": "full"})
    assert scheduled_key(full, "gpu") is None


def test_on_a_cpu_a_group_takes_its_share_of_the_free_processes():
    assert share(8, 2, 8, "cpu") == 4  # a sweep of 8, two processes free: one group of 4 on each
    assert share(4, 1, 8, "cpu") == 4  # the second process, the first busy: the rest
    assert share(7, 2, 8, "cpu") == 4 and share(3, 4, 8, "cpu") == 1  # rounded up; never less than its own run
    assert share(30, 2, 8, "cpu") == 8 and share(5, 0, 8, "cpu") == 5  # never more than the group size
    assert share(8, 2, 8, "cuda") == 8 and share(30, 2, 8, "cuda") == 8  # one process uses a whole GPU
