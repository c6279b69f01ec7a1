"""The robustness study's verdict rules as preregistered, and the writer of
`results/laptop/preregistration.json`.

`RULES` states every verdict rule and validity condition in words, built
from the design's own constants (`spectral.robustness`), so the text and
the code that applies it (`spectral.robustness_analysis`) cannot drift
apart; `DIRECTIONS` and `SIZES` are the verdicts' vocabulary.
`preregistration_document` is what the preregistration file holds (the
design, its units and these rules), `write_preregistration` writes it once.
"""

from pathlib import Path

from spectral import robustness as design
from spectral.record import store

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
NOT_TESTED = "not tested"
DIRECTIONS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTED)
SIZES = ("consistent", "smaller", "larger")

BOOTSTRAP_RESAMPLES = 9999

RULES = f"""\
Direction. Each claim is an effect with a sign. Its estimate comes with a
95% interval (t interval over paired seeds for differences of test error;
stratified percentile bootstrap, {BOOTSTRAP_RESAMPLES} resamples, for
speed-ups). The direction is *reproduced* when the interval excludes no
effect on the paper's side, *not reproduced* when it excludes no effect on
the other side, *inconclusive* when it includes no effect, and *not tested*
when the regime's validity condition fails or a unit of the design is
missing (the estimate so far is still shown). Size is stated separately,
only where the paper gives a number: *consistent* when our interval
contains it, *smaller* or *larger* when the interval lies below or above.
Test errors are on the full 10,000-image test set after the last epoch;
every choice is made on the 5,000-image validation split.

Learning rates. Every arm has its own rate, chosen on seed 0 by the
validation error after the last epoch (SGD: ladder {list(design.SGD_LADDER)},
starting from {list(design.SGD_START)}) or, for the Adam speed-up, by the
best-epoch validation error of 25-epoch runs (ladder
{list(design.ADAM_LADDER)}, starting from {list(design.ADAM_START)}, the first
study's grid). While the choice sits at the lowest or highest rung that
ran, the next rung beyond it runs. A choice at the end of the ladder makes
its comparison not tested. Other seeds run at the chosen rate.

Classification (§5.1). Estimate: test error of the spatial arm minus the
spectral arm's, paired by seed (positive: spectral pooling better). Primary
regime `tuned`: the spectral arm is whichever of spectral-ortho and
spectral-mean has the lower seed-0 validation error at its chosen rate, the
spatial arm likewise of max and average; 5 seeds each. The paper never ran
this comparison (same network, other pooling); its 8.6% CIFAR-10 error is a
paper-scale number, so no size statement is made. Other regimes reported:
each normalisation against the spatial arm; `regime` (spectral-ortho vs
max, 3 seeds, valid only if it over-fits, below); `budget` at 3, 6 and 12
epochs (spectral-ortho vs max, 3 seeds, at the rates `tuned` chose). The
budget trend is the mean over seeds of each seed's least-squares slope of
the gap against log2(epochs), with a t interval: *in spectral pooling's
favour* if it excludes zero above, *against* if below, else *no trend
detected*.

Frequency dropout (§3.2). Estimate: test error without minus with dropout,
paired by seed (positive: dropout helps). Primary regime `regime` (5,000
images, no augmentation, 40 epochs, drops at 2/3 and 14/15), using the
reading of R's range (pooled map or map before pooling) with the lower
mean validation error. Valid only if the regime over-fits: for each arm
without dropout (spectral-ortho and max), the mean over seeds of the final
inference-mode training error is below {design.OVERFIT_TRAIN_ERROR:.0%} and the
validation error exceeds it by more than {design.OVERFIT_GAP * 100:.0f} percentage
points. The paper reports no ablation: no size statement. The `tuned`
comparison (spectral-mean with and without dropout) and the first study's
are reported as not valid tests: those regimes were not shown to over-fit.

Speed-up (§5.2), one claim per network (Generic, Deep, the §5.1 network),
each over 3x3 and 5x5 filters with 3 seeds. A spatial run's training loss
has plateaued at epoch e when the best loss of epochs e-{design.PLATEAU_WINDOW - 1}..e is
at least {1 - design.PLATEAU_TOLERANCE:.2f} times the best loss before them; P is the
first such epoch (the cap, {design.PLATEAU_EPOCHS} epochs, if none). Target: the
spatial run's lowest training loss up to P. S = (first epoch the spatial
run reaches the target) / (first epoch the spectral run does); a spectral
run that never does counts as S = spatial epoch / {design.PLATEAU_EPOCHS + 1}, a bound
that favours no speed-up. The network's estimate is the geometric mean
over its filter sizes of the geometric mean over seeds, with a bootstrap
that resamples seeds within each filter size. Valid only if, in each filter
size, at least 2 of 3 spatial runs plateau before the cap. Size: against
the geometric mean of the paper's two speed-ups for that network. The same
on the validation error is reported as a second regime, and the first
study's 25-epoch estimate as a third (valid: False, cut off before a
plateau).

Filter sparsity (§4, Fig. 3). Hoyer sparsity (`spectral.sparsity`) of the
trained k x k kernels of the plateau runs, filter-weighted over layers.
Estimate: the spectral run's sparsity in spectral coordinates minus the
paired spatial run's in spatial coordinates (positive: spectral sparser),
t interval over every finished (network, filter size, seed) pair, at least
6 pairs. The paper gives histograms, no number: no size statement. Also
reported: the same for the optimiser's momentum, and the spatial run's own
kernels in spectral minus spatial coordinates (what the basis alone gives).

Other claims. Information preservation and FFT convolution keep their
rules (chapters 2 and 5; `spectral.claims.RULE`); FFT convolution and the
SGD rotation identity are checks of this implementation, in `checks`.
Any output size: reproduced when every spectral arm of `tuned` that has
finished trained through non-halving sizes (32 to 22, 15, 10, 7) with a
finite test error. CIFAR-100 classification: not tested here (no CIFAR-100
training images on these machines).

A unit whose configuration is not the design's (name and stored config)
never enters an estimate. A run that diverges (non-finite training loss)
is kept with the errors it reached.
"""


