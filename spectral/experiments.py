"""Training runs: configuration, checkpoints, resumption and provenance.

`train(config, run_dir)` trains one network and keeps everything in
`run_dir`:

* `config.json` — the `TrainConfig` (a resumed run must match it);
* `history.csv` and `history.json` — one row per finished epoch (train and
  test loss and error, learning rate, seconds), rewritten after each epoch;
* `checkpoints/epoch_NNNN/` — after each finished epoch: `model.keras`
  (weights and optimiser state), `rng.npz` (the state of every random
  generator in the model, which `.keras` files do not keep) and the history
  so far; each is written under a temporary name and renamed when
  complete, and the newest two are kept, so a kill at any moment leaves a
  consistent checkpoint and a damaged one falls back to the previous epoch
  (with a warning); `checkpoints/latest` names the newest;
* `result.json` — the final result with provenance, written at the end.

Every file is written atomically (temporary file, then rename); on resume
the history files are reconciled with the checkpoint or result they
belong to, and a damaged JSON file raises an error naming it and the fix.

A run interrupted at any point (killed, or stopped by `max_epochs` or
`time_budget`) resumes from its last checkpoint when `train` is called again
with the same directory, and continues exactly as an uninterrupted run
would: each epoch's batch order is drawn from `(seed, epoch)`, and every
random layer's state travels in the checkpoint.
"""

import dataclasses
import json
import os  # noqa: F401 (tests patch experiments.os)
import time
from pathlib import Path

import keras
import numpy as np

from spectral import data as data_lib
from spectral import jsonio

# The configuration lives in `spectral.config` (no Keras import, so that
# `python -m spectral.train --help` answers at once); re-exported here.
from spectral.config import DATASETS  # noqa: E402, F401
from spectral.config import OPTIMIZERS  # noqa: E402, F401
from spectral.config import TrainConfig  # noqa: E402

# Provenance and the run directory's machinery live in `spectral.training`;
# the names are re-exported here (callers and tests use them from here).
from spectral.training.checkpoints import (  # noqa: F401
    KEEP_CHECKPOINTS,
    CheckpointConfigError,
    RunLockedError,
    _checkpoint_dirs,
    _directory_bytes,
    _load_checkpoint,
    _read_json,
    _reconcile_history,
    _save_checkpoint,
    _save_history,
    _seed_states,
    _stored_config,
    _write_atomic,
    prune_finished,
    run_lock,
)
from spectral.paper import paper_lr_drops  # noqa: F401
from spectral.training.building import (  # noqa: F401
    _build_training_model,
    _conv2d_layers,
    _roundtrip_kernels,
    build_training_model,
    checkpoint_bytes,
)
from spectral.training.provenance import (  # noqa: F401
    cpu_description,
    data_parallel,
    device_description,
    git_revision,
    provenance,
)


