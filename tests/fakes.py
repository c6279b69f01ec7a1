"""Shared test doubles: the tiny training configuration and fake run files.

`tiny_config` is the smallest real training run (synthetic images, two
blocks, quarter width) that tests of training, resumption, the paper-scale
record and the search build on; `write_fake_run` writes a run file shaped
as `spectral.record.store.write_run` writes one, for tests of the record
layer that must not train. `tests/conftest.py` offers both as fixtures.
"""

import dataclasses
import json

from spectral.config import TrainConfig

TINY = TrainConfig(
    dataset="synthetic",
    train_size=48,
    test_size=16,
    batch_size=16,
    num_blocks=2,
    epochs=3,
    lr_drops=(2,),
    width=0.25,
    seed=1,
)


def tiny_config(**overrides):
    """`TINY` with `overrides` (any `TrainConfig` field)."""
    return dataclasses.replace(TINY, **overrides)


def write_fake_run(record_dir, name, config, history, test_error=0.5, **fields):
    """Writes `<record_dir>/runs/<name>.json` (config as a dict or None,
    history, test error, one minute of wall time, and `fields`); returns
    the document."""
    folder = record_dir / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "config": config.to_dict() if hasattr(config, "to_dict") else config,
        "name": name,
        "history": history,
        "test_error": test_error,
        "wall_seconds": 60.0,
        **fields,
    }
    (folder / f"{name}.json").write_text(json.dumps(document))
    return document


def throughput_row(config, rate=1000.0, compile_seconds=2.0):
    """A row of a throughput unit (`spectral.training.throughput`) that
    measured `config`'s network at `rate` images per second."""
    return {
        "network": config.network, "num_blocks": config.num_blocks,
        "conv": config.conv, "filter_size": config.filter_size,
        "width": config.width, "loop": config.loop,
        "precision": config.precision, "batch_size": config.batch_size,
        "images_per_second": rate, "compile_seconds": compile_seconds,
    }
