"""CIFAR data: its source, batching, preprocessing and augmentation.

Reading CIFAR from disk (the official archives, the JPEG-compressed copy,
the exact-pixel subset), with the `CifarData` container that labels every
result with its source, lives in `spectral.cifar`; its names are
re-exported here. This module holds what a training run does with the
data: synthetic stand-ins for tests and smoke runs (labelled as such), the
subset and validation split a run draws, per-channel statistics, the
preprocessing and augmentation layers, the epoch order and `ArrayBatches`
(batches for `model.fit`), and `sample_photographs` for the figures.
"""

import dataclasses

import keras
import numpy as np

# Reading CIFAR from disk lives in `spectral.cifar`; every public name is
# re-exported here, where the rest of the package and its users look.
from spectral.cifar import (  # noqa: F401
    CIFAR_ARCHIVES,
    COARSE_CLASSES,
    ENV_DATA_DIR,
    EXACT_SUBSET,
    JPEG_COPY,
    SOURCE_EXACT_SUBSET,
    SOURCE_JPEG,
    SOURCE_OFFICIAL,
    SOURCE_SYNTHETIC,
    CifarData,
    _check_label_dtype,
    _decode_jpegs,
    data_directory,
    file_md5,
    load_cifar,
    load_cifar10_exact_subset,
    load_cifar10_jpeg,
    local_copy,
    read_cifar,
)


def synthetic_images(
    num_train=512, num_test=128, num_classes=10, seed=0, image_size=32
):
    """Synthetic labelled images for tests and smoke runs only.

    Each class is a noisy oriented sinusoidal grating with its own frequency
    and colour, so a small network can learn something; nothing about CIFAR
    can be concluded from them. `source` labels them as synthetic.

    Returns:
        A `CifarData` with `name="synthetic"`.
    """
    rng = np.random.default_rng(seed)
    grid = np.arange(image_size) / image_size
    rows, cols = np.meshgrid(grid, grid, indexing="ij")

    def draw(count):
        labels = rng.integers(0, num_classes, size=count)
        angle = np.pi * labels / num_classes
        freq = 2 + labels % 5
        phase = rng.uniform(0, 2 * np.pi, size=count)
        wave = np.sin(
            2
            * np.pi
            * freq[:, None, None]
            * (
                np.cos(angle)[:, None, None] * rows
                + np.sin(angle)[:, None, None] * cols
            )
            + phase[:, None, None]
        )
        colour = 0.5 + 0.4 * np.stack(
            [np.cos(labels + k) for k in range(3)], axis=-1
        )
        images = 0.5 + 0.35 * wave[..., None] * colour[:, None, None, :]
        images += rng.normal(scale=0.08, size=images.shape)
        return (np.clip(images, 0, 1) * 255).astype(np.uint8), labels

    x_train, y_train = draw(num_train)
    x_test, y_test = draw(num_test)
    return CifarData(
        x_train,
        y_train.astype(np.int64),
        x_test,
        y_test.astype(np.int64),
        tuple(f"synthetic_{i}" for i in range(num_classes)),
        "synthetic",
        SOURCE_SYNTHETIC,
    )


def subset(data, train_size=None, test_size=None, seed=0):
    """A random subset of a `CifarData` (all of a split when size is None).

    The same `seed` always picks the same images; the source is kept and
    the sizes are visible in `describe()`.
    """
    rng = np.random.default_rng(seed)

    def pick(count, *arrays):
        n = len(arrays[0])
        if count is None or count >= n:
            return arrays
        index = np.sort(rng.permutation(n)[:count])
        return tuple(None if a is None else a[index] for a in arrays)

    x_train, y_train, c_train = pick(
        train_size, data.x_train, data.y_train, data.y_train_coarse
    )
    x_test, y_test, c_test = pick(
        test_size, data.x_test, data.y_test, data.y_test_coarse
    )
    return dataclasses.replace(
        data,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        y_train_coarse=c_train,
        y_test_coarse=c_test,
    )


