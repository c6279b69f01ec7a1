"""The laptop-scale study: a record of small runs, built run by run.

The paper's protocols need a GPU. The book's verdicts come from this study
instead, sized for a 2-core CPU (TensorFlow backend): reduced widths and
training subsets, several seeds, 95% confidence intervals. It has three
experiments, each a list of independent *units* (one training run each):

* `pooling` — the §5.1 network (`M = 4`, `gamma = 0.7`, half width) with
  four pooling arms: `spectral` (with frequency dropout),
  `spectral-no-dropout`, `max` and `average` (adaptive pooling to the same
  sizes); the paper's protocol otherwise (SGD with the paper's learning
  rate and momentum, its learning-rate drops scaled to 12 epochs, no
  augmentation) on all 45,000 training images outside the validation
  split; seeds 0-4. Under one seed every arm starts from the same weights
  and sees the same batches. Measured on the 2-core CPU (TensorFlow, no
  XLA), an epoch takes about 2.5 minutes with max pooling and about one
  with the other arms.
* `speedup` — the Generic and Deep networks (quarter width), 3x3 and 5x5
  filters, spatial vs spectral parametrisation from the same
  initialisation, 25 epochs on 5,000 training images with the paper's
  augmentation. With Adam, each arm's learning rate is chosen on the
  validation split from `ADAM_LEARNING_RATES` (seed 0), then seeds 1 and 2
  run at the chosen rate. The SGD control runs both parametrisations with
  SGD (momentum, decoupled weight decay), seeds 0-2, where theory says
  they coincide.
* `modern` — a small batch-normalised network (not in the paper) with max
  or spectral pooling, flips and translations, Adam, 12 epochs on all
  45,000 training images; seeds 0-4.

Every unit trains on a fixed subset of CIFAR-10's training set (the same for
every seed and arm; the pooling and modern experiments use all of it), is
checked after every epoch on a fixed validation split of 5,000 held-out
training images, and reports its error on the full 10,000-image test set
after its last epoch. A finished unit is written to
`results/laptop/runs/<name>.json` (configuration, per-epoch history, test
error, wall time, provenance); that file is the record. Training resumes
from checkpoints under `state/laptop/runs/<name>/`.

`python -m spectral.study status` lists finished and pending units with
their cost; `python -m spectral.study run --minutes 40` trains the next
pending units for at most that long (`--units NAME ...` picks units by
name); `python -m spectral.study summarize`
writes the summary files and the claims table (`spectral.claims`). Record
runs must come from a clean, committed checkout (the run records its
commit).
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from spectral import paper

ROOT = Path(__file__).resolve().parents[1]
RECORD_DIR = ROOT / "results" / "laptop"
# Chapters 2 and 5 (information preservation, FFT exactness) keep their
# result files in the chapter record; the claims table reads them there.
CHAPTER_RESULTS = ROOT / "results" / "cpu"
STATE_DIR = ROOT / "state" / "laptop" / "runs"
EXIT_INCOMPLETE = 75

VALIDATION_SIZE = 5000
CIFAR10_TRAIN_IMAGES = 50000
SEEDS = {
    "pooling": (0, 1, 2, 3, 4),
    "speedup": (0, 1, 2),
    "modern": (0, 1, 2, 3, 4),
}
POOLING_ARMS = ("spectral", "spectral-no-dropout", "max", "average")
MODERN_ARMS = ("spectral", "max")
SPEEDUP_NETWORKS = ("generic", "deep")
FILTER_SIZES = (3, 5)
CONVS = ("spatial", "spectral")
# The SGD control's noise floor: a spatial run started from the spectral
# round trip of its initial kernels (`TrainConfig.init_roundtrip`).
ROUNDTRIP = "spatial-roundtrip"
ADAM_LEARNING_RATES = (3e-4, 1e-3, 3e-3)
THRESHOLDS = (0.5, 0.75, 0.9, 1.0)
POOLING_EPOCHS = 12
# Measured on the 2-core CPU (TensorFlow, idle) with 10 epochs: a Generic
# unit took 25 s, a Deep one 50 s (3x3) to 85 s (5x5), and every validation
# curve was still falling at epoch 10, so the spatial run's best error sat
# at its last epoch and S(1.0) was set by the cut-off. 25 epochs cost about
# 2 h for the 64 units.
SPEEDUP_EPOCHS = 25
# Measured likewise: 8 epochs on 15,000 images took 75-85 s per unit and
# still improved every epoch; all 45,000 images and 12 epochs cost about
# 6 minutes per unit, 1 h for the 10 units.
MODERN_EPOCHS = 12
EXPERIMENTS = ("pooling", "speedup", "modern")


def _base_configs():
    """The `TrainConfig` of each experiment before arm and seed."""
    from spectral.experiments import TrainConfig
    from spectral.experiments import paper_lr_drops

    # Shared by every experiment: the data, the split, the batch size and
    # a single test evaluation after the last epoch.
    common = dict(
        dataset="cifar10",
        validation_size=VALIDATION_SIZE,
        batch_size=128,
        test_every_epoch=False,
    )
    pooling = TrainConfig(
        **common,
        train_size=None,  # all 45,000 images outside the validation split
        network="spectral_pooling",
        num_blocks=4,
        gamma=0.7,
        alpha=paper.SECTION_5_1["alpha"],
        beta=paper.SECTION_5_1["beta"],
        width=0.5,
        optimizer="sgd",
        learning_rate=paper.SECTION_5_1["learning_rate"],
        momentum=paper.SECTION_5_1["momentum"],
        weight_decay=paper.SECTION_5_1_OPEN["weight_decay"],
        lr_drops=paper_lr_drops(POOLING_EPOCHS),
        epochs=POOLING_EPOCHS,
        augment=False,
        # TensorFlow's CPU kernels train every arm faster without XLA.
        jit_compile=False,
    )
    speedup = TrainConfig(
        **common,
        train_size=5000,
        network="generic",
        width=0.25,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        lr_drops=(),
        epochs=SPEEDUP_EPOCHS,
        augment=True,
        augmentation="paper",
    )
    modern = TrainConfig(
        **common,
        train_size=None,  # all 45,000 images outside the validation split
        network="modern",
        width=0.5,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        lr_drops=(9,),
        epochs=MODERN_EPOCHS,
        augment=True,
        augmentation="flip-translate",
    )
    return {"pooling": pooling, "speedup": speedup, "modern": modern}


def _train_images(config):
    """Training images of a unit: its subset, or all outside validation."""
    return config.train_size or CIFAR10_TRAIN_IMAGES - config.validation_size


def scale(experiment, measure="speedup"):
    """One line saying at what scale an experiment of `EXPERIMENTS` runs.

    Args:
        experiment: one of `EXPERIMENTS`.
        measure: for `"speedup"` only, what the line says is measured:
            `"speedup"` (the Adam speed-up at the spatial run's best
            validation error) or `"gap"` (the SGD control's training-loss
            gap between paired runs).
    """
    if experiment not in EXPERIMENTS:
        raise ValueError(
            f"Invalid value for argument `experiment`. Expected one of "
            f"{EXPERIMENTS}. Received: experiment={experiment!r}"
        )
    if measure not in ("speedup", "gap"):
        raise ValueError(
            "Invalid value for argument `measure`. Expected 'speedup' or "
            f"'gap'. Received: measure={measure!r}"
        )
    config = _base_configs()[experiment]
    if experiment == "modern":
        drops = ", ".join(str(e) for e in config.lr_drops) or "none"
        return (
            f"width {config.width:g}; {_train_images(config):,} CIFAR-10 "
            f"training images, {config.epochs} epochs, Adam at "
            f"{config.learning_rate:g} divided by 10 after epoch {drops}; "
            "full 10,000-image test set"
        )
    if experiment == "pooling":
        return (
            f"§5.1 network at width {config.width:g}, M={config.num_blocks}, "
            f"γ={config.gamma:g}; {_train_images(config):,} CIFAR-10 training "
            f"images, {config.epochs} epochs, SGD; full 10,000-image test set"
        )
    return (
        f"Generic and Deep networks at width {config.width:g}, 3×3 and 5×5; "
        f"{_train_images(config):,} training images, {config.epochs} epochs; "
        + (
            "speed-up at the spatial run's best validation error"
            if measure == "speedup"
            else "SGD with momentum and weight decay; largest training-loss "
            "gap between paired runs"
        )
    )


SGD_CONTROL = {
    "optimizer": "sgd",
    "learning_rate": 0.01,
    "momentum": 0.9,
    "weight_decay": 5e-4,
}


@dataclasses.dataclass(frozen=True)
class Unit:
    """One training run of the study.

    Attributes:
        name: file stem of its result (`runs/<name>.json`).
        experiment: `"pooling"`, `"speedup"` or `"modern"`.
        arm: the compared variant (`"max"`, `"spectral"`, ...).
        case: for `speedup`, e.g. `"generic-3x3-adam"`; else `""`.
        config: its `TrainConfig`, or None while it waits for a choice
            (Adam seeds 1 and 2 wait for the learning-rate selection).
        role: `"selection"` (a learning-rate candidate), `"seed"` or
            `"control"`.
    """

    name: str
    experiment: str
    arm: str
    case: str
    config: object
    role: str = "seed"

    @property
    def seed(self):
        return int(self.name.rsplit("seed", 1)[1])


def _lr_tag(rate):
    return f"lr{rate:g}"


def speedup_name(case, conv, optimizer, seed, rate=None):
    """File stem of a speed-up unit, e.g.
    `speedup-generic-3x3-spectral-adam-lr0.001-seed0`.

    `case` is `"<network>-<k>x<k>"`; Adam units carry their learning rate
    (`rate=None`: still to be chosen), SGD units do not.
    """
    if optimizer == "sgd":
        return f"speedup-{case}-{conv}-sgd-seed{seed}"
    tag = "lr-pending" if rate is None else _lr_tag(rate)
    return f"speedup-{case}-{conv}-adam-{tag}-seed{seed}"


def _speedup_config(base, network, size, conv, seed, **fields):
    return dataclasses.replace(
        base, network=network, filter_size=size, conv=conv, seed=seed, **fields
    )


def units(record_dir=None, experiments=EXPERIMENTS):
    """Every unit of the study, in the order they are trained.

    Seeds go round-robin over arms (seed 0 of every arm first), so a
    partial record already compares the arms. Adam's seeds 1 and 2 get
    their learning rate from the finished selection runs in `record_dir`;
    until then their `config` is None.
    """
    record_dir = Path(record_dir or RECORD_DIR)
    base = _base_configs()
    out = []
    if "pooling" in experiments:
        for seed in SEEDS["pooling"]:
            for arm in POOLING_ARMS:
                pooling = "spectral" if arm.startswith("spectral") else arm
                config = dataclasses.replace(
                    base["pooling"],
                    pooling=pooling,
                    frequency_dropout=arm == "spectral",
                    seed=seed,
                )
                out.append(
                    Unit(
                        f"pooling-{arm}-seed{seed}", "pooling", arm, "", config
                    )
                )
    if "speedup" in experiments:
        out += _speedup_units(base["speedup"], record_dir)
    if "modern" in experiments:
        for seed in SEEDS["modern"]:
            for arm in MODERN_ARMS:
                config = dataclasses.replace(
                    base["modern"], pooling=arm, seed=seed
                )
                out.append(
                    Unit(f"modern-{arm}-seed{seed}", "modern", arm, "", config)
                )
    return out


def _speedup_units(base, record_dir):
    """The speed-up experiment's units, in training order: the Adam
    learning-rate selection (seed 0, every case and rate), then Adam's
    seeds 1 and 2 at the chosen rates (config None until chosen), then the
    SGD control pairs, then the SGD noise floor (spatial runs started from
    the spectral round trip of their initial kernels)."""
    from spectral.experiments import same_config

    cases = [
        (network, size, f"{network}-{size}x{size}")
        for network in SPEEDUP_NETWORKS
        for size in FILTER_SIZES
    ]
    selection = []
    for network, size, case in cases:
        for conv in CONVS:
            for rate in ADAM_LEARNING_RATES:
                config = _speedup_config(
                    base, network, size, conv, 0, learning_rate=rate
                )
                selection.append(
                    Unit(
                        speedup_name(case, conv, "adam", 0, rate),
                        "speedup",
                        conv,
                        f"{case}-adam",
                        config,
                        "selection",
                    )
                )
    configs = {u.name: u.config for u in selection}
    finished = {
        name: doc
        for name, doc in load_runs(record_dir).items()
        if name in configs and same_config(doc.get("config"), configs[name])
    }
    seeds, control, noise = [], [], []
    for network, size, case in cases:
        for conv in CONVS:
            rate = chosen_learning_rate(finished, f"{case}-adam", conv)
            for seed in SEEDS["speedup"][1:]:
                config = None
                if rate is not None:
                    config = _speedup_config(
                        base, network, size, conv, seed, learning_rate=rate
                    )
                seeds.append(
                    Unit(
                        speedup_name(case, conv, "adam", seed, rate),
                        "speedup",
                        conv,
                        f"{case}-adam",
                        config,
                    )
                )
        for conv in CONVS:
            for seed in SEEDS["speedup"]:
                config = _speedup_config(
                    base, network, size, conv, seed, **SGD_CONTROL
                )
                control.append(
                    Unit(
                        speedup_name(case, conv, "sgd", seed),
                        "speedup",
                        conv,
                        f"{case}-sgd",
                        config,
                        "control",
                    )
                )
        for seed in SEEDS["speedup"]:
            config = _speedup_config(
                base,
                network,
                size,
                "spatial",
                seed,
                init_roundtrip=True,
                **SGD_CONTROL,
            )
            noise.append(
                Unit(
                    speedup_name(case, ROUNDTRIP, "sgd", seed),
                    "speedup",
                    ROUNDTRIP,
                    f"{case}-sgd",
                    config,
                    "noise-floor",
                )
            )
    return selection + seeds + control + noise


def load_runs(record_dir=None):
    """`{name: document}` of the finished units in `record_dir/runs/`.

    A damaged run file (not JSON, or not a run document) is left out with
    a warning naming it and the fix, so it never wedges the commands that
    read the rest; `damaged_runs` lists such files.
    """
    runs = {}
    for path, document in _run_files(record_dir):
        if document is not None:
            runs[path.stem] = document
    return runs


def _run_files(record_dir):
    """`(path, document or None)` of every run file, None if damaged."""
    import warnings

    from spectral.jsonio import DamagedFileError
    from spectral.jsonio import read_json

    folder = Path(record_dir or RECORD_DIR) / "runs"
    out = []
    for path in sorted(folder.glob("*.json")):
        fix = (
            "Restore it with `git checkout -- "
            f"{path}` (a committed run) or delete it to train the unit again."
        )
        try:
            document = read_json(path, "a run file of the record", fix)
            if not isinstance(document, dict):
                raise DamagedFileError(
                    f"{path} (a run file of the record) is not a JSON "
                    f"object. {fix}"
                )
        except DamagedFileError as error:
            warnings.warn(str(error), stacklevel=3)
            document = None
        out.append((path, document))
    return out


def damaged_runs(record_dir=None):
    """Paths (as strings) of run files `load_runs` had to leave out."""
    return [str(p) for p, doc in _run_files(record_dir) if doc is None]


def record_runs(record_dir=None, experiments=EXPERIMENTS):
    """The finished units of the current design, `{name: document}`.

    A run file counts only if its name is a unit of `units()` and its
    stored configuration equals that unit's: runs of an earlier design of
    the study (see `superseded_runs`) are never mixed into a summary.
    """
    from spectral.experiments import same_config

    current = {
        u.name: u.config
        for u in units(record_dir, experiments)
        if u.config is not None
    }
    return {
        name: doc
        for name, doc in load_runs(record_dir).items()
        if name in current and same_config(doc.get("config"), current[name])
    }


def superseded_runs(record_dir=None):
    """Names of run files that no unit of the current design matches
    (neither this study's nor the robustness study's,
    `spectral.robustness`)."""
    from spectral import robustness

    current = set(record_runs(record_dir))
    current |= set(robustness.design_runs(record_dir))
    return sorted(set(load_runs(record_dir)) - current)


def best_validation_error(history):
    """The lowest validation error over a run's epochs."""
    return min(row["val_error"] for row in history)


