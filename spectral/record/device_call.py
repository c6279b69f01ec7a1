"""What one device call can do, and which units must fit inside one.

A GPU machine is lent to few working sessions: 15 minutes of device time
per session (`SESSION_SECONDS`), machine start included, at most 10 minutes
per call (`CALL_SECONDS`), and a call carries back at most 64 MiB: its
code, its results and the checkpoints of the units it left unfinished
(`spectral.record.bundle.CARRY_BYTES` for the checkpoints). A unit resumes
in a later call only from a checkpoint that came back. So a unit whose
checkpoint is larger than a call carries -- the Generic network at full
width with Adam's two slots per weight is about 152 MiB -- cannot depend on
a checkpoint at all: it trains from its first epoch to its last inside one
call, and starts only when the throughput measured on that machine says it
ends in the time the call has left. Otherwise it waits, saying why, and the
record trains the next unit instead.

The projection (`projected_seconds`) applies the measured training rate of
the unit's network (`spectral.training.throughput`, the record's
`throughput-<precision>` unit) to every image the unit passes through the
network, its evaluations included, plus the measured compile time, times
`MARGIN`. Counting an evaluation image as a training image over-states the
cost (a forward pass is about a third of a step), so the projection errs on
the side of not starting.
"""

import dataclasses
import functools
import json

from spectral.cifar import CIFAR_ARCHIVES
from spectral.record import bundle
from spectral.record import cost

SESSION_SECONDS = 15 * 60
CALL_SECONDS = 10 * 60
# The minutes a call trains for (`.ci/gpu-record-call MINUTES`): the rest of
# a 10-minute call installs the wheels, unpacks, packs and copies results.
CALL_TRAIN_MINUTES = 8
MARGIN = 1.15

# The fields of a configuration that do not change the size of its
# checkpoint, set to one value so that units differing only in them share
# one measurement.
_SIZE_NEUTRAL = dict(
    seed=0, learning_rate=1e-3, epochs=1, lr_drops=(), train_size=None,
    test_size=None, validation_size=0, test_every_epoch=False,
    train_eval_size=0, data_dir=None, augment=False, init_roundtrip=False,
)


@functools.lru_cache(maxsize=64)
def _measured_bytes(config_json, num_classes):
    from spectral.config import TrainConfig
    from spectral.training.building import state_bytes

    return state_bytes(
        TrainConfig.from_dict(json.loads(config_json)), num_classes
    )


def checkpoint_bytes(config):
    """Bytes of the weights and optimiser state one checkpoint of `config`
    holds (`spectral.training.building.state_bytes`: the archive adds a few
    KiB), measured once per network, width, optimiser and precision in a
    process."""
    neutral = dataclasses.replace(config, **_SIZE_NEUTRAL)
    key = json.dumps(neutral.to_dict(), sort_keys=True)
    classes = CIFAR_ARCHIVES.get(config.dataset, {}).get("classes", 10)
    return _measured_bytes(key, classes)


def must_finish_in_one_call(config, carry_bytes=bundle.CARRY_BYTES):
    """Whether a checkpoint of `config` is too large to come back from a
    call, so that its unit must train start to finish inside one."""
    return checkpoint_bytes(config) > carry_bytes


def _same_network(row, config):
    if row.get("network") != config.network:
        return False
    if config.network == "spectral_pooling":
        return row.get("num_blocks") == config.num_blocks
    return (row.get("conv"), row.get("filter_size")) == (
        config.conv, config.filter_size)


def measured_rate(config, throughput_rows):
    """`(images_per_second, compile_seconds)` that a throughput unit's
    `rows` measured for the network of `config` at its width, loop,
    precision and batch size; None when it measured no such network."""
    for row in throughput_rows or ():
        if (
            _same_network(row, config)
            and row.get("width") == config.width
            and row.get("loop") == config.loop
            and row.get("precision") == config.precision
            and row.get("batch_size") == config.batch_size
        ):
            return row["images_per_second"], row.get("compile_seconds") or 0.0
    return None


def images_through_network(config):
    """Every image a run of `config` passes through its network, trained
    or only evaluated (`spectral.record.cost.image_passes`)."""
    return sum(cost.image_passes(config).values())


def projected_seconds(config, throughput_rows):
    """Seconds a run of `config` takes on the machine whose throughput
    `throughput_rows` measured (see the module docstring), or None when
    its network was not measured."""
    rate = measured_rate(config, throughput_rows)
    if rate is None:
        return None
    images_per_second, compile_seconds = rate
    return MARGIN * (
        images_through_network(config) / images_per_second + compile_seconds
    )


def one_call_problem(config, throughput_rows, seconds_left):
    """Why a unit that must finish in one call cannot start now, or None
    when it can: it has `seconds_left` in this call (None: no limit)."""
    mib = checkpoint_bytes(config) / 2**20
    prefix = (
        f"its checkpoint ({mib:.0f} MiB) is larger than a device call carries "
        f"back ({bundle.CARRY_BYTES / 2**20:.0f} MiB), so it must train start "
        "to finish inside one call"
    )
    seconds = projected_seconds(config, throughput_rows)
    if seconds is None:
        return prefix + "; it waits for the throughput unit to measure its network"
    if seconds_left is not None and seconds > seconds_left:
        return (
            f"{prefix}: at the measured rate it needs {seconds / 60:.1f} min, "
            f"and {max(seconds_left, 0) / 60:.1f} min are left in this call"
        )
    return None
