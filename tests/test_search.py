"""Tests of `spectral.search` (keras-tuner Bayesian optimisation)."""

import json

import numpy as np
import pytest

from spectral import data
from spectral import experiments
from spectral import search
from tests.fakes import tiny_config

BASE = tiny_config(epochs=1, lr_drops=())


def test_space_matches_the_paper():
    keras_tuner = pytest.importorskip("keras_tuner")
    hp = search.define_space(keras_tuner.HyperParameters())
    names = {p.name: p for p in hp.space}
    assert set(names) == set(search.SPACE)
    assert (names["num_blocks"].min_value, names["num_blocks"].max_value) == (
        1,
        15,
    )
    assert names["learning_rate"].sampling == "log"
    low, high = search.SPACE["momentum_exponent"]
    assert search.momentum_from_exponent(low) == pytest.approx(0.6838, abs=1e-4)
    assert search.momentum_from_exponent(high) == pytest.approx(0.99)


def test_trial_config_applies_the_values():
    values = {
        "gamma": 0.5,
        "num_blocks": 3,
        "alpha": 0.2,
        "beta": 0.1,
        "weight_decay": 1e-3,
        "momentum_exponent": 1.0,
        "learning_rate": 0.01,
    }
    config = search.trial_config(BASE, values)
    assert (config.gamma, config.num_blocks, config.learning_rate) == (
        0.5,
        3,
        0.01,
    )
    assert config.momentum == pytest.approx(0.9)
    assert config.dataset == BASE.dataset and config.optimizer == "sgd"


def test_validation_split_never_touches_the_test_set():
    dataset = data.synthetic_images(40, 10, seed=0)
    split = search.validation_split(dataset, 0.25, seed=0)
    assert len(split.x_train) == 30 and len(split.x_test) == 10
    rows = {r.tobytes() for r in dataset.x_train}
    assert all(r.tobytes() in rows for r in split.x_test)
    with pytest.raises(ValueError, match="Received: validation_fraction=1.0"):
        search.validation_split(dataset, 1.0, seed=0)


@pytest.mark.slow
def test_search_runs_stores_and_resumes(tmp_path):
    pytest.importorskip("keras_tuner")
    trials = search.search(BASE, tmp_path, max_trials=2, seed=0)
    assert len(trials) == 2
    stored = json.loads((tmp_path / "section_5_1" / "trials.json").read_text())
    assert stored["data_source"] == data.SOURCE_SYNTHETIC
    errors = [t["val_error"] for t in stored["trials"]]
    assert errors == sorted(errors) and all(0 <= e <= 1 for e in errors)
    # Resuming with a larger budget keeps the finished trials.
    more = search.search(BASE, tmp_path, max_trials=3, seed=0)
    assert len(more) == 3
    assert {t["trial_id"] for t in trials} <= {t["trial_id"] for t in more}
    assert np.isfinite([t["val_error"] for t in more]).all()


@pytest.mark.slow
def test_an_interrupted_trial_resumes_from_its_checkpoint(
    tmp_path, monkeypatch
):
    """A deadline inside a trial stops the search; the next call continues
    the same trial (same id, same values) from its newest checkpoint instead
    of training it again."""
    pytest.importorskip("keras_tuner")
    config = experiments.TrainConfig(**{**BASE.to_dict(), "epochs": 3})
    real_train = experiments.train

    def one_epoch(*args, **kwargs):  # a deadline that allows one epoch
        return real_train(*args, **{**kwargs, "max_epochs": 1})

    monkeypatch.setattr(experiments, "train", one_epoch)
    with pytest.raises(experiments.IncompleteRunError, match="0 of 2 trials"):
        search.search(config, tmp_path, max_trials=2, seed=0)
    stored = json.loads((tmp_path / "section_5_1" / "trials.json").read_text())
    (first,) = stored["trials"]
    assert first["status"] == "RUNNING" and first["epochs"] == 1
    run_dir = search.trial_run_dir(tmp_path / "section_5_1", first["trial_id"])
    epoch_one = json.loads((run_dir / "history.json").read_text())[0]

    monkeypatch.setattr(experiments, "train", real_train)
    trials = search.search(config, tmp_path, max_trials=2, seed=0)
    assert len(trials) == 2
    assert all(t["status"] == "COMPLETED" and t["epochs"] == 3 for t in trials)
    again = {t["trial_id"]: t for t in trials}[first["trial_id"]]
    assert again["values"] == first["values"]
    history = json.loads((run_dir / "history.json").read_text())
    # The first epoch was kept, not trained again (its timing is unchanged).
    assert history[0] == epoch_one and len(history) == 3


def test_a_spent_budget_starts_no_trial(tmp_path):
    pytest.importorskip("keras_tuner")
    with pytest.raises(experiments.IncompleteRunError, match="between trials"):
        search.search(BASE, tmp_path, max_trials=2, seed=0, time_budget=0)
    assert not list((tmp_path / "section_5_1").glob("trial_*/run"))


def test_trials_table_lists_every_trial_best_first():
    pd = pytest.importorskip("pandas")
    trials = [
        {
            "trial_id": "1",
            "status": "COMPLETED",
            "val_error": 0.25,
            "values": {"gamma": 0.8, "num_blocks": 3, "momentum_exponent": 1.0},
            "momentum": 0.9,
            "epochs": 4,
        },
        {
            "trial_id": "0",
            "status": "RUNNING",
            "val_error": None,
            "values": {"gamma": 0.5, "num_blocks": 7, "momentum_exponent": 2.0},
            "momentum": 0.99,
            "epochs": 2,
        },
    ]
    table = search.trials_table(trials)
    assert list(table.index) == ["1", "0"]
    assert table.loc["1", "γ"] == 0.8 and table.loc["0", "M"] == 7
    assert table.loc["0", "momentum"] == 0.99
    assert "momentum_exponent" not in table.columns
    assert table.loc["0", "status"] == "RUNNING"
    assert pd.isna(table.loc["0", "validation error"])
    assert pd.isna(table.loc["1", "learning rate"])  # not in its values
