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

import contextlib
import dataclasses
import datetime
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import keras
import numpy as np

import spectral
from spectral import data as data_lib
from spectral import jsonio
from spectral import models

# The configuration lives in `spectral.config` (no Keras import, so that
# `python -m spectral.train --help` answers at once); re-exported here.
from spectral.config import DATASETS  # noqa: E402, F401
from spectral.config import OPTIMIZERS  # noqa: E402, F401
from spectral.config import TrainConfig  # noqa: E402


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


def git_revision(path=None):
    """The checkout's commit SHA (with `+dirty` if modified), or None.

    Where there is no git checkout (a copy of the tree sent to a lent GPU
    machine), `$SPECTRAL_GIT_REVISION` names the commit the copy was made
    from, if set.
    """
    root = Path(path or Path(__file__).resolve().parent)
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return os.environ.get("SPECTRAL_GIT_REVISION") or None
    return sha + ("+dirty" if dirty else "")


def cpu_description():
    """The CPU model and the number of cores this process may use."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count()
    return f"{model}, {cores} cores"


def device_description():
    """The accelerator the active backend computes on, or the CPU's model
    and core count (timings depend on both)."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                kind = getattr(device, "device_kind", "")
                return f"{device.platform}: {kind}"
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"gpu: {details.get('device_name', gpus[0].name)}"
    except Exception as error:  # report, never fail a run over it
        return f"unknown ({type(error).__name__})"
    return f"cpu: {cpu_description()}"


