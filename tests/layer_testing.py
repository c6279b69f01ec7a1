"""Contract checks every public layer must pass (public Keras API only)."""

import keras
import numpy as np
import pytest

from tests.oracles import assert_close


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    expected_num_trainable_weights,
    call_kwargs=None,
):
    """Runs the contract checks of a layer and returns the built layer.

    Checks: `get_config`/`from_config` and `serialize_keras_object`/
    `deserialize_keras_object` round trips; symbolic and eager calls and
    `compute_output_shape` give `expected_output_shape`; the number of
    trainable weights; one `fit` step gives a finite loss; and under the
    `"mixed_float16"` policy the output is float16, the weights float32 and
    the values match the float32 layer.
    """
    call_kwargs = call_kwargs or {}
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    assert layer_cls.from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert type(restored) is layer_cls
    assert restored.get_config() == config

    symbolic = keras.KerasTensor(input_shape)
    assert tuple(layer(symbolic, **call_kwargs).shape) == expected_output_shape
    assert tuple(layer.compute_output_shape(input_shape)) == (
        expected_output_shape
    )
    x = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    y = layer(x, **call_kwargs)
    assert tuple(y.shape) == expected_output_shape
    assert len(layer.trainable_weights) == expected_num_trainable_weights

    # A Dense layer in front gives weight-free layers something to train and
    # sends the gradient through the tested layer in a compiled step.
    model = keras.Sequential(
        [
            keras.Input(input_shape[1:]),
            keras.layers.Dense(input_shape[-1]),
            layer_cls(**init_kwargs),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    target = np.zeros(expected_output_shape, "float32")
    history = model.fit(x, target, epochs=1, batch_size=len(x), verbose=0)
    assert np.isfinite(history.history["loss"][0])

    mixed = layer_cls(**{**init_kwargs, "dtype": "mixed_float16"})
    mixed(symbolic, **call_kwargs)
    mixed.set_weights(layer.get_weights())
    y_mixed = mixed(x, **call_kwargs)
    assert keras.backend.standardize_dtype(y_mixed.dtype) == "float16"
    for weight in mixed.weights:
        assert keras.backend.standardize_dtype(weight.dtype) == "float32"
    # Values are compared in inference mode, where no layer is random.
    y_mixed = mixed(x)
    y_ref = layer(x.astype("float16").astype("float32"))
    rtol = atol = 4e-2 * max(1.0, float(np.max(np.abs(y_ref))))
    np.testing.assert_allclose(
        np.asarray(y_mixed, "float32"), np.asarray(y_ref), rtol=rtol, atol=atol
    )
    return layer


def assert_same_outputs(model_a, model_b, x):
    """Two models give the same outputs on `x` (inference mode)."""
    assert_close(model_a.predict(x, verbose=0), model_b.predict(x, verbose=0))


def vjp(function, x, cotangent):
    """Vector-Jacobian product on the active backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = function(x)
        return tape.gradient(y, x, output_gradients=tf.constant(cotangent))
    if backend == "jax":
        import jax

        _, pullback = jax.vjp(function, x)
        return pullback(cotangent)[0]
    pytest.skip(f"no gradient helper for backend {backend}")
