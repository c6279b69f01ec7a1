"""The compiled Keras model a `TrainConfig` trains.

`build_training_model` puts the data's preprocessing (per-channel
standardisation, and the paper's augmentation where the config asks for
it) in front of the network `spectral.models.build_model` builds, and
compiles it with the config's optimiser, learning-rate drops, weight decay
and precision. `checkpoint_bytes` says how large one checkpoint of that
model is.
"""

import tempfile
from pathlib import Path

import keras

from spectral import data as data_lib
from spectral import models
from spectral.training.checkpoints import _directory_bytes, _save_checkpoint


def _conv2d_layers(model):
    """Every `keras.layers.Conv2D` (exactly that class) inside `model`."""
    for layer in getattr(model, "layers", []):
        if type(layer) is keras.layers.Conv2D:
            yield layer
        yield from _conv2d_layers(layer)


def _roundtrip_kernels(network):
    """Replaces every `Conv2D` kernel by its spectral round trip."""
    from spectral import parametrisation

    for layer in _conv2d_layers(network):
        layer.kernel.assign(
            parametrisation.spectral_to_kernel(
                parametrisation.kernel_to_spectral(layer.kernel),
                layer.kernel_size,
            )
        )


def build_training_model(config, dataset):
    """Preprocessing plus network, compiled with the config's optimiser."""
    keras.utils.set_random_seed(config.seed)
    mean, variance = data_lib.channel_statistics(dataset.x_train)
    # Layers take the global dtype policy when they are created; the
    # optimiser's and the loss's arithmetic stays float32.
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(config.precision)
    try:
        return _build_training_model(config, dataset, mean, variance)
    finally:
        keras.config.set_dtype_policy(previous_policy)


def _build_training_model(config, dataset, mean, variance):
    network = models.build_model(
        config.network,
        num_classes=dataset.num_classes,
        input_shape=dataset.x_train.shape[1:],
        conv=config.conv,
        pooling=config.pooling,
        filter_size=config.filter_size,
        num_blocks=config.num_blocks,
        gamma=config.gamma,
        alpha=config.alpha,
        beta=config.beta,
        seed=config.seed,
        width=config.width,
        frequency_dropout=config.frequency_dropout,
        pooling_norm=config.pooling_norm,
        dropout_range=config.dropout_range,
    )
    if config.init_roundtrip:
        _roundtrip_kernels(network)
    model = keras.Sequential(
        [
            keras.Input(dataset.x_train.shape[1:]),
            data_lib.preprocessing(
                mean,
                variance,
                augment=config.augment,
                seed=config.seed,
                augmentation=config.augmentation,
            ),
            network,
        ],
        name=network.name,
    )
    steps = -(-len(dataset.x_train) // config.batch_size)
    schedule = config.learning_rate
    if config.lr_drops:
        # The step with iteration index i uses values[k] once i > boundary,
        # so the first step of epoch e (index e * steps) must see the drop.
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
            [epoch * steps - 1 for epoch in config.lr_drops],
            [
                config.learning_rate / 10**i
                for i in range(len(config.lr_drops) + 1)
            ],
        )
    if config.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(
            schedule,
            momentum=config.momentum,
            weight_decay=config.weight_decay or None,
        )
    else:
        optimizer = keras.optimizers.Adam(
            schedule, weight_decay=config.weight_decay or None
        )
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=(
            "auto" if config.jit_compile is None else config.jit_compile
        ),
    )
    return model


def checkpoint_bytes(config, num_classes=10):
    """Size in bytes of one checkpoint of `config` (`train` keeps two).

    The network of `config` is built untrained, with its optimiser's state
    (one slot per weight for SGD with momentum, two for Adam), saved exactly
    as `train` saves an epoch (model, optimiser, random-generator states,
    history), and measured. It is what a run keeps on disk between epochs
    and what has to be moved to resume the run on another machine.

    Args:
        config: a `TrainConfig` (its data fields are not used).
        num_classes: 10 for CIFAR-10, 100 for CIFAR-100.
    """
    dataset = data_lib.synthetic_images(
        8, 2, num_classes=num_classes, seed=config.seed
    )
    model = build_training_model(config, dataset)
    model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory() as tmp:
        _save_checkpoint(Path(tmp), model, [])
        return _directory_bytes(tmp)


def state_bytes(config, num_classes=10):
    """Bytes of the variables a checkpoint of `config` holds: the untrained
    network's weights and its optimiser's state (one slot per weight for
    SGD with momentum, two for Adam), from their shapes and dtypes.

    The archive `checkpoint_bytes` measures adds a few KiB of metadata
    (0.05% for the Generic network at full width); this needs no disk and
    is about 4x faster, for questions asked of many units at once.
    """
    import numpy as np

    dataset = data_lib.synthetic_images(
        8, 2, num_classes=num_classes, seed=config.seed
    )
    model = build_training_model(config, dataset)
    model.optimizer.build(model.trainable_variables)
    variables = list(model.weights) + list(model.optimizer.variables)
    return sum(
        int(np.prod(v.shape, dtype=np.int64)) * np.dtype(v.dtype).itemsize
        for v in variables
    )
