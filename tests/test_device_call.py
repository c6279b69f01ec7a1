"""spectral.record.device_call: which units must finish inside one call."""

import dataclasses

import pytest

from spectral.record import bundle
from spectral.record import device_call
from spectral.training import building
from tests.fakes import TINY, throughput_row, tiny_config


def test_checkpoint_bytes_is_measured_once_per_network():
    # The shared measurement drops the schedule: a scalar or two differ.
    expected = building.state_bytes(TINY)
    assert device_call.checkpoint_bytes(TINY) == pytest.approx(expected, abs=64)
    other_run = tiny_config(seed=7, learning_rate=0.5, epochs=9)
    assert device_call.checkpoint_bytes(other_run) == device_call.checkpoint_bytes(TINY)
    adam = tiny_config(optimizer="adam")
    assert device_call.checkpoint_bytes(adam) == pytest.approx(
        building.state_bytes(adam), abs=64)
    assert device_call.checkpoint_bytes(adam) > expected  # two slots, not one


@pytest.mark.parametrize("carry, expected", [(10, True), (2**40, False)])
def test_a_unit_must_finish_in_one_call_when_its_checkpoint_cannot_travel(
    carry, expected
):
    assert device_call.must_finish_in_one_call(TINY, carry_bytes=carry) is expected


def test_the_measured_rate_is_the_row_of_the_same_network_and_settings():
    rows = [throughput_row(tiny_config(num_blocks=3), 1.0), throughput_row(TINY, 500.0, 3.0)]
    assert device_call.measured_rate(TINY, rows) == (500.0, 3.0)
    assert device_call.measured_rate(tiny_config(batch_size=32), rows) is None
    assert device_call.measured_rate(tiny_config(width=1.0), rows) is None
    assert device_call.measured_rate(TINY, None) is None
    generic = tiny_config(network="generic", conv="spectral", filter_size=5)
    assert device_call.measured_rate(generic, rows + [throughput_row(generic, 9.0)])[0] == 9.0


def test_images_through_network_are_the_image_passes_of_the_cost_model():
    # 48 training images and the 16 test images every epoch, 3 epochs.
    assert device_call.images_through_network(TINY) == 3 * (48 + 16)


def test_projection_and_what_a_unit_waits_for():
    rows = [throughput_row(TINY, rate=64.0, compile_seconds=1.0)]
    seconds = device_call.projected_seconds(TINY, rows)
    assert seconds == pytest.approx(device_call.MARGIN * (3 * 64 / 64.0 + 1.0))
    assert device_call.projected_seconds(TINY, []) is None
    waiting = device_call.one_call_problem(TINY, None, 600)
    assert "larger than a device call carries back" in waiting
    assert "waits for the throughput unit" in waiting
    assert device_call.one_call_problem(TINY, rows, seconds + 1) is None
    assert device_call.one_call_problem(TINY, rows, None) is None
    short = device_call.one_call_problem(TINY, rows, seconds - 1)
    assert f"needs {seconds / 60:.1f} min" in short


def test_the_limits_are_those_in_force():
    assert device_call.SESSION_SECONDS == 15 * 60
    assert device_call.CALL_SECONDS == 10 * 60
    assert 60 * device_call.CALL_TRAIN_MINUTES < device_call.CALL_SECONDS
    assert bundle.CARRY_BYTES < 64 * 2**20


def test_configs_differing_only_in_size_neutral_fields_share_a_key():
    neutral = dataclasses.replace(TINY, **device_call._SIZE_NEUTRAL)
    assert neutral.network == TINY.network and neutral.width == TINY.width
