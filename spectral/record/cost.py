"""What re-executing the laptop record costs on the machine at hand.

The finished runs' wall times say what the record cost, but they include
whatever else shared the machine while they trained. This module measures
instead: for every *kind* of unit in the laptop record (the configuration
fields that decide the work per image, `SPEED_FIELDS`), the training and
the inference throughput of its network on synthetic images, on an
otherwise idle machine, and projects each unit's hours from the image
passes its configuration asks for (`image_passes`).

`measure_record` writes `results/laptop/throughput.json` (one entry per
kind, with provenance); `report.cost_frame` turns it into the table of
chapter 6. Synthetic images cost what CIFAR images cost (the same tensor
shapes), and no error is measured, so nothing here is about CIFAR.

Example (the image passes of the first study's pooling unit: 12 epochs of
45,000 training images, the 5,000 validation images after every epoch and
the 10,000 test images once):

>>> from spectral.record import laptop
>>> config = laptop._base_configs()["pooling"]
>>> image_passes(config)
{'train': 540000, 'inference': 70000}
"""

import dataclasses
import time
from pathlib import Path

from spectral import jsonio
from spectral.cifar import CIFAR_ARCHIVES
from spectral.record import store


THROUGHPUT_FILE = store.RECORD_DIR / "throughput.json"

# The `TrainConfig` fields that decide the work per image (everything
# else — seed, learning rate, epochs, data sizes — decides how many images).
SPEED_FIELDS = (
    "network",
    "num_blocks",
    "gamma",
    "alpha",
    "beta",
    "pooling",
    "pooling_norm",
    "frequency_dropout",
    "dropout_range",
    "conv",
    "filter_size",
    "jit_compile",
    "optimizer",
    "augment",
    "augmentation",
    "width",
    "batch_size",
    "precision",
    "loop",
)


# The project's goal: the whole laptop record re-executes within a day on
# one of these 2-core CPUs (issue 20).
TARGET_HOURS = 24


def speed_kind(config):
    """The unit's kind: its `SPEED_FIELDS` as a dict (JSON-ready)."""
    return {field: getattr(config, field) for field in SPEED_FIELDS}


def _key(kind):
    return tuple(sorted((k, repr(v)) for k, v in kind.items()))


def image_passes(config):
    """`{"train", "inference"}`: the training images a run of `config`
    passes through (epochs x training images) and the images it only
    evaluates (validation and the logged training subset after every
    epoch; the test set after every epoch when `test_every_epoch`, else
    once). A CIFAR dataset's sizes come from `spectral.cifar`; another
    dataset needs `train_size` and `test_size`."""
    sizes = CIFAR_ARCHIVES.get(config.dataset)
    if sizes:
        available = sizes["train_images"] - config.validation_size
        train = min(config.train_size or available, available)
        test = min(config.test_size or sizes["test_images"], sizes["test_images"])
    else:
        train, test = config.train_size, config.test_size
    if not train or not test:
        raise ValueError(
            f"Invalid value for argument `config`: dataset={config.dataset!r} "
            "has no known size; give train_size and test_size."
        )
    evaluated = config.validation_size + config.train_eval_size
    if config.test_every_epoch:
        return {"train": config.epochs * train,
                "inference": config.epochs * (evaluated + test)}
    return {
        "train": config.epochs * train,
        "inference": config.epochs * evaluated + test,
    }


