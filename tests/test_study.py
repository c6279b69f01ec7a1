"""The laptop study: units, record files, resume, statistics."""

import dataclasses
import json

import numpy as np
import pytest
from scipy import stats

from spectral import data
from spectral import study
from spectral.record import runner
from tests.fakes import write_fake_run


def test_units_cover_every_arm_and_seed(tmp_path):
    names = [u.name for u in study.units(tmp_path)]
    assert len(names) == len(set(names))
    pooling = [u for u in study.units(tmp_path) if u.experiment == "pooling"]
    assert len(pooling) == 4 * 5
    # seed 0 of every arm comes first
    assert {u.arm for u in pooling[:4]} == set(study.POOLING_ARMS)
    arms = {u.arm: u.config for u in pooling if u.seed == 0}
    assert arms["spectral"].frequency_dropout
    assert not arms["spectral-no-dropout"].frequency_dropout
    assert arms["max"].pooling == "max" and not arms["max"].frequency_dropout
    # every field but pooling and frequency dropout is shared by the arms
    for config in arms.values():
        assert (
            dataclasses.replace(
                config, pooling="spectral", frequency_dropout=True
            )
            == arms["spectral"]
        )
    waiting = [u for u in study.units(tmp_path) if u.config is None]
    assert len(waiting) == 2 * 2 * 2 * 2  # nets x sizes x convs x seeds 1-2


def _fake_run(tmp_path, name, val_errors, test_error=0.5, **fields):
    history = [
        {"epoch": i + 1, "val_error": e, "train_loss": 1.0 / (i + 1)}
        for i, e in enumerate(val_errors)
    ]
    unit = {u.name: u for u in study.units(tmp_path)}.get(name)
    return write_fake_run(tmp_path, name, None if unit is None else unit.config,
                          history, test_error, **fields)


def test_learning_rate_is_chosen_on_validation(tmp_path):
    case = "generic-3x3-adam"
    for rate, best in zip(study.ADAM_LEARNING_RATES, (0.6, 0.4, 0.5)):
        assert (
            study.chosen_learning_rate(
                study.load_runs(tmp_path), case, "spatial"
            )
            is None
        )
        _fake_run(
            tmp_path,
            f"speedup-generic-3x3-spatial-adam-lr{rate:g}-seed0",
            [0.8, best],
            test_error=0.0,
        )
    runs = study.load_runs(tmp_path)
    assert study.chosen_learning_rate(runs, case, "spatial") == 1e-3
    names = [u.name for u in study.units(tmp_path) if u.config is not None]
    assert "speedup-generic-3x3-spatial-adam-lr0.001-seed1" in names


def test_threshold_speedups_count_runs_that_never_reach():
    result = study.threshold_speedups([0.8, 0.6, 0.4], [0.6, 0.5, 0.5])
    assert result[0.5]["speedup"] == 2.0  # target 0.65: epochs 2 and 1
    assert result[1.0] == {
        "speedup": 0.0,
        "spatial_epoch": 3,
        "spectral_epoch": None,
        "reached": False,
    }


def test_t_interval_matches_scipy():
    values = [0.31, 0.29, 0.35, 0.33, 0.30]
    mean, (low, high) = study.t_interval(values)
    sem = np.std(values, ddof=1) / np.sqrt(5)
    half = stats.t.ppf(0.975, 4) * sem
    assert mean == pytest.approx(np.mean(values))
    assert (low, high) == pytest.approx((mean - half, mean + half))
    assert study.t_interval([0.3]) == (0.3, None)


def test_median_interval_brackets_the_median():
    median, (low, high) = study.median_interval([1.0, 2.0, 3.0, 4.0, 10.0])
    assert median == 3.0 and low <= median <= high