def chosen_learning_rate(runs, case, conv):
    """Adam learning rate of an arm, chosen on validation; None if pending.

    The candidate with the lowest best-epoch validation error among the
    seed-0 selection runs of `case` and `conv` wins; all candidates must be
    finished.
    """
    candidates = []
    for rate in ADAM_LEARNING_RATES:
        name = speedup_name(case.rsplit("-", 1)[0], conv, "adam", 0, rate)
        if name not in runs:
            return None
        candidates.append((best_validation_error(runs[name]["history"]), rate))
    return min(candidates)[1]


def pending(record_dir=None, experiments=EXPERIMENTS):
    """Units without a result file of their design, in training order."""
    finished = record_runs(record_dir, experiments)
    return [u for u in units(record_dir, experiments) if u.name not in finished]


def _load_data(config, cache):
    """The data of a unit: fixed validation split and subset (seed 0)."""
    from spectral import experiments as exp

    key = (
        config.dataset,
        config.data_dir,
        config.train_size,
        config.validation_size,
        config.test_size,
    )
    if key not in cache:
        cache.clear()
        cache[key] = exp.load_dataset(config, subset_seed=0)
    return cache[key]


def run_unit(
    unit,
    record_dir=None,
    state_dir=None,
    time_budget=None,
    verbose=0,
    cache=None,
    dataset=None,
):
    """Trains (or resumes) one unit; writes its result file when finished.

    Returns the `Result`.
    """
    from spectral import experiments as exp

    if unit.config is None:
        raise ValueError(
            f"Unit {unit.name} waits for its learning-rate selection runs."
        )
    record_dir = Path(record_dir or RECORD_DIR)
    state_dir = Path(state_dir or STATE_DIR)
    data = (
        dataset
        if dataset is not None
        else _load_data(unit.config, {} if cache is None else cache)
    )
    result = exp.train(
        unit.config,
        state_dir / unit.name,
        time_budget=time_budget,
        verbose=verbose,
        dataset=data,
    )
    if result.complete:
        document = json.loads(result.to_json())
        document.update(
            name=unit.name,
            experiment=unit.experiment,
            arm=unit.arm,
            case=unit.case,
            role=unit.role,
            seed=unit.config.seed,
            wall_seconds=document["provenance"]["train_seconds_total"],
            train_images=len(data.x_train),
            validation_images=0 if data.x_val is None else len(data.x_val),
            test_images=len(data.x_test),
        )
        write_run(record_dir, unit.name, document)
    return result