def preregistration_document(commit, date):
    """The content of `results/laptop/preregistration.json`: the design
    (`spectral.robustness`) and these verdict rules (`RULES`)."""
    return {
        "commit": commit,
        "date": date,
        "units": design.candidate_units(),
        "rules": RULES,
        "design": {
            "sgd_ladder": list(design.SGD_LADDER),
            "sgd_start": list(design.SGD_START),
            "adam_ladder": list(design.ADAM_LADDER),
            "adam_start": list(design.ADAM_START),
            "tuned_seeds": {k: list(v) for k, v in design.TUNED_SEEDS.items()},
            "regime": {
                "train_images": design.REGIME_TRAIN_IMAGES,
                "epochs": design.REGIME_EPOCHS,
                "train_eval_images": design.REGIME_TRAIN_EVAL,
                "seeds": list(design.REGIME_SEEDS),
                "overfit_train_error": design.OVERFIT_TRAIN_ERROR,
                "overfit_gap": design.OVERFIT_GAP,
            },
            "budget_epochs": list(design.BUDGET_EPOCHS),
            "budget_seeds": list(design.BUDGET_SEEDS),
            "plateau": {
                "networks": list(design.PLATEAU_NETWORKS),
                "epochs": design.PLATEAU_EPOCHS,
                "seeds": list(design.PLATEAU_SEEDS),
                "window": design.PLATEAU_WINDOW,
                "tolerance": design.PLATEAU_TOLERANCE,
            },
        },
    }


def write_preregistration(record_dir=None, commit=None, date=None):
    """Writes `record_dir/preregistration.json` once (never overwrites)."""
    import datetime

    from spectral import jsonio

    path = Path(record_dir or store.RECORD_DIR) / design.RECORD_FILE
    if path.exists():
        raise FileExistsError(
            f"{path} exists: a preregistration is written once. Deviations "
            "go in spectral.robustness_deviations.DEVIATIONS."
        )
    document = preregistration_document(
        commit,
        date or datetime.datetime.now(datetime.timezone.utc).isoformat(),
    )
    jsonio.write_json(path, document, indent=1)
    return document
