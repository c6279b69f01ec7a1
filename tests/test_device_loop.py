"""Tests of `spectral.device_loop` (whole epochs compiled on the device)
and of `TrainConfig(loop=..., precision=...)`.

The oracle is Keras's own `model.fit` on the same batches: an epoch of the
device loop must compute the same steps.
"""

import dataclasses
import importlib.util

import keras
import numpy as np
import pytest

from spectral import data
from spectral import experiments

JAX = keras.backend.backend() == "jax"
needs_jax = pytest.mark.skipif(
    not JAX, reason="the device loop is JAX-only (its error is tested)"
)

SMALL = dict(
    dataset="synthetic",
    train_size=72,  # 4 full batches of 16 and one of 8
    test_size=32,
    batch_size=16,
    num_blocks=2,
    epochs=2,
    lr_drops=(1,),
    seed=3,
    width=0.25,
)
CASES = {
    "sp-pooling-sgd": dict(network="spectral_pooling"),
    "generic-adam-augment-spectral": dict(
        network="generic",
        conv="spectral",
        optimizer="adam",
        learning_rate=1e-3,
        augment=True,
    ),
}


def _max_difference(a, b):
    return max(
        float(np.max(np.abs(np.asarray(u) - np.asarray(v))))
        for u, v in zip(a, b)
    )


@needs_jax
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.slow
def test_device_epochs_compute_the_fit_steps(case):
    from spectral import device_loop

    config = experiments.TrainConfig(**{**SMALL, **CASES[case]})
    dataset = experiments.load_dataset(config)
    fitted = experiments.build_training_model(config, dataset)
    looped = experiments.build_training_model(config, dataset)
    runner = device_loop.DeviceEpochs(looped, config.batch_size)
    on_device = device_loop.DeviceData(dataset.x_train, dataset.y_train)
    assert _max_difference(fitted.variables, looped.variables) == 0.0
    for epoch in range(config.epochs):
        expected = experiments.fit_epoch(fitted, dataset, config, epoch)
        order = data.epoch_order(len(dataset.x_train), config.seed, epoch)
        logs = runner.run(on_device, order)
        assert logs["loss"] == pytest.approx(expected["loss"][-1], rel=1e-5)
        assert logs["accuracy"] == pytest.approx(
            expected["accuracy"][-1], abs=1e-6
        )
        # Same weights, optimiser state (iterations included) and seeds.
        assert (
            _max_difference(
                fitted.trainable_variables, looped.trainable_variables
            )
            < 1e-4
        )
        assert (
            _max_difference(
                fitted.optimizer.variables, looped.optimizer.variables
            )
            < 1e-4
        )
    assert int(looped.optimizer.iterations.numpy()) == 2 * 5


@needs_jax
@pytest.mark.slow
def test_device_loop_run_resumes_to_the_same_history(tmp_path):
    config = experiments.TrainConfig(
        **{**SMALL, **CASES["generic-adam-augment-spectral"], "epochs": 3},
        loop="device",
    )
    dataset = experiments.load_dataset(config)
    straight = experiments.train(config, tmp_path / "a", dataset=dataset)
    experiments.train(config, tmp_path / "b", max_epochs=1, dataset=dataset)
    resumed = experiments.train(config, tmp_path / "b", dataset=dataset)
    assert straight.complete and resumed.complete
    for a, b in zip(straight.history, resumed.history):
        for key in ("train_loss", "test_loss", "learning_rate"):
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-7), key
    fitted = experiments.train(
        dataclasses.replace(config, loop="fit"), tmp_path / "c", dataset=dataset
    )
    for a, b in zip(straight.history, fitted.history):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)


@needs_jax
@pytest.mark.slow
def test_mixed_bfloat16_keeps_variables_and_fourier_math_in_float32(tmp_path):
    config = experiments.TrainConfig(
        **{**SMALL, "epochs": 1}, loop="device", precision="mixed_bfloat16"
    )
    dataset = experiments.load_dataset(config)
    model = experiments.build_training_model(config, dataset)
    network = model.layers[-1]
    convs = [
        layer
        for layer in network.layers
        if "conv" in type(layer).__name__.lower()
    ]
    assert convs and all(c.compute_dtype == "bfloat16" for c in convs)
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    assert keras.config.dtype_policy().name == "float32"  # restored
    result = experiments.train(config, tmp_path / "run", dataset=dataset)
    assert result.complete and np.isfinite(result.history[0]["train_loss"])


