"""`SpectralPooling2D`: downsampling by truncating the Fourier spectrum."""

import keras

from spectral import fourier
from spectral._validation import check_norm
from spectral._validation import check_output_size
from spectral._validation import real_inputs
from spectral._validation import resized_shape
from spectral._validation import standardize_data_format
from spectral._validation import standardize_pair


@keras.saving.register_keras_serializable(package="spectral")
class SpectralPooling2D(keras.layers.Layer):
    """Downsamples images by truncating their Fourier spectrum.

    Keeps the lowest spatial frequencies of each channel that an
    `output_size` grid can represent and discards the rest (Rippel, Snoek
    and Adams, 2015, Algorithm 1). Unlike max pooling, any output size up to
    the input size is allowed, odd or even, and the result is the band-limited
    signal closest to the input. The operator is separable, real and linear.

    Conventions (see `spectral.fourier` and the theory chapter): for an even
    output size, the output's Nyquist bin receives the sum of the input's
    `+m/2` and `-m/2` bins over the whole Nyquist row and column, so along
    each axis the layer equals `scipy.signal.resample`. With `norm="mean"` a
    constant image stays constant; `norm="ortho"` uses the paper's unitary
    DFTs and scales by `sqrt(input_size / output_size)` per axis. The FFT math
    runs in float32 and the result is cast to the layer's compute dtype.

    Args:
        output_size: int or tuple of 2 ints, the target `(height, width)`;
            each at most the corresponding input size.
        norm: `"mean"` (default) or `"ortho"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Integer and boolean inputs are cast to the compute dtype; complex
    inputs raise a `TypeError`.

    Input shape:
        4D tensor `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`; height and width must be static.

    Output shape:
        4D tensor with spatial size `output_size`.

    Example:

    >>> x = np.random.rand(2, 32, 32, 3).astype("float32")
    >>> tuple(SpectralPooling2D(output_size=15)(x).shape)
    (2, 15, 15, 3)
    """

    def __init__(self, output_size, norm="mean", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = standardize_pair(output_size, "output_size")
        self.norm = check_norm(norm)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        check_output_size(
            self.output_size, input_shape, self.data_format, type(self).__name__
        )

    def call(self, inputs):
        return fourier.spectral_pool(
            real_inputs(inputs, self),
            self.output_size,
            self.data_format,
            self.norm,
        )

    def compute_output_shape(self, input_shape):
        return resized_shape(input_shape, self.output_size, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "norm": self.norm,
            "data_format": self.data_format,
        }
