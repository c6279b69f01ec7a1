"""Spectral representations for convolutional neural networks, in Keras 3.

Exact spectral pooling, frequency dropout, spectrally parametrised and
FFT-computed convolutions (Rippel, Snoek and Adams, NIPS 2015), written with
`keras.ops` only so they run on the TensorFlow and JAX backends.

Import modules, not objects: `from spectral import fourier, layers, models`.
The experiment machinery lives in `spectral.data`, `spectral.experiments`,
`spectral.metrics`, `spectral.search`, `spectral.bench` and
`spectral.reproduce`.

Backend: whatever Keras is configured to use. When nothing is configured and
TensorFlow (Keras's default) is not installed but JAX is, importing
`spectral` before Keras selects JAX (`KERAS_BACKEND=jax`) instead of failing.
"""

from spectral import _backend

_backend.apply_fallback()

from spectral import fourier  # noqa: E402
from spectral import layers  # noqa: E402
from spectral import models  # noqa: E402

__version__ = "0.1.0"

__all__ = ["__version__", "fourier", "layers", "models"]