def test_pooling_summary_pairs_seeds(tmp_path):
    for seed, (s, m) in enumerate([(0.30, 0.33), (0.31, 0.35), (0.29, 0.31)]):
        for arm, err in (("spectral", s), ("max", m)):
            _fake_run(
                tmp_path,
                f"pooling-{arm}-seed{seed}",
                [0.5],
                test_error=err,
                experiment="pooling",
                arm=arm,
                seed=seed,
            )
    summary = study.pooling_summary(study.load_runs(tmp_path))
    assert summary["arms"]["spectral"]["n"] == 3
    assert summary["arms"]["average"]["n"] == 0
    diff = summary["differences"]["max - spectral"]
    assert diff["difference"] == pytest.approx([0.03, 0.04, 0.02])
    assert diff["ci95"][0] > 0


def test_run_unit_writes_the_record_and_resumes(tmp_path):
    """Two epochs of a tiny unit on synthetic data, stopped and resumed."""
    from spectral import experiments

    config = experiments.TrainConfig(
        dataset="synthetic",
        train_size=64,
        test_size=32,
        validation_size=32,
        network="spectral_pooling",
        num_blocks=2,
        width=0.1,
        epochs=2,
        batch_size=32,
        lr_drops=(),
        test_every_epoch=False,
        pooling="max",
        frequency_dropout=False,
    )
    unit = study.Unit("pooling-max-seed0", "pooling", "max", "", config)
    dataset = experiments.load_dataset(config, subset_seed=0)
    assert len(dataset.x_val) == 32 and len(dataset.x_train) == 64
    first = study.run_unit(
        unit,
        tmp_path / "rec",
        tmp_path / "state",
        dataset=dataset,
        time_budget=0.0,
    )
    assert not first.complete and not (tmp_path / "rec" / "runs").exists()
    result = study.run_unit(
        unit, tmp_path / "rec", tmp_path / "state", dataset=dataset
    )
    assert result.complete
    document = json.loads(
        (tmp_path / "rec" / "runs" / "pooling-max-seed0.json").read_text()
    )
    assert document["experiment"] == "pooling" and document["seed"] == 0
    assert "test_error" not in document["history"][0]
    assert document["history"][-1]["test_error"] == document["test_error"]
    assert all("val_error" in row for row in document["history"])
    assert document["provenance"]["git_sha"]
    assert document["validation_images"] == 32


def test_holdout_validation_is_disjoint_and_fixed():
    base = data.synthetic_images(200, 10, seed=3)
    a = data.holdout_validation(base, 50)
    b = data.holdout_validation(base, 50)
    np.testing.assert_array_equal(a.x_val, b.x_val)
    train = {x.tobytes() for x in a.x_train}
    assert not any(x.tobytes() in train for x in a.x_val)
    with pytest.raises(ValueError, match="validation_size=200"):
        data.holdout_validation(base, 200)


def test_cli_refuses_a_dirty_checkout(monkeypatch, capsys):
    monkeypatch.setattr(
        "spectral.experiments.git_revision", lambda: "abc+dirty"
    )
    assert study.main(["run", "--limit", "0"]) == 2
    assert "uncommitted" in capsys.readouterr().err


def test_runs_of_an_earlier_design_are_superseded(tmp_path):
    _fake_run(
        tmp_path,
        "pooling-max-seed0",
        [0.5],
        experiment="pooling",
        arm="max",
        seed=0,
    )
    assert "pooling-max-seed0" in study.record_runs(tmp_path)
    stale = json.loads(
        (tmp_path / "runs" / "pooling-max-seed0.json").read_text()
    )
    stale["config"]["learning_rate"] = 0.5
    (tmp_path / "runs" / "pooling-max-seed0.json").write_text(json.dumps(stale))
    assert study.record_runs(tmp_path) == {}
    assert study.superseded_runs(tmp_path) == ["pooling-max-seed0"]
    assert "pooling-max-seed0" in [u.name for u in study.pending(tmp_path)]


