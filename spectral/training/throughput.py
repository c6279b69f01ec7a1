"""Training throughput: images per second of a network's full training step.

`training_throughput` trains each network for a few epochs on synthetic
images with a chosen loop, precision and batch size and reports the rate;
`spectral.bench` (its `--throughput` command) and the paper-scale record's
throughput units use it, and `spectral.bench` re-exports it.
"""

import time

# The networks whose training step the paper times (§5.1 at M = 8, the
# paper profile's depth; the §5.2 Generic and Deep networks with both
# parametrisations and filter sizes), as `TrainConfig` fields.
THROUGHPUT_NETWORKS = (
    dict(network="spectral_pooling", num_blocks=8, gamma=0.85),
    dict(network="generic", conv="spatial", filter_size=3),
    dict(network="generic", conv="spectral", filter_size=3),
    dict(network="generic", conv="spatial", filter_size=5),
    dict(network="generic", conv="spectral", filter_size=5),
    dict(network="deep", conv="spatial", filter_size=3),
    dict(network="deep", conv="spectral", filter_size=3),
    dict(network="deep", conv="spatial", filter_size=5),
    dict(network="deep", conv="spectral", filter_size=5),
)


def training_throughput(
    networks=THROUGHPUT_NETWORKS,
    loop="device",
    precision="float32",
    batch_size=128,
    images=4096,
    epochs=2,
    width=1.0,
    log=print,
):
    """Training images per second of each network's full training step.

    Each network (a dict of `TrainConfig` fields) trains `1 + epochs`
    epochs over `images` synthetic images with the given loop, precision
    and batch size (the paper's SGD with momentum and weight decay; Adam
    costs about the same); the first epoch compiles and is timed
    separately, the others give the rate. Synthetic images cost what CIFAR
    images cost, and no error is measured, so no result here is about
    CIFAR.

    Returns:
        A list of dicts: the network fields, `loop`, `precision`,
        `batch_size`, `images_per_second`, `compile_seconds` (the first
        epoch) and `seconds_per_epoch_of_45k` (the rate applied to the
        45,000 training images outside the validation split).
    """
    from spectral import experiments

    rows = []
    for fields in networks:
        config = experiments.TrainConfig(
            dataset="synthetic",
            train_size=images,
            test_size=batch_size,
            batch_size=batch_size,
            width=width,
            loop=loop,
            precision=precision,
            epochs=1 + epochs,
            lr_drops=(),
            **fields,
        )
        dataset = experiments.load_dataset(config)
        model = experiments.build_training_model(config, dataset)
        epoch = experiments.epoch_trainer(model, dataset, config)
        start = time.perf_counter()
        epoch(0)
        compile_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for e in range(1, 1 + epochs):
            epoch(e)
        rate = epochs * images / (time.perf_counter() - start)
        row = {
            **fields,
            "width": width,
            "loop": loop,
            "precision": precision,
            "batch_size": batch_size,
            "images_per_second": rate,
            "compile_seconds": compile_seconds,
            "seconds_per_epoch_of_45k": 45000 / rate,
        }
        log(
            f"{_network_label(fields):34s} {rate:10.0f} images/s "
            f"(first epoch with compilation {compile_seconds:.1f} s)"
        )
        rows.append(row)
    return rows


def _network_label(fields):
    name = fields["network"]
    if name == "spectral_pooling":
        return f"§5.1 network, M={fields.get('num_blocks')}"
    size = fields.get("filter_size", 3)
    return f"{name} {size}x{size}, {fields.get('conv', 'spatial')}"
