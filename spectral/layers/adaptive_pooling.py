"""`AdaptivePooling2D`: max or average pooling to any output size."""

import keras

from spectral import adaptive
from spectral._validation import check_output_size
from spectral._validation import real_inputs
from spectral._validation import resized_shape
from spectral._validation import standardize_data_format
from spectral._validation import standardize_pair


@keras.saving.register_keras_serializable(package="spectral")
class AdaptivePooling2D(keras.layers.Layer):
    """Max or average pooling to a fixed output size (the spatial baseline).

    Computes exactly what `keras.layers.AdaptiveMaxPooling2D` and
    `keras.layers.AdaptiveAveragePooling2D` compute (output `i` of an axis
    of length `n` pooled to `m` covers `floor(i n/m) <= j < ceil((i+1) n/m)`),
    with matrix products in place of their `gather`, which on TensorFlow's
    CPU kernels made a small network several times slower (see
    `spectral.adaptive`). It is the max/average counterpart of
    `SpectralPooling2D` in the book's pooling ablation.

    Args:
        output_size: int or tuple of 2 ints, the target `(height, width)`;
            each at most the corresponding input size.
        mode: `"max"` (default) or `"average"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Integer and boolean inputs are cast to the compute dtype; complex
    inputs raise a `TypeError`.

    Input shape:
        4D float tensor; height and width must be static.

    Output shape:
        4D tensor with spatial size `output_size`.

    Example:

    >>> x = np.random.rand(2, 32, 32, 3).astype("float32")
    >>> tuple(AdaptivePooling2D(27, mode="max")(x).shape)
    (2, 27, 27, 3)
    """

    def __init__(self, output_size, mode="max", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = standardize_pair(output_size, "output_size")
        if mode not in adaptive.MODES:
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f"{adaptive.MODES}. Received: mode={mode!r}"
            )
        self.mode = mode
        self.data_format = standardize_data_format(data_format)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        check_output_size(
            self.output_size, input_shape, self.data_format, type(self).__name__
        )

    def call(self, inputs):
        return adaptive.adaptive_pool(
            real_inputs(inputs, self),
            self.output_size,
            self.mode,
            self.data_format,
        )

    def compute_output_shape(self, input_shape):
        return resized_shape(input_shape, self.output_size, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "mode": self.mode,
            "data_format": self.data_format,
        }
