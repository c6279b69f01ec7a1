"""The robustness study: a preregistered design for every claim's verdict.

The first laptop study (`spectral.study`) trained every pooling arm at one
shared learning rate, 12 epochs, in a regime that does not over-fit, and
read the speed-up at a 25-epoch cut-off. This study asks whether its
verdicts survive the objections a reviewer would raise, with four
experiments on the same 2-core CPU (TensorFlow, float32), each a list of
units (one training run each, at most 45 minutes):

* `tuned` — the pooling comparison in the §5.1 network of the first study
  (half width, `M = 4`, `gamma = 0.7`, 45,000 images, 12 epochs, SGD), but
  every arm with its own learning rate, chosen on the validation split of
  seed 0 from a ladder spanning 10x and extended while the choice sits at
  an edge. Arms: spectral pooling with the paper's unitary normalisation
  (`spectral-ortho`) and the mean-preserving one (`spectral-mean`), both
  without frequency dropout; `spectral-mean-dropout`; adaptive `max` and
  `average` pooling. Runs of the first study at its learning rate 0.0088
  are reused where the configuration is the same.
* `regime` — the paper's regime in miniature: 5,000 training images, no
  augmentation, 40 epochs with the paper's drops at 2/3 and 14/15 of
  training, the error in inference mode on 2,000 fixed training images
  logged every epoch. Arms: `spectral-ortho` and `max` without dropout,
  and frequency dropout under both readings of its range
  (`spectral-ortho-dropout-pooled`, `-input`). Each arm tunes its own rate.
* `budget` — spectral (unitary) vs max pooling at 3, 6 and 12 epochs (the
  12-epoch runs are `tuned`'s), each at the rate `tuned` chose for it.
* `plateau` — the speed-up of spectral parametrisation with Adam, trained
  to a plateau (up to `PLATEAU_EPOCHS`): the Generic and Deep networks and
  the §5.1 network, 3x3 and 5x5, quarter width, 5,000 images with the
  paper's augmentation. Learning rates: the first study's 25-epoch
  selection, its ladder extended where it chose an edge; the §5.1 network
  gets the same selection. Trained kernels and their momentum give the
  filter-sparsity measurement (`spectral.sparsity`).

`RULES` states every verdict rule and validity condition;
`spectral.robustness_analysis` computes them. Both, with this design,
were committed before any unit of this study ran, and
`results/laptop/preregistration.json` names that commit. Later changes are
listed in `spectral.robustness_deviations.DEVIATIONS` (re-exported here),
with their reasons.
"""

import dataclasses
from pathlib import Path

from spectral.record import laptop
from spectral.record import runner
from spectral.record import store
from spectral.robustness_deviations import DEVIATIONS  # noqa: F401 (re-export)

EXPERIMENTS = ("tuned", "regime", "budget", "plateau")
EXPERIMENT_ORDER = EXPERIMENTS  # the order units are trained in

# SGD learning rates, a ladder in steps of about sqrt(10) through the
# paper's 0.0088. Each arm starts from `SGD_START` (spanning 10x) and adds
# the next rung beyond an edge while its choice sits at that edge.
SGD_LADDER = (0.00028, 0.00088, 0.0028, 0.0088, 0.028, 0.088, 0.28)
SGD_START = (0.0028, 0.0088, 0.028)
# Adam: the first study's grid, with rungs beyond it.
ADAM_LADDER = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
ADAM_START = laptop.ADAM_LEARNING_RATES

TUNED_ARMS = {
    # arm: (pooling, pooling_norm, frequency_dropout)
    "spectral-ortho": ("spectral", "ortho", False),
    "spectral-mean": ("spectral", "mean", False),
    "spectral-mean-dropout": ("spectral", "mean", True),
    "max": ("max", "mean", False),
    "average": ("average", "mean", False),
}
# The first study's name of the same configuration at lr 0.0088.
FIRST_STUDY_ARMS = {
    "spectral-mean": "spectral-no-dropout",
    "spectral-mean-dropout": "spectral",
    "max": "max",
    "average": "average",
}
TUNED_SEEDS = {
    "spectral-ortho": (0, 1, 2, 3, 4),
    "spectral-mean": (0, 1, 2, 3, 4),
    "max": (0, 1, 2, 3, 4),
    "average": (0, 1, 2, 3, 4),
    "spectral-mean-dropout": (0, 1, 2),
}
SPECTRAL_TUNED_ARMS = ("spectral-ortho", "spectral-mean")
SPATIAL_TUNED_ARMS = ("max", "average")

