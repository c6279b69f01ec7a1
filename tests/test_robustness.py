"""The robustness study's design (units, learning-rate ladders) and its
verdict rules, on fake records written to a temporary directory."""

import json

import numpy as np
import pytest

from spectral import robustness as design
from spectral import robustness_analysis as analysis
from spectral import study
from spectral.record import laptop
from tests.fakes import write_fake_run


def _write(tmp_path, name, config, val_error, test_error, history=None, **extra):
    history = history or [{"epoch": 1, "val_error": val_error, "train_loss": 1.0}]
    write_fake_run(tmp_path, name, config, history, test_error, **extra)


@pytest.mark.parametrize(
    "scores, expected",
    [
        ({}, (None, [2, 3], False)),
        ({2: 0.5, 3: 0.4}, (None, [4], False)),
        ({2: 0.4, 3: 0.5}, (None, [1], False)),
        ({1: 0.3, 2: 0.4, 3: 0.5}, (1, [], True)),
        ({2: 0.5, 3: 0.4, 4: 0.45}, (3, [], False)),
        ({2: 0.5, 3: 0.4, 4: 0.3}, (4, [], True)),
        ({2: 0.4, 3: 0.4}, (None, [1], False)),  # ties go to the lower rate
    ],
)
def test_ladder_walks_away_from_an_edge(scores, expected):
    assert design.choose((1, 2, 3, 4), (2, 3), scores) == expected


def test_ladders_span_ten_times_and_contain_the_start():
    for ladder, start in (
        (design.SGD_LADDER, design.SGD_START),
        (design.ADAM_LADDER, design.ADAM_START),
    ):
        assert set(start) <= set(ladder) and list(ladder) == sorted(ladder)
        assert max(start) / min(start) >= 10 * 0.99


def test_first_study_runs_are_reused_only_where_the_config_is_the_same():
    base = laptop._base_configs()["pooling"]
    assert design.tuned_name("max", base.learning_rate, 3) == "pooling-max-seed3"
    assert design.tuned_name("spectral-ortho", base.learning_rate, 0) == (
        "tuned-spectral-ortho-lr0.0088-seed0"
    )
    first = {u.name: u.config for u in study.units(experiments=("pooling",))}
    for arm, old in design.FIRST_STUDY_ARMS.items():
        config = design.tuned_config(arm, base.learning_rate, 2)
        assert first[f"pooling-{old}-seed2"] == config


def test_knobs_of_every_arm():
    ortho = design.tuned_config("spectral-ortho", 0.028, 0)
    assert (ortho.pooling_norm, ortho.frequency_dropout) == ("ortho", False)
    assert design.tuned_config("max", 0.028, 0, epochs=3).lr_drops == (2,)
    regime = design.regime_config("spectral-ortho-dropout-input", 0.0088, 1)
    assert regime.dropout_range == "input" and regime.frequency_dropout
    assert regime.lr_drops == (27, 37) and not regime.augment
    assert regime.train_eval_size == design.REGIME_TRAIN_EVAL
    sp = design.plateau_config("spectral_pooling", 5, "spectral", 1e-3, 0)
    assert (sp.num_blocks, sp.pooling_norm, sp.epochs) == (4, "ortho", 50)


def test_seeds_wait_for_the_selection_then_run_at_the_chosen_rate(tmp_path):
    names = [u.name for u in design.units(tmp_path, ("tuned",))]
    assert "tuned-max-lr-pending-seed1" in names
    for rate, val in zip(design.SGD_START, (0.5, 0.3, 0.4)):
        config = design.tuned_config("max", rate, 0)
        _write(tmp_path, design.tuned_name("max", rate, 0), config, val, 0.3)
    units = {u.name: u for u in design.units(tmp_path, ("tuned",))}
    assert units["pooling-max-seed1"].config.learning_rate == 0.0088
    assert "tuned-max-lr-pending-seed1" not in units


def test_a_run_file_of_another_config_never_counts(tmp_path):
    config = design.tuned_config("max", 0.028, 0)
    other = design.tuned_config("max", 0.0028, 0)
    _write(tmp_path, "tuned-max-lr0.028-seed0", other, 0.3, 0.3)
    assert "tuned-max-lr0.028-seed0" not in design.design_runs(tmp_path)
    _write(tmp_path, "tuned-max-lr0.028-seed0", config, 0.3, 0.3)
    assert "tuned-max-lr0.028-seed0" in design.design_runs(tmp_path)


def test_candidate_units_hold_every_unit_the_design_can_ask_for(tmp_path):
    candidates = set(design.candidate_units())
    for unit in design.units(tmp_path):
        if unit.config is not None:
            assert unit.name in candidates


@pytest.mark.parametrize(
    "losses, expected",
    [
        ([5, 4, 3, 2, 1, 1, 1, 1], 8),
        ([5, 4, 3, 2, 1, 0.5, 0.25, 0.1], None),
        ([1, 1, 1, 1], 4),
    ],
)
def test_plateau_epoch(losses, expected):
    assert analysis.plateau_epoch(losses, window=3) == expected


def test_pair_speedup_counts_a_spectral_run_that_never_reaches_the_target():
    spatial = {"history": [{"train_loss": v, "val_error": v} for v in (3, 2, 1)]}
    fast = {"history": [{"train_loss": v, "val_error": v} for v in (1, 1, 1)]}
    slow = {"history": [{"train_loss": v, "val_error": v} for v in (3, 3, 3)]}
    assert analysis.pair_speedup(spatial, fast, "train_loss")["speedup"] == 3.0
    never = analysis.pair_speedup(spatial, slow, "train_loss", cap=3)
    assert never == {"speedup": 0.75, "plateau_epoch": None, "reached": False}


