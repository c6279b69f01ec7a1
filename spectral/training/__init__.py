"""The machinery under `spectral.experiments.train`.

* `spectral.training.provenance` — where and with what a result was
  produced (commit, backend, CPU or accelerator model, versions, date).
* `spectral.training.checkpoints` — a run directory's lock, its epoch
  checkpoints (model, optimiser and random-generator state), their
  validation on resume, and its history files, all written atomically.
* `spectral.training.building` — the compiled model of a `TrainConfig`.
* `spectral.training.throughput` — images per second of a network's
  training step (`spectral.bench --throughput`, the GPU record).

`spectral.experiments` (and `spectral.bench` for the throughput)
re-exports the public names, so code written against them keeps working.
"""