REGIME_ARMS = {
    # arm: (pooling, frequency_dropout, dropout_range)
    "spectral-ortho": ("spectral", False, "pooled"),
    "spectral-ortho-dropout-pooled": ("spectral", True, "pooled"),
    "spectral-ortho-dropout-input": ("spectral", True, "input"),
    "max": ("max", False, "pooled"),
}
REGIME_SEEDS = (0, 1, 2)
REGIME_TRAIN_IMAGES = 5000
REGIME_EPOCHS = 40
REGIME_TRAIN_EVAL = 2000
# The regime counts as over-fitting when, for each arm without dropout,
# the mean over seeds of the final inference-mode training error is below
# the first number and validation minus training error above the second.
OVERFIT_TRAIN_ERROR = 0.05
OVERFIT_GAP = 0.10

BUDGET_ARMS = ("spectral-ortho", "max")
BUDGET_EPOCHS = (3, 6, 12)
BUDGET_SEEDS = (0, 1, 2)

PLATEAU_NETWORKS = ("generic", "deep", "spectral_pooling")
PLATEAU_SEEDS = (0, 1, 2)
PLATEAU_EPOCHS = 50
SELECTION_EPOCHS = laptop.SPEEDUP_EPOCHS  # the first study's 25
# The spatial run's training loss has plateaued at epoch e when the best
# loss of epochs e-9..e is at least (1 - PLATEAU_TOLERANCE) times the best
# loss before them: less than 2% better over ten epochs.
PLATEAU_WINDOW = 10
PLATEAU_TOLERANCE = 0.02


def ladder_tag(rate):
    return f"lr{rate:g}"


def _sgd_base():
    """The first study's pooling configuration (§5.1 net, 12 epochs)."""
    return laptop._base_configs()["pooling"]


def tuned_config(arm, rate, seed, epochs=None):
    """The `TrainConfig` of a `tuned` (or, with `epochs`, `budget`) unit."""
    from spectral.paper import paper_lr_drops

    pooling, norm, dropout = TUNED_ARMS[arm]
    base = _sgd_base()
    fields = {}
    if epochs is not None and epochs != base.epochs:
        fields = dict(epochs=epochs, lr_drops=paper_lr_drops(epochs))
    return dataclasses.replace(
        base,
        pooling=pooling,
        pooling_norm=norm,
        frequency_dropout=dropout,
        learning_rate=rate,
        seed=seed,
        **fields,
    )


def tuned_name(arm, rate, seed):
    """Unit name; the first study's file where it is the same run."""
    if arm in FIRST_STUDY_ARMS and rate == _sgd_base().learning_rate:
        return f"pooling-{FIRST_STUDY_ARMS[arm]}-seed{seed}"
    return f"tuned-{arm}-{ladder_tag(rate)}-seed{seed}"


def regime_config(arm, rate, seed):
    pooling, dropout, reach = REGIME_ARMS[arm]
    return dataclasses.replace(
        _sgd_base(),
        train_size=REGIME_TRAIN_IMAGES,
        epochs=REGIME_EPOCHS,
        lr_drops=(
            round(REGIME_EPOCHS * 2 / 3),
            round(REGIME_EPOCHS * 14 / 15),
        ),
        train_eval_size=REGIME_TRAIN_EVAL,
        pooling=pooling,
        pooling_norm="ortho",
        frequency_dropout=dropout,
        dropout_range=reach,
        learning_rate=rate,
        seed=seed,
    )


def regime_name(arm, rate, seed):
    return f"regime-{arm}-{ladder_tag(rate)}-seed{seed}"


