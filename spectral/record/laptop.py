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

import dataclasses
from pathlib import Path

from spectral import paper
from spectral.cifar import CIFAR_ARCHIVES
from spectral.record.store import RECORD_DIR, Unit, best_validation_error, load_runs, runs_of


VALIDATION_SIZE = 5000


CIFAR10_TRAIN_IMAGES = CIFAR_ARCHIVES["cifar10"]["train_images"]


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
# round trip of its initial kernels, so that it differs from its spatial
# twin by float32 rounding alone. One concept under the names the record
# has stored since its first runs (renaming them would orphan those runs):
# the arm `spatial-roundtrip` in unit names, the role `"noise-floor"`, the
# config field `TrainConfig.init_roundtrip`, the claims field
# `noise_floor_gap`; in code, `"floor"` (`summaries.loss_gaps`) and the
# figures' "rounding only" curve.
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
    from spectral.paper import paper_lr_drops

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


def scale_sentence(experiment, measure="speedup"):
    """One line saying at what scale an experiment of `EXPERIMENTS` runs
    (`scale`, its historical name, stays for a release).

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

scale = scale_sentence  # historical name, kept for a release


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


def record_runs(record_dir=None, experiments=EXPERIMENTS):
    """The finished units of the current design, `{name: document}`.

    A run file counts only if its name is a unit of `units()` and its
    stored configuration equals that unit's: runs of an earlier design of
    the study (see `superseded_runs`) are never mixed into a summary.
    """
    return runs_of(units(record_dir, experiments), record_dir)


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


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.record.laptop"))
