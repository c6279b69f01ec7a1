"""Metrics of the book: approximation loss of pooling, convergence speed-up.

Approximation loss (paper Fig. 4a) compares how much of an image survives
pooling. Each method keeps a fraction of the `H x W` values per channel and
is then brought back to full size by a stated reconstruction rule:

* spectral pooling to `h x w` keeps `hw / HW`; reconstruction is
  `spectral.fourier.spectral_interpolate` (zero-padded spectrum), which makes
  pooling-then-reconstruction the orthogonal projection onto the kept
  frequencies;
* max and average pooling with `s x s` windows and stride `s` (`"same"`
  padding) keep `ceil(H/s) ceil(W/s) / HW`; reconstruction repeats each pooled
  value over its window (nearest neighbour), the rule earlier reproductions
  used.

The loss of one image is `||f - f_hat|| / ||f||` over all its pixels and
channels; curves report the mean over images.

Convergence speed-up (paper §5.2): with `E` the final error of the spatial
run, the speed-up is (first epoch at which the spatial run's error is at
most `E`) / (first epoch at which the spectral run's error is at most `E`).
"""

import math

import keras
import numpy as np

from spectral import fourier

POOLINGS = ("spectral", "max", "average")


def relative_error(images, reconstructions):
    """Per-image `||f - f_hat|| / ||f||` over all but the first axis.

    Example:

    >>> relative_error(np.ones((2, 4)), np.zeros((2, 4)))
    array([1., 1.])
    """
    f = np.asarray(images, np.float64).reshape(len(images), -1)
    g = np.asarray(reconstructions, np.float64).reshape(len(images), -1)
    return np.linalg.norm(f - g, axis=1) / np.linalg.norm(f, axis=1)


def spectral_size_for_fraction(size, fraction):
    """Output side keeping about `fraction` of a square `size x size` map."""
    return int(min(size, max(1, round(math.sqrt(fraction) * size))))


def pool_and_reconstruct(images, method, amount):
    """Pools images and brings them back to full size.

    Args:
        images: float array `(n, H, W, C)`, channels_last.
        method: `"spectral"`, `"max"` or `"average"`.
        amount: for `"spectral"`, the output size (int or pair); for
            `"max"`/`"average"`, the integer window and stride `s`.

    Returns:
        `(reconstruction, fraction_kept)`: an array like `images` and the
        fraction of values per channel the pooled map kept.
    """
    images = np.asarray(images, np.float32)
    n, height, width, _ = images.shape
    if method == "spectral":
        pooled = fourier.spectral_pool(images, amount)
        kept = pooled.shape[1] * pooled.shape[2]
        restored = fourier.spectral_interpolate(pooled, (height, width))
        return np.asarray(restored), kept / (height * width)
    if method not in POOLINGS:
        raise ValueError(
            f"Invalid value for argument `method`. Expected one of {POOLINGS}."
            f" Received: method={method!r}"
        )
    stride = int(amount)
    layer_cls = (
        keras.layers.MaxPooling2D
        if method == "max"
        else keras.layers.AveragePooling2D
    )
    pooled = np.asarray(
        layer_cls(stride, strides=stride, padding="same")(images)
    )
    restored = np.repeat(np.repeat(pooled, stride, axis=1), stride, axis=2)
    kept = pooled.shape[1] * pooled.shape[2]
    return restored[:, :height, :width], kept / (height * width)


def approximation_loss(images, method, amount, batch_size=256):
    """Mean relative error of `pool_and_reconstruct` over a set of images.

    Returns:
        `(mean_error, fraction_kept)`.

    Example:

    >>> x = np.random.default_rng(0).random((4, 8, 8, 3))
    >>> error, kept = approximation_loss(x, "spectral", 8)
    >>> round(float(error), 6), kept
    (0.0, 1.0)
    """
    errors, kept = [], 1.0
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start : start + batch_size], np.float32)
        restored, kept = pool_and_reconstruct(batch, method, amount)
        errors.append(relative_error(batch, restored))
    return float(np.mean(np.concatenate(errors))), kept


