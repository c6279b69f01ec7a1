"""Argument validation shared by the public layers and functions (private)."""

import numbers

import numpy as np

_DATA_FORMATS = ("channels_last", "channels_first")


def standardize_pair(value, name, allow_none=False):
    """Returns `value` as a tuple of two positive Python ints.

    Args:
        value: an int or a sequence of two ints.
        name: the argument's name, used in error messages.
        allow_none: whether `None` is accepted (and returned as is).

    Returns:
        A tuple `(a, b)` of positive ints, or `None`.

    Raises:
        ValueError: if `value` is not one or two positive integers.
    """
    if value is None and allow_none:
        return None
    original = value
    if isinstance(value, bool):
        raise _pair_error(name, value)
    if isinstance(value, int) or (
        hasattr(value, "__index__") and not hasattr(value, "__len__")
    ):
        value = (int(value), int(value))
    try:
        pair = tuple(value)
    except TypeError:
        raise _pair_error(name, original) from None
    if len(pair) != 2 or any(
        isinstance(v, bool) or not hasattr(v, "__index__") or int(v) < 1
        for v in pair
    ):
        raise _pair_error(name, original)
    return (int(pair[0]), int(pair[1]))


def _pair_error(name, value):
    return ValueError(
        f"Invalid value for argument `{name}`. Expected a positive integer "
        f"or a tuple of 2 positive integers. Received: {name}={value!r}"
    )


def standardize_data_format(data_format):
    """Returns a valid data format, defaulting to Keras's global setting.

    Raises:
        ValueError: if `data_format` is not `"channels_last"`,
            `"channels_first"` or `None`.
    """
    if data_format is None:
        import keras

        return keras.config.image_data_format()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            "Invalid value for argument `data_format`. Expected one of "
            f"{_DATA_FORMATS}. Received: data_format={data_format!r}"
        )
    return data_format


def check_rate(rate, name="rate"):
    """Returns `rate` as a float after checking that it lies in [0, 1].

    Raises:
        ValueError: if `rate` is not a real number in [0, 1].
    """
    if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, numbers.Real):
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a float in "
            f"[0, 1]. Received: {name}={rate!r}"
        )
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a float in "
            f"[0, 1]. Received: {name}={rate!r}"
        )
    return float(rate)


def check_norm(norm):
    """Returns `norm` after checking it names a supported normalisation."""
    if norm not in ("mean", "ortho"):
        raise ValueError(
            "Invalid value for argument `norm`. Expected 'mean' or 'ortho'. "
            f"Received: norm={norm!r}"
        )
    return norm


def spatial_shape(input_shape, data_format, layer_name):
    """Returns the static `(height, width)` of a 4D input shape.

    Raises:
        ValueError: if the shape is not 4D or a spatial size is unknown.
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 4:
        raise ValueError(
            f"{layer_name} expects a 4D input (batch, height, width, "
            f"channels) or (batch, channels, height, width). Received: "
            f"input_shape={input_shape}"
        )
    if data_format == "channels_last":
        height, width = input_shape[1], input_shape[2]
    else:
        height, width = input_shape[2], input_shape[3]
    if height is None or width is None:
        raise ValueError(
            f"{layer_name} needs static spatial dimensions (the Fourier "
            "operators are built for one size). Received: "
            f"input_shape={input_shape} with data_format={data_format!r}"
        )
    return int(height), int(width)


def check_output_size(output_size, input_shape, data_format, layer_name):
    """Checks that a pooling's `output_size` fits its static input.

    Returns:
        The input's `(height, width)`.

    Raises:
        ValueError: if either output size exceeds the input's.
    """
    height, width = spatial_shape(input_shape, data_format, layer_name)
    if output_size[0] > height or output_size[1] > width:
        raise ValueError(
            "Invalid value for argument `output_size`. Expected positive "
            "integers no larger than the input size. Received: "
            f"output_size={output_size} for input of spatial size "
            f"{(height, width)}."
        )
    return height, width


def resized_shape(input_shape, output_size, data_format):
    """`input_shape` with its spatial sizes replaced by `output_size`."""
    shape = list(input_shape)
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    shape[axes[0]], shape[axes[1]] = output_size
    return tuple(shape)


def check_int(value, name, minimum=1):
    """Returns `value` as an int after checking it is an integer (Python
    or numpy, not bool) >= `minimum`."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        expected = (
            "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        )
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected {expected}. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def check_filters(filters):
    """Returns `filters` after checking it is a positive int."""
    return check_int(filters, "filters")


