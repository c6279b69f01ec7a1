"""Provenance of a result: the commit, backend, device, versions and date.

Every result file of the record carries `provenance()`; `git_revision` is
also how a record command refuses an uncommitted checkout.
"""

import datetime
import os
import platform
import subprocess
from pathlib import Path

import numpy as np

import spectral

# Keras is imported inside the functions that need it: `git_revision` serves
# `spectral.reproduce`, which must not import Keras before it chose a backend.


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
    import keras

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
    import keras

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
    import keras

    if keras.backend.backend() != "jax":
        return None
    devices = keras.distribution.list_devices()
    if len(devices) < 2:
        return None
    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)
    return distribution
