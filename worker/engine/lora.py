"""LoRA through peft: wrap the base so only low-rank adapters train and the base stays frozen."""

from __future__ import annotations

import warnings

from forgetlab.core.scenario import Scenario

# peft calls a transformers method deprecated in v5; the warning is theirs, not the user's.
warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def apply_lora(model, scenario: Scenario):
    # Imported here, not at the top: a worker warms up without peft and is ready sooner.
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=scenario.lora_rank, lora_alpha=scenario.lora_alpha, lora_dropout=scenario.lora_dropout,
                        target_modules=list(scenario.lora_targets), bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)
