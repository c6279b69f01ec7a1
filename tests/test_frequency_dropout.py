"""Tests of `spectral.layers.FrequencyDropout`."""

import keras
import numpy as np
import pytest

from spectral import fourier
from spectral import layers
from spectral.layers import FrequencyDropout
from spectral.layers.frequency_dropout import min_kept_size
from tests.layer_testing import run_layer_test
from tests.oracles import assert_close


@pytest.mark.parametrize(
    "init_kwargs,input_shape",
    [
        ({"rate": 0.7, "seed": 3}, (2, 9, 8, 3)),
        ({"rate": 0.5, "data_format": "channels_first"}, (2, 3, 8, 8)),
    ],
    ids=["last", "first"],
)
def test_contract(init_kwargs, input_shape):
    run_layer_test(
        layers.FrequencyDropout,
        init_kwargs,
        input_shape,
        input_shape,
        expected_num_trainable_weights=0,
        call_kwargs={"training": True},
    )


def test_identity_at_inference_and_rate_zero(rng):
    x = rng.normal(size=(2, 8, 9, 3)).astype("float32")
    assert_close(layers.FrequencyDropout(0.9)(x, training=False), x)
    assert_close(layers.FrequencyDropout(0.9)(x), x)
    assert_close(layers.FrequencyDropout(0.0)(x, training=True), x)


@pytest.mark.parametrize("shape", [(8, 8), (9, 9), (10, 7)], ids=str)
def test_training_output_is_a_spectral_lowpass_of_the_drawn_size(rng, shape):
    """Each step equals frequency_lowpass for one R in [floor(c H), H]."""
    rate, x = 0.6, rng.normal(size=(2,) + shape + (2,)).astype("float32")
    layer = layers.FrequencyDropout(rate, seed=0)
    ranges = [range(min_kept_size(s, rate), s + 1) for s in shape]
    candidates = {
        (r_h, r_w): np.asarray(fourier.frequency_lowpass(x, (r_h, r_w)))
        for r_h in ranges[0]
        for r_w in ranges[1]
    }
    seen = set()
    for _ in range(100):
        y = np.asarray(layer(x, training=True))
        match = [
            r for r, c in candidates.items() if np.allclose(y, c, atol=1e-4)
        ]
        assert match, "output is not the low-pass of any allowed size"
        seen.add(match[0])
    # The whole range is drawn, so the layer is active and random ...
    assert {r_h for r_h, _ in seen} == set(ranges[0])
    # ... and both axes are cut by the same quantile (square: same size).
    pairs = sorted(seen)
    assert all(a[1] <= b[1] for a, b in zip(pairs, pairs[1:]))
    if shape[0] == shape[1]:
        assert all(r_h == r_w for r_h, r_w in seen)


def test_seeded_layers_are_reproducible(rng):
    x = rng.normal(size=(2, 8, 8, 1)).astype("float32")
    a = [
        np.asarray(layers.FrequencyDropout(0.8, seed=7)(x, training=True))
        for _ in range(2)
    ]
    assert_close(a[0], a[1])
    layer_a = layers.FrequencyDropout(0.8, seed=11)
    layer_b = layers.FrequencyDropout(0.8, seed=11)
    for _ in range(5):
        assert_close(layer_a(x, training=True), layer_b(x, training=True))


def test_energy_never_increases(rng):
    x = rng.normal(size=(4, 9, 9, 2)).astype("float32")
    layer = layers.FrequencyDropout(0.9, seed=1)
    for _ in range(10):
        y = np.asarray(layer(x, training=True))
        assert np.sum(y * y) <= np.sum(x * x) * (1 + 1e-5)


@pytest.mark.parametrize(
    "size,rate,expected",
    [(32, 0.7, 9), (10, 0.9, 1), (10, 1.0, 1), (27, 0.0, 27), (22, 0.85, 3)],
)
def test_min_kept_size_is_floor_of_c_times_h(size, rate, expected):
    assert min_kept_size(size, rate) == expected


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"rate": 1.5}, "Received: rate=1.5"),
        ({"rate": -0.1}, "Received: rate=-0.1"),
        ({"rate": "high"}, "Received: rate='high'"),
        ({"rate": 0.5, "seed": 1.5}, "Received: seed=1.5"),
        ({"rate": 0.5, "data_format": "NHWC"}, "Received: data_format='NHWC'"),
    ],
    ids=["above", "below", "string", "seed", "format"],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.FrequencyDropout(**kwargs)


def test_dynamic_spatial_size_is_rejected():
    with pytest.raises(ValueError, match="static spatial dimensions"):
        layers.FrequencyDropout(0.5).build((None, None, None, 3))


@pytest.mark.parametrize("seed", [np.int64(3), np.uint32(7), 0, 2**32 - 1])
def test_numpy_and_edge_seeds_are_accepted(seed):
    layer = FrequencyDropout(0.5, seed=seed)
    assert layer.seed == int(seed) and type(layer.seed) is int


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_seeds_outside_the_range_are_refused(seed):
    with pytest.raises(ValueError, match="integer in \\[0, 4294967295\\]"):
        FrequencyDropout(0.5, seed=seed)


def test_reference_size_draws_over_the_larger_map_and_caps_at_the_input():
    layer = FrequencyDropout(0.5, seed=0, reference_size=16)
    layer.build((None, 8, 8, 1))
    draws = [
        tuple(int(keras.ops.convert_to_numpy(v)) for v in layer.draw_kept_size((8, 8)))
        for _ in range(200)
    ]
    kept = np.array([d[0] for d in draws])
    assert kept.min() == 8 and kept.max() == 8  # floor(0.5 * 16) = 8 upward
    layer = FrequencyDropout(0.75, seed=0, reference_size=(16, 16))
    kept = np.array([
        int(keras.ops.convert_to_numpy(layer.draw_kept_size((8, 8))[0]))
        for _ in range(300)
    ])
    assert kept.min() == 4 and kept.max() == 8
    assert np.mean(kept == 8) > 0.5  # draws 8..16 all keep every frequency


def test_reference_size_round_trips_and_is_validated():
    layer = FrequencyDropout(0.5, reference_size=(10, 12))
    assert FrequencyDropout.from_config(layer.get_config()).reference_size == (10, 12)
    with pytest.raises(ValueError, match="reference_size"):
        FrequencyDropout(0.5, reference_size=0)


def test_a_layer_called_on_another_size_draws_over_that_size():
    layer = FrequencyDropout(0.9, seed=1)
    x = np.random.default_rng(0).standard_normal((2, 16, 16, 1)).astype("float32")
    layer(np.zeros((1, 8, 8, 1), "float32"), training=True)
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    assert out.shape == x.shape and np.isfinite(out).all()
