"""Oracle and identity tests of the pure functions in `spectral.fourier`."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keras import ops

from spectral import fourier
from tests import oracles
from tests.layer_testing import vjp
from tests.oracles import assert_close

SIZES = [(8, 8), (9, 9), (8, 9), (12, 7), (2, 3), (1, 1)]


def _pairs(shape):
    """Output sizes up to `shape`: odd, even, equal and unequal."""
    h, w = shape
    return sorted(
        {
            (h, w),
            (max(1, h // 2), w),
            (max(1, h - 1), max(1, w - 3)),
            (1, 1),
            (max(1, (h + 1) // 2), max(1, (w + 1) // 2)),
        }
    )


CASES = [(s, o) for s in SIZES for o in _pairs(s)]


@pytest.mark.parametrize("method", ["fft", "matmul"])
@pytest.mark.parametrize("shape,output_size", CASES, ids=str)
@pytest.mark.slow
def test_spectral_pool_matches_scipy_resample(rng, shape, output_size, method):
    x = rng.normal(size=(2,) + shape + (3,)).astype("float32")
    y = fourier.spectral_pool(x, output_size, method=method)
    assert tuple(y.shape) == (2,) + output_size + (3,)
    assert_close(y, oracles.scipy_pool(x, output_size), size=max(shape))


@pytest.mark.parametrize(
    "n,m", [(8, 4), (9, 4), (8, 5), (7, 6), (6, 6), (5, 1)]
)
def test_resample_matrix_matches_naive_dft(n, m):
    matrix = fourier.resample_matrix(n, m)
    expected = oracles.resample_naive(np.eye(n), m).T
    np.testing.assert_allclose(matrix, expected, atol=1e-12)
    ortho = fourier.resample_matrix(n, m, "ortho")
    np.testing.assert_allclose(ortho, expected * np.sqrt(n / m), atol=1e-12)


@pytest.mark.parametrize("norm", ["mean", "ortho"])
def test_norm_conventions(rng, norm):
    x = rng.normal(size=(1, 10, 9, 2)).astype("float32")
    y = fourier.spectral_pool(x, (6, 5), norm=norm)
    assert_close(y, oracles.scipy_pool(x, (6, 5), norm=norm))
    constant = np.full((1, 10, 9, 1), 3.0, "float32")
    expected = 3.0 if norm == "mean" else 3.0 * np.sqrt(90 / 30)
    assert_close(
        fourier.spectral_pool(constant, (6, 5), norm=norm),
        np.full((1, 6, 5, 1), expected),
    )


def test_channels_first_equals_channels_last(rng):
    x = rng.normal(size=(2, 9, 8, 3)).astype("float32")
    last = fourier.spectral_pool(x, (4, 5), "channels_last")
    first = fourier.spectral_pool(
        np.transpose(x, (0, 3, 1, 2)), (4, 5), "channels_first"
    )
    assert_close(np.transpose(first, (0, 2, 3, 1)), last)


@pytest.mark.parametrize("shape", [(8, 8), (9, 7)], ids=str)
def test_identity_at_input_size(rng, shape):
    x = rng.normal(size=(1,) + shape + (2,)).astype("float32")
    assert_close(fourier.spectral_pool(x, shape), x)


@pytest.mark.parametrize("small", [(4, 4), (5, 5), (4, 5), (6, 3)], ids=str)
def test_band_limited_input_is_reproduced_exactly(rng, small):
    """A map built from `small`-grid frequencies pools back to itself."""
    y = rng.normal(size=(2,) + small + (2,)).astype("float32")
    big = fourier.spectral_interpolate(y, (12, 11))
    assert_close(big, oracles.scipy_pool(y, (12, 11)))
    assert_close(fourier.spectral_pool(big, small), y)


@pytest.mark.parametrize("small", [(4, 4), (5, 3)], ids=str)
def test_interpolate_after_pool_is_an_orthogonal_projection(rng, small):
    x = rng.normal(size=(1, 10, 9, 2)).astype("float32")
    once = fourier.spectral_interpolate(
        fourier.spectral_pool(x, small), (10, 9)
    )
    twice = fourier.spectral_interpolate(
        fourier.spectral_pool(once, small), (10, 9)
    )
    assert_close(twice, once)  # idempotent
    residual = np.asarray(x) - np.asarray(once)
    assert abs(np.sum(residual * np.asarray(once))) < 1e-4 * np.sum(x * x)
    assert np.sum(np.asarray(once) ** 2) <= np.sum(x * x)  # Parseval


def test_whole_nyquist_row_is_treated_not_four_points():
    """Energy on a Nyquist-row frequency other than the four corners."""
    m, n, out = 12, 12, (6, 6)
    rows, cols = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    # Frequencies (+3, 2) and (-3, 2): both fold into the output Nyquist row.
    x = np.cos(2 * np.pi * (3 * rows / m + 2 * cols / n) + 0.4)
    x = x[None, :, :, None].astype("float32")
    expected = oracles.scipy_pool(x, out)
    assert_close(fourier.spectral_pool(x, out), expected)
    assert (
        np.max(
            np.abs(oracles.four_point_pool(x[..., 0], out) - expected[..., 0])
        )
        > 0.1
    )


def test_sign_is_kept_real_part_not_absolute_value(rng):
    """The `abs()` bug loses signs; pooling is odd and linear."""
    x = rng.normal(size=(2, 9, 10, 2)).astype("float32")
    y = np.asarray(fourier.spectral_pool(x, (5, 4)))
    assert y.min() < 0
    assert_close(fourier.spectral_pool(-x, (5, 4)), -y)
    z = rng.normal(size=x.shape).astype("float32")
    combo = fourier.spectral_pool(1000 * x + 0.5 * z, (5, 4))
    assert_close(
        combo,
        1000 * y + 0.5 * np.asarray(fourier.spectral_pool(z, (5, 4))),
        size=1000,
    )


@given(data=st.data())
@pytest.mark.slow
def test_any_output_size_is_honoured(data):
    """Odd sizes are never bumped; shapes and values follow the oracle."""
    h = data.draw(st.integers(1, 17), label="height")
    w = data.draw(st.integers(1, 17), label="width")
    oh = data.draw(st.integers(1, h), label="out_height")
    ow = data.draw(st.integers(1, w), label="out_width")
    x = np.random.default_rng(h * 31 + w).normal(size=(1, h, w, 1))
    x = x.astype("float32")
    y = fourier.spectral_pool(x, (oh, ow))
    assert tuple(y.shape) == (1, oh, ow, 1)
    assert_close(y, oracles.scipy_pool(x, (oh, ow)), size=max(h, w))


@pytest.mark.parametrize("method", ["fft", "matmul"])
@pytest.mark.parametrize(
    "shape,output_size", [((8, 9), (4, 6)), ((7, 6), (3, 3))], ids=str
)
@pytest.mark.slow
def test_gradient_is_the_adjoint(rng, shape, output_size, method):
    """The backward pass is the transpose of the forward linear map."""
    x = rng.normal(size=(1,) + shape + (1,)).astype("float32")
    g = rng.normal(size=(1,) + output_size + (1,)).astype("float32")
    grad = vjp(
        lambda t: fourier.spectral_pool(t, output_size, method=method), x, g
    )
    a = fourier.resample_matrix(shape[0], output_size[0])
    b = fourier.resample_matrix(shape[1], output_size[1])
    expected = a.T @ g[0, :, :, 0] @ b
    assert_close(np.asarray(grad)[0, :, :, 0], expected)
    # Dot-product test: <P x, g> == <x, P^T g>.
    forward = np.asarray(fourier.spectral_pool(x, output_size, method=method))
    assert np.isclose(
        np.sum(forward * g), np.sum(x * np.asarray(grad)), rtol=1e-4
    )


@pytest.mark.parametrize("method", ["fft", "matmul"])
@pytest.mark.parametrize("shape", [(8, 8), (9, 7), (6, 11)], ids=str)
def test_frequency_lowpass_is_pool_then_interpolate(rng, shape, method):
    x = rng.normal(size=(2,) + shape + (2,)).astype("float32")
    for kept_h in range(1, shape[0] + 1):
        kept = (kept_h, max(1, shape[1] - kept_h))
        y = fourier.frequency_lowpass(x, kept, method=method)
        expected = oracles.lowpass_projection(
            oracles.lowpass_projection(x, kept[0], 1), kept[1], 2
        )
        assert_close(y, expected, size=max(shape))


def test_frequency_lowpass_does_not_retrace_per_size(rng):
    x = rng.normal(size=(1, 8, 8, 1)).astype("float32")
    traces = []

    def lowpass(t, kept):
        traces.append(1)
        return fourier.frequency_lowpass(t, (kept, kept))

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(lowpass)
    elif backend == "jax":
        import jax

        compiled = jax.jit(lowpass)
    else:
        pytest.skip(f"no compiler for backend {backend}")
    outputs = [np.asarray(compiled(x, np.int32(k))) for k in range(1, 9)]
    assert len(traces) == 1
    assert_close(outputs[-1], x)
    assert_close(outputs[2], fourier.frequency_lowpass(x, (3, 3)))


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(
    "kernel_size", [(1, 1), (3, 3), (4, 4), (2, 5), (7, 6)], ids=str
)
@pytest.mark.slow
def test_fft_conv2d_matches_direct_correlation(rng, kernel_size, padding):
    x = rng.normal(size=(2, 9, 10, 3)).astype("float32")
    kernel = rng.normal(size=kernel_size + (3, 4)).astype("float32")
    y = fourier.fft_conv2d(x, kernel, padding)
    expected = ops.conv(x, kernel, padding=padding)
    assert_close(y, expected, size=9 * 10 * 3)
    if padding == "valid":
        assert_close(y, oracles.conv2d_valid(x, kernel), size=9 * 10 * 3)


@pytest.mark.slow
def test_fft_conv2d_is_linear_not_circular():
    """An impulse at a corner must not wrap around to the far side."""
    x = np.zeros((1, 6, 6, 1), "float32")
    x[0, 0, 0, 0] = 1.0
    kernel = np.ones((3, 3, 1, 1), "float32")
    y = np.asarray(fourier.fft_conv2d(x, kernel, "same"))[0, :, :, 0]
    expected = np.zeros((6, 6))
    expected[:2, :2] = 1.0
    assert_close(y, expected)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda x: fourier.spectral_pool(x, (9, 4)), "Received: output_size="),
        (lambda x: fourier.spectral_pool(x, 0), "Received: output_size=0"),
        (lambda x: fourier.spectral_pool(x[0], 4), "Expected a 4D input"),
        (
            lambda x: fourier.spectral_pool(x, 4, norm="unitary"),
            "Received: norm='unitary'",
        ),
        (
            lambda x: fourier.spectral_pool(x, 4, method="dct"),
            "Received: method='dct'",
        ),
        (
            lambda x: fourier.spectral_pool(x, 4, data_format="NHWC"),
            "Received: data_format='NHWC'",
        ),
        (
            lambda x: fourier.spectral_interpolate(x, 4),
            "no smaller than the input size",
        ),
        (
            lambda x: fourier.fft_conv2d(x, np.ones((3, 3, 1, 1)), "full"),
            "Received: padding='full'",
        ),
    ],
    ids=[
        "too-large",
        "zero",
        "rank",
        "norm",
        "method",
        "format",
        "shrink",
        "padding",
    ],
)
def test_errors_name_what_was_received(call, match):
    x = np.zeros((1, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match=match):
        call(x)