def test_budget_costs_pending_units_by_their_network(tmp_path):
    """A Deep unit is not costed like a Generic one: the projection waits
    until every network of the experiment has a finished unit."""
    generic = study.speedup_name("generic-3x3", "spatial", "adam", 0, 3e-4)
    deep = study.speedup_name("deep-5x5", "spectral", "sgd", 0)
    _fake_run(
        tmp_path, generic, [0.5], experiment="speedup", arm="spatial", seed=0
    )
    assert study.budget(tmp_path)["hours projected"].isna()["speedup"]
    _fake_run(
        tmp_path, deep, [0.5], experiment="speedup", arm="spectral", seed=0
    )
    doc = json.loads((tmp_path / "runs" / f"{deep}.json").read_text())
    doc["wall_seconds"] = 600.0
    (tmp_path / "runs" / f"{deep}.json").write_text(json.dumps(doc))
    units = [u for u in study.units(tmp_path) if u.experiment == "speedup"]
    n_generic = sum(u.case.startswith("generic") for u in units)
    n_deep = len(units) - n_generic
    cost = study.budget(tmp_path)
    assert cost.loc["speedup", "hours projected"] == pytest.approx(
        (60.0 * n_generic + 600.0 * n_deep) / 3600
    )


def test_run_trains_only_the_named_units(tmp_path, monkeypatch, capsys):
    trained = []

    def fake_run_unit(unit, *args, **kwargs):
        trained.append(unit.name)
        _fake_run(
            tmp_path, unit.name, [0.5], experiment=unit.experiment, seed=0
        )
        return type("R", (), {"complete": True, "test_error": 0.5})()

    monkeypatch.setattr(runner, "run_unit", fake_run_unit)
    name = "modern-max-seed1"
    finished, _ = study.run_pending(
        record_dir=tmp_path, names=[name], log=lambda m: None
    )
    assert finished == trained == [name]
    with pytest.raises(ValueError, match=r"units=\['modern-huge-seed0'\]"):
        study.run_pending(record_dir=tmp_path, names=["modern-huge-seed0"])
    monkeypatch.setattr("spectral.experiments.git_revision", lambda: "abc")
    code = study.main(["run", "--units", "nope", "--record-dir", str(tmp_path)])
    assert code == 2 and "study status" in capsys.readouterr().err


def _fake_speedup_case(tmp_path, case="generic-3x3"):
    """Selection, seeds and SGD control of one case: the spectral run is
    one epoch ahead under Adam; the SGD pair is identical."""
    spatial = [0.8, 0.7, 0.6, 0.5]
    spectral = [0.7, 0.6, 0.5, 0.5]
    for conv, curve in (("spatial", spatial), ("spectral", spectral)):
        for rate in study.ADAM_LEARNING_RATES:
            worse = 0.0 if rate == 1e-3 else 0.1
            _fake_run(
                tmp_path,
                study.speedup_name(case, conv, "adam", 0, rate),
                [e + worse for e in curve],
                experiment="speedup",
                arm=conv,
                seed=0,
            )
        for seed in (1, 2):
            _fake_run(
                tmp_path,
                study.speedup_name(case, conv, "adam", seed, 1e-3),
                curve,
                experiment="speedup",
                arm=conv,
                seed=seed,
            )
        for seed in (0, 1, 2):
            _fake_run(
                tmp_path,
                study.speedup_name(case, conv, "sgd", seed),
                spatial,
                experiment="speedup",
                arm=conv,
                seed=seed,
            )
    for seed in (0, 1, 2):
        _fake_run(
            tmp_path,
            study.speedup_name(case, study.ROUNDTRIP, "sgd", seed),
            spatial,
            experiment="speedup",
            arm=study.ROUNDTRIP,
            seed=seed,
        )