@dataclasses.dataclass(frozen=True)
class Result:
    """Outcome of `train`.

    Attributes:
        config: the `TrainConfig`.
        history: list of per-epoch dicts.
        complete: whether all `config.epochs` epochs have run.
        data_source: `CifarData.source` of the data used.
        provenance: dict from `provenance()` plus the run's wall time.
        parameters: for a complete run, the sparsity of its trained
            convolution kernels and of their optimiser momentum
            (`spectral.sparsity.parameter_sparsity`); None otherwise, and
            for a run that diverged or whose kernels are not finite.
    """

    config: TrainConfig
    history: list
    complete: bool
    data_source: str
    provenance: dict
    parameters: dict = None

    @property
    def test_error(self):
        """Test error after the last finished epoch (None if not measured)."""
        return self.history[-1].get("test_error") if self.history else None

    @classmethod
    def from_json(cls, text):
        """The `Result` that `to_json` wrote."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, values):
        """The `Result` of a parsed `to_json` document."""
        return cls(
            TrainConfig.from_dict(values["config"]),
            values["history"],
            values["complete"],
            values["data_source"],
            values["provenance"],
            values.get("parameters"),
        )

    def to_json(self):
        """The result as a standard JSON string (a non-finite number raises
        `ValueError`)."""
        return jsonio.dumps(
            {
                "config": self.config.to_dict(),
                "history": self.history,
                "complete": self.complete,
                "test_error": self.test_error,
                "data_source": self.data_source,
                "provenance": self.provenance,
                **(
                    {}
                    if self.parameters is None
                    else {"parameters": self.parameters}
                ),
            },
            indent=2,
            what="a run's result",
        )


def load_dataset(config, subset_seed=None):
    """The (subset of the) dataset a config names, with its source label.

    The validation split (`config.validation_size`) is held out first, with
    a fixed seed; the train and test subsets are then drawn with
    `subset_seed` (default: the run's seed).
    """
    if config.dataset == "synthetic":
        dataset = data_lib.synthetic_images(
            (config.train_size or 512) + config.validation_size,
            config.test_size or 128,
            seed=config.seed if subset_seed is None else subset_seed,
        )
    else:
        dataset = data_lib.load_cifar(config.dataset, config.data_dir)
    if config.validation_size:
        dataset = data_lib.holdout_validation(dataset, config.validation_size)
    return data_lib.subset(
        dataset,
        config.train_size,
        config.test_size,
        seed=config.seed if subset_seed is None else subset_seed,
    )


def same_config(stored, config):
    """Whether a stored configuration dict is `config`.

    Fields added to `TrainConfig` after the dict was written count at their
    defaults, so adding a field never orphans an existing run.
    """
    return isinstance(stored, dict) and _stored_config(stored) == config


EXIT_INCOMPLETE = 75  # "stopped early, run the same command again"


def _current_learning_rate(model):
    rate = model.optimizer.learning_rate
    return float(keras.ops.convert_to_numpy(rate))


def fit_epoch(model, dataset, config, epoch, verbose=0):
    """Trains `model` for epoch `epoch` (0-based) of `config`; returns logs.

    The batch order is the permutation drawn from `(config.seed, epoch)`,
    so an epoch is the same whether a run is continuous or resumed.
    """
    batches = data_lib.ArrayBatches(
        dataset.x_train,
        dataset.y_train,
        config.batch_size,
        shuffle=True,
        seed=config.seed,
        epoch=epoch,
    )
    # The order is already drawn from (seed, epoch); fit's own shuffle would
    # reorder batches with the global generator and break resume.
    return model.fit(
        batches,
        epochs=epoch + 1,
        initial_epoch=epoch,
        shuffle=False,
        verbose=verbose,
    ).history


def epoch_trainer(model, dataset, config, verbose=0):
    """`epoch(e)`: trains epoch `e` (0-based) of `config` with its loop.

    `config.loop == "fit"` uses `fit_epoch`; `"device"` puts the training
    set on the device once and runs `spectral.device_loop.DeviceEpochs`
    (JAX only: raises `NotImplementedError` here, before any training, on
    another backend). Either way an epoch sees the batches of
    `spectral.data.epoch_order(size, config.seed, e)` and `epoch(e)`
    returns `{"loss": ..., "accuracy": ...}` for the epoch.
    """
    if config.loop == "fit":

        def epoch(e):
            logs = fit_epoch(model, dataset, config, e, verbose)
            return {key: values[-1] for key, values in logs.items()}

        return epoch
    from spectral import device_loop

    runner = device_loop.DeviceEpochs(model, config.batch_size)
    on_device = device_loop.DeviceData(dataset.x_train, dataset.y_train)
    size = len(dataset.x_train)
    return lambda e: runner.run(
        on_device, data_lib.epoch_order(size, config.seed, e)
    )


def train(
    config,
    run_dir,
    resume=True,
    max_epochs=None,
    time_budget=None,
    verbose="auto",
    dataset=None,
    distribute=False,
):
    """Trains (or resumes) one run and returns its `Result`.

    Args:
        config: a `TrainConfig`.
        run_dir: directory of the run's files (created if missing).
        resume: continue from the latest checkpoint in `run_dir`; with
            False an existing run directory is an error.
        max_epochs: stop after this many epochs *in this call* (the run can
            be resumed later); None for no limit.
        time_budget: seconds; no new epoch starts unless it is expected to
            end within the budget (the call's longest epoch so far, with its
            evaluation and checkpoint, is the estimate). Made for machines
            that kill long commands: the call stops in time to copy its
            state out. None for no limit.
        verbose: passed to `model.fit` (1 shows a progress bar).
        dataset: optional preloaded `CifarData` matching the config.
        distribute: call `data_parallel()` first (several accelerators).

    Returns:
        A `Result`; `complete` tells whether all epochs are done. A run that
        was already complete is returned from its `result.json` (with the
        provenance of the call that finished it) without loading its model
        or its data.

    Raises:
        ValueError: if `run_dir` holds a run of another config, or holds a
            run and `resume` is False.
        RunLockedError: if another live process is training in `run_dir`
            (see `run_lock`).
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir):
        return _train(
            config,
            run_dir,
            resume,
            max_epochs,
            time_budget,
            verbose,
            dataset,
            distribute,
        )


