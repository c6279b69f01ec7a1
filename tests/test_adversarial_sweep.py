"""Runs `tests/adversarial_sweep.py` on the current backend."""

from tests import adversarial_sweep


def test_every_adversarial_case_ends_in_a_clear_error_or_a_correct_result():
    sweep = adversarial_sweep.run()
    assert sum(c["cases"] for c in sweep.counts.values()) > 300
    assert set(sweep.counts) == {
        "layer-arguments",
        "layer-inputs",
        "model-arguments",
        "train-config",
    }
    assert not sweep.failures, "\n".join(sweep.failures)
