"""Tests of `spectral.layers.SpectralPooling2D`."""

import keras
import numpy as np
import pytest

from spectral import layers
from tests import oracles
from tests.layer_testing import run_layer_test
from tests.oracles import assert_close


@pytest.mark.parametrize(
    "init_kwargs,input_shape,expected",
    [
        ({"output_size": 15}, (2, 32, 32, 3), (2, 15, 15, 3)),
        ({"output_size": (16, 5)}, (2, 32, 9, 3), (2, 16, 5, 3)),
        (
            {
                "output_size": 4,
                "norm": "ortho",
                "data_format": "channels_first",
            },
            (2, 3, 9, 8),
            (2, 3, 4, 4),
        ),
    ],
    ids=["odd", "non-square", "channels-first-ortho"],
)
def test_contract(init_kwargs, input_shape, expected):
    run_layer_test(
        layers.SpectralPooling2D,
        init_kwargs,
        input_shape,
        expected,
        expected_num_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "output_size", [(27, 27), (16, 16), (15, 12), (1, 1)], ids=str
)
def test_matches_scipy_resample(rng, output_size):
    x = rng.normal(size=(2, 32, 32, 3)).astype("float32")
    y = layers.SpectralPooling2D(output_size)(x)
    assert_close(y, oracles.scipy_pool(x, output_size), size=32)


def test_channels_first_equals_channels_last(rng):
    x = rng.normal(size=(2, 10, 9, 3)).astype("float32")
    last = layers.SpectralPooling2D((5, 4))(x)
    first = layers.SpectralPooling2D((5, 4), data_format="channels_first")(
        np.transpose(x, (0, 3, 1, 2))
    )
    assert_close(np.transpose(first, (0, 2, 3, 1)), last)


def test_pooling_chain_of_the_paper_network():
    """gamma = 0.85 from 32: 32 -> 27 -> 22 -> 18 -> 15 -> 12 -> 10 -> 8."""
    sizes, x = [32], keras.Input((32, 32, 3))
    for _ in range(7):
        size = int(0.85 * sizes[-1])
        x = layers.SpectralPooling2D(size)(x)
        sizes.append(x.shape[1])
    assert sizes == [32, 27, 22, 18, 15, 12, 10, 8]


@pytest.mark.parametrize(
    "kwargs,shape,match",
    [
        ({"output_size": 0}, None, "Received: output_size=0"),
        (
            {"output_size": (3, 2, 1)},
            None,
            r"Received: output_size=\(3, 2, 1\)",
        ),
        ({"output_size": 2.5}, None, "Received: output_size=2.5"),
        ({"output_size": 4, "norm": "l2"}, None, "Received: norm='l2'"),
        (
            {"output_size": 4, "data_format": "NCHW"},
            None,
            "Received: data_format='NCHW'",
        ),
        (
            {"output_size": 40},
            (None, 32, 32, 3),
            r"Received: output_size=\(40, 40\) for input of spatial size",
        ),
        ({"output_size": 4}, (None, None, 32, 3), "static spatial dimensions"),
        ({"output_size": 4}, (None, 32, 3), "expects a 4D input"),
    ],
    ids=[
        "zero",
        "three",
        "float",
        "norm",
        "format",
        "too-large",
        "dynamic",
        "rank",
    ],
)
def test_errors(kwargs, shape, match):
    with pytest.raises(ValueError, match=match):
        layer = layers.SpectralPooling2D(**kwargs)
        layer.build(shape)