def measure(config, images=2048, repeats=3, log=print):
    """Training and inference images per second of `config`'s network.

    Trains one epoch over `images` synthetic images to compile, then times
    `repeats` more epochs one by one; evaluates the same images once to
    compile and `repeats` times more, with the runner's batch size. Each
    rate is taken from the fastest repeat (as `timeit` advises: slower
    repeats measure whatever else the machine did meanwhile). Returns a
    dict with `train_images_per_second`, `inference_images_per_second`,
    `compile_seconds` and the `train_seconds` / `inference_seconds` of
    every repeat.
    """
    from spectral import experiments
    from spectral import data as data_lib

    if images < config.batch_size:
        raise ValueError(
            "Invalid value for argument `images`. Expected at least the "
            f"batch size ({config.batch_size}). Received: images={images}"
        )
    if repeats < 1:
        raise ValueError(
            "Invalid value for argument `repeats`. Expected a positive "
            f"integer. Received: repeats={repeats}"
        )
    probe = dataclasses.replace(
        config,
        dataset="synthetic",
        train_size=images,
        validation_size=0,
        train_eval_size=0,
        test_size=config.batch_size,
        epochs=1 + repeats,
        lr_drops=(),
    )
    dataset = experiments.load_dataset(probe)
    model = experiments.build_training_model(probe, dataset)
    epoch = experiments.epoch_trainer(model, dataset, probe)

    def timed(step):
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    compile_seconds = timed(lambda: epoch(0))
    train_seconds = [timed(lambda e=e: epoch(e)) for e in range(1, 1 + repeats)]
    batches = data_lib.ArrayBatches(
        dataset.x_train, dataset.y_train, probe.batch_size
    )
    model.evaluate(batches, verbose=0)
    inference_seconds = [
        timed(lambda: model.evaluate(batches, verbose=0)) for _ in range(repeats)
    ]
    train_rate = images / min(train_seconds)
    inference_rate = images / min(inference_seconds)
    log(
        f"{config.network} {config.filter_size}x{config.filter_size} "
        f"conv={config.conv} pooling={config.pooling} "
        f"dropout={config.frequency_dropout} optimizer={config.optimizer} "
        f"width={config.width}: train {train_rate:.0f} images/s, inference "
        f"{inference_rate:.0f} images/s (fastest of {repeats}; compile "
        f"{compile_seconds:.1f} s)"
    )
    return {
        "train_images_per_second": train_rate,
        "inference_images_per_second": inference_rate,
        "compile_seconds": compile_seconds,
        "train_seconds": train_seconds,
        "inference_seconds": inference_seconds,
    }


def record_configs(record_dir=None):
    """`[(part, unit, config)]` for every unit of the laptop record: the
    first study's, then the robustness study's not already in it (a unit
    waiting for its learning rate is costed at the ladder's middle rung,
    `robustness.provisional_config`)."""
    from spectral import robustness
    from spectral.record import laptop

    out, names = [], set()
    for unit in laptop.units(record_dir):
        names.add(unit.name)
        out.append(("first study", unit, unit.config))
    for unit in robustness.units(record_dir):
        if unit.name in names:
            continue  # a first-study run the robustness study reuses
        config = unit.config or robustness.provisional_config(unit)
        out.append((f"robustness: {unit.experiment}", unit, config))
    return out


def measure_record(record_dir=None, images=2048, repeats=3, path=None,
                   log=print):
    """Measures every kind of unit of the laptop record (`measure`) and
    writes `throughput.json` (`{"images", "repeats", "kinds": [{"kind",
    "train_images_per_second", "inference_images_per_second",
    "compile_seconds", "train_seconds", "inference_seconds"}],
    "provenance"}`); returns the document. Run it on
    an otherwise idle machine: the numbers are only as good as that."""
    from spectral import experiments

    start = time.time()
    kinds = {}
    for _, _, config in record_configs(record_dir):
        kinds.setdefault(_key(speed_kind(config)), config)
    log(f"measuring {len(kinds)} kinds of unit, {images} images each")
    rows = []
    for config in kinds.values():
        rows.append({"kind": speed_kind(config),
                     **measure(config, images, repeats, log)})
    document = {
        "images": images,
        "repeats": repeats,
        "kinds": rows,
        "provenance": {
            **experiments.provenance(),
            "wall_seconds": time.time() - start,
        },
    }
    path = path or Path(record_dir or store.RECORD_DIR) / THROUGHPUT_FILE.name
    jsonio.write_json(path, document, what="throughput.json")
    return document


def load_throughput(record_dir=None):
    """The record's measured throughput document (`throughput.json` in
    `record_dir`, default the laptop record), or None when it is missing."""
    path = Path(record_dir or store.RECORD_DIR) / THROUGHPUT_FILE.name
    if not path.exists():
        return None
    return jsonio.read_json(path, "the measured throughput file")


def projected_seconds(config, throughput):
    """Seconds a run of `config` takes at the measured throughput of its
    kind (`throughput` as `load_throughput` returns it). Raises `KeyError`
    naming the kind when it was not measured."""
    rates = {_key(row["kind"]): row for row in throughput["kinds"]}
    key = _key(speed_kind(config))
    if key not in rates:
        raise KeyError(
            f"no measured throughput for the kind {speed_kind(config)}; "
            "measure again with `python -m spectral.robustness throughput`"
        )
    row = rates[key]
    passes = image_passes(config)
    return (
        passes["train"] / row["train_images_per_second"]
        + passes["inference"] / row["inference_images_per_second"]
    )
