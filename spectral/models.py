"""The paper's three networks as functional Keras models.

* `"spectral_pooling"` — the §5.1 classifier (paper Eq. 5): for
  `m = 1 .. M`, a `k x k` convolution with `min(96 + 32 m, 288)` filters,
  ReLU, spectral pooling to `floor(gamma H_m)`, frequency dropout with
  `c_m = alpha + (m / M)(beta - alpha)`, ReLU; then a 1x1 convolution with
  `min(96 + 32 M, 288)` filters and ReLU, a 1x1 convolution to the classes,
  global average pooling and softmax (no ReLU before the softmax).
* `"generic"` — paper Eq. 6: C96 -> MP 3x3/2 -> C192 -> MP 3x3/2 -> FC1024
  -> FC512 -> softmax.
* `"deep"` — paper Eq. 7: C96 -> C96 -> MP 3x3/2 -> C192 x 3 -> MP 3x3/2 ->
  C192 1x1 -> C(classes) 1x1 -> global average -> softmax.

Choices where the paper is silent (documented in the book): convolutions
use `"same"` padding, so only pooling changes the map size; every
convolution and fully connected layer except the classifier is followed by
ReLU; weights use Keras's default Glorot-uniform initialisation; with
`pooling="spectral"` the generic and deep networks replace each 3x3/2 max
pooling by spectral pooling to the same output size.

`conv="spectral"` swaps every `Conv2D` for `SpectralConv2D` with the same
arguments. Built under the same `keras.utils.set_random_seed`, the spatial
and spectral variants compute the same function at initialisation.
"""

import math

import keras

from spectral import layers
from spectral._validation import check_int

NETWORKS = ("spectral_pooling", "generic", "deep")
CONVOLUTIONS = ("spatial", "spectral")
POOLINGS = ("max", "spectral")
FILTER_CAP = 288


def frequency_dropout_rates(alpha, beta, num_blocks):
    """Per-block `rate` of `FrequencyDropout` from the paper's alpha, beta.

    The paper draws `R ~ U[floor(c_m H_m), H_m]` with
    `c_m = alpha + (m / M)(beta - alpha)` for `m = 1 .. M`; the layer's
    `rate` is `1 - c_m`, clipped to [0, 1].

    Args:
        alpha: float, `c` extrapolated to `m = 0`.
        beta: float, `c` at the last block `m = M`.
        num_blocks: int `M`.

    Returns:
        A list of `M` floats.

    Example:

    >>> [round(r, 3) for r in frequency_dropout_rates(0.3, 0.15, 3)]
    [0.75, 0.8, 0.85]
    """
    rates = []
    for m in range(1, num_blocks + 1):
        c = alpha + (m / num_blocks) * (beta - alpha)
        rates.append(min(1.0, max(0.0, 1.0 - c)))
    return rates


def pooled_sizes(input_size, gamma, num_blocks):
    """Map sizes `H_1 .. H_{M+1}` of the §5.1 network.

    `H_1` is the input size and `H_{m+1} = max(1, floor(gamma H_m))`; a tiny
    tolerance keeps the floor of products that are integers in exact
    arithmetic (e.g. `0.85 * 20 = 17`).

    Example:

    >>> pooled_sizes(32, 0.85, 8)
    [32, 27, 22, 18, 15, 12, 10, 8, 6]
    """
    sizes = [int(input_size)]
    for _ in range(num_blocks):
        sizes.append(max(1, math.floor(gamma * sizes[-1] + 1e-9)))
    return sizes


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected one of {choices}. "
            f"Received: {name}={value!r}"
        )