SUPERSEDED_DIR = "superseded"


def write_run(record_dir, name, document):
    """Writes a finished unit's `record_dir/runs/<name>.json` atomically
    (the file `load_runs` reads); returns its path.

    A number that is not finite raises `ValueError` naming the run, and
    nothing is written. An existing file for `name` with another
    configuration (a run of another design) is never overwritten: it is
    moved to `record_dir/superseded/<name>.<n>.json` first (see
    `moved_aside`).
    """
    from spectral import jsonio
    from spectral.experiments import _stored_config

    text = jsonio.dumps(document, indent=1, what=f"the run file of {name}")
    path = Path(record_dir) / "runs" / f"{name}.json"
    if path.exists():
        try:
            old = jsonio.read_json(path)
            same = _stored_config(old.get("config")) == _stored_config(
                document.get("config")
            )
        except (jsonio.DamagedFileError, AttributeError):
            same = False
        if not same:
            aside = Path(record_dir) / SUPERSEDED_DIR
            aside.mkdir(parents=True, exist_ok=True)
            n = len(list(aside.glob(f"{name}.*.json")))
            path.replace(aside / f"{name}.{n}.json")
    return jsonio.write_text_atomic(path, text)


def moved_aside(record_dir=None):
    """Run files `write_run` moved aside (`record_dir/superseded/`)."""
    folder = Path(record_dir or RECORD_DIR) / SUPERSEDED_DIR
    return sorted(p.name for p in folder.glob("*.json"))


