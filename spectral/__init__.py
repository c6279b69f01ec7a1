"""Spectral representations for convolutional neural networks, in Keras 3.

Exact spectral pooling, frequency dropout, spectrally parametrised and
FFT-computed convolutions (Rippel, Snoek and Adams, NIPS 2015), written with
`keras.ops` only so they run on the TensorFlow and JAX backends.

Import modules, not objects: `from spectral import fourier, layers, models`.
The experiment machinery lives in `spectral.data`, `spectral.experiments`,
`spectral.metrics`, `spectral.search`, `spectral.bench` and
`spectral.reproduce`.
"""

from spectral import fourier
from spectral import layers
from spectral import models

__version__ = "0.1.0"

__all__ = ["__version__", "fourier", "layers", "models"]