def test_speedup_table_and_figure_read_the_record(tmp_path):
    _fake_speedup_case(tmp_path)
    table = study.speedup_table(tmp_path)
    adam = table.loc[("generic 3×3", "adam")]
    assert adam["n"] == 3
    assert adam["learning rate"] == "spatial 0.001, spectral 0.001"
    # best spatial error 0.5 is reached at epoch 4 vs epoch 3
    assert adam["S(100%)"].startswith("1.33")
    assert adam["paper"] == 2.2
    assert adam["best val. error, spectral"] == pytest.approx(0.5)
    sgd = table.loc[("generic 3×3", "sgd")]
    assert sgd["S(100%)"].startswith("1.00")
    assert sgd["max training-loss gap"] == 0.0
    assert np.isnan(sgd["paper"])
    untried = table.loc[("deep 5×5", "adam")]
    assert untried["n"] == 0 and untried["S(50%)"] == "—"
    assert untried["learning rate"] == "being chosen"
    figure = study.speedup_figure(tmp_path)
    axes = np.array(figure.axes).reshape(4, 3).T
    # generic 3x3: three seed pairs under each optimiser, two lines each,
    # plus the two threshold lines under Adam
    assert len(axes[0, 0].get_lines()) == 3 * 2 + 2
    assert len(axes[1, 0].get_lines()) == 3 * 2
    assert axes[2, 0].get_yscale() == "log"
    assert len(axes[0, 3].get_lines()) == 0  # deep 5x5 has no runs
    labels = [t.get_text() for t in axes[2, 0].get_legend().get_texts()]
    assert labels == ["Adam", "SGD", "SGD, rounding only"]


def test_headline_numbers(tmp_path):
    assert study.headline_numbers(tmp_path) == {
        "spectral": "pending",
        "max": "pending",
        "deep-5x5": "pending",
    }
    _fake_speedup_case(tmp_path, "deep-5x5")
    for seed, error in ((0, 0.30), (1, 0.32)):
        _fake_run(
            tmp_path,
            f"pooling-spectral-seed{seed}",
            [0.5],
            test_error=error,
            experiment="pooling",
            arm="spectral",
            seed=seed,
        )
    numbers = study.headline_numbers(tmp_path)
    assert numbers["spectral"] == "31.00% (mean of 2 seeds)"
    assert numbers["max"] == "pending"
    assert numbers["deep-5x5"] == "1.33 (median of 3 seeds)"


def test_loss_gaps_per_optimiser(tmp_path):
    assert study.loss_gaps(tmp_path)["sgd"] == {
        "first": None,
        "last": None,
        "largest": None,
        "pairs": 0,
    }
    _fake_speedup_case(tmp_path)
    gaps = study.loss_gaps(tmp_path)
    # the fake runs share their training losses: every gap is zero
    assert gaps["sgd"] == {
        "first": 0.0,
        "last": 0.0,
        "largest": 0.0,
        "pairs": 3,
    }
    assert gaps["adam"]["pairs"] == 3


def _fake_modern(tmp_path, pairs):
    for seed, (s, m) in enumerate(pairs):
        for arm, err in (("spectral", s), ("max", m)):
            _fake_run(
                tmp_path,
                f"modern-{arm}-seed{seed}",
                [0.5],
                test_error=err,
                experiment="modern",
                arm=arm,
                seed=seed,
            )


@pytest.mark.parametrize(
    "pairs, ending",
    [
        ([], "0 of 5"),
        ([(0.20, 0.22), (0.21, 0.24)], "too few seeds for a conclusion yet."),
        (
            [
                (0.20, 0.22),
                (0.21, 0.24),
                (0.20, 0.21),
                (0.22, 0.25),
                (0.2, 0.22),
            ],
            "spectral pooling has the lower test error in this network.",
        ),
        (
            [
                (0.22, 0.20),
                (0.24, 0.21),
                (0.21, 0.20),
                (0.25, 0.22),
                (0.22, 0.2),
            ],
            "max pooling has the lower test error in this network.",
        ),
        (
            [
                (0.20, 0.22),
                (0.22, 0.20),
                (0.21, 0.21),
                (0.20, 0.23),
                (0.22, 0.2),
            ],
            "no difference is detected at this scale.",
        ),
    ],
)
def test_comparison_sentence_follows_the_interval(tmp_path, pairs, ending):
    _fake_modern(tmp_path, pairs)
    sentence = study.comparison_sentence(tmp_path, "modern")
    assert ending in sentence
    if len(pairs) == 5:
        diffs = [m - s for s, m in pairs]
        mean, (low, high) = study.t_interval(diffs)
        assert f"{100 * mean:+.2f} pp" in sentence
        assert f"[{100 * low:+.2f}, {100 * high:+.2f}] pp" in sentence
        assert "n = 5 of 5 seeds" in sentence


