"""The benchmark module runs and reports; it asserts no timings."""

import json

import keras
import numpy as np
import pytest

from spectral import bench


def test_median_seconds_calls_the_step():
    calls = []
    seconds = bench.median_seconds(
        lambda: calls.append(1) or np.zeros(1), repeats=3, warmup=1
    )
    assert len(calls) == 4 and seconds >= 0


def test_gradient_step_matches_the_analytic_gradient():
    x = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    gradient = bench.gradient_step(lambda t: 3.0 * t, x)()
    np.testing.assert_allclose(np.asarray(gradient[0]), 18.0 * x)


def test_frequency_dropout_step_is_traced_once():
    rows = bench.bench_frequency_dropout(batch=2, channels=2, repeats=3)
    assert rows[0]["traces"] == 1


@pytest.mark.slow
def test_cases_report_ratios():
    rows = bench.bench_pooling(batch=2, channels=2, repeats=1, quick=True)
    rows += bench.bench_spectral_conv(batch=2, channels=2, repeats=1)
    fft_rows, crossover = bench.bench_fft_conv(2, 2, (8,), (3, 5), 1)
    rows += fft_rows
    for row in rows:
        assert row["ratio"] == row["seconds"] / row["baseline_seconds"]
    assert set(crossover) == {"8"}
    results = {
        "settings": {},
        "rows": rows,
        "fft_crossover_kernel": crossover,
        "provenance": {
            "backend": "x",
            "device": "y",
            "versions": {"keras": "z"},
        },
    }
    table = bench.format_table(results)
    assert "pooling 32->15, 2 ch (matmul)" in table
    assert "MaxPooling2D(3, 2)" in table and "AdaptiveMaxPooling2D" in table
    json.dumps(results)


def test_cli_writes_json(tmp_path, monkeypatch, capsys):
    fake = {
        "settings": {},
        "rows": [],
        "fft_crossover_kernel": {},
        "provenance": {
            "backend": "b",
            "device": "d",
            "versions": {"keras": "k"},
        },
    }
    monkeypatch.setattr(bench, "run", lambda quick: fake)
    assert bench.main(["--quick", "--output", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text()) == fake
    assert "backend b" in capsys.readouterr().out


@pytest.mark.slow
def test_training_throughput_reports_each_network(tmp_path):
    import keras

    loop = "device" if keras.backend.backend() == "jax" else "fit"
    lines = []
    rows = bench.training_throughput(
        networks=bench.THROUGHPUT_NETWORKS[1:3],
        loop=loop,
        batch_size=16,
        images=40,  # two full batches and a partial one
        epochs=1,
        width=0.1,
        log=lines.append,
    )
    assert [(r["network"], r["conv"]) for r in rows] == [
        ("generic", "spatial"),
        ("generic", "spectral"),
    ]
    for row in rows:
        assert row["loop"] == loop and row["batch_size"] == 16
        assert row["images_per_second"] > 0 and row["compile_seconds"] > 0
        assert (
            row["seconds_per_epoch_of_45k"] == 45000 / row["images_per_second"]
        )
    assert "generic 3x3, spectral" in lines[1] and "images/s" in lines[1]


def test_throughput_networks_are_the_papers():
    names = {
        (n["network"], n.get("conv"), n.get("filter_size"))
        for n in bench.THROUGHPUT_NETWORKS
    }
    assert ("spectral_pooling", None, None) in names
    for network in ("generic", "deep"):
        for conv in ("spatial", "spectral"):
            for size in (3, 5):
                assert (network, conv, size) in names


def test_pooling_shapes_are_the_networks():
    shapes = bench.pooling_shapes()
    assert shapes[:3] == [
        (32, 16, 96, "MaxPooling2D(2)"),
        (32, 15, 96, "MaxPooling2D(3, 2)"),
        (15, 7, 192, "MaxPooling2D(3, 2)"),
    ]
    adaptive = [s for s in shapes if s[3] == "AdaptiveMaxPooling2D"]
    assert [s[:2] for s in adaptive] == [
        (32, 27),
        (27, 22),
        (22, 18),
        (18, 15),
        (15, 12),
        (12, 10),
        (10, 8),
        (8, 6),
    ]
    assert [s[2] for s in adaptive] == [128, 160, 192, 224, 256, 288, 288, 288]


def test_pooling_text_reads_the_rows():
    rows = [
        {
            "case": "pooling 32->16, 96 ch (matmul)",
            "ratio": 1.3,
            "baseline": "MaxPooling2D(2)",
            "pool_from": 32,
            "pool_to": 16,
        },
        {
            "case": "pooling 32->16, 96 ch (fft)",
            "ratio": 9.0,
            "baseline": "MaxPooling2D(2)",
            "pool_from": 32,
            "pool_to": 16,
        },
        {
            "case": "pooling 32->27, 128 ch (matmul)",
            "ratio": 0.25,
            "baseline": "AdaptiveMaxPooling2D",
            "pool_from": 32,
            "pool_to": 27,
        },
        {
            "case": "pooling 27->22, 160 ch (matmul)",
            "ratio": 0.3,
            "baseline": "AdaptiveMaxPooling2D",
            "pool_from": 27,
            "pool_to": 22,
        },
    ]
    assert bench.pooling_text(rows) == (
        "32→16 against `MaxPooling2D(2)`: 1.30× (slower); at the §5.1 "
        "network's 2 shapes against `AdaptiveMaxPooling2D`: 0.25× to 0.30× "
        "(faster at every one)"
    )


@pytest.mark.slow
def test_pooling_rows_stay_out_of_the_fft_figure():
    """Chapter 5 plots the rows that have an `input_size` and a
    `kernel_size`; pooling rows must not look like FFT rows."""
    rows = bench.bench_pooling(batch=2, channels=2, repeats=1, quick=True)
    assert not any("input_size" in r or "kernel_size" in r for r in rows)


@pytest.mark.parametrize(
    "ratio, noise, expected",
    [(0.95, 0.05, "no measurable difference"), (1.04, 0.05, "no measurable difference"),
     (0.80, 0.05, "faster"), (1.30, 0.10, "slower"), (0.85, 0.20, "no measurable difference")],
)
def test_ratio_words_follow_the_noise(ratio, noise, expected):
    assert expected in bench.ratio_text(ratio, noise)


def test_crossover_is_measurable_and_names_a_jump_of_conv2d():
    rows = [{"input_size": 32, "kernel_size": k, "ratio": r, "noise": 0.05,
             "baseline_seconds": b}
            for k, r, b in ((11, 2.0, 0.020), (13, 0.97, 0.031), (15, 0.6, 0.095))]
    text = bench.crossover_text(rows, 32)
    assert text.startswith("from 15×15 (13×13: 0.97×")  # 0.97 is within noise
    assert "Conv2D's own time jumps from 31 to 95 ms" in text
    assert bench.crossover_text(rows[:2], 32) == "never measurably, up to 13×13"


def test_timings_carry_their_spread():
    timing = bench.median_seconds(lambda: keras.ops.ones((2, 2)), repeats=8, warmup=1)
    assert float(timing) > 0 and timing.spread >= 0