def approximation_curves(images, fractions, strides=(2, 3, 4)):
    """Approximation loss against fraction of parameters kept (Fig. 4a).

    Args:
        images: float array `(n, H, W, C)` (square maps).
        fractions: fractions at which to evaluate spectral pooling.
        strides: window sizes for max and average pooling.

    Returns:
        A dict `{"spectral": [(fraction, error), ...], "max": [...],
        "average": [...]}` with the fractions actually kept.
    """
    size = np.asarray(images).shape[1]
    curves = {"spectral": [], "max": [], "average": []}
    seen = set()
    for fraction in fractions:
        side = spectral_size_for_fraction(size, fraction)
        if side in seen:
            continue
        seen.add(side)
        error, kept = approximation_loss(images, "spectral", side)
        curves["spectral"].append((kept, error))
    for method in ("max", "average"):
        for stride in strides:
            error, kept = approximation_loss(images, method, stride)
            curves[method].append((kept, error))
    for points in curves.values():
        points.sort()
    return curves


def error_at_fraction(curve, fraction, tolerance=None):
    """Error of the point of a curve whose kept fraction is nearest.

    Args:
        curve: list of `(fraction_kept, error)` pairs.
        fraction: the fraction to look up.
        tolerance: if given, the nearest point must keep a fraction within
            this distance of `fraction`, else `ValueError` (so that "at a
            quarter" never silently reads another point).

    Example:

    >>> error_at_fraction([(0.1, 0.3), (0.26, 0.1), (0.5, 0.05)], 0.25)
    0.1
    """
    kept, error = min(curve, key=lambda point: abs(point[0] - fraction))
    if tolerance is not None and abs(kept - fraction) > tolerance:
        raise ValueError(
            f"fraction={fraction} is not a point of the curve: the nearest "
            f"keeps {kept:.4f} (tolerance {tolerance}); evaluate the curve "
            "at that fraction"
        )
    return error


def _fraction_text(kept):
    """A kept fraction as text: `"1/4"` when it is exactly 1/s^2, `"≈1/9
    (0.118)"` within 10% of one (a window that does not tile the image),
    else the number.

    Example:

    >>> _fraction_text(0.25), _fraction_text(121 / 1024), _fraction_text(0.3)
    ('1/4', '≈1/9 (0.118)', '0.300')
    """
    stride = round(1 / math.sqrt(kept)) if kept > 0 else 0
    if stride and abs(kept - 1 / stride**2) < 1e-9:
        return f"1/{stride**2}"
    if stride > 1 and abs(kept * stride**2 - 1) <= 0.1:
        return f"≈1/{stride**2} ({kept:.3f})"
    return f"{kept:.3f}"


def information_findings(curves_by_set, reference=0.25):
    """Sentences comparing approximation curves, computed from the curves.

    Args:
        curves_by_set: `{name: curves}` with `curves` from
            `approximation_curves`, e.g. `{"the photographs": ...,
            "the CIFAR-10 images": ...}` (at least one set).
        reference: the fraction kept at which the sets are compared with
            each other; it must be a point of every curve.

    Returns:
        A list of sentences: where spectral pooling's loss (interpolated
        along its curve) is below or above max and average pooling's at
        the fractions they keep, per set; and, with two or more sets, which
        set loses more under each method at `reference`.
    """
    sentences, everywhere = [], []
    for name, curves in curves_by_set.items():
        kept, errors = zip(*sorted(curves["spectral"]))
        better, worse = [], []
        for method in ("max", "average"):
            for fraction, error in curves.get(method, []):
                spectral = float(np.interp(fraction, kept, errors))
                entry = (
                    f"{method} pooling at {_fraction_text(fraction)} "
                    f"({spectral:.3f} vs {error:.3f})"
                )
                (better if spectral < error else worse).append(entry)
        fractions = [
            _fraction_text(f)
            for f in sorted(
                {f for m in ("max", "average") for f, _ in curves.get(m, [])},
                reverse=True,
            )
        ]
        if not worse:
            everywhere.append((name, tuple(fractions)))
        else:
            sentences.append(
                f"On {name}, spectral pooling loses less than "
                f"{'; '.join(better) or 'neither method'}, and more than "
                f"{'; '.join(worse)} (spectral vs the other method)."
            )
    # Sets where spectral pooling wins everywhere share one sentence.
    if everywhere:
        names = [n for n, _ in everywhere]
        listed = list(dict.fromkeys(f for _, fs in everywhere for f in fs))
        where = names[0] if len(names) == 1 else (
            "both " + " and ".join(names) if len(names) == 2
            else ", ".join(names[:-1]) + " and " + names[-1])
        sentences.insert(
            0,
            f"On {where}, spectral pooling loses less than max and average "
            f"pooling at every fraction they keep ({', '.join(listed)}).",
        )
    if len(curves_by_set) >= 2:
        (name_a, a), (name_b, b) = list(curves_by_set.items())[:2]
        parts = []
        for method in ("spectral", "max", "average"):
            ea = error_at_fraction(a[method], reference, tolerance=1e-6)
            eb = error_at_fraction(b[method], reference, tolerance=1e-6)
            relation = (
                "more than"
                if eb > ea
                else "less than"
                if eb < ea
                else "as much as"
            )
            parts.append(
                f"{relation} {name_a} under {method} pooling "
                f"({eb:.3f} vs {ea:.3f})"
            )
        sentences.append(
            f"Keeping {_fraction_text(reference)} of the values, {name_b} "
            f"lose {', '.join(parts[:-1])} and {parts[-1]}."
        )
    return sentences


