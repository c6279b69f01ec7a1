"""The claims table: verdict rule and computation from a fake record."""

import json

import pytest

from spectral import claims
from spectral import robustness_analysis
from spectral import study


@pytest.mark.parametrize(
    "estimate,ci,no_effect,direction,verdict",
    [
        (0.03, (0.01, 0.05), 0.0, 1, claims.REPRODUCED),
        (0.03, (-0.01, 0.07), 0.0, 1, claims.PARTIAL),
        (0.03, None, 0.0, 1, claims.PARTIAL),
        (0.0, (-0.01, 0.01), 0.0, 1, claims.NOT_REPRODUCED),
        (-0.02, (-0.04, -0.01), 0.0, 1, claims.NOT_REPRODUCED),
        (2.0, (1.5, 3.0), 1.0, 1, claims.REPRODUCED),
        (1.5, (0.5, 3.0), 1.0, 1, claims.PARTIAL),
        (0.5, (0.2, 0.8), 1.0, -1, claims.REPRODUCED),
        (None, None, 0.0, 1, claims.NOT_TESTED),
    ],
)
def test_effect_verdict(estimate, ci, no_effect, direction, verdict):
    assert claims.effect_verdict(estimate, ci, no_effect, direction) == verdict


def test_no_verdict_before_every_seed_of_the_design_has_finished():
    partial = dict(ci95=None, n=1, required=5)
    assert claims.effect_verdict(-0.1, **partial) == claims.NOT_TESTED
    assert claims.effect_verdict(0.1, **partial) == claims.NOT_TESTED
    done = dict(ci95=(-0.2, -0.05), n=5, required=5)
    assert claims.effect_verdict(-0.1, **done) == claims.NOT_REPRODUCED


def _write(folder, name, **document):
    (folder / "runs").mkdir(parents=True, exist_ok=True)
    document.setdefault("wall_seconds", 1.0)
    document.setdefault("provenance", {"git_sha": "abc"})
    document.setdefault("data_source", "test")
    unit = {u.name: u for u in study.units(folder)}.get(name)
    document.setdefault("config", unit and unit.config.to_dict())
    (folder / "runs" / f"{name}.json").write_text(json.dumps(document))


def _write_pooling(folder, errors, seconds=None):
    """Pooling units with the given test errors (one per seed) per arm."""
    for arm, values in errors.items():
        for seed, error in enumerate(values):
            _write(
                folder,
                f"pooling-{arm}-seed{seed}",
                experiment="pooling",
                arm=arm,
                seed=seed,
                test_error=error,
                history=[{"val_error": error}],
                wall_seconds=(seconds or {}).get(arm, 1.0),
            )


def test_empty_record_is_not_tested(tmp_path):
    table = claims.claims(tmp_path)
    assert [row["id"] for row in table] == list(claims.CLAIM_IDS)
    assert {row["verdict"] for row in table} == {claims.NOT_TESTED}