def run_pending(
    minutes=None,
    record_dir=None,
    state_dir=None,
    experiments=EXPERIMENTS,
    limit=None,
    verbose=0,
    dataset=None,
    log=print,
    names=None,
):
    """Trains pending units in order until done, out of time or `limit`.

    `names`, if given, restricts the call to those units (still in the
    study's order); a name that is not a unit raises `ValueError`.
    Returns `(finished, remaining)`: names finished in this call and the
    number of units still pending (including ones waiting for a choice).
    """
    if names is not None:
        known = {u.name for u in units(record_dir, experiments)}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(
                f"units={unknown} are not units of the experiments "
                f"{list(experiments)}; `python -m spectral.study status` "
                "lists every unit"
            )
    deadline = None if minutes is None else time.time() + 60 * minutes
    cache, finished = {}, []
    while True:
        todo = [
            u
            for u in pending(record_dir, experiments)
            if u.config and (names is None or u.name in names)
        ]
        if not todo or (limit is not None and len(finished) >= limit):
            break
        unit = todo[0]
        budget = None if deadline is None else deadline - time.time()
        if budget is not None and budget <= 0:
            break
        log(f"{unit.name}: training ({len(todo)} runnable units pending)")
        start = time.time()
        result = run_unit(
            unit, record_dir, state_dir, budget, verbose, cache, dataset
        )
        if not result.complete:
            log(
                f"{unit.name}: stopped at the deadline after "
                f"{len(result.history)} epochs; run again to resume"
            )
            break
        log(
            f"{unit.name}: done in {time.time() - start:.0f} s, test error "
            f"{result.test_error:.4f}"
        )
        finished.append(unit.name)
    return finished, len(pending(record_dir, experiments))


# --------------------------------------------------------------------------
# Statistics


def t_interval(values, confidence=0.95):
    """Mean and two-sided t confidence interval of `values`.

    Returns `(mean, (low, high))`; the interval is None for fewer than two
    values.
    """
    from scipy import stats

    values = np.asarray(values, float)
    mean = float(values.mean()) if values.size else float("nan")
    if values.size < 2:
        return mean, None
    if np.all(values == values[0]):  # no spread: the interval is the mean
        return mean, (mean, mean)
    low, high = stats.t.interval(
        confidence, values.size - 1, loc=mean, scale=stats.sem(values)
    )
    if not np.isfinite(low):  # all values equal
        low = high = mean
    return mean, (float(low), float(high))


