"""Exact spectral operators as pure functions on `keras.ops`.

Every function here is stateless, works on the TensorFlow and JAX backends,
and computes in float32. The conventions, used throughout the library and
derived in the theory chapter of the book, are:

* **Separable resampling.** Spectral pooling of a 2-D map is the 1-D
  operator below applied along the height axis and then along the width
  axis (the 2-D DFT factorises, and so does the crop).
* **Which frequencies are kept.** Resampling a length-`n` signal to length
  `m < n` keeps the integer frequencies `|k| < m / 2`. For an *even* `m`, the
  output's Nyquist bin `m / 2` is its own conjugate partner; it receives the
  **sum** of the input's two bins `+m/2` and `-m/2`. For a real signal that
  is `2 Re X[m/2]`: the cosine at that frequency is kept and the sine, which
  vanishes on the output grid, is dropped. This is exactly sampling the
  band-limited trigonometric interpolant, the convention of
  `scipy.signal.resample`, and it applies to the *whole* Nyquist row and
  column of a 2-D spectrum, not to four corner points.
* **Interpolation** (`spectral_interpolate`, the reverse direction) zero-pads
  the spectrum and splits an even input's Nyquist bin equally between `+n/2`
  and `-n/2`. Hence `spectral_pool(spectral_interpolate(y)) == y`, and
  `spectral_interpolate(spectral_pool(x))` is the orthogonal projection of `x`
  onto the signals an `m`-point grid represents.
* **Normalisation** (`norm`): `"mean"` (default) preserves the mean, so a
  constant map stays the same constant, exactly like `scipy.signal.resample`;
  `"ortho"` uses the unitary DFT on both sides as in the paper, which scales
  the output by `sqrt(n / m)` per axis relative to `"mean"`.
* **Layout.** Inputs are 4-D, `channels_last` `(batch, height, width,
  channels)` or `channels_first` `(batch, channels, height, width)`. The one
  transpose to the layout `keras.ops.rfft` needs lives here.

The spectral parametrisation of kernels (`spectral_kernel_basis`,
`spectral_to_kernel`, `kernel_to_spectral`) lives in
`spectral.parametrisation` and is re-exported here.

Small maps are resampled by two real matrix products (`Y = A X B^T`, with
`A` and `B` built once per size from the operator above); large maps by FFT.
Both paths compute the same linear map and are tested against each other and
against `scipy.signal.resample`.
"""

import functools
import math

import numpy as np
from keras import ops

from spectral._validation import check_kept_size
from spectral._validation import check_norm
from spectral._validation import real_float_tensor
from spectral._validation import standardize_data_format
from spectral._validation import standardize_pair
from spectral.parametrisation import kernel_to_spectral  # noqa: F401 (re-export)
from spectral.parametrisation import spectral_kernel_basis  # noqa: F401
from spectral.parametrisation import spectral_to_kernel  # noqa: F401

# Largest map side for which `method="auto"` picks the matrix path.
_MATMUL_MAX_SIZE = 64


def _pool_scale(input_size, output_size, norm):
    """Factor applied after an unnormalised irfft of length `output_size`."""
    ratio = output_size / input_size
    return ratio if norm == "mean" else math.sqrt(ratio)