def test_claims_from_a_fake_record(tmp_path):
    errors = {
        "spectral": [0.30, 0.31, 0.29, 0.30, 0.32],
        "spectral-no-dropout": [0.31, 0.30, 0.31, 0.29, 0.33],
        "max": [0.34, 0.36, 0.33, 0.35, 0.36],
        "average": [0.40, 0.41, 0.39, 0.40, 0.42],
    }
    _write_pooling(tmp_path, errors)
    curve = {
        "spatial": [0.8, 0.6, 0.5, 0.45],
        "spectral": [0.7, 0.5, 0.45, 0.4],
    }
    for conv in study.CONVS:
        for rate in study.ADAM_LEARNING_RATES:
            _write(
                tmp_path,
                f"speedup-generic-3x3-{conv}-adam-lr{rate:g}-seed0",
                experiment="speedup",
                arm=conv,
                seed=0,
                test_error=0.5,
                history=[
                    {"val_error": e, "train_loss": 1.0} for e in curve[conv]
                ],
            )
        for seed in (0, 1, 2):
            _write(
                tmp_path,
                f"speedup-generic-3x3-{conv}-sgd-seed{seed}",
                experiment="speedup",
                arm=conv,
                seed=seed,
                test_error=0.5,
                history=[
                    {
                        "val_error": e,
                        "train_loss": 1.0 + 1e-6 * (conv == "spectral"),
                    }
                    for e in curve["spatial"]
                ],
            )
    for seed in (0, 1, 2):
        _write(
            tmp_path,
            f"speedup-generic-3x3-spatial-roundtrip-sgd-seed{seed}",
            experiment="speedup",
            arm="spatial-roundtrip",
            seed=seed,
            test_error=0.5,
            history=[
                {"val_error": e, "train_loss": 1.0 + 2e-6}
                for e in curve["spatial"]
            ],
        )
    (tmp_path / "bench.json").write_text(
        json.dumps(
            {
                "exactness": [
                    {"kernel": "1×1", "relative": 3e-7},
                    {"kernel": "9×9", "relative": 5e-7},
                ]
            }
        )
    )
    table = {row["id"]: row for row in claims.claims(tmp_path)}
    classification = table["classification"]
    assert classification["compared_with"] == "max"
    assert classification["estimate"] == pytest.approx(0.044)
    assert classification["n"] == 5
    assert classification["verdict"] == claims.REPRODUCED
    assert table["frequency-dropout"]["verdict"] == claims.PARTIAL
    adam = table["speedup-adam"]
    assert adam["n"] == 1  # seed 0 only: seeds 1-2 not run
    assert adam["estimate"] == pytest.approx(4 / 3)
    assert adam["verdict"] == claims.NOT_TESTED  # 1 of 12 seeds x cases
    sgd = table["speedup-sgd-control"]
    # the SGD gap (1e-6) in units of the rounding-only gap (2e-6); no
    # verdict before all 12 triplets (4 cases x 3 seeds) exist
    assert sgd["estimate"] == pytest.approx(0.5, rel=1e-3)
    assert sgd["n"] == 3 and sgd["verdict"] == claims.NOT_TESTED
    assert sgd["speedup_median"] == 1.0
    assert "0 of 3 spectral runs never reach" in sgd["estimate_meaning"]
    assert sgd["max_train_loss_gap"] == pytest.approx(1e-6, rel=1e-3)
    assert "largest Adam gap 0.0e+00" in sgd["estimate_meaning"]
    assert claims.format_estimate(sgd) == "R = 0.50"
    assert (
        "speed-up" not in sgd["scale"] and "training-loss gap" in sgd["scale"]
    )
    assert table["fft-convolution"]["verdict"] == claims.REPRODUCED
    assert table["information-preservation"]["verdict"] == claims.NOT_TESTED

    written = study.summarize(tmp_path)
    document = json.loads((tmp_path / "claims.json").read_text())
    assert document["rule"] == robustness_analysis.RULES
    assert [c["direction"] for c in document["claims"]] == [
        c["direction"] for c in written["claims"]["claims"]
    ]
    assert [c["id"] for c in document["checks"]] == list(
        robustness_analysis.CHECK_IDS
    )
    pooling = json.loads((tmp_path / "pooling.json").read_text())
    assert pooling["arms"]["max"]["test_error"] == errors["max"]
    record = json.loads((tmp_path / "record.json").read_text())
    assert (
        record["units_finished"] == 20 + 6 + 6 + 3
    )  # pooling, Adam, SGD, floor
    assert record["wall_seconds"] == pytest.approx(35.0)