def test_stratified_geomean_against_direct_computation():
    strata = [[2.0, 2.0, 8.0], [1.0, 4.0]]
    value, ci = analysis.stratified_geomean(strata)
    expected = np.exp(np.mean([np.mean(np.log(s)) for s in strata]))
    assert value == pytest.approx(expected)
    assert ci[0] <= value <= ci[1]


@pytest.mark.parametrize(
    "ci, direction",
    [((0.1, 0.2), "reproduced"), ((-0.2, -0.1), "not reproduced"),
     ((-0.1, 0.1), "inconclusive"), (None, "not tested")],
)
def test_direction_rule(ci, direction):
    assert analysis._direction(ci, 0.0) == direction


@pytest.mark.parametrize(
    "ci, size",
    [((1.0, 1.5), "smaller"), ((2.0, 3.0), "consistent"), ((4.0, 6.0), "larger")],
)
def test_size_rule(ci, size):
    assert analysis._size(ci, 2.2) == size


def _tuned_record(tmp_path, spectral_errors, max_errors):
    for arm, errors in (("spectral-ortho", spectral_errors), ("max", max_errors),
                        ("spectral-mean", [0.5] * 5), ("average", [0.5] * 5)):
        for rate, val in zip(design.SGD_START, (0.5, 0.3, 0.4)):
            config = design.tuned_config(arm, rate, 0)
            err = errors[0] if rate == 0.0088 else 0.6
            _write(tmp_path, design.tuned_name(arm, rate, 0), config,
                   val if arm in ("spectral-ortho", "max") else val + 0.1, err)
        for seed in range(1, 5):
            config = design.tuned_config(arm, 0.0088, seed)
            _write(tmp_path, design.tuned_name(arm, 0.0088, seed), config,
                   0.3, errors[seed])


def test_classification_verdict_from_a_fake_tuned_record(tmp_path):
    _tuned_record(tmp_path, [0.30, 0.31, 0.29, 0.30, 0.32],
                  [0.25, 0.26, 0.24, 0.25, 0.26])
    runs = design.design_runs(tmp_path)
    claim = analysis.classification_claim(runs)
    assert claim["n"] == 5 and claim["direction"] == "not reproduced"
    assert claim["estimate"] == pytest.approx(-0.052)
    assert claim["primary_regime"] == "tuned, spectral-ortho vs max"


def test_verdicts_refuse_a_non_finite_test_error(tmp_path):
    with pytest.raises(ValueError, match="Run bad has test_error=nan"):
        analysis._check_finite({"bad": {"test_error": float("nan")}})


def test_frequency_dropout_not_tested_unless_the_regime_over_fits(tmp_path):
    for arm in design.REGIME_ARMS:
        for rate, val in zip(design.SGD_START, (0.5, 0.3, 0.4)):
            seeds = design.REGIME_SEEDS if rate == 0.0088 else (0,)
            for seed in seeds:
                history = [{"epoch": 40, "val_error": val, "train_loss": 0.1,
                            "train_eval_error": 0.2}]
                _write(tmp_path, design.regime_name(arm, rate, seed),
                       design.regime_config(arm, rate, seed), val, 0.3,
                       history=history)
    runs = design.design_runs(tmp_path)
    overfit, holds = analysis.overfitting(runs)
    assert not holds and overfit["max"]["train_error"] == pytest.approx(0.2)
    claim = analysis.frequency_dropout_claim(runs)
    assert claim["direction"] == "not tested" and claim["n"] == 3


def test_claims_document_of_the_committed_record_is_standard_json():
    document = analysis.claims_document(chapter_results=study.CHAPTER_RESULTS)
    json.dumps(document, allow_nan=False)
    assert [c["id"] for c in document["claims"]] == list(analysis.CLAIM_IDS)
    assert [c["id"] for c in document["checks"]] == list(analysis.CHECK_IDS)
    for claim in document["claims"]:
        assert claim["direction"] in analysis.DIRECTIONS
        assert claim["size"] in analysis.SIZES + (None,)
        assert claim["regimes"]


def test_run_pending_trains_this_designs_next_unit_with_the_records_one_loop(
    tmp_path, monkeypatch
):
    from spectral.record import runner

    trained, logged = [], []

    def stopped_run_unit(unit, *args, **kwargs):
        trained.append(unit.name)
        return type("R", (), {"complete": False, "history": [{}]})()

    monkeypatch.setattr(runner, "run_unit", stopped_run_unit)
    first = next(u for u in design.pending(tmp_path) if u.config is not None)
    finished, remaining = design.run_pending(
        record_dir=tmp_path, state_dir=tmp_path, log=logged.append)
    assert (finished, trained) == ([], [first.name])
    assert remaining == len(design.pending(tmp_path))
    assert logged[-1] == (f"{first.name}: stopped at the deadline after 1 "
                          "epochs; run again to resume")


def test_the_preregistration_file_is_what_the_current_code_writes(tmp_path):
    # A deviation says the writer changed but its output did not.
    committed = study.RECORD_DIR / "preregistration.json"
    document = json.loads(committed.read_text())
    analysis.write_preregistration(tmp_path, document["commit"], document["date"])
    assert (tmp_path / "preregistration.json").read_bytes() == committed.read_bytes()
