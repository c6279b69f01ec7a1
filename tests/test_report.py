"""The book's verdict tables, from a claims document."""

import pytest

from spectral import report
from spectral import robustness_analysis
from spectral import study


@pytest.fixture(scope="module")
def document():
    return robustness_analysis.claims_document(chapter_results=study.CHAPTER_RESULTS)


@pytest.mark.parametrize(
    "claim_id, value, text",
    [("classification", -0.1057, "-10.57 pp"), ("speedup-deep", 1.456, "1.46×"),
     ("filter-sparsity", 0.0123, "+0.012"), ("sgd-rotation-identity", 1.43, "R = 1.43"),
     ("classification", None, "—"), ("classification", float("nan"), "—")],
)
def test_values_in_the_unit_the_text_uses(claim_id, value, text):
    assert report.format_value(claim_id, value) == text


def test_claims_table_has_the_papers_number_beside_ours(document):
    frame = report.claims_frame(document, compact=True)
    assert list(frame.columns) == ["claim", "paper", "ours (95% CI)", "n",
                                   "direction", "size"]
    assert len(frame) == len(robustness_analysis.CLAIM_IDS)
    html = report.claims_table(document).to_html()
    assert "white-space: nowrap" in html and ">id<" not in html


@pytest.mark.parametrize("claim_id", ["classification", "frequency-dropout",
                                      "speedup-generic", "filter-sparsity"])
def test_every_regime_has_a_row(document, claim_id):
    row = next(c for c in document["claims"] if c["id"] == claim_id)
    frame = report.regimes_frame(document, claim_id)
    assert len(frame) == len(row["regimes"])
    assert set(frame["valid test"]) <= {"yes", "no"}


def test_sentences_say_why_a_claim_is_not_tested(document):
    row = next(c for c in document["claims"] if c["id"] == "classification-cifar100")
    assert "no CIFAR-100 training images" in report.direction_sentence(row)


def test_design_deviations_and_status_tables():
    assert list(report.design_frame()["experiment"]) == list(
        __import__("spectral.robustness").robustness.EXPERIMENTS)
    assert {"date", "change", "reason"} <= set(report.deviations_frame().columns)
    status = report.status_frame()
    assert set(status["experiment"]) == {"tuned", "regime", "budget", "plateau"}


def test_a_not_reproduced_sentence_says_what_was_ruled_out_and_what_is_open():
    row = {"id": "classification", "direction": "not reproduced", "estimate": -0.05,
           "ci95": [-0.06, -0.04], "n": 5, "paper": "p", "size": None,
           "primary_regime": "tuned",
           "regimes": [{"regime": "tuned", "valid": True, "reason": None},
                       {"regime": "converged", "valid": False,
                        "reason": "the regime did not over-fit"}]}
    text = report.direction_sentence(row)
    assert "Ruled out in the valid regimes (tuned)" in text
    assert "Still open: converged (the regime did not over-fit)." in text


@pytest.mark.parametrize(
    "figure", ["regime_figure", "budget_figure", "plateau_figure", "sparsity_figure"]
)
def test_robustness_figures_read_and_say_when_runs_are_missing(figure, tmp_path):
    from spectral import plotting

    fig = getattr(report, figure)(tmp_path)  # an empty record
    texts = [t.get_text() for t in fig.findobj(__import__("matplotlib").text.Text)]
    assert any("no finished" in t for t in texts)
    assert plotting.text_overlaps(fig) == []
    assert plotting.smallest_text_points(fig) >= plotting.MIN_POINTS


def test_regime_figure_draws_training_and_validation_curves(tmp_path):
    from spectral import plotting
    from spectral import robustness as design
    from tests.test_robustness import _write

    for arm in design.REGIME_ARMS:
        for rate, val in zip(design.SGD_START, (0.5, 0.3, 0.4)):
            history = [{"epoch": e, "val_error": val + 0.1 / e, "train_loss": 1.0,
                        "train_eval_error": 0.2 / e} for e in range(1, 6)]
            _write(tmp_path, design.regime_name(arm, rate, 0),
                   design.regime_config(arm, rate, 0), val, 0.3, history=history)
    fig = report.regime_figure(tmp_path)
    assert len(fig.axes[0].lines) == 2 * len(design.REGIME_ARMS)
    assert plotting.text_overlaps(fig) == []


@pytest.mark.parametrize(
    "case,expected",
    [
        ({"mean_speedup": 1.5, "seeds_reaching_target": 2, "per_seed": [{}] * 3,
          "paper": 4.8},
         "The Deep net measured a speed-up of 1.50 here (2 of 3 seeds reached "
         "the spatial run's final error) against the paper's 4.8."),
        ({"mean_speedup": None, "seeds_reaching_target": 0, "per_seed": [{}] * 2,
          "paper": 4.8},
         "The Deep net: the spectral run never reached the spatial run's final "
         "error in any of 2 seeds here, so its speed-up is undefined at this "
         "size; the paper reports 4.8."),
    ],
    ids=["reached", "never-reached"],
)
def test_speedup_case_sentence_states_the_mean_or_that_it_is_undefined(case, expected):
    assert report.speedup_case_sentence(case, "the Deep net") == expected


@pytest.mark.parametrize("regime, tail", [(None, "n = 5."), ("tuned", "n = 5 (tuned).")])
def test_direction_sentence_names_the_regime_only_when_there_is_one(regime, tail):
    row = {"id": "information-preservation", "direction": "reproduced", "estimate": 0.1,
           "ci95": [0.05, 0.15], "n": 5, "paper": "p", "size": None,
           "primary_regime": regime, "regimes": []}
    assert report.direction_sentence(row).endswith(tail)