def check_padding(padding):
    """Returns `padding` lower-cased after checking it is valid or same."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(
            "Invalid value for argument `padding`. Expected 'valid' or "
            f"'same'. Received: padding={padding!r}"
        )
    return padding.lower()


def channel_count(input_shape, data_format, layer_name):
    """Returns the static channel count of a 4D input shape."""
    axis = -1 if data_format == "channels_last" else 1
    channels = tuple(input_shape)[axis]
    if channels is None:
        raise ValueError(
            f"{layer_name} needs a static channel dimension. Received: "
            f"input_shape={tuple(input_shape)}"
        )
    return int(channels)


def conv_output_shape(
    input_shape, filters, kernel_size, padding, strides, data_format
):
    """Output shape of a 2-D convolution (dilation 1)."""
    shape = list(input_shape)
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    for axis, k, s in zip(axes, kernel_size, strides):
        size = shape[axis]
        if size is None:
            continue
        if padding == "valid":
            size = size - k + 1
        shape[axis] = -(-size // s) if size > 0 else 0
    shape[-1 if data_format == "channels_last" else 1] = filters
    return tuple(shape)


def real_inputs(inputs, layer):
    """`inputs` as a real floating tensor of `layer`'s compute dtype.

    Integer and boolean inputs (e.g. uint8 images) are cast explicitly, so
    the math runs in floating point and the output's dtype is the one the
    layer declares; complex inputs are refused, since the layers' math is
    defined for real signals only and would silently drop the imaginary
    part.
    """
    import keras

    dtype = keras.backend.standardize_dtype(inputs.dtype)
    if "complex" in dtype:
        raise TypeError(
            f"Invalid dtype for the inputs of {type(layer).__name__}. "
            f"Expected real numbers (float, int or bool, which are cast to "
            f"{layer.compute_dtype}). Received: dtype={dtype}"
        )
    if "float" in dtype:
        return inputs
    return keras.ops.cast(inputs, layer.compute_dtype)


def real_float_tensor(x, function):
    """`x` as a real floating tensor for the pure function named `function`.

    Float inputs keep their dtype; integer and boolean inputs are cast to
    float32 explicitly (so the result is float32, never a truncated
    integer); complex inputs raise `TypeError`, since the operators are
    defined for real signals only.
    """
    import keras

    x = keras.ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    if "complex" in dtype:
        raise TypeError(
            f"Invalid dtype for argument `x` of {function}. Expected real "
            "numbers (float; int and bool are cast to float32). Received: "
            f"dtype={dtype}"
        )
    if "float" in dtype:
        return x
    return keras.ops.cast(x, "float32")


def check_kept_size(kept_size, spatial):
    """Checks a static `kept_size` pair against the spatial size.

    Tensors (a traced random size) are passed through unchecked; Python
    and numpy integers must lie in `[1, size]` per axis.
    """
    import numbers

    try:
        pair = tuple(kept_size)
    except TypeError:
        raise ValueError(
            "Invalid value for argument `kept_size`. Expected a pair "
            f"(kept_height, kept_width). Received: kept_size={kept_size!r}"
        ) from None
    if len(pair) != 2:
        raise ValueError(
            "Invalid value for argument `kept_size`. Expected a pair "
            f"(kept_height, kept_width). Received: kept_size={kept_size!r}"
        )
    for value, size in zip(pair, spatial):
        if isinstance(value, (bool, np.bool_)) or isinstance(value, float):
            raise ValueError(
                "Invalid value for argument `kept_size`. Expected integers "
                f"in [1, input size]. Received: kept_size={kept_size!r}"
            )
        if isinstance(value, numbers.Integral) and not 1 <= int(value) <= size:
            raise ValueError(
                "Invalid value for argument `kept_size`. Expected integers "
                f"in [1, input size {tuple(spatial)}]. Received: "
                f"kept_size={kept_size!r}"
            )
    return pair
