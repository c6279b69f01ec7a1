"""Adaptive max and average pooling to any output size, fast on CPUs.

The pooling windows are those of `keras.layers.AdaptiveMaxPooling2D` and
`AdaptiveAveragePooling2D` (and of PyTorch's adaptive pooling): along an
axis of length `n` pooled to `m`, output `i` covers input positions
`floor(i n / m) <= j < ceil((i + 1) n / m)`. The values equal those of the
Keras layers (tested against them), but the computation avoids their
`gather`, whose gradient makes TensorFlow's CPU kernels several times
slower than the rest of a small network:

* average pooling is linear and separable: `Y = A X B^T` with two small
  averaging matrices, computed as two broadcast matrix products (the path
  `SpectralPooling2D` uses);
* max pooling is separable too (a maximum over a rectangle is the maximum
  over rows of the maxima over columns); the windows come in at most a few
  distinct sizes, so elementwise maxima of shifted slices give every
  stride-1 window maximum of those sizes along each axis, and two one-hot
  matrix products pick the right one for each output — exact for finite
  inputs (products with 0 and 1).

Non-finite inputs: max pooling of an input holding `inf` or `NaN` gives
`NaN` in the selected outputs (the one-hot products multiply it by 0);
use the Keras layers where such inputs can occur.
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


def _selection(input_size, output_size):
    """Distinct window sizes and the one-hot matrix over their pools.

    A stride-1 "valid" pooling with window `k` has `n - k + 1` outputs;
    the pools of the distinct sizes are concatenated in the order of
    `sizes`, and row `i` of the matrix picks output `i`'s window from them.
    """
    starts, window = adaptive_windows(input_size, output_size)
    sizes = sorted(set(window.tolist()))
    offsets = np.cumsum([0] + [input_size - k + 1 for k in sizes])
    matrix = np.zeros((len(starts), int(offsets[-1])), "float32")
    for row, (start, size) in enumerate(zip(starts, window)):
        matrix[row, offsets[sizes.index(size)] + start] = 1.0
    return sizes, matrix


def _slice(x, axis, start, stop):
    index = [slice(None)] * len(x.shape)
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _window_maxima(x, sizes, axis):
    """Stride-1 maxima over windows of each of `sizes`, concatenated.

    Built from elementwise maxima of shifted slices (`m_k = max(m_{k-1},
    shift_{k-1} x)`), whose gradients are cheap selections, unlike the
    gradient of a stride-1 max pooling on CPUs.
    """
    n = x.shape[axis]
    running, pieces = x, []
    for k in range(1, max(sizes) + 1):
        if k > 1:
            running = ops.maximum(
                _slice(running, axis, 0, n - k + 1), _slice(x, axis, k - 1, n)
            )
        if k in sizes:
            pieces.append(running)
    return pieces[0] if len(pieces) == 1 else ops.concatenate(pieces, axis)


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
    sizes_h, select_h = _selection(height, out_h)
    sizes_w, select_w = _selection(width, out_w)
    grid = _window_maxima(x, sizes_w, axes[1])
    grid = _window_maxima(grid, sizes_h, axes[0])
    a = ops.convert_to_tensor(select_h, x.dtype)
    b = ops.convert_to_tensor(select_w, x.dtype)
    return _separable_matmul(grid, a, b, data_format)