def budget_name(arm, epochs, rate, seed):
    if epochs == _sgd_base().epochs:
        return tuned_name(arm, rate, seed)
    return f"budget-{arm}-{epochs}ep-{ladder_tag(rate)}-seed{seed}"


def plateau_cases():
    return [
        (network, size, f"{network}-{size}x{size}")
        for network in PLATEAU_NETWORKS
        for size in laptop.FILTER_SIZES
    ]


def plateau_config(network, size, conv, rate, seed, epochs=PLATEAU_EPOCHS):
    """A `plateau` unit, or with `epochs=SELECTION_EPOCHS` a selection run
    (for Generic and Deep, exactly the first study's speed-up config)."""
    base = laptop._base_configs()["speedup"]
    fields = {}
    if network == "spectral_pooling":
        fields = dict(
            num_blocks=4,
            gamma=0.7,
            frequency_dropout=False,
            pooling="spectral",
            pooling_norm="ortho",
        )
    return dataclasses.replace(
        base,
        network=network,
        filter_size=size,
        conv=conv,
        learning_rate=rate,
        seed=seed,
        epochs=epochs,
        **fields,
    )


def selection_name(case, conv, rate):
    """A 25-epoch Adam selection run on seed 0: the first study's run
    (`speedup-<case>-<conv>-adam-lr<rate>-seed0`) for its networks and
    rates, else `plateau-selection-<case>-<conv>-adam-lr<rate>-seed0`."""
    if case.split("-")[0] in laptop.SPEEDUP_NETWORKS and rate in ADAM_START:
        return laptop.speedup_name(case, conv, "adam", 0, rate)
    return f"plateau-selection-{case}-{conv}-adam-{ladder_tag(rate)}-seed0"


def plateau_name(case, conv, rate, seed):
    return f"plateau-{case}-{conv}-adam-{ladder_tag(rate)}-seed{seed}"


def final_validation_error(document):
    return document["history"][-1]["val_error"]


def choose(ladder, start, scores):
    """Walks a learning-rate ladder; returns `(chosen, to_run, at_edge)`.

    `scores` maps finished rates to their validation error. The rungs in
    `start` run first; then, while the best rate so far is the lowest
    (highest) rung that ran, the next lower (higher) rung runs, if the
    ladder has one. `chosen` is None until no rung is left to run;
    `to_run` lists the rungs still needed now; `at_edge` says whether the
    choice sits at the end of the ladder (the rule reports it).

    Example:

    >>> choose((1, 2, 3, 4), (2, 3), {2: 0.5, 3: 0.4})
    (None, [4], False)
    >>> choose((1, 2, 3, 4), (2, 3), {2: 0.5, 3: 0.4, 4: 0.45})
    (3, [], False)
    """
    missing = [r for r in start if r not in scores]
    if missing:
        return None, missing, False
    ran = sorted(r for r in ladder if r in scores)
    best = min(ran, key=lambda r: (scores[r], r))
    i = ladder.index(best)
    if best == ran[0] and i > 0 and ladder[i - 1] not in scores:
        return None, [ladder[i - 1]], False
    if best == ran[-1] and i + 1 < len(ladder) and ladder[i + 1] not in scores:
        return None, [ladder[i + 1]], False
    return best, [], i in (0, len(ladder) - 1)


@dataclasses.dataclass(frozen=True)
class Selection:
    """The learning-rate choice of one arm: chosen rate (None while
    pending), the rungs that still must run, and whether it is at the
    ladder's end."""

    rate: float
    to_run: tuple
    at_edge: bool
    scores: dict


def _select(ladder, start, name_of, runs, score):
    scores = {}
    for rate in ladder:
        doc = runs.get(name_of(rate))
        if doc is not None:
            scores[rate] = score(doc)
    rate, to_run, edge = choose(ladder, start, scores)
    return Selection(rate, tuple(to_run), edge, scores)


def tuned_selection(runs, arm):
    return _select(
        SGD_LADDER,
        SGD_START,
        lambda r: tuned_name(arm, r, 0),
        runs,
        final_validation_error,
    )