def holdout_validation(data, size, seed=0):
    """Moves `size` random training images into a validation split.

    The split depends only on `seed` (not on a run's seed), so every arm
    and seed of a study is chosen on the same validation images, none of
    which it trains on. The test set is untouched.

    Args:
        data: a `CifarData` without a validation split.
        size: int, number of validation images, `0 < size < len(train)`.
        seed: int.

    Returns:
        A `CifarData` with `x_val`/`y_val` set and those images removed
        from `x_train`/`y_train`.

    Example:

    >>> d = holdout_validation(synthetic_images(100, 10), 20)
    >>> len(d.x_train), len(d.x_val), len(d.x_test)
    (80, 20, 10)
    """
    if data.x_val is not None:
        raise ValueError(f"{data.name} already has a validation split.")
    n = len(data.x_train)
    if (
        isinstance(size, bool)
        or not isinstance(size, (int, np.integer))
        or not 0 < size < n
    ):
        raise ValueError(
            "Invalid value for argument `validation_size`. Expected an "
            f"integer in [1, {n - 1}] (the training set has {n} images). "
            f"Received: validation_size={size!r}"
        )
    order = np.random.default_rng([seed, 7919]).permutation(n)
    held, kept = np.sort(order[: int(size)]), np.sort(order[int(size) :])
    coarse = data.y_train_coarse
    return dataclasses.replace(
        data,
        x_train=data.x_train[kept],
        y_train=data.y_train[kept],
        y_train_coarse=None if coarse is None else coarse[kept],
        x_val=data.x_train[held],
        y_val=data.y_train[held],
    )


