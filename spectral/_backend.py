"""The Keras backend when nobody chose one and TensorFlow is not installed.

Keras 3 defaults to TensorFlow and fails at import when TensorFlow is
missing, even if JAX is there (the GPU machines this project runs on have
JAX and no TensorFlow). `import spectral` therefore sets
`KERAS_BACKEND=jax` in exactly that case: no `KERAS_BACKEND` in the
environment, Keras's `keras.json` absent or naming TensorFlow (Keras writes
that file with `"backend": "tensorflow"` on its first import, so it is no
sign of a choice), TensorFlow absent and JAX present. Any other backend
named in the environment or in `keras.json` is left alone.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path


def _installed(name):
    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _configured_backend(environ):
    """The backend named in Keras's `keras.json`, or None."""
    home = environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    path = Path(home) / "keras.json"
    try:
        return json.loads(path.read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        return None


def fallback_backend(environ=None, installed=_installed):
    """The backend to set before Keras is imported, or None to set none.

    Args:
        environ: the environment mapping (default `os.environ`).
        installed: `name -> bool`, whether a package can be imported.

    Returns:
        `"jax"` when Keras would otherwise default to an absent TensorFlow
        while JAX is installed; None in every other case.
    """
    environ = os.environ if environ is None else environ
    if environ.get("KERAS_BACKEND"):
        return None
    if _configured_backend(environ) not in (None, "tensorflow"):
        return None
    if installed("tensorflow") or not installed("jax"):
        return None
    return "jax"


def apply_fallback():
    """Sets `KERAS_BACKEND` to `fallback_backend()` when that is not None."""
    choice = fallback_backend()
    if choice is not None:
        os.environ["KERAS_BACKEND"] = choice
    return choice