def regime_selection(runs, arm):
    return _select(
        SGD_LADDER,
        SGD_START,
        lambda r: regime_name(arm, r, 0),
        runs,
        final_validation_error,
    )


def plateau_selection(runs, case, conv):
    """Adam rate of a plateau arm: the 25-epoch selection on seed 0 by the
    best-epoch validation error (the first study's criterion)."""
    return _select(
        ADAM_LADDER,
        ADAM_START,
        lambda r: selection_name(case, conv, r),
        runs,
        lambda doc: store.best_validation_error(doc["history"]),
    )


def _unit(name, experiment, arm, case, config, role):
    return store.Unit(name, experiment, arm, case, config, role)


def units(record_dir=None, experiments=EXPERIMENTS):
    """Every unit this study needs now, given the record so far.

    Selection units come first in each experiment; units that wait for a
    choice appear with `config=None` and a name ending in
    `lr-pending-seed<s>` so that status can count them.
    """
    runs = store.load_runs(record_dir or store.RECORD_DIR)
    out = []
    if "tuned" in experiments:
        out += _ladder_units(
            "tuned",
            TUNED_ARMS,
            TUNED_SEEDS,
            lambda arm: tuned_selection(runs, arm),
            tuned_name,
            tuned_config,
        )
    if "regime" in experiments:
        out += _ladder_units(
            "regime",
            REGIME_ARMS,
            {arm: REGIME_SEEDS for arm in REGIME_ARMS},
            lambda arm: regime_selection(runs, arm),
            regime_name,
            regime_config,
        )
    if "budget" in experiments:
        for seed in BUDGET_SEEDS:
            for epochs in BUDGET_EPOCHS:
                if epochs == _sgd_base().epochs:
                    continue  # the tuned units themselves
                for arm in BUDGET_ARMS:
                    rate = tuned_selection(runs, arm).rate
                    out.append(
                        _unit(
                            budget_name(arm, epochs, rate, seed)
                            if rate
                            else f"budget-{arm}-{epochs}ep-lr-pending-seed{seed}",
                            "budget",
                            arm,
                            f"{epochs}ep",
                            None
                            if rate is None
                            else tuned_config(arm, rate, seed, epochs),
                            "seed",
                        )
                    )
    if "plateau" in experiments:
        out += _plateau_units(runs)
    return out


def provisional_config(unit):
    """A configuration to cost a unit that waits for its learning rate:
    the unit's own, at the middle rung of its ladder's start (the rate
    changes the cost of nothing)."""
    if unit.config is not None:
        return unit.config
    seed = unit.seed
    rate = SGD_START[1]
    if unit.experiment == "tuned":
        return tuned_config(unit.arm, rate, seed)
    if unit.experiment == "regime":
        return regime_config(unit.arm, rate, seed)
    if unit.experiment == "budget":
        return tuned_config(unit.arm, rate, seed, int(unit.case[:-2]))
    network, size = unit.case.rsplit("-", 1)
    return plateau_config(network, int(size[0]), unit.arm, ADAM_START[1], seed)


def _ladder_units(experiment, arms, seeds, selection, name, config):
    selection_units, seed_units = [], []
    for arm in arms:
        chosen = selection(arm)
        for rate in sorted(set(chosen.scores) | set(chosen.to_run)):
            selection_units.append(
                _unit(
                    name(arm, rate, 0),
                    experiment,
                    arm,
                    "",
                    config(arm, rate, 0),
                    "selection",
                )
            )
        for seed in seeds[arm][1:]:
            rate = chosen.rate
            seed_units.append(
                _unit(
                    name(arm, rate, seed)
                    if rate
                    else f"{experiment}-{arm}-lr-pending-seed{seed}",
                    experiment,
                    arm,
                    "",
                    None if rate is None else config(arm, rate, seed),
                    "seed",
                )
            )
    return selection_units + seed_units


