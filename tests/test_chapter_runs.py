"""The chapters' own executions: what they write and return."""

import json

import pytest

from spectral import chapter_runs
from spectral import experiments
from spectral import plotting


@pytest.mark.slow
def test_convergence_speedup_writes_standard_json_and_returns_what_the_chapter_glues(tmp_path):
    dataset = experiments.load_chapter_data("cifar10", tmp_path / "no-data", True, 32, 16)
    assert dataset.is_synthetic
    out = chapter_runs.convergence_speedup(
        dataset, train_size=32, test_size=16, num_blocks=1, batch_size=16,
        epochs=1, speedup_epochs=1, seeds=[0], state_dir=tmp_path / "state",
        results_dir=tmp_path / "results", profile="test")
    written = json.loads((tmp_path / "results" / "speedup.json").read_text())
    assert set(written["cases"]) == set(out["cases"]) == {
        f"{n}_{k}x{k}" for n in chapter_runs.SPEEDUP_NETWORKS for k in (3, 5)}
    assert written["provenance"]["git_sha"] and written["profile"] == "test"
    for key, case in written["cases"].items():
        assert case["paper"] > 1 and len(case["per_seed"]) == 1
        assert (case["mean_speedup"] is None) == (case["seeds_reaching_target"] == 0)
        assert out["sentences"][key].endswith(f"{case['paper']}.")
    assert len(out["rows"]) == len(out["panels"]) == 6
    assert len(plotting.speedup_grid(out["panels"]).axes) == 6
    assert written["train_seconds"] > 0  # 24 runs' training time, summed


@pytest.mark.slow
def test_classification_writes_its_file_and_the_table_holds_the_papers_numbers(tmp_path):
    from spectral import paper

    dataset = experiments.load_chapter_data("cifar10", tmp_path / "no-data", True, 32, 16)
    out = chapter_runs.classification(
        dataset, data_dir=tmp_path / "no-data", train_size=32, test_size=16,
        num_blocks=1, epochs=1, batch_size=16, seeds=[0],
        state_dir=tmp_path / "state", results_dir=tmp_path / "results",
        profile="test")
    written = json.loads((tmp_path / "results" / "cifar10.json").read_text())
    assert written["cifar100"] is None  # no CIFAR-100 archive in data_dir
    assert written["test_error"]["per_seed"] == [out["summary"]["mean"]]
    assert out["glue"]["cifar100-status"].startswith("not run here")
    paper_row = next(r for r in out["table"] if r["method"] == "spectral pooling (paper)")
    assert (paper_row["c10"], paper_row["c100"]) == (paper.CIFAR10_ERROR, paper.CIFAR100_ERROR)
    assert out["table"][-1]["c10"] == out["summary"]["mean"]
    assert len(out["curves"]) == 2
    # executed again, the finished run is reused: the file keeps its training time
    run = json.loads(next((tmp_path / "state").rglob("result.json")).read_text())
    assert written["train_seconds"] == pytest.approx(
        run["provenance"]["train_seconds_total"])
    chapter_runs.classification(
        dataset, data_dir=tmp_path / "no-data", train_size=32, test_size=16,
        num_blocks=1, epochs=1, batch_size=16, seeds=[0],
        state_dir=tmp_path / "state", results_dir=tmp_path / "results",
        profile="test")
    again = json.loads((tmp_path / "results" / "cifar10.json").read_text())
    assert again["train_seconds"] == written["train_seconds"]
    assert again["wall_seconds"] < written["train_seconds"]


def test_fft_exactness_covers_every_kernel_and_padding_at_float32_rounding():
    rows = chapter_runs.fft_exactness(kernels=(2, 3))
    assert [(r["kernel"], r["padding"]) for r in rows] == [
        ("2×2", "same"), ("2×2", "valid"), ("3×3", "same"), ("3×3", "valid")]
    assert all(0 <= r["relative"] < 1e-5 for r in rows)


def test_information_writes_the_quarter_values_it_glues(tmp_path):
    import numpy as np

    from spectral import paper

    rng = np.random.default_rng(0)
    photos = rng.random((2, 16, 16, 3)).astype("float32")
    cifar = experiments.load_chapter_data("cifar10", tmp_path / "no-data", True, 1, 4)
    images = cifar.x_test.astype("float32") / 255.0
    out = chapter_runs.information(photos, ["a", "b"], cifar, images,
                                   results_dir=tmp_path, profile="test")
    written = json.loads((tmp_path / "information.json").read_text())
    for name in ("photographs", "cifar"):
        for method in ("spectral", "max", "average"):
            key = f"{method}_at_quarter"
            assert written[name][key] == out["glue"][f"{name}-{key}"]
    # keeping a quarter of the values, spectral pooling loses least
    assert written["cifar"]["spectral_at_quarter"] < written["cifar"]["max_at_quarter"]
    assert written["paper_read_off"]["max"] == [[0.25, paper.FIG4A_QUARTER["max"]]]
    assert out["glue"]["cifar-count"] == 4


def test_fft_exactness_replays_exactly_whatever_ran_before():
    import keras

    first = chapter_runs.fft_exactness(kernels=(3,))
    keras.random.normal((3,))  # another draw from the global generator
    assert chapter_runs.fft_exactness(kernels=(3,)) == first
