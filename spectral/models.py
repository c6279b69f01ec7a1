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

Knobs for studies at reduced scale (the laptop study of the book):

* `width` multiplies the number of filters of every convolution and the
  units of every hidden fully connected layer (rounded, at least
  `MIN_FILTERS`); the classifier keeps one output per class.
* In the §5.1 network, `pooling="max"` or `"average"` replaces spectral
  pooling by adaptive max or average pooling to the same `floor(gamma H_m)`
  sizes (`spectral.layers.AdaptivePooling2D`: the values of
  `keras.layers.AdaptiveMaxPooling2D` / `AdaptiveAveragePooling2D`, several
  times faster to train on a CPU), and
  `frequency_dropout=False` removes the frequency-dropout layers. Pooling
  layers hold no weights and draw no random numbers at construction, so
  under one seed every arm starts with the same convolution weights.
* `"modern"` — a small present-day network that is not in the paper:
  three blocks of (3x3 conv, batch normalisation, ReLU) x 2 followed by a
  pooling that halves the map (`pooling="max"`: `MaxPooling2D(2)`;
  `"spectral"`: `SpectralPooling2D` to half the size), with 32, 64 and 128
  filters at `width=1`; then global average pooling and a dense
  classifier. It asks whether spectral pooling still helps when the rest
  of the network is modern.
