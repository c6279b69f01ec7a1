"""`FFTConv2D`: a `Conv2D` computed by the convolution theorem."""

import keras
from keras import ops

from spectral import fourier
from spectral._validation import channel_count
from spectral._validation import check_filters
from spectral._validation import check_padding
from spectral._validation import conv_output_shape
from spectral._validation import real_inputs
from spectral._validation import spatial_shape
from spectral._validation import standardize_data_format
from spectral._validation import standardize_pair


@keras.saving.register_keras_serializable(package="spectral")
class FFTConv2D(keras.layers.Layer):
    """Drop-in `keras.layers.Conv2D` (stride 1) computed with FFTs.

    Same weights (`kernel` of shape `(kh, kw, in, out)`, `bias` of shape
    `(out,)`), same cross-correlation semantics, zero padding (`"valid"` or
    `"same"`, even kernels padded like Keras), bias and activation; weights
    transfer both ways with `get_weights`/`set_weights`. The input and the
    flipped kernel are zero-padded to the linear-convolution size before the
    FFT, so the result is not circular (`spectral.fourier.fft_conv2d`). The
    FFT math runs in float32; outputs are cast to the compute dtype. FFT
    convolution pays off for large kernels; the book measures the crossover.

    Where it is *not* a drop-in: every output of an FFT depends on every
    input, so errors are global rather than local. One `NaN` or `inf`
    pixel makes the whole output map `NaN` (`Conv2D` spoils only the
    outputs whose window holds it), and float32 round-off scales with the
    largest value in the map: next to a spike of 1e6, outputs far from it
    (where `Conv2D` is exact) carry absolute errors of order 1e6 * 1e-7 *
    log(size), which swamps small values. Use `Conv2D` where inputs can be
    non-finite or span many orders of magnitude.

    Args:
        filters: int, the number of output channels.
        kernel_size: int or tuple of 2 ints.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        activation: activation identifier or callable. Defaults to none.
        use_bias: bool. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer: optional kernel regularizer.
        bias_regularizer: optional bias regularizer.
        **kwargs: base `keras.layers.Layer` arguments. `strides` and
            `dilation_rate` other than 1 are rejected.

    Integer and boolean inputs are cast to the compute dtype; complex
    inputs raise a `TypeError`.

    Input shape:
        4D tensor with static spatial dimensions.

    Output shape:
        4D tensor, as for `keras.layers.Conv2D`.

    Example:

    >>> x = np.random.rand(2, 9, 8, 3).astype("float32")
    >>> tuple(FFTConv2D(4, (3, 2), padding="same")(x).shape)
    (2, 9, 8, 4)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        padding="valid",
        data_format=None,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        for name in ("strides", "dilation_rate"):
            value = kwargs.pop(name, 1)
            if standardize_pair(value, name) != (1, 1):
                raise ValueError(
                    f"Invalid value for argument `{name}`. FFTConv2D computes "
                    f"stride-1, undilated convolutions; use keras.layers."
                    f"Conv2D otherwise. Received: {name}={value!r}"
                )
        super().__init__(**kwargs)
        self.filters = check_filters(filters)
        self.kernel_size = standardize_pair(kernel_size, "kernel_size")
        self.padding = check_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        channels = channel_count(
            input_shape, self.data_format, type(self).__name__
        )
        spatial = spatial_shape(
            input_shape, self.data_format, type(self).__name__
        )
        if self.padding == "valid" and any(
            s < k for s, k in zip(spatial, self.kernel_size)
        ):
            raise ValueError(
                "Invalid input for FFTConv2D with padding='valid': the kernel "
                f"{self.kernel_size} is larger than the input's spatial size "
                f"{spatial}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (channels, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            dtype="float32",
            # Read as float32 under mixed precision: the Fourier math runs in
            # float32 and only its result is cast to the compute dtype.
            autocast=False,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                dtype="float32",
                autocast=False,
            )

    def call(self, inputs):
        outputs = fourier.fft_conv2d(
            real_inputs(inputs, self),
            self.kernel,
            self.padding,
            self.data_format,
        )
        if self.use_bias:
            shape = (1, 1, 1, -1)
            if self.data_format == "channels_first":
                shape = (1, -1, 1, 1)
            outputs = outputs + ops.reshape(self.bias, shape)
        outputs = ops.cast(outputs, self.compute_dtype)
        return self.activation(outputs) if self.activation else outputs

    def compute_output_shape(self, input_shape):
        return conv_output_shape(
            input_shape,
            self.filters,
            self.kernel_size,
            self.padding,
            (1, 1),
            self.data_format,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "padding": self.padding,
            "data_format": self.data_format,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(
                self.bias_regularizer
            ),
        }