def channel_statistics(images):
    """Per-channel mean and variance of uint8 images scaled to [0, 1].

    Raises:
        ValueError: for images that are not uint8 (the scaling by 255
            assumes them).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(
            "channel_statistics expects uint8 images in [0, 255]; received "
            f"dtype {images.dtype}."
        )
    x = images.astype(np.float64) / 255.0
    return x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))


from spectral.config import AUGMENTATIONS  # noqa: E402


def preprocessing(
    mean,
    variance,
    augment=False,
    seed=0,
    augmentation="paper",
    translation=0.1,
    hue=0.05,
    saturation=0.2,
    brightness=0.1,
    dropout=0.1,
):
    """The input stage placed in front of a network, as a `keras.Sequential`.

    Inputs are images scaled to [0, 1]. With `augment=True` (paper §5.2) it
    applies, in training only: random translations by up to `translation`
    of the size (reflect padding), horizontal flips, HSV perturbations
    (`RandomHue`, `RandomSaturation`, `RandomBrightness` for the value), then
    per-channel standardisation and input dropout of rate `dropout`. With
    `augment=False` (paper §5.1) it only standardises. The paper gives no
    magnitudes; the defaults are ours and recorded with every run. Every
    random layer is seeded from `seed`, so runs are reproducible. With
    `augmentation="flip-translate"` only the translations and flips are
    applied (the usual CIFAR augmentation of present-day networks).

    Args:
        mean, variance: per-channel statistics from `channel_statistics`.
        augment: whether to add the §5.2 augmentation.
        seed: int seeding the random layers.
        augmentation: `"paper"` (all of the above) or `"flip-translate"`.
        translation, hue, saturation, brightness, dropout: magnitudes.

    Returns:
        A `keras.Sequential`.
    """
    if augmentation not in AUGMENTATIONS:
        raise ValueError(
            "Invalid value for argument `augmentation`. Expected one of "
            f"{AUGMENTATIONS}. Received: augmentation={augmentation!r}"
        )
    stages = []
    if augment:
        stages += [
            keras.layers.RandomTranslation(
                translation, translation, fill_mode="reflect", seed=seed
            ),
            keras.layers.RandomFlip("horizontal", seed=seed + 1),
        ]
    if augment and augmentation == "paper":
        stages += [
            keras.layers.RandomHue(hue, value_range=(0, 1), seed=seed + 2),
            keras.layers.RandomSaturation(
                (0.5 - saturation / 2, 0.5 + saturation / 2),
                value_range=(0, 1),
                seed=seed + 3,
            ),
            keras.layers.RandomBrightness(
                brightness, value_range=(0, 1), seed=seed + 4
            ),
        ]
    stages.append(
        keras.layers.Normalization(
            mean=np.asarray(mean, "float32"),
            variance=np.asarray(variance, "float32"),
        )
    )
    if augment and augmentation == "paper" and dropout > 0:
        stages.append(keras.layers.Dropout(dropout, seed=seed + 5))
    return keras.Sequential(stages, name="preprocessing")


def epoch_order(size, seed, epoch):
    """The training order of epoch `epoch` (0-based) of a run with `seed`:
    a permutation of `range(size)` drawn from `(seed, epoch)` alone, so an
    epoch is the same in a continuous and a resumed run, and in both
    training loops (`ArrayBatches` and `spectral.device_loop`)."""
    return np.random.default_rng([seed, epoch]).permutation(size)


class ArrayBatches(keras.utils.PyDataset):
    """Batches of `(images / 255, labels)` from arrays, for `model.fit`.

    Works with every backend. With `shuffle=True` the order of epoch `e` is
    a permutation drawn from `(seed, e)`, so an epoch's batches are the same
    whether a run is continuous or resumed from a checkpoint.

    Args:
        images: uint8 array `(n, h, w, c)`.
        labels: int array `(n,)`.
        batch_size: int.
        shuffle: bool.
        seed: int.
        epoch: int, the epoch whose order to produce.
    """

    def __init__(
        self, images, labels, batch_size, shuffle=False, seed=0, epoch=0
    ):
        super().__init__()
        images, labels = np.asarray(images), np.asarray(labels)
        if images.dtype != np.uint8:
            raise ValueError(
                "ArrayBatches expects uint8 images in [0, 255] (they are "
                f"divided by 255); received dtype {images.dtype}."
            )
        if not np.issubdtype(labels.dtype, np.integer) or labels.shape != (
            len(images),
        ):
            raise ValueError(
                "ArrayBatches expects one integer label per image; received "
                f"dtype {labels.dtype} and shape {labels.shape} for "
                f"{len(images)} images."
            )
        if labels.size and (labels.min() < 0 or labels.max() > 2**31 - 1):
            raise ValueError("ArrayBatches: labels must lie in [0, 2**31).")
        if isinstance(batch_size, bool) or not isinstance(
            batch_size, (int, np.integer)
        ) or batch_size < 1:
            raise ValueError(
                "Invalid value for argument `batch_size`. Expected a positive "
                f"integer. Received: batch_size={batch_size!r}"
            )
        # int32: JAX (without x64) would truncate int64 labels with a warning.
        self.images, self.labels = images, labels.astype("int32")
        self.batch_size = int(batch_size)
        self.order = np.arange(len(images))
        if shuffle:
            self.order = epoch_order(len(images), seed, epoch)

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index):
        rows = self.order[
            index * self.batch_size : (index + 1) * self.batch_size
        ]
        x = self.images[rows].astype("float32") / 255.0
        return x, self.labels[rows]


PHOTOGRAPHS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "camera",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
)


def sample_photographs(size=128, names=PHOTOGRAPHS):
    """Real photographs that ship with scikit-image, as square RGB maps.

    Each image is centre-cropped to a square, reduced to `size x size` by
    block averaging (an integer factor) and cropping, converted to RGB and
    scaled to [0, 1]. They need no network and no dataset, so the
    information-preservation chapter always has real images.

    Returns:
        `(images, names)`: float32 array `(n, size, size, 3)` and the names.
    """
    from skimage import data as skimage_data

    images = []
    for name in names:
        image = np.asarray(getattr(skimage_data, name)(), np.float64)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        image = image[..., :3] / (255.0 if image.max() > 1.0 else 1.0)
        side = min(image.shape[:2])
        top = (image.shape[0] - side) // 2
        left = (image.shape[1] - side) // 2
        image = image[top : top + side, left : left + side]
        factor = max(1, side // size)
        trimmed = image[: factor * size, : factor * size]
        image = trimmed.reshape(size, factor, size, factor, 3).mean((1, 3))
        images.append(image)
    return np.stack(images).astype("float32"), tuple(names)


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.data"))
