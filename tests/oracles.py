"""Independent numpy/scipy references and the one tolerance rule of the suite.

Nothing here imports `spectral`: each oracle is written from the textbook
definition so that a shared bug cannot hide in both sides of a comparison.
"""

import math

import numpy as np
import scipy.signal


def tolerance(dtype="float32", size=1, scale=1.0):
    """Returns `(rtol, atol)` for comparing a result of `dtype`.

    Derived from the dtype's machine epsilon, grown with `log2(size)` (the
    depth of an FFT or of a summation tree over `size` terms) and scaled by
    the magnitude `scale` of the reference.
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    growth = 16 * max(1.0, math.log2(max(size, 2)))
    return growth * eps, growth * eps * max(scale, 1e-30)


def assert_close(actual, desired, dtype="float32", size=1):
    """`numpy.testing.assert_allclose` with the suite's tolerance rule."""
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    scale = float(np.max(np.abs(desired))) if desired.size else 1.0
    rtol, atol = tolerance(dtype, size, scale)
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol)


def naive_dft(x):
    """O(n^2) unnormalised DFT along the last axis, from the definition."""
    n = x.shape[-1]
    k = np.arange(n)
    matrix = np.exp(-2j * np.pi * np.outer(k, k) / n)
    return x @ matrix.T


def naive_idft(y):
    """O(n^2) inverse of `naive_dft` along the last axis."""
    n = y.shape[-1]
    k = np.arange(n)
    matrix = np.exp(2j * np.pi * np.outer(k, k) / n) / n
    return y @ matrix.T


def resample_naive(x, m, norm="mean"):
    """Spectral resampling along the last axis by the naive DFT.

    Keeps frequencies |k| < m/2; for even m the output Nyquist bin is the sum
    of the input's bins +m/2 and -m/2 (downsampling), or the input Nyquist is
    split in halves (upsampling): sampling the trigonometric interpolant.
    """
    n = x.shape[-1]
    spectrum = naive_dft(x)
    out = np.zeros(x.shape[:-1] + (m,), complex)
    for k in range(-(n // 2), (n + 1) // 2):  # every input frequency once
        value = spectrum[..., k % n]
        if n % 2 == 0 and abs(k) == n // 2 and m > n:
            out[..., (n // 2) % m] += value / 2
            out[..., (-(n // 2)) % m] += value / 2
        elif 2 * abs(k) < m or (2 * abs(k) == m and m <= n):
            out[..., k % m] += value
    y = naive_idft(out).real * (m / n)
    return y if norm == "mean" else y * math.sqrt(n / m)


def scipy_pool(x, output_size, axes=(1, 2), norm="mean"):
    """`scipy.signal.resample` along both spatial axes."""
    y = scipy.signal.resample(x, output_size[0], axis=axes[0])
    y = scipy.signal.resample(y, output_size[1], axis=axes[1])
    if norm == "ortho":
        n = x.shape[axes[0]] * x.shape[axes[1]]
        y = y * math.sqrt(n / (output_size[0] * output_size[1]))
    return y


def four_point_pool(x, output_size):
    """A *wrong* even-size treatment: fixes only the four corner points.

    Crops the centred 2-D spectrum and makes only the four self-conjugate
    points real, as some earlier reproductions did. Kept to show that the
    tests can tell it from the correct rule.
    """
    h, w = output_size
    spectrum = np.fft.fftshift(np.fft.fft2(x, axes=(1, 2)), axes=(1, 2))
    m, n = x.shape[1], x.shape[2]
    top, left = m // 2 - h // 2, n // 2 - w // 2
    crop = spectrum[:, top : top + h, left : left + w]
    crop = np.fft.ifftshift(crop, axes=(1, 2))
    for i in {0, h // 2}:
        for j in {0, w // 2}:
            crop[:, i, j] = crop[:, i, j].real
    return np.fft.ifft2(crop, axes=(1, 2)).real * (h * w) / (m * n)


def lowpass_projection(x, kept, axis):
    """Orthogonal projection onto frequencies a `kept`-point grid represents."""
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    y = resample_naive(resample_naive(x, kept), n) if kept < n else x
    return np.moveaxis(y, -1, axis)


def conv2d_valid(x, kernel):
    """Cross-correlation, 'valid', channels_last, by explicit sums."""
    kh, kw = kernel.shape[:2]
    b, h, w, _ = x.shape
    out = np.zeros((b, h - kh + 1, w - kw + 1, kernel.shape[3]))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i : i + h - kh + 1, j : j + w - kw + 1, :]
            out += np.einsum("bhwc,co->bhwo", patch, kernel[i, j])
    return out


def hermitian_kernel_from_parameters(theta, kernel_size):
    """Spatial kernel from spectral parameters, via np.fft.ifft2.

    Rebuilds the full Hermitian spectrum from the documented layout (real
    parts per conjugate orbit in row-major order of first index, then
    imaginary parts of two-element orbits; two-element coordinates scaled by
    sqrt(2)) and inverts the unitary DFT.
    """
    kh, kw = kernel_size
    orbits = []
    for h in range(kh):
        for w in range(kw):
            partner = ((-h) % kh, (-w) % kw)
            if partner >= (h, w):
                orbits.append(((h, w), partner))
    pairs = [o for o in orbits if o[0] != o[1]]
    assert len(orbits) + len(pairs) == kh * kw
    spectrum = np.zeros((kh, kw) + theta.shape[1:], complex)
    for index, (k, partner) in enumerate(orbits):
        if k == partner:
            spectrum[k] = theta[index]
        else:
            spectrum[k] += theta[index] / math.sqrt(2)
            spectrum[partner] += theta[index] / math.sqrt(2)
    for index, (k, partner) in enumerate(pairs):
        value = theta[len(orbits) + index] / math.sqrt(2)
        spectrum[k] += 1j * value
        spectrum[partner] -= 1j * value
    kernel = np.fft.ifft2(spectrum, axes=(0, 1), norm="ortho")
    assert np.abs(kernel.imag).max() < 1e-9
    return kernel.real