def median_interval(values, confidence=0.95, seed=0):
    """Median and percentile-bootstrap interval of the median.

    Uses `scipy.stats.bootstrap` (9,999 resamples); None for fewer than
    two distinct values.
    """
    from scipy import stats

    values = np.asarray(values, float)
    median = float(np.median(values)) if values.size else float("nan")
    if values.size < 2 or np.all(values == values[0]):
        return median, None if values.size < 2 else (median, median)
    result = stats.bootstrap(
        (values,),
        np.median,
        confidence_level=confidence,
        n_resamples=9999,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return median, (float(interval.low), float(interval.high))


def _arm_comparison(runs, experiment, arms):
    """Per-arm test errors and paired differences (by seed) with CIs."""
    table = {}
    for arm in arms:
        per_seed = {
            doc["seed"]: doc["test_error"]
            for doc in runs.values()
            if doc["experiment"] == experiment and doc["arm"] == arm
        }
        mean, ci = t_interval(list(per_seed.values()))
        table[arm] = {
            "seeds": sorted(per_seed),
            "test_error": [per_seed[s] for s in sorted(per_seed)],
            "mean": mean if per_seed else None,
            "ci95": ci,
            "n": len(per_seed),
            "wall_seconds": [
                doc["wall_seconds"]
                for doc in runs.values()
                if doc["experiment"] == experiment and doc["arm"] == arm
            ],
        }
    differences = {}
    for i, a in enumerate(arms):
        for b in arms[i + 1 :]:
            common = sorted(set(table[a]["seeds"]) & set(table[b]["seeds"]))
            ea = dict(zip(table[a]["seeds"], table[a]["test_error"]))
            eb = dict(zip(table[b]["seeds"], table[b]["test_error"]))
            diff = [eb[s] - ea[s] for s in common]
            mean, ci = t_interval(diff)
            differences[f"{b} - {a}"] = {
                "seeds": common,
                "difference": diff,
                "mean": mean if diff else None,
                "ci95": ci,
                "n": len(diff),
            }
    return {"arms": table, "differences": differences}


def pooling_summary(runs):
    """The pooling ablation: `{"arms": ..., "differences": ...}`.

    `differences["max - spectral"]` is max pooling's test error minus
    spectral pooling's, paired by seed (same initial weights and batches);
    positive means spectral pooling is better.
    """
    return _arm_comparison(runs, "pooling", POOLING_ARMS)


def modern_summary(runs):
    """Spectral vs max pooling in the modern network (same statistics)."""
    return _arm_comparison(runs, "modern", MODERN_ARMS)


def threshold_speedups(spatial, spectral, thresholds=THRESHOLDS, chance=0.9):
    """Speed-ups S(tau) of one seed from two validation-error curves.

    The spatial run's achieved improvement is `chance - min(spatial)`; the
    target at `tau` is `chance - tau * improvement`. S(tau) is (first epoch
    at which the spatial run reaches the target) / (first epoch at which
    the spectral run does). A spectral run that never reaches a target
    gives `S = 0` and `reached = False` (it is counted, never dropped).

    Example:

    >>> s = threshold_speedups([0.8, 0.6, 0.5], [0.6, 0.5, 0.45], (1.0,))
    >>> s[1.0]
    {'speedup': 1.5, 'spatial_epoch': 3, 'spectral_epoch': 2, 'reached': True}
    """
    best = min(spatial)
    out = {}
    for tau in thresholds:
        target = chance - tau * (chance - best) + 1e-12
        first_spatial = next(i for i, e in enumerate(spatial, 1) if e <= target)
        first_spectral = next(
            (i for i, e in enumerate(spectral, 1) if e <= target), None
        )
        out[tau] = {
            "speedup": 0.0
            if first_spectral is None
            else first_spatial / first_spectral,
            "spatial_epoch": first_spatial,
            "spectral_epoch": first_spectral,
            "reached": first_spectral is not None,
        }
    return out


def _loss_gap_curve(a, b):
    """|training-loss difference| of two runs after each epoch."""
    return [
        abs(x["train_loss"] - y["train_loss"])
        for x, y in zip(a["history"], b["history"])
    ]


def _largest_loss_gap(a, b):
    """Largest |training-loss difference| of two runs over their epochs."""
    return max(_loss_gap_curve(a, b))


def _gap_ratio(gap, floor):
    """`gap / floor`; 1 when both are 0, infinite when only the floor is."""
    if floor > 0:
        return gap / floor
    return 1.0 if gap == 0 else float("inf")


def speedup_summary(runs):
    """The convergence study: `{"cases": [...]}`, one per network, size
    and optimiser, with per-seed S(tau), their median and bootstrap CI."""
    cases = []
    for network in SPEEDUP_NETWORKS:
        for size in FILTER_SIZES:
            for optimizer in ("adam", "sgd"):
                case = f"{network}-{size}x{size}-{optimizer}"
                rates = {}
                pairs = {}
                for conv in CONVS:
                    rate = None
                    if optimizer == "adam":
                        rate = rates[conv] = chosen_learning_rate(
                            runs, case, conv
                        )
                        if rate is None:
                            continue
                    for s in SEEDS["speedup"]:
                        name = speedup_name(
                            f"{network}-{size}x{size}", conv, optimizer, s, rate
                        )
                        if name in runs:
                            pairs.setdefault(s, {})[conv] = runs[name]
                seeds = sorted(s for s, p in pairs.items() if len(p) == 2)
                per_seed = {}
                loss_gap = []
                for s in seeds:
                    a, b = pairs[s]["spatial"], pairs[s]["spectral"]
                    va = [r["val_error"] for r in a["history"]]
                    vb = [r["val_error"] for r in b["history"]]
                    per_seed[s] = threshold_speedups(va, vb)
                    loss_gap.append(_largest_loss_gap(a, b))
                # SGD only: the gap that rounding alone opens (spatial run
                # vs the same run started from its spectral round trip),
                # and each seed's identity gap in units of it
                noise_floor = {}
                if optimizer == "sgd":
                    for s in seeds:
                        name = speedup_name(
                            f"{network}-{size}x{size}", ROUNDTRIP, "sgd", s
                        )
                        if name in runs:
                            noise_floor[s] = _largest_loss_gap(
                                pairs[s]["spatial"], runs[name]
                            )
                speedup = {}
                for tau in THRESHOLDS:
                    values = [per_seed[s][tau]["speedup"] for s in seeds]
                    median, ci = median_interval(values)
                    speedup[str(tau)] = {
                        "median": median if values else None,
                        "ci95": ci,
                        "per_seed": values,
                        "not_reached": sum(
                            not per_seed[s][tau]["reached"] for s in seeds
                        ),
                    }
                cases.append(
                    {
                        "network": network,
                        "filter_size": size,
                        "optimizer": optimizer,
                        "learning_rate": rates or SGD_CONTROL["learning_rate"],
                        "seeds": seeds,
                        "speedup": speedup,
                        "max_train_loss_gap": max(loss_gap)
                        if loss_gap
                        else None,
                        "train_loss_gap": loss_gap,
                        "noise_floor_seeds": sorted(noise_floor),
                        "noise_floor_gap": [
                            noise_floor[s] for s in sorted(noise_floor)
                        ],
                        "gap_ratio": [
                            _gap_ratio(loss_gap[seeds.index(s)], noise_floor[s])
                            for s in sorted(noise_floor)
                        ],
                        "final_test_error": {
                            conv: [pairs[s][conv]["test_error"] for s in seeds]
                            for conv in CONVS
                        },
                        "best_val_error": {
                            conv: [
                                best_validation_error(pairs[s][conv]["history"])
                                for s in seeds
                            ]
                            for conv in CONVS
                        },
                    }
                )
    return {"thresholds": list(THRESHOLDS), "cases": cases}


def summarize(record_dir=None, chapter_results=None):
    """Writes the study's summary files from its run files; returns them.

    `pooling.json`, `speedup.json`, `modern.json`, `claims.json` (see
    `spectral.claims`) and `record.json`: `wall_seconds` (the compute of
    every finished unit, summed), counts of finished and pending units,
    the commits the runs came from, and provenance.
    """
    import functools

    from spectral import claims as claims_lib
    from spectral import experiments

    # One provenance for every file, read before the first write dirties
    # the checkout.
    write_result = functools.partial(
        experiments.write_result, provenance_info=experiments.provenance()
    )
    record_dir = Path(record_dir or RECORD_DIR)
    runs = record_runs(record_dir)
    written = {
        "pooling": write_result(
            record_dir / "pooling.json",
            {**pooling_summary(runs), "scale": scale("pooling")},
        ),
        "speedup": write_result(
            record_dir / "speedup.json",
            {**speedup_summary(runs), "scale": scale("speedup")},
        ),
        "modern": write_result(
            record_dir / "modern.json", modern_summary(runs)
        ),
    }
    written["claims"] = claims_lib.write_claims(
        record_dir, chapter_results or CHAPTER_RESULTS, write_result
    )
    all_units = units(record_dir)
    written["record"] = write_result(
        record_dir / "record.json",
        {
            "wall_seconds": sum(doc["wall_seconds"] for doc in runs.values()),
            "units_finished": len(runs),
            "units_total": len(all_units),
            "units_pending": [u.name for u in all_units if u.name not in runs],
            "superseded_runs": superseded_runs(record_dir),
            "moved_aside": moved_aside(record_dir),
            "damaged_runs": damaged_runs(record_dir),
            "wall_seconds_by_experiment": {
                name: sum(
                    doc["wall_seconds"]
                    for doc in runs.values()
                    if doc["experiment"] == name
                )
                for name in EXPERIMENTS
            },
            "commits": sorted(
                {doc["provenance"]["git_sha"] for doc in runs.values()}
            ),
            "data_sources": sorted(
                {doc["data_source"] for doc in runs.values()}
            ),
        },
    )
    return written


def design_table():
    """The study's design, one row per experiment (`pandas.DataFrame`)."""
    import pandas as pd

    base = _base_configs()
    arms = {
        "pooling": ", ".join(POOLING_ARMS),
        "speedup": "spatial vs spectral parametrisation; "
        f"Adam (learning rate chosen from {list(ADAM_LEARNING_RATES)} on "
        "validation) and SGD",
        "modern": ", ".join(MODERN_ARMS) + " pooling",
    }
    networks = {
        "pooling": f"§5.1, M={base['pooling'].num_blocks}, "
        f"γ={base['pooling'].gamma:g}",
        "speedup": "Generic and Deep, 3×3 and 5×5",
        "modern": "3 × (conv–BN–ReLU ×2, pooling)",
    }
    rows = {}
    for name in EXPERIMENTS:
        config = base[name]
        rows[name] = {
            "network": networks[name],
            "width": config.width,
            "arms": arms[name],
            "seeds": len(SEEDS[name]),
            "training images": _train_images(config),
            "epochs": config.epochs,
            "learning-rate drops after epochs": ", ".join(
                str(e) for e in config.lr_drops
            )
            or "none",
            "optimiser": config.optimizer if name != "speedup" else "adam, sgd",
            "augmentation": config.augmentation if config.augment else "none",
            "units": sum(u.experiment == name for u in units()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "experiment"
    return table


def pooling_table(record_dir=None, experiment="pooling"):
    """Per-arm test errors of the pooling (or modern) comparison.

    A `pandas.DataFrame` indexed by arm: finished seeds `n`, mean test
    error, its 95% t interval, the per-seed errors and the mean minutes of
    a run; arms without runs show `n = 0` and no numbers.
    """
    rows = {}
    for arm, row in _comparison(record_dir, experiment)["arms"].items():
        rows[arm] = {
            "n": row["n"],
            "mean test error": row["mean"],
            **_interval_columns(row["ci95"]),
            "per seed": ", ".join(f"{e:.2%}" for e in row["test_error"]),
            "minutes per run": (
                float(np.mean(row["wall_seconds"])) / 60
                if row["wall_seconds"]
                else None
            ),
        }
    return _frame(rows, "arm")


def _comparison(record_dir, experiment):
    runs = record_runs(record_dir)
    if experiment == "pooling":
        return pooling_summary(runs)
    return modern_summary(runs)


def _interval_columns(ci):
    return {
        "95% CI low": None if ci is None else ci[0],
        "95% CI high": None if ci is None else ci[1],
    }


def _frame(rows, index_name):
    """A DataFrame with one row per key of `rows`."""
    import pandas as pd

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = index_name
    return table


def differences_table(record_dir=None, experiment="pooling"):
    """Paired differences of test error between arms (by seed), with the
    95% t interval; positive means the second-named arm is better."""
    rows = {}
    for name, row in _comparison(record_dir, experiment)["differences"].items():
        rows[name] = {
            "n": row["n"],
            "mean difference": row["mean"],
            **_interval_columns(row["ci95"]),
        }
    return _frame(rows, "difference")


def display_table(table):
    """A table of `pooling_table` or `differences_table`, styled for reading.

    Returns a pandas `Styler`: test errors and their interval bounds in
    percent, paired differences and their bounds in signed percentage
    points, minutes to one decimal, missing numbers as "—". The numbers
    themselves are unchanged (fractions in `table`).
    """
    if "mean difference" in table.columns:
        value_columns = ["mean difference", "95% CI low", "95% CI high"]

        def value(v):
            return f"{100 * v:+.2f} pp"

    elif "mean test error" in table.columns:
        value_columns = ["mean test error", "95% CI low", "95% CI high"]

        def value(v):
            return f"{v:.2%}"

    else:
        raise ValueError(
            "Invalid value for argument `table`: expected a table of "
            "`pooling_table` or `differences_table`. Received columns: "
            f"{list(table.columns)}"
        )
    formats = {c: value for c in value_columns if c in table.columns}
    if "minutes per run" in table.columns:
        formats["minutes per run"] = "{:.1f}"
    return table.style.format(formats, na_rep="—")


def comparison_sentence(record_dir=None, experiment="modern", arm="max"):
    """One sentence stating what the record shows for `arm` vs spectral.

    The paired difference (test error of `arm` minus spectral pooling's,
    by seed) with its 95% t interval and n, and what it means: with fewer
    seeds than the design asks for, no conclusion; otherwise whether the
    interval excludes zero, and on which side. For comparisons the paper
    makes no claim about (the modern network), so no verdict applies.

    Example: "Max pooling's test error minus spectral pooling's, paired by
    seed: +0.52 pp (95% CI [-0.31, +1.35] pp, n = 5 of 5 seeds); the
    interval includes zero: no difference is detected at this scale."
    """
    arms = POOLING_ARMS if experiment == "pooling" else MODERN_ARMS
    if arm not in arms or arm == "spectral":
        raise ValueError(
            f"Invalid value for argument `arm`. Expected one of "
            f"{[a for a in arms if a != 'spectral']}. Received: arm={arm!r}"
        )
    row = _comparison(record_dir, experiment)["differences"][
        f"{arm} - spectral"
    ]
    required = len(SEEDS[experiment])
    if not row["n"]:
        return (
            f"No seed of the {experiment} comparison has both arms finished "
            f"yet (0 of {required})."
        )
    label = arm.replace("-", " ").capitalize()
    text = (
        f"{label} pooling's test error minus spectral pooling's, paired by "
        f"seed: {100 * row['mean']:+.2f} pp"
    )
    ci = row["ci95"]
    text += (
        " ("
        if ci is None
        else (f" (95% CI [{100 * ci[0]:+.2f}, {100 * ci[1]:+.2f}] pp, ")
    )
    text += f"n = {row['n']} of {required} seeds)"
    if row["n"] < required or ci is None:
        return text + "; too few seeds for a conclusion yet."
    if ci[0] > 0:
        return (
            text + "; the interval excludes zero: spectral pooling has the "
            "lower test error in this network."
        )
    if ci[1] < 0:
        return (
            text + f"; the interval excludes zero: {arm} pooling has the "
            "lower test error in this network."
        )
    return (
        text + "; the interval includes zero: no difference is detected at "
        "this scale."
    )


def curves_figure(record_dir=None, experiment="pooling"):
    """Validation error per epoch of every finished unit of a comparison,
    one colour per arm (`spectral.plotting.COLOURS`), one line per seed.

    Returns a `matplotlib.figure.Figure` (linear axis: the errors span a
    narrow range).
    """
    from spectral import plotting

    arms = POOLING_ARMS if experiment == "pooling" else MODERN_ARMS
    runs = record_runs(record_dir)
    curves = []
    for arm in arms:
        docs = sorted(
            (d for d in runs.values() if d["experiment"] == experiment),
            key=lambda d: d["seed"],
        )
        for i, doc in enumerate(d for d in docs if d["arm"] == arm):
            curves.append(
                (
                    arm if i == 0 else None,
                    [row["val_error"] for row in doc["history"]],
                    {"color": plotting.COLOURS.get(arm, "k"), "lw": 1.5},
                )
            )
    return plotting.learning_curves(
        curves, ylabel="validation error", log=False
    )


# The paper's speed-ups of the networks this study trains.
PAPER_SPEEDUP = {
    key: value
    for key, value in paper.SPEEDUP.items()
    if key[0] in SPEEDUP_NETWORKS
}


def _speedup_text(entry):
    """`median [low, high]` of one S(tau), or "—" without finished pairs."""
    if entry["median"] is None:
        return "—"
    text = f"{entry['median']:.2f}"
    if entry["ci95"] is not None:
        text += f" [{entry['ci95'][0]:.2f}, {entry['ci95'][1]:.2f}]"
    if entry["not_reached"]:
        text += f" ({entry['not_reached']} not reached)"
    return text


def speedup_table(record_dir=None):
    """The speed-up experiment, one row per network, filter size and
    optimiser (`pandas.DataFrame`).

    Columns: the learning rates used (Adam: chosen on validation per
    parametrisation), finished seed pairs `n`, S(tau) for every threshold
    as "median [95% bootstrap interval]" (with the number of seeds whose
    spectral run never reached the target), the paper's speed-up, the mean
    best validation error of each parametrisation and the largest
    training-loss gap between paired runs.
    """
    summary = speedup_summary(record_runs(record_dir))
    rows = {}
    for case in summary["cases"]:
        key = (
            f"{case['network']} {case['filter_size']}×{case['filter_size']}",
            case["optimizer"],
        )
        rates = case["learning_rate"]
        row = {
            "learning rate": (
                f"{rates:g}"
                if not isinstance(rates, dict)
                else "being chosen"
                if None in rates.values() or not rates
                else ", ".join(
                    f"{conv} {rate:g}" for conv, rate in rates.items()
                )
            ),
            "n": len(case["seeds"]),
        }
        for tau in THRESHOLDS:
            row[f"S({tau:.0%})"] = _speedup_text(case["speedup"][str(tau)])
        row["paper"] = (
            PAPER_SPEEDUP[(case["network"], case["filter_size"])]
            if case["optimizer"] == "adam"
            else None
        )
        for conv in CONVS:
            values = case["best_val_error"][conv]
            row[f"best val. error, {conv}"] = (
                float(np.mean(values)) if values else None
            )
        row["max training-loss gap"] = case["max_train_loss_gap"]
        rows[key] = row
    import pandas as pd

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(
        table.index, names=["case", "optimiser"]
    )
    return table


def headline_numbers(record_dir=None):
    """Short texts for the landing page's headline table.

    `{"spectral": ..., "max": ...}`: the mean test error of those pooling
    arms with the number of seeds; `"deep-5x5"`: the median speed-up
    S(100%) of the Deep 5x5 case under Adam with its seeds. "pending"
    where the record has no run yet.
    """
    runs = record_runs(record_dir)
    arms = pooling_summary(runs)["arms"]
    out = {}
    for arm in ("spectral", "max"):
        row = arms[arm]
        out[arm] = (
            "pending"
            if not row["n"]
            else f"{row['mean']:.2%} (mean of {row['n']} seed"
            f"{'s' if row['n'] > 1 else ''})"
        )
    deep = next(
        case
        for case in speedup_summary(runs)["cases"]
        if case["network"] == "deep"
        and case["filter_size"] == 5
        and case["optimizer"] == "adam"
    )
    entry = deep["speedup"]["1.0"]
    out["deep-5x5"] = (
        "pending"
        if entry["median"] is None
        else f"{entry['median']:.2f} (median of {len(deep['seeds'])} seed"
        f"{'s' if len(deep['seeds']) > 1 else ''})"
    )
    return out


def _speedup_pairs(runs):
    """`(case, optimizer, seed, {conv: document})` of every finished pair
    of speed-up runs (Adam: at each parametrisation's chosen rate)."""
    for network in SPEEDUP_NETWORKS:
        for size in FILTER_SIZES:
            case = f"{network}-{size}x{size}"
            for optimizer in ("adam", "sgd"):
                rates = {conv: None for conv in CONVS}
                if optimizer == "adam":
                    rates = {
                        conv: chosen_learning_rate(runs, f"{case}-adam", conv)
                        for conv in CONVS
                    }
                    if None in rates.values():
                        continue
                for seed in SEEDS["speedup"]:
                    docs = {
                        conv: runs.get(
                            speedup_name(
                                case, conv, optimizer, seed, rates[conv]
                            )
                        )
                        for conv in CONVS
                    }
                    if None not in docs.values():
                        yield case, optimizer, seed, docs


def speedup_figure(record_dir=None):
    """Validation curves of every finished speed-up pair under Adam and
    SGD, and their training-loss gaps (`plotting.speedup_record_figure`).
    """
    from spectral import plotting

    panels = {
        f"{n}-{k}x{k}": {"title": f"{n.capitalize()} {k}×{k}"}
        for n in SPEEDUP_NETWORKS
        for k in FILTER_SIZES
    }
    runs = record_runs(record_dir)
    for case, optimizer, seed, docs in _speedup_pairs(runs):
        pair = {}
        for conv, doc in docs.items():
            pair[conv] = [r["val_error"] for r in doc["history"]]
            pair[f"{conv}_loss"] = [r["train_loss"] for r in doc["history"]]
        twin = runs.get(speedup_name(case, ROUNDTRIP, optimizer, seed))
        if optimizer == "sgd" and twin is not None:
            pair["roundtrip_loss"] = [r["train_loss"] for r in twin["history"]]
        panels[case].setdefault(optimizer, []).append(pair)
    return plotting.speedup_record_figure(list(panels.values()), THRESHOLDS)


def loss_gaps(record_dir=None):
    """How far paired runs' training losses are apart.

    Returns `{"adam" | "sgd" | "floor": {"first": median gap after the
    first epoch, "last": median gap after the last epoch, "largest": the
    largest gap at any epoch, "pairs": n}}` over every finished pair (cases
    and seeds): spatial vs spectral under Adam and under SGD, and
    (`"floor"`) the SGD spatial run vs its copy started from the spectral
    round trip of its initial kernels. None values where no pair has
    finished.
    """
    runs = record_runs(record_dir)
    gaps = {"adam": [], "sgd": [], "floor": []}
    for case, optimizer, seed, docs in _speedup_pairs(runs):
        gaps[optimizer].append(
            _loss_gap_curve(docs["spatial"], docs["spectral"])
        )
        if optimizer == "sgd":
            twin = runs.get(speedup_name(case, ROUNDTRIP, "sgd", seed))
            if twin is not None:
                gaps["floor"].append(_loss_gap_curve(docs["spatial"], twin))
    out = {}
    for key, curves in gaps.items():
        out[key] = {
            "first": float(np.median([c[0] for c in curves]))
            if curves
            else None,
            "last": float(np.median([c[-1] for c in curves]))
            if curves
            else None,
            "largest": max(max(c) for c in curves) if curves else None,
            "pairs": len(curves),
        }
    return out


def budget(record_dir=None):
    """Measured and projected compute of the whole study, per experiment.

    A `pandas.DataFrame` with, per experiment: units finished and in
    total, hours measured so far (sum of the finished units' wall times on
    the machine that ran them) and the projected hours of a full
    re-execution. A pending unit is costed at the mean wall time of the
    finished units most like it (`_cost_keys`: same network, filter size
    and arm, else same network, else same arm, else the experiment); the
    projection is None while some network of the experiment has no
    finished unit. `total` sums them.
    """
    import pandas as pd

    finished = record_runs(record_dir)
    rows = {}
    for experiment in EXPERIMENTS:
        todo = [u for u in units(record_dir) if u.experiment == experiment]
        done = [u for u in todo if u.name in finished]
        seconds = [finished[u.name]["wall_seconds"] for u in done]
        projected = 0.0
        for unit in todo:
            if unit.name in finished:
                projected += finished[unit.name]["wall_seconds"]
                continue
            cost = _projected_seconds(unit, done, finished)
            if cost is None:
                projected = None
                break
            projected += cost
        rows[experiment] = {
            "units finished": len(done),
            "units": len(todo),
            "hours measured": sum(seconds) / 3600,
            "hours projected": None if projected is None else projected / 3600,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    known = table["hours projected"].notna().all()
    table.loc["total"] = [
        table["units finished"].sum(),
        table["units"].sum(),
        table["hours measured"].sum(),
        table["hours projected"].sum() if known else None,
    ]
    table.index.name = "experiment"
    return table


def _cost_keys(unit):
    """What a unit's cost depends on, most specific first."""
    network = unit.case.split("-")[0] if unit.case else unit.experiment
    size = unit.case.split("-")[1] if unit.case else ""
    return (
        (network, size, unit.arm),
        (network, size),
        (network,),
    )


def _projected_seconds(unit, done, finished):
    """Mean wall time of the finished units most like `unit`, or None when
    no finished unit shares its network."""
    for depth, key in enumerate(_cost_keys(unit)):
        same = [
            finished[u.name]["wall_seconds"]
            for u in done
            if _cost_keys(u)[depth] == key
        ]
        if same:
            return float(np.mean(same))
    return None


def status(record_dir=None):
    """A table (list of dicts) of every unit: finished or pending, cost."""
    finished = record_runs(record_dir)
    rows = []
    for unit in units(record_dir):
        doc = finished.get(unit.name)
        rows.append(
            {
                "unit": unit.name,
                "experiment": unit.experiment,
                "state": "finished"
                if doc
                else ("pending" if unit.config else "waits for lr selection"),
                "minutes": None if doc is None else doc["wall_seconds"] / 60,
                "test_error": None if doc is None else doc["test_error"],
            }
        )
    return rows


def print_status(rows, note=""):
    """Prints `status()` rows (of this study or the robustness study), one
    line each, then the count of finished units and their hours."""
    done = [r for r in rows if r["state"] == "finished"]
    for r in rows:
        extra = ""
        if r["minutes"] is not None:
            extra = f"  {r['minutes']:.1f} min, test error {r['test_error']:.4f}"
        print(f"{r['state']:>22}  {r['unit']}{extra}")
    total = sum(r["minutes"] for r in done)
    print(
        f"{len(done)} of {len(rows)} units finished, "
        f"{total / 60:.2f} h of compute{note}"
    )


def main(argv=None):
    """`python -m spectral.study status|run`."""
    parser = argparse.ArgumentParser(
        prog="python -m spectral.study",
        description="The laptop-scale study: status and runs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="finished and pending units")
    sub.add_parser(
        "summarize",
        help="write pooling.json, speedup.json, modern.json, claims.json "
        "and record.json from the finished units",
    )
    run = sub.add_parser("run", help="train the next pending units")
    run.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="start no epoch expected to end after this long "
        "(exit status 75 while units remain)",
    )
    run.add_argument(
        "--experiments",
        nargs="*",
        default=list(EXPERIMENTS),
        choices=EXPERIMENTS,
    )
    run.add_argument(
        "--limit", type=int, default=None, help="at most this many units"
    )
    run.add_argument(
        "--units",
        nargs="+",
        default=None,
        metavar="NAME",
        help="train only these pending units (names as `status` lists them)",
    )
    run.add_argument("--record-dir", default=str(RECORD_DIR))
    run.add_argument("--state-dir", default=str(STATE_DIR))
    run.add_argument(
        "--allow-dirty",
        action="store_true",
        help="run from a checkout with uncommitted changes "
        "(never for the record)",
    )
    args = parser.parse_args(argv)
    if args.command == "status":
        print_status(status())
        return 0
    if args.command == "summarize":
        written = summarize()
        for row in written["claims"]["claims"] + written["claims"]["checks"]:
            print(f"{row['id']:>26}: {row['verdict']}")
        return 0
    from spectral.experiments import git_revision

    revision = git_revision() or ""
    if revision.endswith("+dirty") and not args.allow_dirty:
        print(
            "The checkout has uncommitted changes; record runs must come "
            "from a committed state (or pass --allow-dirty for a run "
            "outside the record).",
            file=sys.stderr,
        )
        return 2
    for name in ("minutes", "limit"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            print(
                f"--{name} must be positive (nothing would be trained). "
                f"Received: {value}",
                file=sys.stderr,
            )
            return 2
    from spectral.experiments import RunLockedError

    try:
        finished, remaining = run_pending(
            args.minutes,
            args.record_dir,
            args.state_dir,
            args.experiments,
            args.limit,
            log=lambda m: print(m, flush=True),
            names=args.units,
        )
    except RunLockedError as error:
        print(
            f"{error}\nAnother `study run` is training that unit; wait for "
            "it, or pass --units with other units.",
            file=sys.stderr,
        )
        return 2
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    # 75 only when running again can make progress: a runnable unit of the
    # call's selection is still pending.
    runnable = [
        u
        for u in pending(args.record_dir, args.experiments)
        if u.config is not None and (args.units is None or u.name in args.units)
    ]
    print(
        f"{len(finished)} units finished in this call; {remaining} pending"
        + ("" if runnable or not args.units else "; the chosen units are done")
    )
    return EXIT_INCOMPLETE if runnable else 0


if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