def _train(
    config,
    run_dir,
    resume,
    max_epochs,
    time_budget,
    verbose,
    dataset,
    distribute,
):
    config_path = run_dir / "config.json"
    if config_path.exists():
        stored = _read_json(
            config_path,
            "the run's configuration",
            "Delete it to let the next call write it again from the "
            "requested configuration (the checkpoints are kept).",
        )
        if not resume:
            raise ValueError(
                f"{run_dir} already holds a run; pass resume=True to continue "
                "it or use another directory."
            )
        if _stored_config(stored) != config:
            raise ValueError(
                f"{run_dir} holds a run of another configuration: stored "
                f"{stored}, requested {config.to_dict()}."
            )
        result_path = run_dir / "result.json"
        if result_path.exists():
            result = Result.from_dict(
                _read_json(
                    result_path,
                    "the run's result",
                    "Delete it: the next call finishes the run again from "
                    "its last checkpoint and rewrites it.",
                )
            )
            _reconcile_history(run_dir, result.history)
            return result
    if keras.backend.backend() == "tensorflow" and not config.jit_compile:
        # TensorFlow refuses XLA once op determinism is on (Keras then
        # silently compiles without it), so runs with `jit_compile=True`
        # rely on XLA's CPU kernels, which have no nondeterministic
        # reductions, for reproducibility instead.
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    start = time.time()
    distribution = data_parallel() if distribute else None
    dataset = dataset if dataset is not None else load_dataset(config)
    keras.utils.set_random_seed(config.seed)
    model, history = _load_checkpoint(run_dir, config)
    if model is None:
        model = build_training_model(config, dataset)
    else:
        # A kill between a checkpoint and the history write, or a fallback
        # to an older checkpoint, leaves history files out of step.
        _reconcile_history(run_dir, history)
    train_epoch = epoch_trainer(model, dataset, config, verbose)
    # The configuration is committed only now that data and model exist, so
    # a start that failed (missing data, bad argument) leaves no run behind.
    if not config_path.exists():
        jsonio.write_json(config_path, config.to_dict())
    test_batches = data_lib.ArrayBatches(
        dataset.x_test, dataset.y_test, config.batch_size
    )
    val_batches = None
    if dataset.x_val is not None:
        val_batches = data_lib.ArrayBatches(
            dataset.x_val, dataset.y_val, config.batch_size
        )
    train_eval_batches = None
    if config.train_eval_size > len(dataset.x_train):
        raise ValueError(
            "Invalid value for argument `train_eval_size`. Expected at most "
            f"the {len(dataset.x_train)} training images of the run. "
            f"Received: train_eval_size={config.train_eval_size}"
        )
    if config.train_eval_size:
        # A fixed subset of the training images (seed 0: the same for every
        # seed and epoch), evaluated in inference mode.
        chosen = np.sort(
            np.random.default_rng(0).permutation(len(dataset.x_train))[
                : config.train_eval_size
            ]
        )
        train_eval_batches = data_lib.ArrayBatches(
            dataset.x_train[chosen], dataset.y_train[chosen], config.batch_size
        )
    epochs_this_call = 0
    longest_epoch = 0.0
    for epoch in range(len(history), config.epochs):
        if run_complete(config, history):
            break
        if max_epochs is not None and epochs_this_call >= max_epochs:
            break
        elapsed = time.time() - start
        if time_budget is not None and elapsed + longest_epoch > time_budget:
            break
        epoch_start = time.time()
        learning_rate = _current_learning_rate(model)
        logs = train_epoch(epoch)
        # A run whose training loss is no longer finite has diverged: it
        # stops here, complete, with its errors measured (JSON has no NaN,
        # so non-finite losses are stored as null) and `diverged` set.
        diverged = not np.isfinite(float(logs["loss"]))
        row = {
            "epoch": epoch + 1,
            "train_loss": _finite_or_none(logs["loss"]),
            "train_error": 1.0 - float(logs["accuracy"]),
        }
        if diverged:
            row["diverged"] = True
        if config.test_every_epoch or epoch + 1 == config.epochs or diverged:
            test_loss, test_accuracy = model.evaluate(test_batches, verbose=0)
            row["test_loss"] = _finite_or_none(test_loss)
            row["test_error"] = 1.0 - float(test_accuracy)
        if val_batches is not None:
            val_loss, val_accuracy = model.evaluate(val_batches, verbose=0)
            row["val_loss"] = _finite_or_none(val_loss)
            row["val_error"] = 1.0 - float(val_accuracy)
        if train_eval_batches is not None:
            loss, accuracy = model.evaluate(train_eval_batches, verbose=0)
            row["train_eval_loss"] = _finite_or_none(loss)
            row["train_eval_error"] = 1.0 - float(accuracy)
        row["learning_rate"] = learning_rate
        row["backend"] = keras.backend.backend()
        row["seconds"] = time.time() - epoch_start
        history.append(row)
        _save_checkpoint(run_dir, model, history, config)
        _save_history(run_dir, history)
        epochs_this_call += 1
        longest_epoch = max(longest_epoch, time.time() - epoch_start)
        if diverged:
            break
    info = provenance()
    info["wall_seconds_this_call"] = time.time() - start
    info["train_seconds_total"] = sum(row["seconds"] for row in history)
    # A run resumed on another backend (or machine) keeps every backend it
    # trained with; rows from before this field count as this call's.
    info["backends"] = list(
        dict.fromkeys(row.get("backend", info["backend"]) for row in history)
    )
    info["data_parallel_devices"] = (
        len(distribution.device_mesh.devices.flatten()) if distribution else 1
    )
    complete = run_complete(config, history)
    parameters = None
    if complete and not history[-1].get("diverged"):
        from spectral import sparsity

        try:
            parameters = sparsity.parameter_sparsity(model)
        except ValueError:  # non-finite kernels: nothing to measure
            parameters = None
    result = Result(
        config, history, complete, dataset.source, info, parameters
    )
    if result.complete:
        _write_atomic(run_dir / "result.json", result.to_json())
    return result


