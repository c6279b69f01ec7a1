"""Tests of `spectral.metrics`."""

import json

import numpy as np
import pytest

from spectral import metrics
from tests import oracles
from tests.oracles import assert_close


def test_relative_error_matches_its_definition(rng):
    f = rng.normal(size=(3, 4, 4, 2))
    g = f + rng.normal(scale=0.1, size=f.shape)
    expected = [
        np.sqrt(np.sum((a - b) ** 2) / np.sum(a**2)) for a, b in zip(f, g)
    ]
    assert_close(metrics.relative_error(f, g), expected, dtype="float64")


def test_spectral_reconstruction_is_the_oracle_projection(rng):
    x = rng.random((2, 12, 12, 3)).astype("float32")
    restored, kept = metrics.pool_and_reconstruct(x, "spectral", 6)
    assert kept == 0.25
    expected = oracles.lowpass_projection(
        oracles.lowpass_projection(x, 6, 1), 6, 2
    )
    assert_close(restored, expected, size=12)


@pytest.mark.parametrize("method", ["max", "average"])
def test_stride_pooling_reconstructs_by_repetition(method):
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    restored, kept = metrics.pool_and_reconstruct(x, method, 2)
    assert kept == 0.25
    reduce = np.max if method == "max" else np.mean
    expected = np.zeros_like(x)
    for i in (0, 2):
        for j in (0, 2):
            expected[0, i : i + 2, j : j + 2, 0] = reduce(
                x[0, i : i + 2, j : j + 2, 0]
            )
    assert_close(restored, expected)


def test_odd_strides_crop_back_to_size():
    x = np.ones((1, 8, 8, 1), "float32")
    restored, kept = metrics.pool_and_reconstruct(x, "max", 3)
    assert restored.shape == x.shape and kept == 9 / 64


def test_spectral_beats_stride_pooling_on_smooth_images():
    """Band-limited image: spectral pooling loses nothing, max pooling does."""
    grid = np.arange(16) / 16
    image = np.cos(2 * np.pi * grid)[:, None] * np.sin(4 * np.pi * grid)[None]
    x = (1.5 + image)[None, :, :, None]
    spectral, _ = metrics.approximation_loss(x, "spectral", 8)
    maximum, _ = metrics.approximation_loss(x, "max", 2)
    assert spectral < 1e-5 < maximum


