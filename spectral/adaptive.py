"""Adaptive max and average pooling to any output size, fast on CPUs.

The pooling windows are those of `keras.layers.AdaptiveMaxPooling2D` and
`AdaptiveAveragePooling2D` (and of PyTorch's adaptive pooling): along an
axis of length `n` pooled to `m`, output `i` covers input positions
`floor(i n / m) <= j < ceil((i + 1) n / m)`. The values equal those of the
Keras layers (tested against them), but the computation is several times
faster to train on CPUs:

* average pooling is linear and separable: `Y = A X B^T` with two small
  averaging matrices, computed as two broadcast matrix products (the path
  `SpectralPooling2D` uses);
* max pooling is separable too (a maximum over a rectangle is the maximum
  over rows of the maxima over columns). Along one axis, output `i` is the
  elementwise maximum of the rows `start_i + min(j, size_i - 1)` for
  `j < max(size)`: a few `take`s with constant indices, whose gradients
  route each output's gradient to its maximum (exact ties are split as the
  backend's `maximum` gradient splits them). Measured on a 2-core CPU
  (TensorFlow, batch 128, forward and backward), this is 3-6x faster than
  selecting stride-1 window maxima with one-hot matrix products, with and
  without XLA.

Non-finite inputs propagate as in the Keras layers: a window holding `NaN`
gives `NaN`, one holding `inf` gives `inf`.
"""

import numpy as np
from keras import ops

from spectral.fourier import _separable_matmul

MODES = ("max", "average")


def adaptive_windows(input_size, output_size):
    """`(starts, sizes)` of the adaptive pooling windows along one axis.

    Example:

    >>> starts, sizes = adaptive_windows(5, 3)
    >>> starts.tolist(), sizes.tolist()
    ([0, 1, 3], [2, 3, 2])
    """
    n, m = int(input_size), int(output_size)
    if not 0 < m <= n:
        raise ValueError(
            "Invalid value for argument `output_size`. Expected a positive "
            f"integer no larger than the input size {n}. Received: "
            f"output_size={output_size!r}"
        )
    i = np.arange(m)
    starts = (i * n) // m
    ends = -((-(i + 1) * n) // m)
    return starts, ends - starts


def average_matrix(input_size, output_size):
    """The `(output_size, input_size)` matrix of 1-D adaptive averaging."""
    starts, sizes = adaptive_windows(input_size, output_size)
    matrix = np.zeros((len(starts), int(input_size)), "float32")
    for row, (start, size) in enumerate(zip(starts, sizes)):
        matrix[row, start : start + size] = 1.0 / size
    return matrix


def _take_max(x, output_size, axis):
    """1-D adaptive max pooling along `axis` (static size)."""
    starts, sizes = adaptive_windows(x.shape[axis], output_size)
    out = None
    for j in range(int(sizes.max())):
        rows = ops.take(x, starts + np.minimum(j, sizes - 1), axis=axis)
        out = rows if out is None else ops.maximum(out, rows)
    return out


def adaptive_pool(x, output_size, mode="max", data_format="channels_last"):
    """Adaptive max or average pooling of a 4-D tensor.

    Args:
        x: tensor `(batch, height, width, channels)` (channels_last) or
            `(batch, channels, height, width)`, float, static spatial size.
        output_size: `(out_height, out_width)`, each at most the input's.
        mode: `"max"` or `"average"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The pooled tensor, of `x`'s dtype.
    """
    if mode not in MODES:
        raise ValueError(
            f"Invalid value for argument `mode`. Expected one of {MODES}. "
            f"Received: mode={mode!r}"
        )
    x = ops.convert_to_tensor(x)
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    height, width = x.shape[axes[0]], x.shape[axes[1]]
    out_h, out_w = (int(s) for s in output_size)
    if mode == "average":
        a = ops.convert_to_tensor(average_matrix(height, out_h), x.dtype)
        b = ops.convert_to_tensor(average_matrix(width, out_w), x.dtype)
        return _separable_matmul(x, a, b, data_format)
    return _take_max(_take_max(x, out_w, axes[1]), out_h, axes[0])