def _finite_or_none(value):
    """`float(value)`, or None when it is not finite (JSON has no NaN)."""
    value = float(value)
    return value if np.isfinite(value) else None


def run_complete(config, history):
    """Whether a run with `history` is finished: all `config.epochs`
    epochs, or stopped early because its training loss diverged."""
    return len(history) >= config.epochs or bool(
        history and history[-1].get("diverged")
    )


class IncompleteRunError(RuntimeError):
    """Raised when a deadline stops runs before they finish (resumable)."""


def run_name(config):
    """A readable, unique-per-design directory name for a run."""
    k = config.filter_size
    return (
        f"{config.dataset}-{config.network}-{config.conv}-{k}x{k}"
        f"-seed{config.seed}"
    )


def run_seeds(config, seeds, state_dir, deadline=None, verbose=0, dataset=None):
    """Trains (or resumes) `config` once per seed under `state_dir`.

    Args:
        config: the `TrainConfig` (its `seed` is replaced by each seed).
        seeds: iterable of ints.
        state_dir: parent directory of the run directories.
        deadline: optional `time.time()` value after which no new epoch
            starts; unfinished runs then raise `IncompleteRunError` and
            continue on the next call.
        verbose: passed to `model.fit`.
        dataset: optional preloaded data for every seed (its subset must not
            depend on the seed).

    Returns:
        A list of `Result`, one per seed.

    Raises:
        IncompleteRunError: if the deadline stopped a run.
    """
    results = []
    for seed in seeds:
        seeded = dataclasses.replace(config, seed=int(seed))
        budget = None if deadline is None else max(0.0, deadline - time.time())
        results.append(
            train(
                seeded,
                Path(state_dir) / run_name(seeded),
                time_budget=budget,
                verbose=verbose,
                dataset=dataset,
            )
        )
    unfinished = [r for r in results if not r.complete]
    if unfinished:
        raise IncompleteRunError(
            f"{len(unfinished)} of {len(results)} runs stopped at the "
            "deadline; run again to resume them from their checkpoints."
        )
    return results