def _plateau_units(runs):
    selection_units, seed_units = [], []
    for network, size, case in plateau_cases():
        for conv in laptop.CONVS:
            chosen = plateau_selection(runs, case, conv)
            for rate in sorted(set(chosen.scores) | set(chosen.to_run)):
                selection_units.append(
                    _unit(
                        selection_name(case, conv, rate),
                        "plateau",
                        conv,
                        f"{case}-selection",
                        plateau_config(
                            network, size, conv, rate, 0, SELECTION_EPOCHS
                        ),
                        "selection",
                    )
                )
            for seed in PLATEAU_SEEDS:
                rate = chosen.rate
                seed_units.append(
                    _unit(
                        plateau_name(case, conv, rate, seed)
                        if rate
                        else f"plateau-{case}-{conv}-adam-lr-pending-seed{seed}",
                        "plateau",
                        conv,
                        case,
                        None
                        if rate is None
                        else plateau_config(network, size, conv, rate, seed),
                        "seed",
                    )
                )
    return selection_units + seed_units


def design_runs(record_dir=None, experiments=EXPERIMENTS):
    """The finished units of this design, `{name: document}`: a run file
    counts only if its name is a unit of `units()` and its stored
    configuration is that unit's (`store.runs_of`)."""
    return store.runs_of(units(record_dir, experiments), record_dir)


def pending(record_dir=None, experiments=EXPERIMENTS):
    finished = design_runs(record_dir, experiments)
    return [u for u in units(record_dir, experiments) if u.name not in finished]


def candidate_units():
    """Every unit name the design can ever ask for (all ladder rungs and
    seeds): what `preregistration.json` lists. Only the ones `units()`
    selects by the rules enter an analysis."""
    names = []
    for arm in TUNED_ARMS:
        for rate in SGD_LADDER:
            names += [tuned_name(arm, rate, s) for s in TUNED_SEEDS[arm]]
    for arm in REGIME_ARMS:
        for rate in SGD_LADDER:
            names += [regime_name(arm, rate, s) for s in REGIME_SEEDS]
    for arm in BUDGET_ARMS:
        for rate in SGD_LADDER:
            for epochs in BUDGET_EPOCHS:
                names += [
                    budget_name(arm, epochs, rate, s) for s in BUDGET_SEEDS
                ]
    for _, _, case in plateau_cases():
        for conv in laptop.CONVS:
            for rate in ADAM_LADDER:
                names.append(selection_name(case, conv, rate))
                names += [
                    plateau_name(case, conv, rate, s) for s in PLATEAU_SEEDS
                ]
    return sorted(set(names))


def run_pending(minutes=None, record_dir=None, state_dir=None, names=None,
                experiments=EXPERIMENTS, log=print):
    """Trains pending units of this design in order
    (`spectral.record.runner.train_pending`, the record's one loop).
    Returns `(finished, remaining)`."""
    return runner.train_pending(
        lambda: pending(record_dir, experiments), minutes, record_dir,
        state_dir, names, log=log)


RECORD_FILE = Path("preregistration.json")


def status(record_dir=None):
    """Rows `{unit, experiment, role, state, minutes, test_error}`."""
    finished = design_runs(record_dir)
    rows = []
    for unit in units(record_dir):
        doc = finished.get(unit.name)
        rows.append({
            "unit": unit.name,
            "experiment": unit.experiment,
            "role": unit.role,
            "state": "finished" if doc else (
                "pending" if unit.config else "waits for lr selection"),
            "minutes": None if doc is None else doc["wall_seconds"] / 60,
            "test_error": None if doc is None else doc["test_error"],
        })
    return rows


def read_preregistration(record_dir=None):
    """The content of `record_dir/preregistration.json`."""
    from spectral import jsonio

    return jsonio.read_json(
        Path(record_dir or store.RECORD_DIR) / RECORD_FILE,
        "the robustness study's preregistration",
        "Restore it from git: it is written once, before the study's runs.",
    )


if __name__ == "__main__":
    # The command line lives in spectral.record.cli (above this module and
    # the verdict rules the `preregister` command writes).
    import importlib
    import sys

    from spectral.jsonio import run_command

    cli = importlib.import_module("spectral.record.cli")
    sys.exit(run_command(cli.robustness_main))
