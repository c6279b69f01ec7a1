"""A run directory's lock, checkpoints and history files.

`spectral.experiments.train` keeps a run in one directory (the layout is
described there). This module holds that directory's machinery: the lock
that keeps a second process out (`run_lock`), the epoch checkpoints
(`_save_checkpoint`, `_load_checkpoint`: model, optimiser and every random
generator's state, the newest two kept, a damaged one falling back to the
previous epoch with a warning), the history files, and `prune_finished`.
Every file is written atomically.
"""

import contextlib
import json
import os
import platform
import shutil
import warnings
from pathlib import Path

import keras
import numpy as np

from spectral import jsonio
from spectral.config import TrainConfig

# The newest checkpoints a run keeps (a damaged newest one falls back to the
# one before).
KEEP_CHECKPOINTS = 2


def _stored_config(stored):
    """A stored configuration as a `TrainConfig` (fields added since it was
    written take their defaults), or None if it no longer parses."""
    try:
        return TrainConfig.from_dict(stored)
    except (TypeError, ValueError):
        return None


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