def error_summary(results, key="test_error"):
    """Mean, sample standard deviation and count of final errors.

    Example:

    >>> class R: pass
    >>> runs = [R(), R()]
    >>> runs[0].history, runs[1].history = [{"test_error": 0.1}], [
    ...     {"test_error": 0.3}]
    >>> summary = error_summary(runs)
    >>> summary["mean"], summary["n"], round(summary["std"], 4)
    (0.2, 2, 0.1414)
    """
    values = [r.history[-1][key] for r in results if r.history]
    n = len(values)
    return {
        "mean": float(np.mean(values)) if n else None,
        "std": float(np.std(values, ddof=1)) if n > 1 else None,
        "n": n,
        "per_seed": values,
        "spread": (
            f"standard deviation {np.std(values, ddof=1):.2%} over {n} seeds"
            if n > 1
            else "a single seed, so no spread is measured"
        ),
    }


def write_result(path, payload, provenance_info=None):
    """Writes `payload` plus provenance as standard JSON, atomically;
    returns the dict. `provenance_info` (default: `provenance()` now) lets
    a command that writes several files give them all the provenance it
    read before writing the first (whose write would dirty the checkout)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**payload, "provenance": provenance_info or provenance()}
    jsonio.write_json(path, document)
    return document


def load_chapter_data(
    dataset="cifar10",
    data_dir=None,
    allow_synthetic=False,
    train_size=None,
    test_size=None,
):
    """The data a book chapter uses, falling back to synthetic if allowed.

    Loads `dataset` with `spectral.data.load_cifar` (no download when
    `data_dir` is given) and draws a fixed random subset (seed 0, the same
    for every training seed). If no copy exists and `allow_synthetic` is
    true, returns synthetic images, whose `source` makes every page that
    uses them say so.
    """
    if dataset != "synthetic":
        try:
            loaded = data_lib.load_cifar(
                dataset, data_dir, download=data_dir is None
            )
            return data_lib.subset(loaded, train_size, test_size, seed=0)
        except FileNotFoundError:
            if not allow_synthetic:
                raise
    loaded = data_lib.synthetic_images(
        train_size or 512,
        test_size or 128,
        num_classes=data_lib.CIFAR_ARCHIVES.get(dataset, {}).get("classes", 10),
        seed=0,
    )
    return loaded


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.experiments"))
