"""Adversarial sweep of the public API: every case ends in a clear error or
a correct result.

`python -m tests.adversarial_sweep` prints one line per category (cases
tried, how they ended) and exits 1 if any case ends badly: an error that
does not name the argument, an exception of an unexpected type, a result
of the wrong shape or dtype, or NaN where the input was finite. The test
suite runs it on both backends (`tests/test_adversarial_sweep.py`).

Categories:

* `layer-arguments` — every constructor argument of the five layers with
  values of the wrong type, out of range, NaN/inf, bools, strings, and
  numpy scalars (which must be accepted where a Python number is);
* `layer-inputs` — integer, boolean, float16/64 and complex inputs, odd and
  even sizes, inputs smaller than the output;
* `model-arguments` — `build_model` arguments out of range or of the
  wrong type;
* `train-config` — `TrainConfig` fields with wrong types, ranges,
  infinities, decreasing drops and strings where booleans belong.
"""

import dataclasses
import sys

import keras
import numpy as np

from spectral import experiments
from spectral import layers
from spectral import models

BAD_NUMBERS = [None, "3", -1, 0, 1.5, float("nan"), float("inf"), True, [3]]
BAD_RATES = [None, "0.5", -0.1, 1.5, float("nan"), float("inf"), True]
GOOD_INTS = [np.int32(3), np.int64(3), 3]
GOOD_RATES = [np.float32(0.5), np.float64(0.25), 0, 1, 0.5]


def _layers():
    """`(name, factory(**overrides), {argument: (bad values, good values)})`."""
    sizes = (BAD_NUMBERS, GOOD_INTS + [(3, 4)])
    formats = (["nchw", 1], [None, "channels_last", "channels_first"])
    return [
        (
            "SpectralPooling2D",
            lambda **kw: layers.SpectralPooling2D(**{"output_size": 5, **kw}),
            {
                "output_size": sizes,
                "norm": (["unitary", None, 1], ["mean", "ortho"]),
                "data_format": formats,
            },
        ),
        (
            "AdaptivePooling2D",
            lambda **kw: layers.AdaptivePooling2D(**{"output_size": 5, **kw}),
            {
                "output_size": sizes,
                "mode": (["median", None, 1], ["max", "average"]),
                "data_format": formats,
            },
        ),
        (
            "FrequencyDropout",
            lambda **kw: layers.FrequencyDropout(**{"rate": 0.5, **kw}),
            {
                "rate": (BAD_RATES, GOOD_RATES),
                "seed": (["1", 1.5, True], [None, 0, 7]),
                "data_format": formats,
            },
        ),
        (
            "SpectralConv2D",
            lambda **kw: layers.SpectralConv2D(
                **{"filters": 2, "kernel_size": 3, **kw}
            ),
            {
                "filters": (BAD_NUMBERS, GOOD_INTS),
                "kernel_size": (BAD_NUMBERS, GOOD_INTS + [(3, 2)]),
                "padding": (["full", None, 1], ["valid", "same", "SAME"]),
                "data_format": formats,
            },
        ),
        (
            "FFTConv2D",
            lambda **kw: layers.FFTConv2D(
                **{"filters": 2, "kernel_size": 3, **kw}
            ),
            {
                "filters": (BAD_NUMBERS, GOOD_INTS),
                "kernel_size": (BAD_NUMBERS, GOOD_INTS + [(3, 2)]),
                "padding": (["full", None, 1], ["valid", "same"]),
                "strides": ([2, (1, 2), "1"], [1, (1, 1)]),
                "data_format": formats,
            },
        ),
    ]


class Sweep:
    """Counts cases per category and collects the ones that ended badly."""

    def __init__(self):
        self.counts = {}
        self.failures = []

    def case(self, category, label, outcome):
        self.counts.setdefault(category, {"cases": 0, "bad": 0})
        self.counts[category]["cases"] += 1
        if outcome is not None:
            self.counts[category]["bad"] += 1
            self.failures.append(f"{category}: {label}: {outcome}")

    def expect_error(self, category, label, make, argument):
        """`make()` must raise ValueError/TypeError naming `argument`."""
        try:
            make()
        except (ValueError, TypeError) as error:
            named = f"`{argument}`" in str(error) or argument in str(error)
            self.case(
                category,
                label,
                None if named else f"error does not name {argument}: {error}",
            )
            return
        except Exception as error:  # the wrong kind of error
            self.case(category, label, f"{type(error).__name__}: {error}")
            return
        self.case(category, label, "accepted")

    def expect_ok(self, category, label, make, check=None):
        try:
            value = make()
            problem = check(value) if check else None
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"
        self.case(category, label, problem)


def _round_trips(layer):
    config = layer.get_config()
    again = type(layer).from_config(config)
    return None if again.get_config() == config else "get_config differs"


def sweep_layer_arguments(sweep):
    for name, make, arguments in _layers():
        for argument, (bad, good) in arguments.items():
            for value in bad:
                sweep.expect_error(
                    "layer-arguments",
                    f"{name}({argument}={value!r})",
                    lambda: make(**{argument: value}),
                    argument,
                )
            for value in good:
                sweep.expect_ok(
                    "layer-arguments",
                    f"{name}({argument}={value!r})",
                    lambda: make(**{argument: value}),
                    _round_trips,
                )


def _check_output(x, expected_shape):
    def check(out):
        dtype = keras.backend.standardize_dtype(out.dtype)
        if "float" not in dtype:
            return f"non-float output {dtype}"
        if tuple(out.shape) != expected_shape:
            return f"shape {tuple(out.shape)}, expected {expected_shape}"
        values = keras.ops.convert_to_numpy(out)
        if (
            np.isfinite(np.asarray(x, "float64")).all()
            and not np.isfinite(values).all()
        ):
            return "non-finite output from a finite input"
        return None

    return check


