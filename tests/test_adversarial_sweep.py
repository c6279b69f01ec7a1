"""Runs `tests/adversarial_sweep.py` on the current backend, one category
per test (so a failing category is rerun on its own)."""

import pytest

from tests import adversarial_sweep

CATEGORIES = {
    "layer-arguments": adversarial_sweep.sweep_layer_arguments,
    "layer-inputs": adversarial_sweep.sweep_layer_inputs,
    "model-arguments": adversarial_sweep.sweep_model_arguments,
    "train-config": adversarial_sweep.sweep_train_config,
}


@pytest.mark.slow
@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_every_adversarial_case_ends_in_a_clear_error_or_a_correct_result(category):
    sweep = adversarial_sweep.Sweep()
    CATEGORIES[category](sweep)
    assert set(sweep.counts) == {category}
    assert sweep.counts[category]["cases"] > 10
    assert not sweep.failures, "\n".join(sweep.failures)