def test_approximation_curves_report_kept_fractions(rng):
    x = rng.random((3, 16, 16, 3))
    curves = metrics.approximation_curves(x, [0.1, 0.25, 0.5, 1.0], (2, 4))
    fractions = [k for k, _ in curves["spectral"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert curves["spectral"][-1][1] < 1e-5
    errors = [e for _, e in curves["spectral"]]
    assert all(a >= b for a, b in zip(errors, errors[1:]))  # monotone
    assert [k for k, _ in curves["max"]] == [1 / 16, 1 / 4]


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="Received: method='median'"):
        metrics.pool_and_reconstruct(np.ones((1, 4, 4, 1)), "median", 2)


@pytest.mark.parametrize(
    "spatial,spectral,expected",
    [
        ([0.8, 0.5, 0.4, 0.3], [0.6, 0.3, 0.2, 0.2], (0.3, 4, 2, 2.0)),
        # The spatial run reaches its final error before its last epoch.
        ([0.9, 0.3, 0.35, 0.3], [0.3, 0.4, 0.5, 0.6], (0.3, 2, 1, 2.0)),
        # Ties resolve to the first epoch at or below the target.
        ([0.5, 0.4, 0.4, 0.4], [0.4, 0.4, 0.4, 0.4], (0.4, 2, 1, 2.0)),
        # Equal curves: no speed-up.
        ([0.5, 0.4], [0.5, 0.4], (0.4, 2, 2, 1.0)),
        # A slower spectral run: speed-up below one.
        ([0.3, 0.2], [0.5, 0.45, 0.3, 0.2], (0.2, 2, 4, 0.5)),
    ],
    ids=["paper-example", "early", "ties", "equal", "slower"],
)
def test_convergence_speedup_on_hand_made_histories(
    spatial, spectral, expected
):
    result = metrics.convergence_speedup(spatial, spectral)
    assert (
        result["target_error"],
        result["spatial_epoch"],
        result["spectral_epoch"],
    ) == expected[:3]
    assert result["speedup"] == pytest.approx(expected[3])


def test_speedup_when_the_spectral_run_never_reaches_the_target():
    result = metrics.convergence_speedup([0.5, 0.2], [0.6, float("nan"), 0.3])
    assert result["spectral_epoch"] is None and result["speedup"] is None
    # None, not NaN: the result goes into standard JSON as it is.
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize(
    "spectral_runs,expected",
    [
        ([[0.3, 0.2], [0.2, 0.1]], {"mean": 1.5, "reached": 2, "n": 2}),
        ([[0.3, 0.2], [0.6, 0.4]], {"mean": 1.0, "reached": 1, "n": 2}),
        ([[0.6, 0.4], [0.6, 0.3]], {"mean": None, "reached": 0, "n": 2}),
    ],
    ids=["all-reach", "one-reaches", "none-reach"],
)
def test_mean_speedup_averages_the_seeds_that_reached_the_target(
    spectral_runs, expected
):
    per_seed = [metrics.convergence_speedup([0.5, 0.2], s) for s in spectral_runs]
    assert metrics.mean_speedup(per_seed) == pytest.approx(expected)


@pytest.mark.parametrize(
    "per_seed,match",
    [([], "at least one"), ([{"target_error": 0.2}], "without one at positions \\[0\\]")],
    ids=["empty", "no-speedup"],
)
def test_mean_speedup_errors(per_seed, match):
    with pytest.raises(ValueError, match=match):
        metrics.mean_speedup(per_seed)


@pytest.mark.parametrize(
    "spatial,spectral,match",
    [
        ([], [0.1], "non-empty"),
        ([0.1], [], "non-empty"),
        ([0.2, float("nan")], [0.1], "NaN"),
    ],
    ids=["no-spatial", "no-spectral", "nan"],
)
def test_speedup_errors(spatial, spectral, match):
    with pytest.raises(ValueError, match=match):
        metrics.convergence_speedup(spatial, spectral)


def test_information_findings_follow_the_curves():
    photos = {
        "spectral": [(0.0625, 0.12), (0.25, 0.07), (1.0, 0.0)],
        "max": [(0.0625, 0.20), (0.1111111111111111, 0.17), (0.25, 0.12)],
        "average": [(0.0625, 0.15), (0.1111111111111111, 0.12), (0.25, 0.09)],
    }
    cifar = {
        "spectral": [(0.0625, 0.14), (0.25, 0.08), (1.0, 0.0)],
        "max": [(0.0625, 0.18), (0.1111111111111111, 0.15), (0.25, 0.11)],
        # average pooling beats spectral pooling at 1/16 here
        "average": [(0.0625, 0.13), (0.1111111111111111, 0.12), (0.25, 0.085)],
    }
    first, second, third = metrics.information_findings(
        {"the photographs": photos, "the CIFAR images": cifar}
    )
    assert first == (
        "On the photographs, spectral pooling loses less than max and "
        "average pooling at every fraction they keep (1/4, 1/9, 1/16)."
    )
    assert "more than average pooling at 1/16 (0.140 vs 0.130)" in second
    assert third.startswith("Keeping 1/4 of the values, the CIFAR images lose")
    assert (
        "more than the photographs under spectral pooling (0.080 vs 0.070)"
        in (third)
    )
    assert (
        "less than the photographs under max pooling (0.110 vs 0.120)" in third
    )
    with pytest.raises(ValueError, match="fraction=0.3 is not a point"):
        metrics.error_at_fraction(photos["spectral"], 0.3, tolerance=1e-6)


def test_sets_where_spectral_wins_everywhere_share_one_sentence():
    curves = {
        "spectral": [(0.0625, 0.12), (0.25, 0.07), (1.0, 0.0)],
        "max": [(0.0625, 0.20), (0.25, 0.12)],
        "average": [(0.0625, 0.15), (0.25, 0.09)],
    }
    first, second = metrics.information_findings({"A": curves, "B": curves})
    assert first == (
        "On both A and B, spectral pooling loses less than max and average "
        "pooling at every fraction they keep (1/4, 1/16)."
    )
    assert second.startswith("Keeping 1/4 of the values, B lose")
