"""Tests of `spectral.layers.SpectralConv2D`."""

import keras
import numpy as np
import pytest

from spectral import parametrisation
from spectral import layers
from tests import oracles
from tests.layer_testing import run_layer_test
from tests.oracles import assert_close


@pytest.mark.parametrize(
    "init_kwargs,input_shape,expected,weights",
    [
        ({"filters": 4, "kernel_size": 3}, (2, 8, 8, 3), (2, 6, 6, 4), 2),
        (
            {
                "filters": 2,
                "kernel_size": (4, 5),
                "padding": "same",
                "activation": "relu",
                "use_bias": False,
            },
            (2, 9, 7, 3),
            (2, 9, 7, 2),
            1,
        ),
        (
            {"filters": 3, "kernel_size": 3, "strides": 2},
            (2, 9, 9, 3),
            (2, 4, 4, 3),
            2,
        ),
    ],
    ids=["basic", "same-even-relu", "strided"],
)
def test_contract(init_kwargs, input_shape, expected, weights):
    run_layer_test(
        layers.SpectralConv2D,
        init_kwargs,
        input_shape,
        expected,
        expected_num_trainable_weights=weights,
    )


def _conv_pair(kernel_size, padding="same", seed=5):
    init = keras.initializers.GlorotUniform(seed=seed)
    spatial = keras.layers.Conv2D(
        4,
        kernel_size,
        padding=padding,
        kernel_initializer=init,
        bias_initializer="random_normal",
    )
    spectral_layer = layers.SpectralConv2D(
        4, kernel_size, padding=padding, kernel_initializer=init
    )
    return spatial, spectral_layer


@pytest.mark.parametrize("kernel_size", [(3, 3), (5, 5), (4, 2)], ids=str)
def test_initialisation_is_the_dft_of_the_spatial_initialiser(rng, kernel_size):
    x = rng.normal(size=(2, 9, 8, 3)).astype("float32")
    spatial, spectral_layer = _conv_pair(kernel_size)
    spatial(x)
    spectral_layer(x)
    assert_close(spectral_layer.kernel, spatial.kernel)
    spectral_layer.bias.assign(spatial.bias)
    assert_close(spectral_layer(x), spatial(x), size=100)


@pytest.mark.parametrize("kernel_size", [(3, 3), (4, 4), (5, 3)], ids=str)
def test_output_equals_conv2d_with_the_exported_kernel(rng, kernel_size):
    x = rng.normal(size=(2, 9, 10, 3)).astype("float32")
    layer = layers.SpectralConv2D(
        4, kernel_size, padding="valid", bias_initializer="random_normal"
    )
    layer(x)
    layer.spectral_kernel.assign(rng.normal(size=layer.spectral_kernel.shape))
    conv = keras.layers.Conv2D(4, kernel_size)
    conv(x)
    conv.set_weights([np.asarray(layer.kernel), np.asarray(layer.bias)])
    assert_close(layer(x), conv(x), size=100)
    expected_kernel = oracles.hermitian_kernel_from_parameters(
        np.asarray(layer.spectral_kernel, "float64"), kernel_size
    )
    assert_close(layer.kernel, expected_kernel)


def test_channels_first_equals_channels_last(rng):
    if keras.backend.backend() == "tensorflow":
        pytest.skip("TensorFlow's CPU Conv2D has no channels_first kernel")
    x = rng.normal(size=(2, 9, 8, 3)).astype("float32")
    last = layers.SpectralConv2D(4, 3, strides=2)
    first = layers.SpectralConv2D(4, 3, strides=2, data_format="channels_first")
    last(x)
    first(np.transpose(x, (0, 3, 1, 2)))
    first.set_weights(last.get_weights())
    assert_close(
        np.transpose(first(np.transpose(x, (0, 3, 1, 2))), (0, 2, 3, 1)),
        last(x),
        size=100,
    )


def test_set_kernel_round_trip(rng):
    layer = layers.SpectralConv2D(2, 3)
    layer.build((None, 8, 8, 3))
    kernel = rng.normal(size=(3, 3, 3, 2)).astype("float32")
    layer.set_kernel(kernel)
    assert_close(layer.kernel, kernel)


