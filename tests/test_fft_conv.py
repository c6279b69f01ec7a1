"""Tests of `spectral.layers.FFTConv2D` against `keras.layers.Conv2D`."""

import keras
import numpy as np
import pytest

from spectral import layers
from tests.layer_testing import run_layer_test
from tests.oracles import assert_close


@pytest.mark.parametrize(
    "init_kwargs,input_shape,expected",
    [
        ({"filters": 4, "kernel_size": 3}, (2, 8, 8, 3), (2, 6, 6, 4)),
        (
            {
                "filters": 2,
                "kernel_size": (4, 5),
                "padding": "same",
                "activation": "relu",
            },
            (2, 9, 7, 3),
            (2, 9, 7, 2),
        ),
        (
            {
                "filters": 3,
                "kernel_size": 2,
                "data_format": "channels_first",
                "use_bias": False,
            },
            (2, 3, 9, 8),
            (2, 3, 8, 7),
        ),
    ],
    ids=["basic", "same-even-relu", "first-nobias"],
)
@pytest.mark.slow
def test_contract(init_kwargs, input_shape, expected):
    weights = 1 if init_kwargs.get("use_bias") is False else 2
    run_layer_test(
        layers.FFTConv2D,
        init_kwargs,
        input_shape,
        expected,
        expected_num_trainable_weights=weights,
    )


CASES = [
    ((3, 3), "valid"),
    ((3, 3), "same"),
    ((4, 4), "same"),
    ((2, 5), "valid"),
    ((6, 3), "same"),
    ((1, 1), "valid"),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kernel_size,padding", CASES, ids=str)
@pytest.mark.slow
def test_outputs_and_gradients_equal_conv2d(
    rng, kernel_size, padding, data_format
):
    """Outputs and input/kernel/bias gradients equal `Conv2D`'s.

    The oracle always runs channels_last: TensorFlow's CPU `Conv2D` has an
    NCHW kernel only on some CPUs (oneDNN builds), so a channels_first
    `FFTConv2D` is compared with `Conv2D` on the transposed input.
    """
    x = rng.normal(size=(2, 9, 11, 3)).astype("float32")
    common = dict(
        padding=padding, activation="tanh", bias_initializer="random_normal"
    )
    fft = layers.FFTConv2D(4, kernel_size, data_format=data_format, **common)
    conv = keras.layers.Conv2D(4, kernel_size, **common)
    to_layer = (lambda a: a) if data_format == "channels_last" else _to_first
    from_layer = (lambda a: a) if data_format == "channels_last" else _to_last
    fft(to_layer(x))
    conv(x)
    conv.set_weights(fft.get_weights())  # identical layouts
    assert_close(from_layer(np.asarray(fft(to_layer(x)))), conv(x), size=297)
    weights = (
        np.random.default_rng(9)
        .normal(size=conv.compute_output_shape(x.shape))
        .astype("float32")
    )
    g_fft = _gradients(fft, to_layer(x), to_layer(weights))
    g_conv = _gradients(conv, x, weights)
    assert_close(from_layer(np.asarray(g_fft[0])), g_conv[0], size=594)
    for a, b in zip(g_fft[1:], g_conv[1:]):
        assert_close(a, b, size=2 * 9 * 11 * 3)


def _to_first(a):
    return np.transpose(a, (0, 3, 1, 2))


def _to_last(a):
    return np.transpose(a, (0, 2, 3, 1))


def _gradients(layer, x, weights):
    """Gradients of `sum(layer(x) * weights)` w.r.t. input, kernel, bias."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.convert_to_tensor(x)
        variables = [w.value for w in layer.trainable_weights]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(layer(inputs) * weights)
        return tape.gradient(loss, [inputs] + variables)
    if backend == "jax":
        import jax

        def loss(inputs, values):
            outputs, _ = layer.stateless_call(values, [], inputs)
            return (outputs * weights).sum()

        values = [w.value for w in layer.trainable_weights]
        g_inputs, g_values = jax.grad(loss, argnums=(0, 1))(x, values)
        return [g_inputs] + list(g_values)
    pytest.skip(f"no gradient helper for backend {backend}")


def test_weights_transfer_from_conv2d(rng):
    x = rng.normal(size=(1, 8, 8, 2)).astype("float32")
    conv = keras.layers.Conv2D(3, 5, padding="same")
    conv(x)
    fft = layers.FFTConv2D(3, 5, padding="same")
    fft(x)
    fft.set_weights(conv.get_weights())
    assert_close(fft(x), conv(x), size=200)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filters": -1, "kernel_size": 3}, "Received: filters=-1"),
        ({"filters": 2, "kernel_size": (3,)}, r"Received: kernel_size=\(3,\)"),
        ({"filters": 2, "kernel_size": 3, "strides": 2}, "Received: strides=2"),
        (
            {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
            "Received: dilation_rate=2",
        ),
        (
            {"filters": 2, "kernel_size": 3, "padding": "full"},
            "Received: padding='full'",
        ),
    ],
    ids=["filters", "kernel", "strides", "dilation", "padding"],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.FFTConv2D(**kwargs)


def test_valid_kernel_larger_than_input_is_rejected():
    with pytest.raises(ValueError, match="larger than the input"):
        layers.FFTConv2D(2, 9).build((None, 8, 8, 1))


def test_dynamic_spatial_size_is_rejected():
    with pytest.raises(ValueError, match="static spatial dimensions"):
        layers.FFTConv2D(2, 3).build((None, None, 8, 1))


def test_errors_are_global_as_the_docstring_says(rng):
    """One non-finite pixel spoils the whole FFT output; a spike's round-off
    reaches outputs that Conv2D computes exactly."""
    x = rng.normal(size=(1, 16, 16, 1)).astype("float32")
    fft = layers.FFTConv2D(1, 3, padding="same", use_bias=False)
    conv = keras.layers.Conv2D(1, 3, padding="same", use_bias=False)
    fft(x)
    conv(x)
    conv.set_weights(fft.get_weights())
    bad = x.copy()
    bad[0, 2, 2, 0] = np.nan
    out_fft = keras.ops.convert_to_numpy(fft(bad))
    out_conv = keras.ops.convert_to_numpy(conv(bad))
    assert np.isnan(out_fft).all()
    assert np.isnan(out_conv).sum() == 9  # only the 3x3 neighbourhood
    spike = x.copy()
    spike[0, 2, 2, 0] = 1e6
    far = (slice(None), slice(8, None), slice(8, None))  # no window holds it
    error = np.abs(
        keras.ops.convert_to_numpy(fft(spike))[far]
        - keras.ops.convert_to_numpy(conv(spike))[far]
    ).max()
    assert error > 1e-3  # ~1e6 * float32 epsilon, not Conv2D's ~1e-7
    assert error < 1e6 * 1e-5
