"""How sparse trained filters are, in the spatial and the spectral basis.

The paper (§4, Fig. 3) reports that spectrally parametrised filters are
sparser than spatial ones, and that fewer spectral parameters carry the
optimiser's momentum. This module measures that on a trained model.

Every `k x k` filter (one input and one output channel, `k > 1`) has two
coordinate vectors of the same length `k^2` and the same Euclidean norm:
its spatial values and its spectral coordinates
(`spectral.parametrisation.kernel_to_spectral`, an orthonormal change of basis).
Sparsity is Hoyer's measure of a vector `v` of length `n`,

    hoyer(v) = (sqrt(n) - ||v||_1 / ||v||_2) / (sqrt(n) - 1),

0 when all entries have the same magnitude, 1 when one entry carries all
of the norm (a zero vector counts as 0). A layer's value is the mean over
its filters. The same is computed for the optimiser's first moment
(Adam's `m`, SGD's velocity) of each kernel, expressed in the basis of the
run's own parametrisation and in the other one.
"""

import math

import keras
import numpy as np

from spectral import parametrisation

BASES = ("spatial", "spectral")


def hoyer_sparsity(vectors):
    """Hoyer sparsity of each row of a 2-D array `(count, n)`, `n >= 2`.

    Example:

    >>> hoyer_sparsity(np.array([[1.0, 0, 0, 0], [1, 1, 1, 1]])).tolist()
    [1.0, 0.0]
    """
    v = np.asarray(vectors, np.float64)
    if v.ndim != 2 or v.shape[1] < 2:
        raise ValueError(
            "Invalid value for argument `vectors`. Expected a 2-D array with "
            f"at least 2 columns. Received shape {v.shape}."
        )
    if not np.isfinite(v).all():
        raise ValueError(
            "Invalid value for argument `vectors`: it holds non-finite values."
        )
    n = v.shape[1]
    l1 = np.abs(v).sum(axis=1)
    l2 = np.sqrt((v * v).sum(axis=1))
    ratio = np.divide(l1, l2, out=np.full_like(l1, math.sqrt(n)), where=l2 > 0)
    return (math.sqrt(n) - ratio) / (math.sqrt(n) - 1)


def filter_coordinates(kernel, basis):
    """Rows of `k^2` coordinates, one per filter, of a spatial kernel
    `(kh, kw, in, out)` in `basis` (`"spatial"` or `"spectral"`)."""
    if basis not in BASES:
        raise ValueError(
            f"Invalid value for argument `basis`. Expected one of {BASES}. "
            f"Received: basis={basis!r}"
        )
    kernel = np.asarray(keras.ops.convert_to_numpy(kernel), np.float32)
    kh, kw = kernel.shape[:2]
    if basis == "spectral":
        flat = np.asarray(
            keras.ops.convert_to_numpy(parametrisation.kernel_to_spectral(kernel))
        )
    else:
        flat = kernel.reshape(kh * kw, -1)
    return flat.reshape(kh * kw, -1).T


def _momentum(model, variable):
    """The optimiser's first-moment variable of `variable`, or None."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    name = f"{variable.path.replace('/', '_')}_momentum"
    for candidate in optimizer.variables:
        if candidate.name == name:
            return candidate
    return None


def _layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _layers(layer)


def parameter_sparsity(model):
    """Mean Hoyer sparsity of every `k x k` (`k > 1`) convolution kernel.

    Returns `{layer name: {"parametrisation": "spatial" | "spectral",
    "filters": count, "weights": {basis: value}, "momentum": {basis:
    value} or None}}` for every `keras.layers.Conv2D` and
    `spectral.layers.SpectralConv2D` of `model` (searched recursively).
    A spectral layer's momentum lives in spectral coordinates; it is
    mapped to the spatial basis with the same orthonormal change of basis.
    """
    from spectral.layers import SpectralConv2D

    out = {}
    for layer in _layers(model):
        if type(layer) is keras.layers.Conv2D:
            kind, variable = "spatial", layer.kernel
            kernel = variable
        elif isinstance(layer, SpectralConv2D):
            kind, variable = "spectral", layer.spectral_kernel
            kernel = layer.kernel
        else:
            continue
        kh, kw = layer.kernel_size
        if kh * kw < 2:
            continue
        entry = {
            "parametrisation": kind,
            "filters": int(np.prod(kernel.shape[2:])),
            "weights": {
                basis: float(hoyer_sparsity(filter_coordinates(kernel, basis)).mean())
                for basis in BASES
            },
            "momentum": None,
        }
        moment = _momentum(model, variable)
        if moment is not None:
            moment = keras.ops.convert_to_numpy(moment)
            if kind == "spectral":
                moment = parametrisation.spectral_to_kernel(moment, (kh, kw))
            entry["momentum"] = {
                basis: float(
                    hoyer_sparsity(filter_coordinates(moment, basis)).mean()
                )
                for basis in BASES
            }
        out[layer.name] = entry
    return out


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.sparsity"))
