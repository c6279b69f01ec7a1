"""Hoyer sparsity and the kernel coordinates it is measured in."""

import keras
import numpy as np
import pytest

from spectral import sparsity
from spectral.layers import SpectralConv2D


def test_hoyer_against_its_formula(rng):
    v = rng.standard_normal((5, 9))
    n = v.shape[1]
    ratio = np.abs(v).sum(1) / np.sqrt((v**2).sum(1))
    expected = (np.sqrt(n) - ratio) / (np.sqrt(n) - 1)
    np.testing.assert_allclose(sparsity.hoyer_sparsity(v), expected)


@pytest.mark.parametrize(
    "vector, expected",
    [([3.0, 0, 0], 1.0), ([1.0, -1, 1], 0.0), ([0.0, 0, 0], 0.0)],
)
def test_hoyer_extremes(vector, expected):
    assert sparsity.hoyer_sparsity([vector])[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    "bad, match",
    [(np.ones(4), "2-D array"), (np.ones((2, 1)), "at least 2 columns"),
     (np.array([[1.0, np.nan]]), "non-finite")],
)
def test_hoyer_refuses(bad, match):
    with pytest.raises(ValueError, match=match):
        sparsity.hoyer_sparsity(bad)


@pytest.mark.parametrize("size", [3, 4, 5])
def test_spectral_coordinates_are_an_orthonormal_change_of_basis(rng, size):
    kernel = rng.standard_normal((size, size, 2, 3)).astype("float32")
    a = sparsity.filter_coordinates(kernel, "spatial")
    b = sparsity.filter_coordinates(kernel, "spectral")
    assert a.shape == b.shape == (6, size * size)
    np.testing.assert_allclose(
        np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1), rtol=1e-5
    )


def test_filter_coordinates_refuses_an_unknown_basis():
    with pytest.raises(ValueError, match="Received: basis='fourier'"):
        sparsity.filter_coordinates(np.zeros((3, 3, 1, 1)), "fourier")


@pytest.mark.parametrize("layer", [keras.layers.Conv2D, SpectralConv2D])
def test_parameter_sparsity_of_a_trained_model(layer, rng):
    model = keras.Sequential(
        [keras.Input((8, 8, 2)), layer(4, 3, padding="same"), layer(3, 1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    x = rng.standard_normal((16, 8, 8, 2)).astype("float32")
    model.fit(x, np.zeros((16, 8, 8, 3), "float32"), epochs=1, verbose=0)
    stats = sparsity.parameter_sparsity(model)
    (name, entry), = stats.items()  # the 1x1 layer has nothing to measure
    kind = "spatial" if layer is keras.layers.Conv2D else "spectral"
    assert entry["parametrisation"] == kind and entry["filters"] == 8
    assert entry["momentum"] is not None
    for basis in sparsity.BASES:
        assert 0.0 <= entry["weights"][basis] <= 1.0
        assert 0.0 <= entry["momentum"][basis] <= 1.0