def _resample_numpy(x, size, norm="mean"):
    """Reference-free numpy version of the 1-D operator along the last axis.

    Used only to build the matrices of the matmul path; its agreement with
    `scipy.signal.resample` is tested.
    """
    n = x.shape[-1]
    if size == n:
        return np.array(x, dtype=np.float64)
    spectrum = np.fft.rfft(x, axis=-1)
    if size < n:
        spectrum = spectrum[..., : size // 2 + 1].copy()
        if size % 2 == 0:
            # Sum convention: the output Nyquist bin gets X[m/2] + X[-m/2].
            spectrum[..., -1] = 2.0 * spectrum[..., -1].real
    else:
        pad = size // 2 + 1 - spectrum.shape[-1]
        spectrum = np.concatenate(
            [spectrum, np.zeros(spectrum.shape[:-1] + (pad,), complex)],
            axis=-1,
        )
        if n % 2 == 0:
            # The input Nyquist bin is split between +n/2 and -n/2.
            spectrum[..., n // 2] = 0.5 * spectrum[..., n // 2].real
    out = np.fft.irfft(spectrum, n=size, axis=-1)
    return out * _pool_scale(n, size, norm)


@functools.lru_cache(maxsize=128)
def resample_matrix(input_size, output_size, norm="mean"):
    """Returns the real matrix of 1-D spectral resampling.

    `resample_matrix(n, m) @ x` equals spectral pooling (if `m <= n`) or
    spectral interpolation (if `m > n`) of the length-`n` signal `x`, with the
    conventions of this module.

    Args:
        input_size: positive int, the input length `n`.
        output_size: positive int, the output length `m`.
        norm: `"mean"` or `"ortho"`.

    Returns:
        A read-only float64 numpy array of shape `(output_size, input_size)`.

    Example:

    >>> A = resample_matrix(4, 2)
    >>> A @ np.ones(4)
    array([1., 1.])
    """
    check_norm(norm)
    matrix = _resample_numpy(np.eye(input_size), output_size, norm).T
    matrix = np.ascontiguousarray(matrix)
    matrix.setflags(write=False)
    return matrix


def _to_channels_first(x, data_format):
    return (
        ops.transpose(x, (0, 3, 1, 2)) if data_format == "channels_last" else x
    )


def _from_channels_first(x, data_format):
    return (
        ops.transpose(x, (0, 2, 3, 1)) if data_format == "channels_last" else x
    )


def _spatial_axes(data_format):
    return (1, 2) if data_format == "channels_last" else (2, 3)


def _resample_last_axis_fft(x, size, norm):
    """FFT path of the 1-D operator along the last axis of a float32 tensor."""
    n = x.shape[-1]
    if size == n:
        return x
    real, imag = ops.rfft(x)
    bins = size // 2 + 1
    if size < n:
        real, imag = real[..., :bins], imag[..., :bins]
        real_gain = np.ones(bins, "float32")
        imag_gain = np.ones(bins, "float32")
        imag_gain[0] = 0.0
        if size % 2 == 0:
            real_gain[-1], imag_gain[-1] = 2.0, 0.0
    else:
        pad = [[0, 0]] * (len(x.shape) - 1) + [[0, bins - real.shape[-1]]]
        real, imag = ops.pad(real, pad), ops.pad(imag, pad)
        real_gain = np.ones(bins, "float32")
        imag_gain = np.ones(bins, "float32")
        imag_gain[0] = 0.0
        if n % 2 == 0:
            real_gain[n // 2], imag_gain[n // 2] = 0.5, 0.0
    # The gains make the half-spectrum exactly Hermitian-consistent (real DC
    # and Nyquist bins) instead of relying on irfft to ignore imaginary parts.
    real = real * ops.convert_to_tensor(real_gain)
    imag = imag * ops.convert_to_tensor(imag_gain)
    out = ops.irfft((real, imag), fft_length=size)
    return out * _pool_scale(n, size, norm)


def _separable_matmul(x, a, b, data_format):
    """`Y = A X B^T` on every channel of every image, without transposes.

    Both products are matmuls over reshaped views with the small matrix
    broadcast, which backends run as a few large GEMMs (several times faster
    than the equivalent einsum on TensorFlow's CPU kernels).
    """
    (out_h, in_h), (out_w, in_w) = a.shape, b.shape
    if data_format == "channels_last":
        batch, channels = x.shape[0], x.shape[3]
        batch = -1 if batch is None else batch
        y = ops.matmul(b, ops.reshape(x, (-1, in_w, channels)))
        y = ops.reshape(y, (batch, in_h, out_w * channels))
        y = ops.matmul(a, y)
        return ops.reshape(y, (batch, out_h, out_w, channels))
    batch, channels = x.shape[0], x.shape[1]
    batch = -1 if batch is None else batch
    y = ops.matmul(ops.reshape(x, (-1, in_w)), ops.transpose(b))
    y = ops.matmul(a, ops.reshape(y, (-1, in_h, out_w)))
    return ops.reshape(y, (batch, channels, out_h, out_w))


def _resample_2d(x, output_size, data_format, norm, method):
    x = ops.convert_to_tensor(x)
    dtype = x.dtype
    x = ops.cast(x, "float32")
    axes = _spatial_axes(data_format)
    in_h, in_w = x.shape[axes[0]], x.shape[axes[1]]
    out_h, out_w = output_size
    if (in_h, in_w) == (out_h, out_w):
        return ops.cast(x, dtype)
    if method == "auto":
        largest = max(in_h, in_w, out_h, out_w)
        method = "matmul" if largest <= _MATMUL_MAX_SIZE else "fft"
    if method == "matmul":
        a = ops.convert_to_tensor(
            resample_matrix(in_h, out_h, norm).astype("float32")
        )
        b = ops.convert_to_tensor(
            resample_matrix(in_w, out_w, norm).astype("float32")
        )
        y = _separable_matmul(x, a, b, data_format)
    elif method == "fft":
        y = _to_channels_first(x, data_format)
        y = _resample_last_axis_fft(y, out_w, norm)
        y = ops.swapaxes(y, -1, -2)
        y = _resample_last_axis_fft(y, out_h, norm)
        y = ops.swapaxes(y, -1, -2)
        y = _from_channels_first(y, data_format)
    else:
        raise ValueError(
            "Invalid value for argument `method`. Expected 'auto', 'fft' or "
            f"'matmul'. Received: method={method!r}"
        )
    return ops.cast(y, dtype)


_METHODS = ("auto", "matmul", "fft")


def _check_method(method):
    if method not in _METHODS:
        raise ValueError(
            "Invalid value for argument `method`. Expected 'auto', 'fft' or "
            f"'matmul'. Received: method={method!r}"
        )


def _check_sizes(x, output_size, data_format, shrink):
    axes = _spatial_axes(data_format)
    shape = tuple(x.shape)
    if len(shape) != 4:
        raise ValueError(
            "Expected a 4D input (batch, height, width, channels) or "
            f"(batch, channels, height, width). Received: shape={shape}"
        )
    spatial = (shape[axes[0]], shape[axes[1]])
    if None in spatial:
        raise ValueError(
            "Spectral operators need static spatial dimensions. Received: "
            f"shape={shape} with data_format={data_format!r}"
        )
    bad = any(
        (o > i) if shrink else (o < i) for o, i in zip(output_size, spatial)
    )
    if bad:
        relation = "no larger" if shrink else "no smaller"
        raise ValueError(
            "Invalid value for argument `output_size`. Expected positive "
            f"integers {relation} than the input size. Received: "
            f"output_size={output_size} for input of spatial size {spatial}."
        )


def spectral_pool(
    x, output_size, data_format="channels_last", norm="mean", method="auto"
):
    """Spectral pooling: keeps the lowest frequencies of each channel.

    Computes, along each spatial axis, the DFT, keeps the frequencies
    `|k| < m / 2` of an `m`-point output (for even `m`, the Nyquist bin
    receives the sum of the input's `+m/2` and `-m/2` bins, so the whole
    Nyquist row and column are treated, not four points), and returns to
    the spatial domain. This equals `scipy.signal.resample` along each axis
    (times `sqrt(n / m)` per axis for `norm="ortho"`). The result is real by
    construction; the output size may be any size up to the input size, odd
    or even, and equal sizes give the identity.

    Args:
        x: 4-D real tensor (float; integer and boolean inputs are cast to
            float32 and give a float32 result; complex inputs raise
            `TypeError`).
        output_size: int or pair of ints `(height, width)`, each at most the
            corresponding input size.
        data_format: `"channels_last"` or `"channels_first"`.
        norm: `"mean"` (mean-preserving, default) or `"ortho"` (unitary DFTs,
            as in the paper).
        method: `"auto"`, `"matmul"` (two real matrix products) or `"fft"`.
            All compute the same map; `"auto"` picks by size.

    Returns:
        A tensor of the dtype of `x` (computed in float32) with spatial size
        `output_size`.

    Example:

    >>> x = np.ones((1, 6, 6, 1), "float32")
    >>> y = spectral_pool(x, (3, 4))
    >>> tuple(y.shape), round(float(ops.min(y)), 5), round(float(ops.max(y)), 5)
    ((1, 3, 4, 1), 1.0, 1.0)
    """
    output_size = standardize_pair(output_size, "output_size")
    data_format = standardize_data_format(data_format)
    check_norm(norm)
    _check_method(method)
    x = real_float_tensor(x, "spectral_pool")
    _check_sizes(x, output_size, data_format, shrink=True)
    return _resample_2d(x, output_size, data_format, norm, method)


def spectral_interpolate(
    x, output_size, data_format="channels_last", norm="mean", method="auto"
):
    """Trigonometric interpolation: zero-pads the spectrum of each channel.

    The reverse of `spectral_pool`: the input's frequencies are placed in a
    larger spectrum (an even input's Nyquist bin split equally between the
    two new bins `+n/2` and `-n/2`) and transformed back. It is the
    reconstruction rule the book uses for spectral pooling, and
    `spectral_pool(spectral_interpolate(y, big), small) == y`.

    Args:
        x: 4-D real tensor (as in `spectral_pool`: int and bool are cast to
            float32, complex is refused).
        output_size: int or pair of ints, each at least the input size.
        data_format: `"channels_last"` or `"channels_first"`.
        norm: `"mean"` or `"ortho"`, as in `spectral_pool`.
        method: `"auto"`, `"matmul"` or `"fft"`.

    Returns:
        A tensor of the dtype of `x` with spatial size `output_size`.

    Example:

    >>> y = spectral_interpolate(np.ones((1, 3, 3, 1), "float32"), 8)
    >>> tuple(y.shape), round(float(ops.mean(y)), 6)
    ((1, 8, 8, 1), 1.0)
    """
    output_size = standardize_pair(output_size, "output_size")
    data_format = standardize_data_format(data_format)
    check_norm(norm)
    _check_method(method)
    x = real_float_tensor(x, "spectral_interpolate")
    _check_sizes(x, output_size, data_format, shrink=False)
    return _resample_2d(x, output_size, data_format, norm, method)


@functools.lru_cache(maxsize=64)
def _real_fourier_basis_1d(size):
    """Orthonormal real Fourier basis of R^size, one column per mode.

    Returns `(basis, frequency, is_sine)`: columns are the constant, then
    `cos` and `sin` for `k = 1 .. ceil(size/2) - 1`, then the alternating
    Nyquist vector for even sizes.
    """
    n = np.arange(size)
    columns, frequency, is_sine = [np.full(size, 1 / math.sqrt(size))], [0], [0]
    for k in range(1, (size + 1) // 2):
        phase = 2 * math.pi * k * n / size
        columns += [np.cos(phase), np.sin(phase)]
        columns[-2] *= math.sqrt(2 / size)
        columns[-1] *= math.sqrt(2 / size)
        frequency += [k, k]
        is_sine += [0, 1]
    if size % 2 == 0:
        columns.append((-1.0) ** n / math.sqrt(size))
        frequency.append(size // 2)
        is_sine.append(0)
    basis = np.stack(columns, axis=1)
    return (
        basis.astype("float32"),
        np.array(frequency, "int32"),
        np.array(is_sine, bool),
    )


def _lowpass_matrix(size, kept):
    """Projection matrix onto the frequencies a `kept`-point grid represents.

    `kept` may be a traced integer tensor: the matrix is built from fixed
    constants and a mask, so a new `kept` never triggers a retrace.
    """
    basis, frequency, is_sine = _real_fourier_basis_1d(size)
    twice = ops.convert_to_tensor(2 * frequency)
    kept = ops.cast(kept, "int32")
    # Cosines (and the constant) survive up to k = kept/2 inclusive; sines
    # only below it, because sin(pi n) vanishes on an even `kept` grid.
    keep = ops.where(
        ops.convert_to_tensor(is_sine), twice < kept, twice <= kept
    )
    basis = ops.convert_to_tensor(basis)
    return ops.matmul(basis * ops.cast(keep, "float32"), ops.transpose(basis))


def _lowpass_last_axis_fft(x, kept):
    size = x.shape[-1]
    real, imag = ops.rfft(x)
    twice = ops.convert_to_tensor(2 * np.arange(size // 2 + 1, dtype="int32"))
    kept = ops.cast(kept, "int32")
    real = real * ops.cast(twice <= kept, "float32")
    imag = imag * ops.cast(twice < kept, "float32")
    return ops.irfft((real, imag), fft_length=size)


def frequency_lowpass(x, kept_size, data_format="channels_last", method="auto"):
    """Removes the frequencies a smaller grid could not represent.

    Equals `spectral_interpolate(spectral_pool(x, kept_size), input_size)`:
    the orthogonal projection of each channel onto the frequencies kept by
    spectral pooling to `kept_size` (for an even `kept_size`, the cosine at
    its Nyquist frequency is kept and the sine dropped). The spatial size is
    unchanged. This is the operation frequency dropout applies with a random
    `kept_size`; `kept_size` may be a tensor, and changing it does not
    retrace a compiled function.

    Args:
        x: 4-D real tensor (as in `spectral_pool`: int and bool are cast to
            float32, complex is refused).
        kept_size: pair `(kept_height, kept_width)` of ints or int tensors,
            each between 1 and the input size (checked for ints; a tensor is
            used as it is).
        data_format: `"channels_last"` or `"channels_first"`.
        method: `"auto"`, `"matmul"` or `"fft"`.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(1, 8, 8, 2))
    >>> y = frequency_lowpass(x.astype("float32"), (8, 8))
    >>> bool(np.allclose(y, x, atol=1e-5))
    True
    """
    data_format = standardize_data_format(data_format)
    _check_method(method)
    x = real_float_tensor(x, "frequency_lowpass")
    dtype = x.dtype
    x = ops.cast(x, "float32")
    _check_sizes(x, (1, 1), data_format, shrink=True)
    axes = _spatial_axes(data_format)
    height, width = x.shape[axes[0]], x.shape[axes[1]]
    kept_h, kept_w = check_kept_size(kept_size, (height, width))
    if method == "auto":
        method = "matmul" if max(height, width) <= _MATMUL_MAX_SIZE else "fft"
    if method == "matmul":
        a = _lowpass_matrix(height, kept_h)
        b = _lowpass_matrix(width, kept_w)
        y = _separable_matmul(x, a, b, data_format)
    elif method == "fft":
        y = _to_channels_first(x, data_format)
        y = _lowpass_last_axis_fft(y, kept_w)
        y = ops.swapaxes(y, -1, -2)
        y = _lowpass_last_axis_fft(y, kept_h)
        y = ops.swapaxes(y, -1, -2)
        y = _from_channels_first(y, data_format)
    else:
        raise ValueError(
            "Invalid value for argument `method`. Expected 'auto', 'fft' or "
            f"'matmul'. Received: method={method!r}"
        )
    return ops.cast(y, dtype)


def _rfft2_last_axes(x, shape):
    """Half spectrum of the last two axes, zero-padded to `shape`.

    Returns `(real, imag)` laid out as `(..., shape[1] // 2 + 1, shape[0])`
    (the two frequency axes swapped), which is all the product needs.
    """
    rows, cols = shape
    pad = [[0, 0]] * (len(x.shape) - 2)
    pad += [[0, rows - x.shape[-2]], [0, cols - x.shape[-1]]]
    x = ops.pad(x, pad)
    real, imag = ops.rfft(x)
    real, imag = ops.swapaxes(real, -1, -2), ops.swapaxes(imag, -1, -2)
    return ops.fft((real, imag))


def _irfft2_last_axes(spectrum, shape):
    rows, cols = shape
    real, imag = spectrum
    # ifft(z) = conj(fft(conj(z))) / n; keras.ops has no 1-D ifft.
    real, imag = ops.fft((real, -imag))
    real, imag = real / rows, -imag / rows
    real, imag = ops.swapaxes(real, -1, -2), ops.swapaxes(imag, -1, -2)
    return ops.irfft((real, imag), fft_length=cols)


def fft_conv2d(x, kernel, padding="valid", data_format="channels_last"):
    """2-D cross-correlation (what `keras.ops.conv` computes) by FFT.

    Zero-pads input and flipped kernel to the linear-convolution size
    `(H + kh - 1, W + kw - 1)` so that no circular wrap-around occurs,
    multiplies the spectra (summing over input channels), transforms back
    and crops the `"valid"` or `"same"` window. `"same"` places the extra
    row/column of an even kernel like TensorFlow and Keras do (more padding
    at the bottom/right). Stride and dilation are 1.

    Args:
        x: 4-D tensor.
        kernel: tensor of shape `(kh, kw, in_channels, out_channels)`, the
            layout of `keras.layers.Conv2D`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        A float32 tensor equal to
        `keras.ops.conv(x, kernel, padding=padding, data_format=data_format)`
        up to floating-point rounding.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(1, 6, 5, 2))
    >>> k = np.random.default_rng(1).normal(size=(3, 2, 2, 4))
    >>> y = fft_conv2d(x.astype("float32"), k.astype("float32"))
    >>> tuple(y.shape)
    (1, 4, 4, 4)
    """
    data_format = standardize_data_format(data_format)
    if padding not in ("valid", "same"):
        raise ValueError(
            "Invalid value for argument `padding`. Expected 'valid' or "
            f"'same'. Received: padding={padding!r}"
        )
    x = ops.cast(real_float_tensor(x, "fft_conv2d"), "float32")
    kernel = ops.cast(real_float_tensor(kernel, "fft_conv2d"), "float32")
    if len(x.shape) != 4:
        raise ValueError(
            "Invalid value for argument `x`. Expected a 4-D tensor. "
            f"Received: shape={tuple(x.shape)}"
        )
    if len(kernel.shape) != 4:
        raise ValueError(
            "Invalid value for argument `kernel`. Expected a 4-D kernel "
            f"(kh, kw, in, out). Received: shape={tuple(kernel.shape)}"
        )
    kh, kw = kernel.shape[0], kernel.shape[1]
    x = _to_channels_first(x, data_format)
    height, width = x.shape[2], x.shape[3]
    shape = (height + kh - 1, width + kw - 1)
    # Correlation with k is convolution with k flipped in both axes.
    flipped = ops.flip(ops.flip(kernel, 0), 1)
    flipped = ops.transpose(flipped, (2, 3, 0, 1))  # (in, out, kh, kw)
    x_real, x_imag = _rfft2_last_axes(x, shape)
    k_real, k_imag = _rfft2_last_axes(flipped, shape)
    product = "bcqp,coqp->boqp"
    y_real = ops.einsum(product, x_real, k_real) - ops.einsum(
        product, x_imag, k_imag
    )
    y_imag = ops.einsum(product, x_real, k_imag) + ops.einsum(
        product, x_imag, k_real
    )
    full = _irfft2_last_axes((y_real, y_imag), shape)
    if padding == "valid":
        top, left = kh - 1, kw - 1
        out_h, out_w = height - kh + 1, width - kw + 1
    else:
        top, left = kh // 2, kw // 2
        out_h, out_w = height, width
    y = full[:, :, top : top + out_h, left : left + out_w]
    return _from_channels_first(y, data_format)


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.fourier"))