def provenance():
    """Where and with what a result was produced.

    Returns:
        A dict with `git_sha`, `backend`, `device`, `versions` (python,
        spectral, keras, numpy and the backend library), `host` and `date`
        (UTC, ISO 8601).
    """
    backend = keras.backend.backend()
    versions = {
        "python": platform.python_version(),
        "spectral": spectral.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
    try:
        module = __import__(
            "tensorflow" if backend == "tensorflow" else backend
        )
        versions[backend] = module.__version__
    except ImportError:
        pass
    return {
        "git_sha": git_revision(),
        "backend": backend,
        "device": device_description(),
        "versions": versions,
        "host": platform.node(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def data_parallel():
    """Spreads training over every local accelerator, when there are several.

    Uses Keras's distribution API (`keras.distribution.DataParallel`): each
    batch is split across devices and gradients are averaged; the model is
    replicated. Keras implements this API for the JAX backend; elsewhere, or
    with fewer than two devices, nothing changes.

    Returns:
        The `DataParallel` distribution that was set, or None.
    """
    if keras.backend.backend() != "jax":
        return None
    devices = keras.distribution.list_devices()
    if len(devices) < 2:
        return None
    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)
    return distribution


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


def _stored_config(stored):
    """A stored configuration as a `TrainConfig` (fields added since it was
    written take their defaults), or None if it no longer parses."""
    try:
        return TrainConfig.from_dict(stored)
    except (TypeError, ValueError):
        return None


def same_config(stored, config):
    """Whether a stored configuration dict is `config`.

    Fields added to `TrainConfig` after the dict was written count at their
    defaults, so adding a field never orphans an existing run.
    """
    return isinstance(stored, dict) and _stored_config(stored) == config


def _conv2d_layers(model):
    """Every `keras.layers.Conv2D` (exactly that class) inside `model`."""
    for layer in getattr(model, "layers", []):
        if type(layer) is keras.layers.Conv2D:
            yield layer
        yield from _conv2d_layers(layer)


def _roundtrip_kernels(network):
    """Replaces every `Conv2D` kernel by its spectral round trip."""
    from spectral import fourier

    for layer in _conv2d_layers(network):
        layer.kernel.assign(
            fourier.spectral_to_kernel(
                fourier.kernel_to_spectral(layer.kernel),
                layer.kernel_size,
            )
        )


def build_training_model(config, dataset):
    """Preprocessing plus network, compiled with the config's optimiser."""
    keras.utils.set_random_seed(config.seed)
    mean, variance = data_lib.channel_statistics(dataset.x_train)
    # Layers take the global dtype policy when they are created; the
    # optimiser's and the loss's arithmetic stays float32.
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(config.precision)
    try:
        return _build_training_model(config, dataset, mean, variance)
    finally:
        keras.config.set_dtype_policy(previous_policy)


def _build_training_model(config, dataset, mean, variance):
    network = models.build_model(
        config.network,
        num_classes=dataset.num_classes,
        input_shape=dataset.x_train.shape[1:],
        conv=config.conv,
        pooling=config.pooling,
        filter_size=config.filter_size,
        num_blocks=config.num_blocks,
        gamma=config.gamma,
        alpha=config.alpha,
        beta=config.beta,
        seed=config.seed,
        width=config.width,
        frequency_dropout=config.frequency_dropout,
        pooling_norm=config.pooling_norm,
        dropout_range=config.dropout_range,
    )
    if config.init_roundtrip:
        _roundtrip_kernels(network)
    model = keras.Sequential(
        [
            keras.Input(dataset.x_train.shape[1:]),
            data_lib.preprocessing(
                mean,
                variance,
                augment=config.augment,
                seed=config.seed,
                augmentation=config.augmentation,
            ),
            network,
        ],
        name=network.name,
    )
    steps = -(-len(dataset.x_train) // config.batch_size)
    schedule = config.learning_rate
    if config.lr_drops:
        # The step with iteration index i uses values[k] once i > boundary,
        # so the first step of epoch e (index e * steps) must see the drop.
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
            [epoch * steps - 1 for epoch in config.lr_drops],
            [
                config.learning_rate / 10**i
                for i in range(len(config.lr_drops) + 1)
            ],
        )
    if config.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(
            schedule,
            momentum=config.momentum,
            weight_decay=config.weight_decay or None,
        )
    else:
        optimizer = keras.optimizers.Adam(
            schedule, weight_decay=config.weight_decay or None
        )
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=(
            "auto" if config.jit_compile is None else config.jit_compile
        ),
    )
    return model


class RunLockedError(RuntimeError):
    """Raised when another live process holds a run directory's lock."""


def _lock_owner(path):
    try:
        pid, host = path.read_text().split(maxsplit=1)
        return int(pid), host.strip()
    except (OSError, ValueError):
        return None, None


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def run_lock(run_dir):
    """Holds `run_dir/lock` while a process trains in `run_dir`.

    The lock file holds the owner's process id and host name and is
    created atomically, so a second process on the same run directory is
    refused with `RunLockedError` instead of racing the first one over its
    checkpoints. A lock left by a process that no longer runs (killed), or
    by another host (a state directory copied between machines), is stale:
    it is replaced with a warning. A directory that cannot be written is
    refused before anything is loaded or trained (`PermissionError`).
    """
    path = Path(run_dir) / "lock"
    host = platform.node()
    while True:
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        except OSError as error:  # read-only, no permission, ...
            raise PermissionError(
                f"Cannot write in the run directory {run_dir} ({error}): a "
                "run writes its lock, checkpoints and history there. Make it "
                "writable or choose another directory."
            ) from error
        else:
            with os.fdopen(handle, "w") as lock:
                lock.write(f"{os.getpid()} {host}\n")
            break
        # The lock exists: a live owner, or a stale one to replace.
        pid, owner_host = _lock_owner(path)
        if pid is not None and owner_host == host and _process_alive(pid):
            raise RunLockedError(
                f"{run_dir} is being trained by process {pid} on this "
                f"machine ({path}). Wait for it to finish or stop it; "
                "two processes must not train one run directory."
            ) from None
        warnings.warn(
            f"Replacing the stale lock {path} (process {pid} on "
            f"{owner_host!r} is not running here).",
            stacklevel=3,
        )
        path.unlink(missing_ok=True)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _seed_states(model):
    """Every random generator's state variable, in a fixed order."""
    return [
        v for v in model.variables if v.path.endswith("seed_generator_state")
    ]


KEEP_CHECKPOINTS = 2
EXIT_INCOMPLETE = 75  # "stopped early, run the same command again"


def _save_checkpoint(run_dir, model, history, config=None):
    """Writes `checkpoints/epoch_NNNN/` and keeps the newest two.

    The directory is written under a temporary name and renamed when
    complete, so a kill leaves either the whole checkpoint or none of it.
    With `config`, the checkpoint carries it (`config.json`), and only a
    run of that configuration resumes from it.
    """
    root = run_dir / "checkpoints"
    name = f"epoch_{len(history):04d}"
    target = root / name
    partial = root / f"{name}.partial"
    for stale in (partial, target):
        if stale.exists():
            shutil.rmtree(stale)
    partial.mkdir(parents=True)
    model.save(partial / "model.keras")
    np.savez(
        partial / "rng.npz",
        *[keras.ops.convert_to_numpy(v) for v in _seed_states(model)],
    )
    jsonio.write_json(partial / "history.json", history)
    if config is not None:
        jsonio.write_json(partial / "config.json", config.to_dict())
    os.replace(partial, target)
    _write_atomic(root / "latest", name)
    for old in _checkpoint_dirs(run_dir)[KEEP_CHECKPOINTS:]:
        shutil.rmtree(old, ignore_errors=True)


def _checkpoint_dirs(run_dir):
    """Complete checkpoint directories, newest first."""
    root = Path(run_dir) / "checkpoints"
    found = [
        d
        for d in root.glob("epoch_*")
        if d.is_dir() and not d.name.endswith(".partial")
    ]
    return sorted(found, key=lambda d: d.name, reverse=True)


class CheckpointConfigError(ValueError):
    """A checkpoint was made by another configuration than the run's."""


def _check_checkpoint_config(target, config):
    """Refuses a checkpoint made by another configuration than `config`.

    A checkpoint from before checkpoints carried their configuration is
    accepted only when the run directory's `config.json` vouches for it
    (`train` has compared that file with the requested configuration).
    """
    path = target / "config.json"
    if not path.exists():
        if (target.parent.parent / "config.json").exists():
            return
        raise CheckpointConfigError(
            f"Checkpoint {target} carries no configuration and "
            f"{target.parent.parent / 'config.json'} is missing, so nothing "
            "says which configuration made it. Delete "
            f"{target.parent} to train this run from the start, or restore "
            "the run's config.json."
        )
    stored = jsonio.read_json(path, "the checkpoint's configuration")
    if _stored_config(stored) != config:
        raise CheckpointConfigError(
            f"Checkpoint {target} was made by another configuration "
            f"(stored {stored}, requested {config.to_dict()}). Delete "
            f"{target.parent} to train the requested configuration from the "
            "start, or use another run directory."
        )


def _read_checkpoint(target):
    history = json.loads((target / "history.json").read_text())
    model = keras.saving.load_model(target / "model.keras")
    with (
        open(target / "rng.npz", "rb") as handle,
        np.load(handle, allow_pickle=False) as states,
    ):
        variables = _seed_states(model)
        if len(states.files) != len(variables):
            raise ValueError(
                f"{len(states.files)} random-generator states for a model "
                f"with {len(variables)}"
            )
        for i, variable in enumerate(variables):
            variable.assign(states[f"arr_{i}"])
    return model, history


def _load_checkpoint(run_dir, config=None):
    """`(model, history)` of the newest readable checkpoint, or `(None, [])`.

    With `config`, a checkpoint made by another configuration raises
    `CheckpointConfigError` (never resumed, never skipped silently).

    A damaged checkpoint (truncated model, corrupt random states or history)
    is skipped with a warning naming it, and the previous one is used; the
    run then repeats the lost epoch exactly.

    Raises:
        ValueError: if checkpoints exist but none can be read.
    """
    candidates = _checkpoint_dirs(run_dir)
    failures = []
    for target in candidates:
        if config is not None:
            _check_checkpoint_config(target, config)
        try:
            return _read_checkpoint(target)
        except Exception as error:  # any damage: try the previous epoch
            failures.append(f"{target}: {type(error).__name__}: {error}")
            if target is not candidates[-1]:
                warnings.warn(
                    f"Checkpoint {target} is damaged "
                    f"({type(error).__name__}: {error}); resuming from the "
                    "previous one.",
                    stacklevel=3,
                )
    if failures:
        raise ValueError(
            f"No readable checkpoint in {Path(run_dir) / 'checkpoints'}:\n"
            + "\n".join(failures)
            + f"\nDelete {run_dir} to train the run again from the start."
        )
    return None, []


def _read_json(path, what, fix):
    """A JSON file of a run directory; errors name the file and the fix
    (`spectral.jsonio.DamagedFileError`, a `ValueError`)."""
    return jsonio.read_json(path, what, fix)


def checkpoint_bytes(config, num_classes=10):
    """Size in bytes of one checkpoint of `config` (`train` keeps two).

    The network of `config` is built untrained, with its optimiser's state
    (one slot per weight for SGD with momentum, two for Adam), saved exactly
    as `train` saves an epoch (model, optimiser, random-generator states,
    history), and measured. It is what a run keeps on disk between epochs
    and what has to be moved to resume the run on another machine.

    Args:
        config: a `TrainConfig` (its data fields are not used).
        num_classes: 10 for CIFAR-10, 100 for CIFAR-100.
    """
    dataset = data_lib.synthetic_images(
        8, 2, num_classes=num_classes, seed=config.seed
    )
    model = build_training_model(config, dataset)
    model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory() as tmp:
        _save_checkpoint(Path(tmp), model, [])
        return _directory_bytes(tmp)


def prune_finished(state_dir):
    """Deletes the checkpoints of finished runs under `state_dir`.

    A run directory with a `result.json` is complete: `train` reads it back
    without its model, so its `checkpoints/` are needed only by someone who
    wants the trained weights. Unfinished runs are left alone. Returns the
    number of bytes freed.
    """
    freed = 0
    for result in sorted(Path(state_dir).rglob("result.json")):
        checkpoints = result.parent / "checkpoints"
        if checkpoints.is_dir():
            freed += _directory_bytes(checkpoints)
            shutil.rmtree(checkpoints)
    return freed


def _directory_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _write_atomic(path, text):
    jsonio.write_text_atomic(path, text)


def _reconcile_history(run_dir, history):
    """Rewrites `history.json`/`.csv` if they differ from `history`."""
    path = Path(run_dir) / "history.json"
    try:
        current = json.loads(path.read_text())
    except (OSError, ValueError):
        current = None
    if current != history:
        _save_history(Path(run_dir), history)


def _save_history(run_dir, history):
    jsonio.write_json(run_dir / "history.json", history, what=f"{run_dir}: history")
    if history:
        columns = list(dict.fromkeys(c for row in history for c in row))
        lines = [",".join(columns)]
        lines += [
            ",".join(repr(row[c]) if c in row else "" for c in columns)
            for row in history
        ]
        _write_atomic(run_dir / "history.csv", "\n".join(lines) + "\n")


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
        num_classes=100 if dataset == "cifar100" else 10,
        seed=0,
    )
    return loaded


def paper_lr_drops(epochs):
    """The paper's learning-rate drops (epochs 100 and 140 of 150), scaled.

    Drops that would fall after the last epoch are left out.

    Example:

    >>> paper_lr_drops(150), paper_lr_drops(6), paper_lr_drops(1)
    ((100, 140), (4,), ())
    """
    from spectral import paper

    drops = {round(epochs * f) for f in paper.LR_DROP_FRACTIONS}
    return tuple(sorted(d for d in drops if 0 < d < epochs))


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.experiments"))