def first_epoch_reaching(errors, target):
    """1-based first epoch whose error is at most `target`, else None.

    NaN errors never count as reaching the target.

    Example:

    >>> first_epoch_reaching([0.9, 0.5, 0.4, 0.5], 0.5)
    2
    """
    for epoch, error in enumerate(errors, start=1):
        if error is not None and not math.isnan(error) and error <= target:
            return epoch
    return None


def convergence_speedup(spatial_errors, spectral_errors):
    """The paper's convergence speed-up of a spectral over a spatial run.

    With `E` the spatial run's final error: (first epoch at which the
    spatial run reaches `E`) / (first epoch at which the spectral run
    reaches `E`). Ties in the curve resolve to the first epoch.

    Args:
        spatial_errors: per-epoch errors (epoch 1 first) of the spatial run.
        spectral_errors: per-epoch errors of the spectral run.

    Returns:
        A dict with `target_error`, `spatial_epoch`, `spectral_epoch` and
        `speedup` (a float; None when the spectral run never reaches the
        target, with `spectral_epoch` None: the speed-up is then undefined,
        and None keeps the result standard JSON).

    Raises:
        ValueError: if a history is empty or the final spatial error is NaN.

    Example:

    >>> result = convergence_speedup([0.8, 0.5, 0.4, 0.3], [0.6, 0.3, 0.2])
    >>> result["spatial_epoch"], result["spectral_epoch"], result["speedup"]
    (4, 2, 2.0)
    """
    if len(spatial_errors) == 0 or len(spectral_errors) == 0:
        raise ValueError(
            "Expected non-empty error histories. Received: "
            f"{len(spatial_errors)} spatial and {len(spectral_errors)} "
            "spectral epochs."
        )
    target = float(spatial_errors[-1])
    if math.isnan(target):
        raise ValueError("The spatial run's final error is NaN.")
    spatial_epoch = first_epoch_reaching(spatial_errors, target)
    spectral_epoch = first_epoch_reaching(spectral_errors, target)
    speedup = spatial_epoch / spectral_epoch if spectral_epoch else None
    return {
        "target_error": target,
        "spatial_epoch": spatial_epoch,
        "spectral_epoch": spectral_epoch,
        "speedup": speedup,
    }


def mean_speedup(per_seed):
    """Mean of per-seed convergence speed-ups over the seeds that reached
    the target, with the counts a reader needs to weigh it.

    Args:
        per_seed: list of `convergence_speedup` results (one per seed).

    Returns:
        A dict with `mean` (float over the seeds whose spectral run reached
        the spatial run's final error; None when none did), `reached` (how
        many did) and `n` (how many seeds).

    Raises:
        ValueError: if `per_seed` is empty or an entry has no `speedup`.

    Example:

    >>> runs = [convergence_speedup([0.5, 0.2], [0.3, 0.2]),
    ...         convergence_speedup([0.5, 0.2], [0.6, 0.4])]
    >>> mean_speedup(runs)
    {'mean': 1.0, 'reached': 1, 'n': 2}
    """
    if len(per_seed) == 0:
        raise ValueError("Expected at least one per-seed speed-up. Received none.")
    missing = [i for i, r in enumerate(per_seed) if "speedup" not in r]
    if missing:
        raise ValueError(
            "Expected `convergence_speedup` results with a `speedup` entry. "
            f"Received entries without one at positions {missing}."
        )
    values = [float(r["speedup"]) for r in per_seed if r["speedup"] is not None]
    return {
        "mean": float(np.mean(values)) if values else None,
        "reached": len(values),
        "n": len(per_seed),
    }


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.metrics"))