def test_tables_for_the_book(tmp_path):
    errors = {"spectral": [0.30, 0.32, 0.31], "max": [0.35, 0.36, 0.34]}
    _write_pooling(tmp_path, errors, {"spectral": 600.0, "max": 1200.0})
    arms = study.pooling_table(tmp_path)
    assert arms.loc["spectral", "n"] == 3 and arms.loc["average", "n"] == 0
    assert arms.loc["max", "mean test error"] == pytest.approx(0.35)
    assert arms.loc["max", "minutes per run"] == pytest.approx(20.0)
    low, high = arms.loc["spectral", ["95% CI low", "95% CI high"]]
    assert low < 0.31 < high
    differences = study.differences_table(tmp_path)
    assert differences.loc["max - spectral", "mean difference"] == (
        pytest.approx(0.04)
    )
    assert differences.loc["average - spectral", "n"] == 0
    shown = study.display_table(arms).to_html()
    assert "35.00%" in shown and "20.0" in shown and "—" in shown
    assert "+4.00 pp" in study.display_table(differences).to_html()
    with pytest.raises(ValueError, match="Received columns"):
        study.display_table(study.budget(tmp_path))
    cost = study.budget(tmp_path)
    # 5 seeds of each arm; the two untried arms cost the experiment's mean.
    per_seed = 600 + 1200 + 2 * 900
    assert cost.loc["pooling", "hours projected"] == pytest.approx(
        5 * per_seed / 3600
    )
    assert cost.loc["pooling", "hours measured"] == pytest.approx(1.5)
    assert (
        cost.loc["speedup", "hours projected"] is None
        or (cost["hours projected"].isna()["speedup"])
    )
    assert cost["hours projected"].isna()["total"]  # not all measured yet
    figure = study.curves_figure(tmp_path)
    lines = figure.axes[0].get_lines()
    assert len(lines) == 6  # one per finished unit
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == [
        "spectral",
        "max",
    ]
    design = study.design_table()
    assert design.loc["pooling", "units"] == 20
    assert design.loc["pooling", "training images"] == 45000
    table = claims.claims_table(tmp_path)
    row = table.loc["classification"]
    assert row["estimate"] == "+4.00 pp"
    assert row["verdict"] == claims.NOT_TESTED  # 3 of the design's 5 seeds
    assert row["95% CI"].startswith("[+") and row["n"] == 3
    assert table.loc["speedup-adam", "estimate"] == "—"
    assert list(table.index) == list(claims.CLAIM_IDS)
    assert list(table.columns[:2]) == ["claim", "verdict"]
    compact = claims.claims_table(tmp_path, compact=True)
    assert list(compact.columns) == [
        "claim",
        "verdict",
        "estimate",
        "95% CI",
        "n",
    ]


@pytest.mark.parametrize(
    "ratios,verdict",
    [
        ([1.0, 1.2, 0.8] * 4, claims.REPRODUCED),
        ([10.0, 12.0, 8.0] * 4, claims.NOT_REPRODUCED),
        ([1.0, 6.0, 0.5, 9.0] * 3, claims.PARTIAL),
        ([1.0, 1.2, 0.8], claims.NOT_TESTED),  # 3 of the 12 triplets
    ],
)
def test_sgd_control_compares_with_the_rounding_floor(ratios, verdict):
    case = {
        "optimizer": "sgd",
        "gap_ratio": ratios,
        "train_loss_gap": [1e-2] * len(ratios),
        "noise_floor_gap": [1e-2] * len(ratios),
    }
    row = claims._sgd_control_row("speedup-sgd-control", {"cases": [case]}, 1.0)
    assert row["verdict"] == verdict
    assert row["n"] == len(ratios)


def test_summary_sentences_carry_the_numbers(tmp_path):
    row = claims.claim_row("classification", tmp_path)
    assert claims.summary_sentence(row) == (
        "Not tested at this scale: no run in the record yet."
    )
    partial = {
        "id": "frequency-dropout",
        "verdict": claims.NOT_TESTED,
        "estimate": -0.038,
        "ci95": None,
        "n": 1,
    }
    sentence = claims.summary_sentence(partial)
    assert sentence.startswith("Not tested at this scale yet")
    assert "-3.80 pp" in sentence and "n = 1" in sentence
    pending = claims._sgd_control_row(
        "speedup-sgd-control",
        {
            "cases": [
                {
                    "optimizer": "sgd",
                    "gap_ratio": [],
                    "train_loss_gap": [0.03],
                    "noise_floor_gap": [],
                }
            ]
        },
        None,
    )
    assert claims.summary_sentence(pending) == (
        "Not tested at this scale yet: its rounding-only runs are pending; "
        "so far largest SGD gap 3.0e-02."
    )
    with pytest.raises(ValueError, match="claim_id='speedup'"):
        claims.claim_row("speedup", tmp_path)