@pytest.mark.skipif(JAX, reason="checks the error raised on other backends")
def test_device_loop_needs_jax(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1}, loop="device")
    with pytest.raises(NotImplementedError, match="JAX backend only"):
        experiments.train(config, tmp_path / "run")
    assert not (tmp_path / "run" / "config.json").exists()


@needs_jax
def test_device_data_wants_uint8_images():
    from spectral import device_loop

    with pytest.raises(TypeError, match="uint8 images"):
        device_loop.DeviceData(np.zeros((2, 4, 4, 3), "float32"), [0, 1])


@needs_jax
def test_device_epochs_check_the_order_length():
    from spectral import device_loop

    config = experiments.TrainConfig(**SMALL)
    dataset = experiments.load_dataset(config)
    model = experiments.build_training_model(config, dataset)
    runner = device_loop.DeviceEpochs(model, config.batch_size)
    on_device = device_loop.DeviceData(dataset.x_train, dataset.y_train)
    with pytest.raises(ValueError, match="order has 5 entries"):
        runner.run(on_device, np.arange(5))


@pytest.mark.parametrize(
    "field, value", [("loop", "scan"), ("precision", "mixed_float16")]
)
def test_loop_and_precision_are_validated(field, value):
    with pytest.raises(ValueError, match=rf"{field}='{value}'"):
        experiments.TrainConfig(**{field: value})


def test_configs_written_before_the_fields_existed_still_match():
    config = experiments.TrainConfig(**SMALL)
    stored = config.to_dict()
    del stored["loop"], stored["precision"]
    assert experiments.same_config(stored, config)
    assert not experiments.same_config(
        stored, dataclasses.replace(config, loop="device")
    )


_EPOCHS_SCRIPT = """
import json, sys
from spectral import experiments
config = experiments.TrainConfig.from_dict(json.loads(sys.argv[1]))
weights, first = sys.argv[2], sys.argv[3] == "save"
dataset = experiments.load_dataset(config)
model = experiments.build_training_model(config, dataset)
if first:
    model.save_weights(weights)
else:
    model.load_weights(weights)
train_epoch = experiments.epoch_trainer(model, dataset, config)
losses = [train_epoch(epoch)["loss"] for epoch in range(config.epochs)]
print("LOSSES", json.dumps(losses))
"""


def _epoch_losses(backend, config, weights, mode):
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _EPOCHS_SCRIPT,
            json.dumps(config.to_dict()),
            str(weights),
            mode,
        ],
        env={
            **os.environ,
            "KERAS_BACKEND": backend,
            "TF_CPP_MIN_LOG_LEVEL": "2",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = [x for x in done.stdout.splitlines() if x.startswith("LOSSES")][-1]
    return json.loads(line.split(" ", 1)[1])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_device_loop_on_jax_matches_fit_on_tensorflow(tmp_path, case):
    """The GPU path's numerics against the CPU record's: the same initial
    weights (saved by TensorFlow, loaded by JAX) and batches give the same
    epoch losses. Augmentation and frequency dropout draw from each
    backend's own generator, so they are off here."""
    for backend in ("tensorflow", "jax"):
        if importlib.util.find_spec(backend) is None:
            pytest.skip(f"compares with {backend}, which is not installed")
    config = experiments.TrainConfig(
        **{**SMALL, **CASES[case], "augment": False, "frequency_dropout": False}
    )
    weights = tmp_path / "initial.weights.h5"
    tensorflow = _epoch_losses("tensorflow", config, weights, "save")
    jax = _epoch_losses(
        "jax", dataclasses.replace(config, loop="device"), weights, "load"
    )
    assert jax == pytest.approx(tensorflow, rel=2e-5)