"""

import math
import numbers

import keras
import numpy as np

from spectral import layers
from spectral._validation import check_int
from spectral._validation import check_rate

NETWORKS = ("spectral_pooling", "generic", "deep", "modern")
CONVOLUTIONS = ("spatial", "spectral")
POOLINGS = ("max", "spectral")
SPECTRAL_POOLING_NETWORK_POOLINGS = ("spectral", "max", "average")
# Normalisations of `SpectralPooling2D` (`norm`): "mean" keeps a constant
# map constant; "ortho" is the paper's unitary DFT.
POOLING_NORMS = ("mean", "ortho")
# What the frequency-dropout range `[floor(c_m H_m), H_m]` takes as `H_m`
# in the §5.1 network: the pooled map ("pooled") or the map before
# pooling ("input"; draws above the pooled size keep every frequency).
DROPOUT_RANGES = ("pooled", "input")
FILTER_CAP = 288
MIN_FILTERS = 8


def scaled_width(count, width):
    """`count` filters or units scaled by the multiplier `width`.

    Rounded to the nearest integer and never below `MIN_FILTERS`.

    Example:

    >>> scaled_width(96, 0.25), scaled_width(288, 0.25), scaled_width(16, 0.1)
    (24, 72, 8)
    """
    return max(MIN_FILTERS, int(round(count * width)))


def _check_width(width):
    if (
        isinstance(width, (bool, np.bool_))
        or not isinstance(width, numbers.Real)
        or not (0.0 < float(width) <= 16.0)
    ):
        raise ValueError(
            "Invalid value for argument `width`. Expected a number in "
            f"(0, 16]. Received: width={width!r}"
        )
    return float(width)


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
    width=1.0,
    frequency_dropout=True,
    pooling_norm="mean",
    dropout_range="pooled",
):
    """Builds one of the paper's networks as a functional `keras.Model`.

    Args:
        network: `"spectral_pooling"` (§5.1), `"generic"` or `"deep"` (§5.2),
            or `"modern"` (not in the paper; see the module docstring).
        num_classes: int, 10 or 100 for CIFAR.
        input_shape: `(height, width, channels)`, channels_last.
        conv: `"spatial"` (`keras.layers.Conv2D`) or `"spectral"`
            (`spectral.layers.SpectralConv2D`).
        pooling: `"max"` or `"spectral"` for the generic, deep and modern
            networks (default `"max"`, as in the paper); `"spectral"`
            (default), `"max"` or `"average"` for the §5.1 network, the
            latter two as adaptive pooling to the same sizes
            (`spectral.layers.AdaptivePooling2D`).
        filter_size: int, side of the non-1x1 filters (3 or 5 in the paper).
        num_blocks: int `M`, convolution/pooling pairs of the §5.1 network.
        gamma: float in (0, 1], map-size decay of the §5.1 network.
        alpha, beta: frequency-dropout constants of the §5.1 network
            (`c_m = alpha + (m/M)(beta - alpha)`); `alpha = beta = 1` turns
            frequency dropout off.
        seed: optional int seeding the frequency-dropout layers.
        name: optional model name; defaults to a descriptive one.
        width: float multiplier of every layer's filters (and hidden units),
            at least `MIN_FILTERS` each; 1 is the paper's network.
        frequency_dropout: bool; False removes the §5.1 network's
            frequency-dropout layers.
        pooling_norm: `"mean"` (default) or `"ortho"`, the `norm` of every
            `SpectralPooling2D` in the network (`POOLING_NORMS`).
        dropout_range: `"pooled"` (default) or `"input"`: in the §5.1
            network, whether frequency dropout draws its kept size over the
            pooled map or over the map before pooling (`DROPOUT_RANGES`).

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
        pooling = pooling or "spectral"
        _check_choice(pooling, "pooling", SPECTRAL_POOLING_NETWORK_POOLINGS)
    else:
        pooling = pooling or "max"
        _check_choice(pooling, "pooling", POOLINGS)
    filter_size = check_int(filter_size, "filter_size")
    num_classes = check_int(num_classes, "num_classes", minimum=2)
    width = _check_width(width)
    _check_choice(pooling_norm, "pooling_norm", POOLING_NORMS)
    _check_choice(dropout_range, "dropout_range", DROPOUT_RANGES)
    if not isinstance(frequency_dropout, bool):
        raise ValueError(
            "Invalid value for argument `frequency_dropout`. Expected a bool. "
            f"Received: frequency_dropout={frequency_dropout!r}"
        )
    conv_layer = (
        keras.layers.Conv2D if conv == "spatial" else layers.SpectralConv2D
    )

    def conv_block(filters, size, block_name, activation="relu", scale=True):
        return conv_layer(
            scaled_width(filters, width) if scale else filters,
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
            pooling,
            frequency_dropout,
            pooling_norm,
            dropout_range,
        )
    elif network == "generic":
        outputs = _generic_body(
            inputs,
            conv_block,
            num_classes,
            filter_size,
            pooling,
            width,
            pooling_norm,
        )
    elif network == "modern":
        outputs = _modern_body(
            inputs, conv_layer, num_classes, pooling, width, pooling_norm
        )
    else:
        outputs = _deep_body(
            inputs, conv_block, num_classes, filter_size, pooling, pooling_norm
        )
    if name is None:
        name = f"{network}_{conv}_{filter_size}x{filter_size}"
        if pooling != ("spectral" if network == "spectral_pooling" else "max"):
            name += f"_{pooling}"
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
    pooling="spectral",
    frequency_dropout=True,
    pooling_norm="mean",
    dropout_range="pooled",
):
    num_blocks = check_int(num_blocks, "num_blocks")
    if isinstance(gamma, (bool, np.bool_)) or not (
        isinstance(gamma, numbers.Real) and 0.0 < gamma <= 1.0
    ):
        raise ValueError(
            "Invalid value for argument `gamma`. Expected a float in (0, 1]. "
            f"Received: gamma={gamma!r}"
        )
    # c_m = alpha + (m/M)(beta - alpha) is the kept fraction of the spectrum.
    check_rate(alpha, "alpha")
    check_rate(beta, "beta")
    sizes = pooled_sizes(inputs.shape[1], gamma, num_blocks)
    widths = pooled_sizes(inputs.shape[2], gamma, num_blocks)
    rates = frequency_dropout_rates(alpha, beta, num_blocks)
    x = inputs
    for m in range(1, num_blocks + 1):
        block = f"block{m}"
        x = conv_block(min(96 + 32 * m, FILTER_CAP), filter_size, block)(x)
        size = (sizes[m], widths[m])
        if pooling == "spectral":
            pool = layers.SpectralPooling2D(
                size, norm=pooling_norm, name=f"{block}_pool"
            )
        else:
            pool = layers.AdaptivePooling2D(
                size, mode=pooling, name=f"{block}_pool"
            )
        x = pool(x)
        if frequency_dropout:
            reference = None
            if dropout_range == "input":
                reference = (sizes[m - 1], widths[m - 1])
            x = layers.FrequencyDropout(
                rates[m - 1],
                seed=None if seed is None else seed + m,
                reference_size=reference,
                name=f"{block}_frequency_dropout",
            )(x)
        x = keras.layers.ReLU(name=f"{block}_pool_relu")(x)
    x = conv_block(min(96 + 32 * num_blocks, FILTER_CAP), 1, "head")(x)
    return _classifier(x, conv_block, num_classes)


