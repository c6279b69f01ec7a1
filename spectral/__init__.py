"""Spectral representations for convolutional neural networks, in Keras 3.

Exact spectral pooling, frequency dropout, spectrally parametrised and
FFT-computed convolutions (Rippel, Snoek and Adams, NIPS 2015), written with
`keras.ops` only so they run on the TensorFlow and JAX backends.

Import modules, not objects: `from spectral import fourier, layers, models`.
The modules, in the direction data flows:

* facts: `spectral.paper` (the paper's protocols and numbers, once);
* operators: `spectral.fourier` (the Fourier operators),
  `spectral.parametrisation` (the spectral parametrisation of kernels,
  re-exported by `fourier`), `spectral.adaptive` (adaptive max/average
  pooling);
* layers and networks: `spectral.layers`, `spectral.models`;
* training: `spectral.cifar` (reading CIFAR from disk, labelled by source),
  `spectral.data` (splits, batching, augmentation),
  `spectral.config` (`TrainConfig`), `spectral.experiments` (resumable
  runs with provenance; its machinery in `spectral.training`: provenance,
  checkpoints and locks, model building), `spectral.device_loop` (whole epochs compiled on
  an accelerator), `spectral.train` (the command line), `spectral.search`
  (Bayesian search);
* measurements: `spectral.metrics` (approximation loss, speed-up),
  `spectral.sparsity` (filter sparsity), `spectral.bench` (timings);
* the record: `spectral.record` (store, intervals, the first laptop
  study's design, runner, statistics, summary files, measured cost,
  command lines),
  `spectral.robustness`, `spectral.robustness_rules`,
  `spectral.robustness_analysis` and `spectral.robustness_deviations` (the
  preregistered robustness study, its verdict rules, their application and
  the changes made after the preregistration), `spectral.claims`
  (the first study's verdicts), `spectral.paper_record` (the GPU record),
  `spectral.study` (the first study's public names, for the chapters);
* the book: `spectral.report` (verdict tables), `spectral.study_report`
  (the first study's tables and figures), `spectral.paper_report` (the GPU
  record's progress tables and sentences), `spectral.plotting` (figures;
  their legibility checks in `spectral.figure_checks`),
  `spectral.chapter_runs` (the chapters' own executions, each writing its
  result file), `spectral.reproduce` (executes the chapters with
  papermill), `spectral.result_files` (their result files summarised);
* files: `spectral.jsonio` (atomic, standard JSON).

Backend: whatever Keras is configured to use. When nothing is configured and
TensorFlow (Keras's default) is not installed but JAX is, importing
`spectral` before Keras selects JAX (`KERAS_BACKEND=jax`) instead of failing.
"""

from spectral import _backend

_backend.apply_fallback()

__version__ = "0.1.0"

# `import spectral` loads Keras and registers the layers, so that
# `keras.saving.load_model` reads a saved model that uses them. Every entry
# point imports the package the same way: nothing here depends on how the
# interpreter was started.
from spectral import fourier  # noqa: E402
from spectral import layers  # noqa: E402
from spectral import models  # noqa: E402

__all__ = ["__version__", "fourier", "layers", "models"]