def test_comparison_sentence_rejects_an_unknown_arm(tmp_path):
    with pytest.raises(ValueError, match=r"arm='average'"):
        study.comparison_sentence(tmp_path, "modern", arm="average")


def test_scale_sentence_describes_each_experiment():
    assert "§5.1 network" in study.scale_sentence("pooling")
    assert "Generic and Deep" in study.scale_sentence("speedup")
    modern = study.scale_sentence("modern")
    assert "45,000" in modern and "Adam" in modern and "epoch 9" in modern
    with pytest.raises(ValueError, match=r"experiment='huge'"):
        study.scale_sentence("huge")
    assert "best validation error" in study.scale_sentence("speedup")
    gap = study.scale_sentence("speedup", measure="gap")
    assert "SGD" in gap and "training-loss gap" in gap and "speed-up" not in gap
    assert study.scale is study.scale_sentence  # the historical name
    with pytest.raises(ValueError, match=r"measure='loss'"):
        study.scale("speedup", measure="loss")


def test_the_record_lives_in_the_repository_root():
    # store.py sits two folders below the root (spectral/record/); every
    # default path of the record hangs from that root.
    from spectral.record import store

    assert (store.ROOT / "pyproject.toml").is_file()
    assert store.RECORD_DIR == store.ROOT / "results" / "laptop"
    assert (store.RECORD_DIR / "runs").is_dir()
    assert study.RECORD_DIR == store.RECORD_DIR


@pytest.mark.parametrize(
    "experiment,prefix,claim_ids",
    [("pooling", "ch3", ("classification", "frequency-dropout")),
     ("speedup", "ch4", ("speedup-adam", "speedup-sgd-control"))],
)
def test_chapter_glue_states_the_records_claims_scale_and_counts(
    experiment, prefix, claim_ids
):
    values = study.chapter_glue(experiment, prefix, chapter_results=study.CHAPTER_RESULTS)
    runs = [d for d in study.record_runs().values() if d["experiment"] == experiment]
    assert values[f"{prefix}-units"] == len(runs) > 0
    assert values[f"{prefix}-total"] == sum(u.experiment == experiment for u in study.units())
    assert values[f"{prefix}-scale"] == study.scale(experiment)
    assert "JPEG" in values[f"{prefix}-laptop-data"]
    assert all(isinstance(values[f"{prefix}-{c}"], str) for c in claim_ids)
    assert (f"{prefix}-gap-floor" in values) == (experiment == "speedup")


def test_chapter_glue_refuses_an_experiment_without_a_chapter():
    with pytest.raises(ValueError, match="experiment='modern'"):
        study.chapter_glue("modern", "ch9")


def test_overview_glue_counts_the_first_studys_record():
    from spectral import study_report

    values = study_report.overview_glue()
    runs = study.record_runs()
    assert values["laptop-units-finished"] == len(runs)
    assert values["laptop-units-total"] == len(study.units())
    assert "JPEG" in values["laptop-data"]
    assert all(len(c) == 7 for c in values["laptop-commits"].split(", "))
    assert values["headline-scale"] == study.scale_sentence("pooling")
    assert {f"headline-{k}" for k in study.headline_numbers()} <= set(values)


def test_runs_of_keeps_only_units_with_their_own_configuration(tmp_path):
    from spectral.record import store

    units = [u for u in study.units(tmp_path) if u.experiment == "modern"][:2]
    document = _fake_run(tmp_path, units[0].name, [0.5], experiment="modern", seed=0)
    assert list(store.runs_of(units, tmp_path)) == [units[0].name]
    assert store.runs_of(units[1:], tmp_path) == {}
    document["config"]["learning_rate"] *= 10  # a run of another design
    (tmp_path / "runs" / f"{units[0].name}.json").write_text(json.dumps(document))
    assert store.runs_of(units, tmp_path) == {}