def _classifier(x, conv_block, num_classes):
    x = conv_block(num_classes, 1, "classifier", activation=None, scale=False)(
        x
    )
    x = keras.layers.GlobalAveragePooling2D(name="global_average")(x)
    return keras.layers.Softmax(name="softmax", dtype="float32")(x)


def _pool(x, pooling, block_name, norm="mean"):
    if pooling == "max":
        return keras.layers.MaxPooling2D(
            3, strides=2, padding="same", name=f"{block_name}_pool"
        )(x)
    size = (-(-x.shape[1] // 2), -(-x.shape[2] // 2))  # what MP 3x3/2 gives
    return layers.SpectralPooling2D(
        size, norm=norm, name=f"{block_name}_pool"
    )(x)


def _generic_body(
    inputs,
    conv_block,
    num_classes,
    filter_size,
    pooling,
    width=1.0,
    norm="mean",
):
    x = conv_block(96, filter_size, "block1")(inputs)
    x = _pool(x, pooling, "block1", norm)
    x = conv_block(192, filter_size, "block2")(x)
    x = _pool(x, pooling, "block2", norm)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(
        scaled_width(1024, width), activation="relu", name="fc1"
    )(x)
    x = keras.layers.Dense(
        scaled_width(512, width), activation="relu", name="fc2"
    )(x)
    x = keras.layers.Dense(num_classes, name="classifier")(x)
    return keras.layers.Softmax(name="softmax", dtype="float32")(x)


def _deep_body(
    inputs, conv_block, num_classes, filter_size, pooling, norm="mean"
):
    x = conv_block(96, filter_size, "block1a")(inputs)
    x = conv_block(96, filter_size, "block1b")(x)
    x = _pool(x, pooling, "block1", norm)
    for suffix in "abc":
        x = conv_block(192, filter_size, f"block2{suffix}")(x)
    x = _pool(x, pooling, "block2", norm)
    x = conv_block(192, 1, "head")(x)
    return _classifier(x, conv_block, num_classes)


MODERN_FILTERS = (32, 64, 128)


def _modern_body(inputs, conv_layer, num_classes, pooling, width, norm="mean"):
    x = inputs
    for b, filters in enumerate(MODERN_FILTERS, start=1):
        for part in "ab":
            name = f"block{b}{part}"
            x = conv_layer(
                scaled_width(filters, width),
                3,
                padding="same",
                use_bias=False,
                name=f"{name}_conv",
            )(x)
            x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
            x = keras.layers.ReLU(name=f"{name}_relu")(x)
        if pooling == "max":
            x = keras.layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
        else:
            size = (max(1, x.shape[1] // 2), max(1, x.shape[2] // 2))
            x = layers.SpectralPooling2D(
                size, norm=norm, name=f"block{b}_pool"
            )(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_average")(x)
    x = keras.layers.Dense(num_classes, name="classifier")(x)
    return keras.layers.Softmax(name="softmax", dtype="float32")(x)


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.models"))
