"""Spectral representations for convolutional neural networks, in Keras 3.

Exact spectral pooling, frequency dropout, spectrally parametrised and
FFT-computed convolutions (Rippel, Snoek and Adams, NIPS 2015), written with
`keras.ops` only so they run on the TensorFlow and JAX backends.

Import modules, not objects: `from spectral import fourier, layers, models`.
The experiment machinery lives in `spectral.data`, `spectral.config`,
`spectral.experiments` (with `spectral.device_loop`, whole epochs compiled
on an accelerator), `spectral.metrics`, `spectral.search`, `spectral.study`
and `spectral.claims` (the laptop study and its verdicts), `spectral.bench`
and `spectral.reproduce`.

Backend: whatever Keras is configured to use. When nothing is configured and
TensorFlow (Keras's default) is not installed but JAX is, importing
`spectral` before Keras selects JAX (`KERAS_BACKEND=jax`) instead of failing.
"""

import importlib
import sys

from spectral import _backend

_backend.apply_fallback()

__version__ = "0.1.0"

__all__ = ["__version__", "fourier", "layers", "models"]
_SUBMODULES = ("fourier", "layers", "models")


def __getattr__(name):
    """Imports `fourier`, `layers` and `models` on first use (see below)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"spectral.{name}")
    raise AttributeError(f"module 'spectral' has no attribute {name!r}")


# `import spectral` loads Keras and registers the layers for
# `keras.saving.load_model`. The command-line tools (`python -m
# spectral.study ...`, where Python sets sys.argv[0] to "-m" while the
# package is imported) import what they need themselves, so that `--help`
# answers without loading Keras and TensorFlow.
if not (sys.argv and sys.argv[0] == "-m"):
    from spectral import fourier  # noqa: E402, F401
    from spectral import layers  # noqa: E402, F401
    from spectral import models  # noqa: E402, F401
