"""AdaptivePooling2D against Keras's adaptive pooling layers (the oracle)."""

import keras
import numpy as np
import pytest

from spectral import adaptive
from spectral.layers import AdaptivePooling2D
from tests.layer_testing import run_layer_test
from tests.layer_testing import vjp
from tests.oracles import assert_close

KERAS_LAYERS = {
    "max": keras.layers.AdaptiveMaxPooling2D,
    "average": keras.layers.AdaptiveAveragePooling2D,
}
SHAPES = [
    (32, 27, 32, 27),
    (27, 22, 26, 21),
    (15, 12, 16, 9),
    (7, 7, 5, 2),
    (8, 4, 9, 3),
    (6, 1, 5, 1),
]


def naive_adaptive(x, out_h, out_w, mode):
    """Loops over the windows `floor(i n/m) <= j < ceil((i+1) n/m)`."""
    n_h, n_w = x.shape[1], x.shape[2]
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
    reduce = np.max if mode == "max" else np.mean
    for i in range(out_h):
        h0, h1 = (i * n_h) // out_h, -((-(i + 1) * n_h) // out_h)
        for j in range(out_w):
            w0, w1 = (j * n_w) // out_w, -((-(j + 1) * n_w) // out_w)
            y[:, i, j] = reduce(x[:, h0:h1, w0:w1], axis=(1, 2))
    return y


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("shape", SHAPES)
def test_values_equal_keras_and_naive_loops(shape, mode, rng):
    h, oh, w, ow = shape
    x = rng.standard_normal((3, h, w, 4)).astype("float32")
    ours = keras.ops.convert_to_numpy(AdaptivePooling2D((oh, ow), mode)(x))
    assert_close(ours, naive_adaptive(x, oh, ow, mode))
    # Keras 3.15's JAX adaptive max pooling returns NaN and wrong values for
    # some shapes (e.g. 7x5 -> 7x2: the naive loops and TensorFlow agree with
    # each other and with us), so Keras is the oracle on TensorFlow only; its
    # TensorFlow layers kill the process (SIGFPE) for an output size of 1 on
    # some CPUs, so those shapes rest on the naive loops.
    if keras.backend.backend() == "tensorflow" and min(oh, ow) > 1:
        keras_out = KERAS_LAYERS[mode]((oh, ow))(x)
        assert_close(ours, keras.ops.convert_to_numpy(keras_out))


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.slow
def test_gradient_equals_keras(mode, rng):
    x = rng.standard_normal((2, 15, 14, 3)).astype("float32")
    weights = rng.standard_normal((2, 12, 9, 3)).astype("float32")

    def gradient(layer):
        inputs = keras.Input((15, 14, 3))
        model = keras.Model(inputs, layer(inputs))
        return np.asarray(vjp(model, x, weights))

    ours = gradient(AdaptivePooling2D((12, 9), mode))
    theirs = gradient(KERAS_LAYERS[mode]((12, 9)))
    assert_close(ours, theirs)


def test_channels_first_matches_channels_last(rng):
    x = rng.standard_normal((2, 13, 11, 3)).astype("float32")
    last = AdaptivePooling2D((10, 7), "max")(x)
    first = AdaptivePooling2D((10, 7), "max", data_format="channels_first")(
        np.transpose(x, (0, 3, 1, 2))
    )
    assert_close(
        np.transpose(keras.ops.convert_to_numpy(first), (0, 2, 3, 1)),
        keras.ops.convert_to_numpy(last),
    )


def test_windows_cover_the_axis():
    for n in range(1, 40):
        for m in range(1, n + 1):
            starts, sizes = adaptive.adaptive_windows(n, m)
            assert starts[0] == 0 and starts[-1] + sizes[-1] == n
            assert np.all(np.diff(starts) >= 0) and np.all(sizes >= 1)


def test_layer_contract():
    run_layer_test(
        AdaptivePooling2D,
        {"output_size": (5, 4), "mode": "average"},
        (2, 9, 8, 3),
        (2, 5, 4, 3),
        0,
    )


def test_errors():
    with pytest.raises(ValueError, match="Received: mode='median'"):
        AdaptivePooling2D(4, mode="median")
    with pytest.raises(ValueError, match="no larger than the input size"):
        AdaptivePooling2D(9)(np.zeros((1, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="output_size"):
        adaptive.adaptive_windows(4, 5)


def test_max_values_and_gradients_are_exact(rng):
    # Every selection product has one non-zero term: the values are the
    # window maxima bit for bit, and so is the routed gradient.
    x = rng.standard_normal((2, 15, 14, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(AdaptivePooling2D((10, 7), "max")(x))
    np.testing.assert_array_equal(ours, naive_adaptive(x, 10, 7, "max"))
    upstream = rng.standard_normal(ours.shape).astype("float32")
    grad = keras.ops.convert_to_numpy(
        vjp(lambda t: adaptive.adaptive_pool(t, (10, 7), "max"), x, upstream)
    )
    expected = np.zeros_like(x)
    for b, i, j, c in np.ndindex(*ours.shape):
        h0, h1 = (i * 15) // 10, -((-(i + 1) * 15) // 10)
        w0, w1 = (j * 14) // 7, -((-(j + 1) * 14) // 7)
        window = x[b, h0:h1, w0:w1, c]
        r, s = np.unravel_index(np.argmax(window), window.shape)
        expected[b, h0 + r, w0 + s, c] += upstream[b, i, j, c]
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(5, 3), (8, 3), (7, 7)])
def test_selection_matrix_gathers_every_window(shape):
    n, m = shape
    matrix, k = adaptive.selection_matrix(n, m)
    starts, sizes = adaptive.adaptive_windows(n, m)
    assert matrix.shape == (m * k, n) and k == sizes.max()
    assert np.array_equal(matrix.sum(axis=1), np.ones(m * k))
    picked = matrix.argmax(axis=1).reshape(m, k)
    for i in range(m):
        assert set(picked[i]) == set(range(starts[i], starts[i] + sizes[i]))


def test_max_non_finite_input_never_gives_a_finite_output_that_hides_it(rng):
    # Documented: 0 * inf and 0 * NaN are NaN in the selection products, so
    # a non-finite value makes its whole map NaN; other maps are exact.
    x = rng.standard_normal((1, 9, 7, 3)).astype("float32")
    x[0, 2, 3, 0] = np.nan
    x[0, 6, 1, 1] = np.inf
    ours = keras.ops.convert_to_numpy(AdaptivePooling2D((4, 3), "max")(x))
    expected = naive_adaptive(x, 4, 3, "max")
    assert np.all(~np.isfinite(ours[..., :2]))
    assert not np.isfinite(expected[..., :2]).all()
    np.testing.assert_array_equal(ours[..., 2], expected[..., 2])