def build_model(
    network="spectral_pooling",
    num_classes=10,
    input_shape=(32, 32, 3),
    conv="spatial",
    pooling=None,
    filter_size=3,
    num_blocks=6,
    gamma=0.85,
    alpha=0.30,
    beta=0.15,
    seed=None,
    name=None,
):
    """Builds one of the paper's networks as a functional `keras.Model`.

    Args:
        network: `"spectral_pooling"` (§5.1), `"generic"` or `"deep"` (§5.2).
        num_classes: int, 10 or 100 for CIFAR.
        input_shape: `(height, width, channels)`, channels_last.
        conv: `"spatial"` (`keras.layers.Conv2D`) or `"spectral"`
            (`spectral.layers.SpectralConv2D`).
        pooling: `"max"` or `"spectral"` for the generic and deep networks
            (default `"max"`, as in the paper); the §5.1 network always uses
            spectral pooling and accepts only `None` or `"spectral"`.
        filter_size: int, side of the non-1x1 filters (3 or 5 in the paper).
        num_blocks: int `M`, convolution/pooling pairs of the §5.1 network.
        gamma: float in (0, 1], map-size decay of the §5.1 network.
        alpha, beta: frequency-dropout constants of the §5.1 network
            (`c_m = alpha + (m/M)(beta - alpha)`); `alpha = beta = 1` turns
            frequency dropout off.
        seed: optional int seeding the frequency-dropout layers.
        name: optional model name; defaults to a descriptive one.

    Returns:
        An uncompiled `keras.Model` mapping images to class probabilities.

    Example:

    >>> model = build_model("generic", num_classes=10)
    >>> tuple(model.output_shape)
    (None, 10)
    """
    _check_choice(network, "network", NETWORKS)
    _check_choice(conv, "conv", CONVOLUTIONS)
    if network == "spectral_pooling":
        if pooling not in (None, "spectral"):
            raise ValueError(
                "Invalid value for argument `pooling`. The spectral pooling "
                "network uses spectral pooling only. Received: "
                f"pooling={pooling!r}"
            )
    else:
        pooling = pooling or "max"
        _check_choice(pooling, "pooling", POOLINGS)
    check_int(filter_size, "filter_size")
    check_int(num_classes, "num_classes", minimum=2)
    conv_layer = (
        keras.layers.Conv2D if conv == "spatial" else layers.SpectralConv2D
    )

    def conv_block(filters, size, block_name, activation="relu"):
        return conv_layer(
            filters,
            size,
            padding="same",
            activation=activation,
            name=f"{block_name}_conv",
        )

    inputs = keras.Input(tuple(input_shape), name="images")
    if network == "spectral_pooling":
        outputs = _spectral_pooling_body(
            inputs,
            conv_block,
            num_classes,
            filter_size,
            num_blocks,
            gamma,
            alpha,
            beta,
            seed,
        )
    elif network == "generic":
        outputs = _generic_body(
            inputs, conv_block, num_classes, filter_size, pooling
        )
    else:
        outputs = _deep_body(
            inputs, conv_block, num_classes, filter_size, pooling
        )
    if name is None:
        name = f"{network}_{conv}_{filter_size}x{filter_size}"
    return keras.Model(inputs, outputs, name=name)


def _spectral_pooling_body(
    inputs,
    conv_block,
    num_classes,
    filter_size,
    num_blocks,
    gamma,
    alpha,
    beta,
    seed,
):
    check_int(num_blocks, "num_blocks")
    if not 0.0 < gamma <= 1.0:
        raise ValueError(
            "Invalid value for argument `gamma`. Expected a float in (0, 1]. "
            f"Received: gamma={gamma!r}"
        )
    sizes = pooled_sizes(inputs.shape[1], gamma, num_blocks)
    widths = pooled_sizes(inputs.shape[2], gamma, num_blocks)
    rates = frequency_dropout_rates(alpha, beta, num_blocks)
    x = inputs
    for m in range(1, num_blocks + 1):
        block = f"block{m}"
        x = conv_block(min(96 + 32 * m, FILTER_CAP), filter_size, block)(x)
        x = layers.SpectralPooling2D(
            (sizes[m], widths[m]), name=f"{block}_pool"
        )(x)
        x = layers.FrequencyDropout(
            rates[m - 1],
            seed=None if seed is None else seed + m,
            name=f"{block}_frequency_dropout",
        )(x)
        x = keras.layers.ReLU(name=f"{block}_pool_relu")(x)
    x = conv_block(min(96 + 32 * num_blocks, FILTER_CAP), 1, "head")(x)
    return _classifier(x, conv_block, num_classes)


def _classifier(x, conv_block, num_classes):
    x = conv_block(num_classes, 1, "classifier", activation=None)(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_average")(x)
    return keras.layers.Softmax(name="softmax", dtype="float32")(x)


def _pool(x, pooling, block_name):
    if pooling == "max":
        return keras.layers.MaxPooling2D(
            3, strides=2, padding="same", name=f"{block_name}_pool"
        )(x)
    size = (-(-x.shape[1] // 2), -(-x.shape[2] // 2))  # what MP 3x3/2 gives
    return layers.SpectralPooling2D(size, name=f"{block_name}_pool")(x)


def _generic_body(inputs, conv_block, num_classes, filter_size, pooling):
    x = conv_block(96, filter_size, "block1")(inputs)
    x = _pool(x, pooling, "block1")
    x = conv_block(192, filter_size, "block2")(x)
    x = _pool(x, pooling, "block2")
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(1024, activation="relu", name="fc1")(x)
    x = keras.layers.Dense(512, activation="relu", name="fc2")(x)
    x = keras.layers.Dense(num_classes, name="classifier")(x)
    return keras.layers.Softmax(name="softmax", dtype="float32")(x)


def _deep_body(inputs, conv_block, num_classes, filter_size, pooling):
    x = conv_block(96, filter_size, "block1a")(inputs)
    x = conv_block(96, filter_size, "block1b")(x)
    x = _pool(x, pooling, "block1")
    for suffix in "abc":
        x = conv_block(192, filter_size, f"block2{suffix}")(x)
    x = _pool(x, pooling, "block2")
    x = conv_block(192, 1, "head")(x)
    return _classifier(x, conv_block, num_classes)
