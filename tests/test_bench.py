"""The benchmark module runs and reports; it asserts no timings."""

import json

import numpy as np

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


def test_cases_report_ratios():
    rows = bench.bench_pooling(batch=2, channels=2, repeats=1)
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
    assert "pooling 32->15 (matmul)" in table and "MaxPooling2D(2)" in table
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
