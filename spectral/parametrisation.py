"""The spectral parametrisation of convolution kernels (§3 of the paper).

A real `kh x kw` filter is stored as the real coordinates of the Hermitian
half of its unitary 2-D DFT: `kh * kw` numbers per filter, no redundancy,
and an orthonormal map back to the spatial kernel (`spectral_kernel_basis`
states the layout). Because the map is orthogonal, the spatial and the
spectral parametrisation have the same Euclidean geometry: plain SGD and L2
weight decay take the same steps in both, and only optimisers that act on
each coordinate separately (Adam, RMSProp) see a difference. That is the
property the paper's speed-up claim rests on and the identity the tests
check (`tests/test_parametrisation.py`).

Pure functions on numpy and `keras.ops`, float32 on both backends, like
`spectral.fourier`, which re-exports all three.
"""

import functools
import math

import numpy as np
from keras import ops

from spectral._validation import real_float_tensor
from spectral._validation import standardize_pair


@functools.lru_cache(maxsize=32)
def spectral_kernel_basis(kernel_size):
    """Orthonormal synthesis matrix from spectral parameters to a kernel.

    A real `kh x kw` filter is determined by the Hermitian half of its
    unitary 2-D DFT `f = F(kernel)`. Its frequencies fall into conjugate
    orbits `{k, -k}`: self-conjugate ones (`k = -k`, e.g. DC) carry one real
    number, the others one complex number. The spectral parameters of a
    filter are, in row-major order of each orbit's first index `k`:
    `Re f[k]` for every orbit, then `Im f[k]` for every two-element orbit,
    each two-element coordinate multiplied by `sqrt(2)` (the pair `f[k]`,
    `f[-k]` carries the value twice). That makes the map from parameters to
    kernel orthogonal: exactly `kh * kw` parameters, no redundancy, and the
    same Euclidean geometry as the spatial kernel (so plain SGD, and L2
    weight decay, behave identically in both parametrisations).

    Args:
        kernel_size: pair of positive ints `(kh, kw)`.

    Returns:
        A read-only float64 array `B` of shape `(kh * kw, kh * kw)` with
        `kernel.reshape(-1) == B @ parameters` and `B.T @ B == I`.

    Example:

    >>> B = spectral_kernel_basis((3, 3))
    >>> bool(np.allclose(B.T @ B, np.eye(9)))
    True
    """
    kh, kw = standardize_pair(kernel_size, "kernel_size")
    real_cols, imag_cols = [], []
    for h in range(kh):
        for w in range(kw):
            partner = ((-h) % kh, (-w) % kw)
            if partner < (h, w):
                continue  # the orbit was listed at its first index
            for target, value in ((real_cols, 1.0), (imag_cols, 1j)):
                if partner == (h, w) and target is imag_cols:
                    continue  # self-conjugate: real by symmetry
                spectrum = np.zeros((kh, kw), complex)
                if partner == (h, w):
                    spectrum[h, w] = value
                else:
                    spectrum[h, w] = value / math.sqrt(2)
                    spectrum[partner] = np.conj(value) / math.sqrt(2)
                column = np.fft.ifft2(spectrum, norm="ortho")
                target.append(column.real.reshape(-1))
    basis = np.stack(real_cols + imag_cols, axis=1)
    basis.setflags(write=False)
    return basis


def spectral_to_kernel(parameters, kernel_size):
    """Spatial kernel `(kh, kw, in, out)` from spectral parameters.

    Args:
        parameters: tensor of shape `(kh * kw, in, out)` laid out as in
            `spectral_kernel_basis`.
        kernel_size: pair `(kh, kw)`.

    Returns:
        A float32 tensor of shape `(kh, kw, in, out)`: the inverse unitary
        DFT of each filter's Hermitian spectrum.
    """
    kh, kw = standardize_pair(kernel_size, "kernel_size")
    basis = ops.convert_to_tensor(
        spectral_kernel_basis((kh, kw)).astype("float32")
    )
    parameters = ops.cast(
        real_float_tensor(parameters, "spectral_to_kernel"), "float32"
    )
    if len(parameters.shape) != 3 or parameters.shape[0] != kh * kw:
        raise ValueError(
            "Invalid value for argument `parameters`. Expected shape "
            f"({kh * kw}, in, out) for kernel_size={(kh, kw)}. Received: "
            f"shape={tuple(parameters.shape)}"
        )
    flat = ops.einsum("kp,pio->kio", basis, parameters)
    return ops.reshape(flat, (kh, kw) + tuple(parameters.shape[1:]))


def kernel_to_spectral(kernel):
    """Spectral parameters `(kh * kw, in, out)` of a spatial kernel.

    The inverse (and transpose) of `spectral_to_kernel`. Accepts a numpy
    array or a tensor of shape `(kh, kw, in, out)`; returns a float32 tensor.
    """
    kernel = ops.cast(real_float_tensor(kernel, "kernel_to_spectral"), "float32")
    if len(kernel.shape) != 4:
        raise ValueError(
            "Invalid value for argument `kernel`. Expected a 4-D kernel "
            f"(kh, kw, in, out). Received: shape={tuple(kernel.shape)}"
        )
    kh, kw = kernel.shape[0], kernel.shape[1]
    basis = ops.convert_to_tensor(
        spectral_kernel_basis((kh, kw)).astype("float32")
    )
    flat = ops.reshape(kernel, (kh * kw,) + tuple(kernel.shape[2:]))
    return ops.einsum("kp,kio->pio", basis, flat)
