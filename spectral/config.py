"""The configuration of a training run (`TrainConfig`).

Kept free of Keras so that command-line tools can describe their options
without loading a backend; `spectral.experiments` re-exports `TrainConfig`
and trains it.
"""

import dataclasses
import math

import numpy as np

from spectral import paper
from spectral._validation import check_int

# Augmentation recipes of `spectral.data.preprocessing`.
AUGMENTATIONS = ("paper", "flip-translate")

OPTIMIZERS = ("sgd", "adam")
# Training loops of `spectral.experiments.train`: Keras's `model.fit`, or
# whole epochs compiled on the device (`spectral.device_loop`, JAX only).
LOOPS = ("fit", "device")
# Keras dtype policies a run may train under; Fourier math stays float32.
PRECISIONS = ("float32", "mixed_bfloat16")
DATASETS = ("cifar10", "cifar100", "synthetic")
# Mirrors `spectral.models.POOLING_NORMS` and `DROPOUT_RANGES` (this module
# imports no Keras; a test checks that they agree).
POOLING_NORMS = ("mean", "ortho")
DROPOUT_RANGES = ("pooled", "input")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run.

    Attributes:
        dataset: `"cifar10"`, `"cifar100"` or `"synthetic"` (smoke runs only).
        data_dir: where `spectral.data.load_cifar` looks; None for default.
        train_size, test_size: random subset sizes; None for the full sets.
        validation_size: images held out of the training set (before the
            `train_size` subset is drawn) as a validation split, evaluated
            after every epoch; the split is the same for every seed
            (`spectral.data.holdout_validation`). 0 for none.
        network, conv, pooling, filter_size, num_blocks, gamma, alpha, beta,
            width, frequency_dropout, pooling_norm, dropout_range: passed to
            `spectral.models.build_model` (`pooling_norm`: `"mean"` or the
            paper's unitary `"ortho"`; `dropout_range`: frequency dropout's
            kept size drawn over the pooled map, `"pooled"`, or over the
            map before pooling, `"input"`).
        optimizer: `"sgd"` (with momentum, §5.1) or `"adam"` (§5.2).
        learning_rate: initial learning rate.
        momentum: SGD momentum (ignored by Adam).
        weight_decay: decoupled weight decay of the Keras optimiser.
        lr_drops: epochs after which the learning rate is divided by 10.
        epochs: total number of epochs.
        batch_size: images per step.
        augment: whether to augment (`spectral.data.preprocessing`).
        augmentation: `"paper"` (the §5.2 set) or `"flip-translate"`.
        train_eval_size: after every epoch, evaluate the error in inference
            mode (no dropout, no augmentation) on this many training images,
            a fixed subset (the same for every seed and epoch); logged as
            `train_eval_error` and `train_eval_loss`. 0: not measured.
        test_every_epoch: evaluate the test set after every epoch (True) or
            only after the last one (False: cheaper; every choice is made on
            the validation split anyway).
        jit_compile: passed to `model.compile` (None: Keras's "auto";
            True: XLA; False: none, which on TensorFlow's CPU kernels
            trains the §5.1 network fastest with every pooling arm, and
            makes TensorFlow's ops deterministic).
        init_roundtrip: with `conv="spatial"`, start from the initial
            kernels after the spectral round trip
            (`parametrisation.spectral_to_kernel(parametrisation.kernel_to_spectral(k))`),
            i.e. from the weights a `conv="spectral"` run of the same seed
            computes with: the same function up to float32 rounding. A
            spatial run with and one without it measure how far training
            amplifies rounding alone (the noise floor of the SGD control).
        loop: `"fit"` (Keras's `model.fit`, every backend) or `"device"`
            (`spectral.device_loop`: the training set resident on the
            device and each epoch one compiled call, JAX only; for GPUs).
            Both compute the same steps on the same batches.
        precision: `"float32"` or `"mixed_bfloat16"` (Keras's mixed policy:
            bfloat16 convolutions and activations, float32 variables; the
            Fourier transforms and the softmax stay float32).
        seed: seeds weights, batch order, augmentation, frequency dropout.
    """

    dataset: str = "cifar10"
    data_dir: str = None
    train_size: int = None
    test_size: int = None
    validation_size: int = 0
    network: str = "spectral_pooling"
    conv: str = "spatial"
    pooling: str = None
    filter_size: int = 3
    num_blocks: int = 6
    gamma: float = paper.SECTION_5_1["gamma"]
    alpha: float = paper.SECTION_5_1["alpha"]
    beta: float = paper.SECTION_5_1["beta"]
    width: float = 1.0
    frequency_dropout: bool = True
    pooling_norm: str = "mean"
    dropout_range: str = "pooled"
    optimizer: str = "sgd"
    learning_rate: float = paper.SECTION_5_1["learning_rate"]
    momentum: float = paper.SECTION_5_1["momentum"]
    weight_decay: float = 1e-4
    lr_drops: tuple = (100, 140)
    epochs: int = 150
    batch_size: int = 128
    augment: bool = False
    augmentation: str = "paper"
    test_every_epoch: bool = True
    train_eval_size: int = 0
    jit_compile: bool = None
    seed: int = 0
    init_roundtrip: bool = False
    loop: str = "fit"
    precision: str = "float32"

    def __post_init__(self):
        for name, allowed in (
            ("loop", LOOPS),
            ("precision", PRECISIONS),
            ("pooling_norm", POOLING_NORMS),
            ("dropout_range", DROPOUT_RANGES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"Invalid value for argument `{name}`. Expected one of "
                    f"{allowed}. Received: {name}={getattr(self, name)!r}"
                )
        if self.dataset not in DATASETS:
            raise ValueError(
                f"Invalid value for argument `dataset`. Expected one of "
                f"{DATASETS}. Received: dataset={self.dataset!r}"
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"Invalid value for argument `optimizer`. Expected one of "
                f"{OPTIMIZERS}. Received: optimizer={self.optimizer!r}"
            )
        for name in ("epochs", "batch_size"):
            object.__setattr__(self, name, check_int(getattr(self, name), name))
        for name, minimum in (
            ("train_size", 1),
            ("test_size", 1),
            ("validation_size", 0),
            ("train_eval_size", 0),
            ("seed", 0),
        ):
            value = getattr(self, name)
            if value is None and name in ("train_size", "test_size"):
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or value < minimum
            ):
                expected = "None or an integer" if minimum else "an integer"
                raise ValueError(
                    f"Invalid value for argument `{name}`. Expected "
                    f"{expected} >= {minimum}. Received: {name}={value!r}"
                )
            object.__setattr__(self, name, int(value))
        for name in (
            "augment",
            "frequency_dropout",
            "test_every_epoch",
            "init_roundtrip",
        ):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(
                    f"Invalid value for argument `{name}`. Expected a bool. "
                    f"Received: {name}={value!r}"
                )
            object.__setattr__(self, name, bool(value))
        if self.init_roundtrip and self.conv != "spatial":
            raise ValueError(
                "Invalid value for argument `init_roundtrip`: it applies to "
                "conv='spatial' only (a spectral run computes with the round "
                f"trip already). Received: init_roundtrip=True, "
                f"conv={self.conv!r}"
            )
        if self.jit_compile is not None and not isinstance(
            self.jit_compile, (bool, np.bool_)
        ):
            raise ValueError(
                "Invalid value for argument `jit_compile`. Expected None or "
                f"a bool. Received: jit_compile={self.jit_compile!r}"
            )
        # (name, lower bound, whether the bound is excluded, upper bound)
        for name, low, strict, high in (
            ("learning_rate", 0.0, True, None),
            ("momentum", 0.0, False, 1.0),
            ("weight_decay", 0.0, False, None),
            ("width", 0.0, True, None),
            ("gamma", 0.0, True, 1.0),
        ):
            value = getattr(self, name)
            number = (
                float(value)
                if not isinstance(value, bool)
                and isinstance(value, (int, float, np.number))
                else math.nan
            )
            above = number > low if strict else number >= low
            if not (
                math.isfinite(number)
                and above
                and (high is None or number <= high)
            ):
                bounds = f"{'>' if strict else '>='} {low}"
                if high is not None:
                    bounds += f" and <= {high}"
                raise ValueError(
                    f"Invalid value for argument `{name}`. Expected a finite "
                    f"number {bounds}. Received: {name}={value!r}"
                )
            object.__setattr__(self, name, number)
        if self.augmentation not in AUGMENTATIONS:
            raise ValueError(
                "Invalid value for argument `augmentation`. Expected one of "
                f"{AUGMENTATIONS}. Received: "
                f"augmentation={self.augmentation!r}"
            )
        drops = None
        if isinstance(self.lr_drops, (list, tuple)) and all(
            isinstance(e, (int, np.integer))
            and not isinstance(e, (bool, np.bool_))
            for e in self.lr_drops
        ):
            drops = tuple(int(e) for e in self.lr_drops)
        # A drop after the last epoch is allowed and never happens (a run
        # of the paper's schedule cut short).
        if (
            drops is None
            or any(d < 1 for d in drops)
            or list(drops) != sorted(set(drops))
        ):
            raise ValueError(
                "Invalid value for argument `lr_drops`. Expected strictly "
                "increasing positive epoch numbers. Received: "
                f"lr_drops={self.lr_drops!r}"
            )
        object.__setattr__(self, "lr_drops", drops)

    def to_dict(self):
        """A JSON-ready dict of the fields."""
        values = dataclasses.asdict(self)
        values["lr_drops"] = list(self.lr_drops)
        return values

    @classmethod
    def from_dict(cls, values):
        """Builds a config from a dict; unknown keys raise `ValueError`."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(
                f"Unknown TrainConfig fields: {sorted(unknown)}. Expected "
                f"some of {sorted(names)}."
            )
        return cls(**values)


def section_5_1_config(**overrides):
    """The §5.1 classification protocol as a `TrainConfig`: the paper's
    hyper-parameters and schedule (`spectral.paper.SECTION_5_1`) with our
    choices where it is silent (`spectral.paper.SECTION_5_1_OPEN`); `overrides` replace fields (a shorter
    run passes `epochs` and gets the drops at the same fractions)."""
    fields = dict(
        network="spectral_pooling",
        optimizer="sgd",
        **{k: v for k, v in paper.SECTION_5_1.items()},
        **paper.SECTION_5_1_OPEN,
    )
    fields.update(overrides)
    if "epochs" in overrides and "lr_drops" not in overrides:
        epochs = overrides["epochs"]
        drops = {round(epochs * f) for f in paper.LR_DROP_FRACTIONS}
        fields["lr_drops"] = tuple(sorted(d for d in drops if 0 < d < epochs))
    return TrainConfig(**fields)


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.config"))
