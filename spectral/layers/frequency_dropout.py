"""`FrequencyDropout`: random resolution reduction during training."""

import math
import numbers

import keras
import numpy as np
from keras import ops

from spectral import fourier
from spectral._validation import check_rate
from spectral._validation import real_inputs
from spectral._validation import spatial_shape
from spectral._validation import standardize_data_format
from spectral._validation import standardize_pair

# Keras's seed generators take seeds in [0, 2**32) on every backend.
MAX_SEED = 2**32 - 1


def min_kept_size(size, rate):
    """Smallest kept size `floor((1 - rate) * size)`, at least 1.

    A tiny tolerance absorbs float error (`(1 - 0.9) * 10` is
    `0.99999...`), so the floor is the one of the exact decimal product.
    """
    return max(1, math.floor((1.0 - rate) * size + 1e-9))


@keras.saving.register_keras_serializable(package="spectral")
class FrequencyDropout(keras.layers.Layer):
    """Randomly low-passes feature maps during training (paper §3.2).

    At each training step one kept size `R` is drawn uniformly from the
    integers `[floor((1 - rate) * H), H]` and every channel of every image in
    the batch is projected onto the frequencies that spectral pooling to
    `R x R` would keep (`spectral.fourier.frequency_lowpass`); the spatial
    size is unchanged. In the paper's notation `R ~ U[floor(c H), H]`, so
    `rate = 1 - c`; the layer-dependent schedule
    `c_m = alpha + (m / M) (beta - alpha)` is a per-layer `rate` (see
    `spectral.models.frequency_dropout_rates`). For non-square maps the same
    quantile of each axis's range is used, so both axes are cut alike. At
    inference, or with `rate=0`, the layer is the identity.

    `reference_size` changes what `H` is: the paper's `H_m` can be read as
    the map the layer acts on (the default, `reference_size=None`: in the
    §5.1 network, the pooled map) or as a larger map, e.g. the one before
    spectral pooling. With a reference size `H_ref`, `R` is drawn from
    `[floor((1 - rate) * H_ref), H_ref]` and then capped at the map's own
    size, so draws above it keep every frequency: a milder dropout.

    `R` is a tensor, so a compiled training step is traced once, not once per
    drawn size. The FFT math runs in float32.

    Args:
        rate: float in [0, 1], the largest fraction of each axis's
            frequencies a step may drop. `0` disables the layer.
        seed: optional int in `[0, 2**32)` (Python or numpy integer), seed
            of the layer's random generator.
        reference_size: optional int or pair `(height, width)`, the size
            over which `R`'s range is drawn (see above); None: the input's.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: 4D tensor with static spatial dimensions.
        training: Python bool; the layer acts only when `True`.

    Integer and boolean inputs are cast to the compute dtype; complex
    inputs raise a `TypeError`.

    Input shape:
        4D tensor, as for `SpectralPooling2D`.

    Output shape:
        Same as the input.

    Example:

    >>> layer = FrequencyDropout(rate=0.5, seed=1)
    >>> x = np.random.rand(2, 8, 8, 3).astype("float32")
    >>> bool(np.allclose(layer(x, training=False), x))
    True
    >>> tuple(layer(x, training=True).shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self, rate, seed=None, data_format=None, reference_size=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        if seed is not None and (
            isinstance(seed, (bool, np.bool_))
            or not isinstance(seed, numbers.Integral)
            or not 0 <= int(seed) <= MAX_SEED
        ):
            raise ValueError(
                "Invalid value for argument `seed`. Expected None or an "
                f"integer in [0, {MAX_SEED}]. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.reference_size = (
            None
            if reference_size is None
            else standardize_pair(reference_size, "reference_size")
        )
        self.data_format = standardize_data_format(data_format)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.input_spec = keras.layers.InputSpec(ndim=4)
        self.supports_masking = True

    def build(self, input_shape):
        spatial_shape(input_shape, self.data_format, type(self).__name__)

    def draw_kept_size(self, spatial_size):
        """Draws one `(kept_height, kept_width)` pair of int32 tensors for a
        map of static size `spatial_size = (height, width)`."""
        u = keras.random.uniform((), seed=self.seed_generator)
        reference = self.reference_size or tuple(spatial_size)
        sizes = []
        for size, ref in zip(spatial_size, reference):
            low = min_kept_size(ref, self.rate)
            kept = low + ops.floor(u * (ref - low + 1))
            sizes.append(ops.cast(ops.minimum(kept, size), "int32"))
        return tuple(sizes)

    def call(self, inputs, training=None):
        inputs = real_inputs(inputs, self)
        if not training or self.rate == 0.0:
            return inputs
        # The size of this call's input, not of the first one: a layer
        # called on maps of another size draws over that size.
        size = spatial_shape(inputs.shape, self.data_format, type(self).__name__)
        return fourier.frequency_lowpass(
            inputs, self.draw_kept_size(size), self.data_format
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "data_format": self.data_format,
            "reference_size": self.reference_size,
        }