def test_trains_spectral_parameters_not_the_spatial_kernel(rng):
    """The trainable weight is the orthogonal half-spectrum, not the kernel."""
    layer = layers.SpectralConv2D(4, 3)
    layer.build((None, 8, 8, 3))
    names = [w.path.split("/")[-1] for w in layer.trainable_weights]
    assert names == ["spectral_kernel", "bias"]
    assert tuple(layer.spectral_kernel.shape) == (9, 3, 4)
    basis = parametrisation.spectral_kernel_basis((3, 3))
    assert not np.allclose(basis, np.eye(9))


def test_gradient_is_the_chain_rule_through_the_dft(rng):
    x = rng.normal(size=(2, 8, 8, 3)).astype("float32")
    target = rng.normal(size=(2, 6, 6, 4)).astype("float32")
    layer = layers.SpectralConv2D(4, 3)
    layer(x)
    conv = keras.layers.Conv2D(4, 3)
    conv(x)
    conv.set_weights([np.asarray(layer.kernel), np.asarray(layer.bias)])
    grad_spectral = _gradient(layer, x, target)
    grad_spatial = _gradient(conv, x, target)
    basis = parametrisation.spectral_kernel_basis((3, 3))
    expected = np.einsum(
        "kp,kio->pio", basis, np.asarray(grad_spatial).reshape(9, 3, 4)
    )
    assert_close(grad_spectral, expected, size=300)
    assert not np.allclose(
        np.asarray(grad_spectral).reshape(9, 3, 4),
        np.asarray(grad_spatial).reshape(9, 3, 4),
        atol=1e-3,
    )


def _gradient(layer, x, target):
    """Gradient of a squared error w.r.t. the layer's first weight."""
    model = keras.Sequential([keras.Input(x.shape[1:]), layer])
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((model(x) - target) ** 2)
        return tape.gradient(loss, layer.trainable_weights[0].value)
    if backend == "jax":
        import jax

        def loss(values):
            outputs, _ = model.stateless_call(values, [], x)
            return ((outputs - target) ** 2).sum()

        values = [w.value for w in model.trainable_weights]
        return jax.grad(loss)(values)[0]
    pytest.skip(f"no gradient helper for backend {backend}")


@pytest.mark.parametrize("optimizer,same", [("sgd", True), ("adam", False)])
def test_sgd_is_unchanged_adam_is_not(rng, optimizer, same):
    """Orthogonal reparametrisation: SGD trajectories agree, Adam's differ."""
    x = rng.normal(size=(8, 8, 8, 3)).astype("float32")
    y = rng.normal(size=(8, 6, 6, 4)).astype("float32")
    init = keras.initializers.GlorotUniform(seed=3)
    kernels = []
    for cls in (keras.layers.Conv2D, layers.SpectralConv2D):
        model = keras.Sequential(
            [keras.Input((8, 8, 3)), cls(4, 3, kernel_initializer=init)]
        )
        model.compile(
            optimizer=keras.optimizers.get(
                {"class_name": optimizer, "config": {"learning_rate": 0.05}}
            ),
            loss="mse",
        )
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
        kernels.append(np.asarray(model.layers[0].kernel))
    assert np.allclose(kernels[0], kernels[1], atol=1e-5) == same


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filters": 0, "kernel_size": 3}, "Received: filters=0"),
        ({"filters": 4, "kernel_size": 0}, "Received: kernel_size=0"),
        (
            {"filters": 4, "kernel_size": 3, "padding": "causal"},
            "Received: padding='causal'",
        ),
        (
            {"filters": 4, "kernel_size": 3, "strides": (1, 0)},
            r"Received: strides=\(1, 0\)",
        ),
        (
            {"filters": 4, "kernel_size": 3, "data_format": "NHWC"},
            "Received: data_format='NHWC'",
        ),
    ],
    ids=["filters", "kernel", "padding", "strides", "format"],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.SpectralConv2D(**kwargs)


@pytest.mark.parametrize("use_bias", [True, False])
def test_valid_padding_refuses_a_kernel_larger_than_the_input(use_bias):
    """Conv2D and FFTConv2D refuse it; SpectralConv2D used to return garbage."""
    layer = layers.SpectralConv2D(4, 9, use_bias=use_bias)
    with pytest.raises(ValueError, match=r"kernel \(9, 9\) is larger"):
        layer(np.zeros((1, 8, 8, 2), "float32"))
    # exactly the kernel's size is fine: a 1x1 output
    out = layers.SpectralConv2D(4, 8)(np.zeros((1, 8, 8, 2), "float32"))
    assert tuple(out.shape) == (1, 1, 1, 4)
