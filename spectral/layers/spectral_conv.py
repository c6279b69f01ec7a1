"""`SpectralConv2D`: a convolution whose filters live in frequency space."""

import keras
from keras import ops

from spectral import parametrisation
from spectral._validation import channel_count
from spectral._validation import check_filters
from spectral._validation import check_padding
from spectral._validation import conv_output_shape
from spectral._validation import real_inputs
from spectral._validation import standardize_data_format
from spectral._validation import standardize_pair


@keras.saving.register_keras_serializable(package="spectral")
class SpectralKernelInitializer(keras.initializers.Initializer):
    """Initialises spectral parameters as the DFT of a spatial initialiser.

    Draws a spatial kernel of shape `(kh, kw, in, out)` with
    `spatial_initializer`, exactly as `keras.layers.Conv2D` would (same fans,
    same seed), and returns its spectral parameters
    (`spectral.parametrisation.kernel_to_spectral`). A `SpectralConv2D` and a
    `Conv2D` given the same seeded initialiser therefore start as the same
    function.

    Args:
        spatial_initializer: a Keras initializer or its identifier.
        kernel_size: pair `(kh, kw)`.
    """

    def __init__(self, spatial_initializer, kernel_size):
        self.spatial_initializer = keras.initializers.get(spatial_initializer)
        self.kernel_size = standardize_pair(kernel_size, "kernel_size")

    def __call__(self, shape, dtype=None):
        kh, kw = self.kernel_size
        spatial = self.spatial_initializer(
            (kh, kw) + tuple(shape[1:]), dtype="float32"
        )
        return ops.cast(parametrisation.kernel_to_spectral(spatial), dtype or "float32")

    def get_config(self):
        return {
            "spatial_initializer": keras.initializers.serialize(
                self.spatial_initializer
            ),
            "kernel_size": self.kernel_size,
        }


@keras.saving.register_keras_serializable(package="spectral")
class SpectralConv2D(keras.layers.Layer):
    """2D convolution whose trainable filters are their DFT coefficients.

    Spectral parametrisation (paper §4): each `(kh, kw)` filter is stored as
    the Hermitian half of its unitary 2-D DFT (the layout of
    `spectral.parametrisation.spectral_kernel_basis`: exactly `kh * kw` real numbers
    per filter, nothing redundant, no transform over channel axes). Every
    call forms the spatial kernel by the inverse DFT (an orthogonal
    `kh*kw x kh*kw` matrix product, in float32) and convolves as
    `keras.layers.Conv2D` does, with the same arguments and output. Only the
    coordinates the optimiser sees change: because the map is orthogonal,
    plain SGD follows the same trajectory as the spatial layer, while Adam's
    per-coordinate steps differ, which is the paper's point.

    Initialisation is the DFT of the spatial initialiser `Conv2D` would use
    (`kernel_initializer`, default Glorot uniform), so spatial and spectral
    models built with the same seeds start as the same function. A
    `kernel_regularizer` applies to the spectral parameters; for L2 that
    equals L2 on the spatial kernel (orthogonality).

    Args:
        filters: int, the number of output channels.
        kernel_size: int or tuple of 2 ints.
        strides: int or tuple of 2 ints. Defaults to 1.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        activation: activation identifier or callable. Defaults to none.
        use_bias: bool. Defaults to `True`.
        kernel_initializer: spatial initializer. Defaults to
            `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer: optional regularizer of the spectral parameters.
        bias_regularizer: optional regularizer of the bias.
        **kwargs: base `keras.layers.Layer` arguments.

    Integer and boolean inputs are cast to the compute dtype; complex
    inputs raise a `TypeError`.

    Input shape:
        4D tensor, as for `keras.layers.Conv2D`.

    Output shape:
        4D tensor, as for `keras.layers.Conv2D`.

    Example:

    >>> x = np.random.rand(2, 8, 8, 3).astype("float32")
    >>> layer = SpectralConv2D(4, 3, padding="same")
    >>> tuple(layer(x).shape)
    (2, 8, 8, 4)
    >>> tuple(layer.spectral_kernel.shape), tuple(layer.kernel.shape)
    ((9, 3, 4), (3, 3, 3, 4))
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
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
        super().__init__(**kwargs)
        self.filters = check_filters(filters)
        self.kernel_size = standardize_pair(kernel_size, "kernel_size")
        self.strides = standardize_pair(strides, "strides")
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
        kh, kw = self.kernel_size
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        spatial = tuple(input_shape[a] for a in axes)
        if self.padding == "valid" and any(
            s is not None and s < k for s, k in zip(spatial, self.kernel_size)
        ):
            raise ValueError(
                "Invalid input for SpectralConv2D with padding='valid': the "
                f"kernel {self.kernel_size} is larger than the input's "
                f"spatial size {spatial}. Expected inputs at least as large "
                "as the kernel, or padding='same'."
            )
        self.spectral_kernel = self.add_weight(
            name="spectral_kernel",
            shape=(kh * kw, channels, self.filters),
            initializer=SpectralKernelInitializer(
                self.kernel_initializer, self.kernel_size
            ),
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

    @property
    def kernel(self):
        """The spatial kernel `(kh, kw, in, out)`, a float32 tensor."""
        return parametrisation.spectral_to_kernel(
            self.spectral_kernel, self.kernel_size
        )

    def set_kernel(self, kernel):
        """Sets the spectral parameters from a spatial kernel.

        Args:
            kernel: array `(kh, kw, in, out)`, e.g. a `Conv2D`'s kernel.
        """
        self.spectral_kernel.assign(parametrisation.kernel_to_spectral(kernel))

    def call(self, inputs):
        inputs = real_inputs(inputs, self)
        kernel = ops.cast(self.kernel, self.compute_dtype)
        outputs = ops.conv(
            ops.cast(inputs, self.compute_dtype),
            kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
        )
        if self.use_bias:
            bias = ops.cast(self.bias, self.compute_dtype)
            shape = (1, 1, 1, -1)
            if self.data_format == "channels_first":
                shape = (1, -1, 1, 1)
            outputs = outputs + ops.reshape(bias, shape)
        return self.activation(outputs) if self.activation else outputs

    def compute_output_shape(self, input_shape):
        return conv_output_shape(
            input_shape,
            self.filters,
            self.kernel_size,
            self.padding,
            self.strides,
            self.data_format,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
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
