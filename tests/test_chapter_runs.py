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