def sweep_layer_inputs(sweep):
    rng = np.random.default_rng(0)
    cases = {
        "SpectralPooling2D": (lambda: layers.SpectralPooling2D(5), 5),
        "AdaptivePooling2D": (lambda: layers.AdaptivePooling2D(5), 5),
        "FrequencyDropout": (
            lambda: layers.FrequencyDropout(0.5, seed=1),
            None,
        ),
        "SpectralConv2D": (
            lambda: layers.SpectralConv2D(2, 3, padding="same"),
            None,
        ),
        "FFTConv2D": (lambda: layers.FFTConv2D(2, 3, padding="same"), None),
    }
    for name, (make, out_size) in cases.items():
        for size in (8, 9, 12, 13):
            for dtype in ("uint8", "int32", "bool", "float16", "float64"):
                x = rng.integers(0, 4, (2, size, size, 3)).astype(dtype)
                channels = 2 if "Conv" in name else 3
                spatial = out_size or size
                expected = (2, spatial, spatial, channels)
                sweep.expect_ok(
                    "layer-inputs",
                    f"{name} on {dtype} {size}x{size}",
                    lambda: make()(x, training=True),
                    _check_output(x, expected),
                )
        complex_input = keras.ops.convert_to_tensor(
            np.ones((1, 8, 8, 3), "complex64")
        )
        sweep.expect_error(
            "layer-inputs",
            f"{name} on complex64",
            lambda: make()(complex_input),
            "complex",
        )
        if out_size:
            small = np.zeros((1, 4, 4, 3), "float32")
            sweep.expect_error(
                "layer-inputs",
                f"{name} on an input smaller than the output",
                lambda: make()(small),
                "output_size",
            )
    sweep.expect_error(
        "layer-inputs",
        "SpectralConv2D valid kernel larger than the input",
        lambda: layers.SpectralConv2D(2, 9)(np.zeros((1, 8, 8, 1), "float32")),
        "kernel",
    )


def sweep_model_arguments(sweep):
    bad = {
        "network": ["resnet", None],
        "conv": ["fourier", None],
        "pooling": ["median", 1],
        "filter_size": [0, -3, 2.5, "3", True],
        "num_blocks": [0, -1, 1.5, "4", True],
        "gamma": [0.0, -0.5, 1.5, float("nan"), "0.85", True],
        "alpha": [-0.1, 1.5, float("nan"), "0.3"],
        "beta": [-0.1, 1.5, float("inf")],
        "width": [0, -1, 100, float("nan"), "0.5", True],
        "num_classes": [0, 1, 2.5, "10"],
        "frequency_dropout": ["no", 1, None],
    }
    for argument, values in bad.items():
        for value in values:
            sweep.expect_error(
                "model-arguments",
                f"build_model({argument}={value!r})",
                lambda: (
                    models.build_model(
                        "spectral_pooling", num_blocks=2, **{argument: value}
                    )
                    if argument != "num_blocks"
                    else models.build_model(
                        "spectral_pooling", num_blocks=value
                    )
                ),
                argument,
            )


def sweep_train_config(sweep):
    base = experiments.TrainConfig(dataset="synthetic", epochs=2, lr_drops=())
    numeric = {
        "train_size": [-5, 0, 2.5, "100", True],
        "test_size": [-1, 0, "10"],
        "validation_size": [-1, 1.5, "5"],
        "learning_rate": [0, -0.1, float("inf"), float("nan"), "0.1"],
        "momentum": [-0.1, 1.5, float("nan")],
        "weight_decay": [-1e-4, float("inf")],
        "epochs": [0, -1, 1.5, "3"],
        "batch_size": [0, -8, 1.5],
        "seed": [-1, 1.5, "0"],
        "lr_drops": [(2, 1), (0,), (1, 1), "1", (1.5,), (True,), None],
        "augment": ["no", 1, None],
        "test_every_epoch": ["yes"],
        "frequency_dropout": ["no"],
        "jit_compile": ["auto", 1],
        "dataset": ["imagenet", None],
        "optimizer": ["rmsprop", None],
        "augmentation": ["none"],
    }
    for field, values in numeric.items():
        for value in values:
            sweep.expect_error(
                "train-config",
                f"TrainConfig({field}={value!r})",
                lambda: dataclasses.replace(base, **{field: value}),
                field,
            )
    for field, value in {
        "learning_rate": np.float32(0.01),
        "epochs": np.int64(3),
        "augment": np.bool_(True),
        "train_size": np.int32(64),
    }.items():
        sweep.expect_ok(
            "train-config",
            f"TrainConfig({field}={value!r})",
            lambda: dataclasses.replace(base, **{field: value}),
            lambda c: (
                None
                if c.to_dict() == type(c).from_dict(c.to_dict()).to_dict()
                else "to_dict does not round-trip"
            ),
        )


def run():
    """Runs every category; returns the `Sweep`."""
    sweep = Sweep()
    sweep_layer_arguments(sweep)
    sweep_layer_inputs(sweep)
    sweep_model_arguments(sweep)
    sweep_train_config(sweep)
    return sweep


def main():
    sweep = run()
    backend = keras.backend.backend()
    for category, count in sweep.counts.items():
        print(
            f"{backend:>10}  {category:<16} {count['cases']:4d} cases, "
            f"{count['bad']} bad"
        )
    for failure in sweep.failures:
        print("BAD", failure)
    total = sum(c["cases"] for c in sweep.counts.values())
    print(f"{total} cases, {len(sweep.failures)} bad")
    return 1 if sweep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
