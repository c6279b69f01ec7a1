"""CIFAR data: loading, labelling of its source, batching and augmentation.

Sources, in the order `load_cifar` looks for them in a data directory:

1. the official python-version archive (`cifar-10-python.tar.gz`,
   `cifar-100-python.tar.gz`), md5-verified, or its extracted folder
   (`cifar-10-batches-py/`, `cifar-100-python/`);
2. for CIFAR-10 only, the JPEG-compressed copy `cifar10-jpeg.npz` (every
   image of the official sets after lossy JPEG compression). Results from it
   are results on *a JPEG-compressed copy of CIFAR-10*, and the returned
   `CifarData.source` says so wherever it flows;
3. a download of the official archive into `~/.keras/datasets`, as
   `keras.datasets` does, when `download=True` and a network exists.

Nothing here substitutes synthetic data: `synthetic_images` exists for tests
and smoke runs, and its `source` labels it as synthetic.

The data directory is the `data_dir` argument, else the environment
variable `SPECTRAL_DATA_DIR`, else `~/.keras/datasets`.
"""

import contextlib
import dataclasses
import hashlib
import io
import os
import pickle
import tarfile
import zipfile
from pathlib import Path

import keras
import numpy as np

ENV_DATA_DIR = "SPECTRAL_DATA_DIR"

CIFAR_ARCHIVES = {
    "cifar10": {
        "archive": "cifar-10-python.tar.gz",
        "folder": "cifar-10-batches-py",
        "md5": "c58f30108f718f92721af3b95e74349a",
        "url": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "train": [f"data_batch_{i}" for i in range(1, 6)],
        "test": ["test_batch"],
        "meta": "batches.meta",
    },
    "cifar100": {
        "archive": "cifar-100-python.tar.gz",
        "folder": "cifar-100-python",
        "md5": "eb9058c3a382ffc7106e4002c42a8d85",
        "url": "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "train": ["train"],
        "test": ["test"],
        "meta": "meta",
    },
}
JPEG_COPY = "cifar10-jpeg.npz"
EXACT_SUBSET = "cifar10_exact_subset.npz"
SOURCE_OFFICIAL = "official archive"
COARSE_CLASSES = 20
SOURCE_JPEG = "JPEG-compressed copy of CIFAR-10 (cifar10-jpeg.npz)"
SOURCE_EXACT_SUBSET = "exact CIFAR-10 pixels, 6,182-image subset"
SOURCE_SYNTHETIC = "synthetic images (not real data)"


@dataclasses.dataclass(frozen=True)
class CifarData:
    """Images and labels of one dataset, with where they came from.

    Attributes:
        x_train, x_test: uint8 arrays `(n, 32, 32, 3)`.
        y_train, y_test: int64 label arrays `(n,)` (fine labels for
            CIFAR-100).
        class_names: tuple of class names.
        name: `"cifar10"`, `"cifar100"` or `"synthetic"`.
        source: human-readable provenance, e.g. `"official archive"` or
            `"JPEG-compressed copy of CIFAR-10 (cifar10-jpeg.npz)"`.
        y_train_coarse, y_test_coarse: CIFAR-100 coarse labels, else None.
        x_val, y_val: a validation split held out of the training set by
            `holdout_validation` (None when there is none). Every choice of
            a study is made on it; the test set only reports.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    name: str
    source: str
    y_train_coarse: np.ndarray = None
    y_test_coarse: np.ndarray = None
    x_val: np.ndarray = None
    y_val: np.ndarray = None

    def __post_init__(self):
        """Checks shapes, counts and label ranges of every split."""
        k = len(self.class_names)
        if k < 2:
            raise ValueError(
                f"{self._where()}: expected at least 2 class names, "
                f"received {k}: {tuple(self.class_names)!r}."
            )
        splits = [
            ("train", self.x_train, self.y_train, self.y_train_coarse),
            ("test", self.x_test, self.y_test, self.y_test_coarse),
        ]
        if self.x_val is not None or self.y_val is not None:
            splits.append(("validation", self.x_val, self.y_val, None))
        for split, images, labels, coarse in splits:
            self._check_split(split, images, labels, k, "labels")
            if coarse is not None:
                self._check_split(
                    split, images, coarse, COARSE_CLASSES, "coarse labels"
                )

    def _where(self):
        return f"{self.name} data from {self.source}"

    def _check_split(self, split, images, labels, num_classes, what):
        if images is None or labels is None:
            missing = "images" if images is None else "labels"
            raise ValueError(
                f"{self._where()}: the {split} split needs both images and "
                f"labels; received no {missing}."
            )
        if np.ndim(images) != 4 or np.shape(images)[-1] not in (1, 3):
            raise ValueError(
                f"{self._where()}: {split} images must be an array of shape "
                f"(n, height, width, 1 or 3); received shape "
                f"{np.shape(images)}."
            )
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(
                f"{self._where()}: {split} has {len(images)} images but "
                f"{what} of shape {labels.shape}; expected one label per "
                "image."
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"{self._where()}: {split} {what} must be integers; "
                f"received dtype {labels.dtype}."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            bad = labels[(labels < 0) | (labels >= num_classes)]
            raise ValueError(
                f"{self._where()}: {split} {what} must lie in "
                f"[0, {num_classes}) for {num_classes} classes; found "
                f"{bad.size} outside, e.g. {int(bad[0])}. The file is corrupt "
                "or its class names do not match its labels."
            )

    @property
    def num_classes(self):
        """Number of classes of `y_train`/`y_test`."""
        return len(self.class_names)

    @property
    def is_synthetic(self):
        """Whether the images are synthetic (never a result)."""
        return self.source == SOURCE_SYNTHETIC

    def describe(self):
        """One line naming the dataset, its source and its sizes."""
        val = "" if self.x_val is None else f" / {len(self.x_val)} validation"
        return (
            f"{self.name}: {len(self.x_train)} train{val} / "
            f"{len(self.x_test)} test images; source: {self.source}"
        )


def data_directory(data_dir=None):
    """The directory searched for datasets (argument, env var, cache)."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser()
    return Path("~/.keras/datasets").expanduser()


def file_md5(path):
    """Hex md5 of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unpickle(handle):
    return pickle.load(handle, encoding="bytes")


def _batch_images(batch, where):
    data = batch.get(b"data")
    if data is None:
        raise ValueError(f"Corrupt CIFAR batch {where}: no b'data' entry.")
    data = np.asarray(data, dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(
            f"Corrupt CIFAR batch {where}: expected rows of 3072 bytes, "
            f"found an array of shape {data.shape}."
        )
    # Official layout: 1024 red, 1024 green, 1024 blue values, row-major.
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def _batch_labels(batch, key, count, where):
    labels = batch.get(key)
    if labels is None or len(labels) != count:
        raise ValueError(
            f"Corrupt CIFAR batch {where}: {key!r} missing or of the wrong "
            f"length (expected {count})."
        )
    return np.asarray(labels, dtype=np.int64)


def _read_members(name, open_member):
    """Reads every batch of a dataset through `open_member(member_name)`."""
    spec = CIFAR_ARCHIVES[name]
    fine_key = b"labels" if name == "cifar10" else b"fine_labels"
    parts = {}
    for split in ("train", "test"):
        images, fine, coarse = [], [], []
        for member in spec[split]:
            batch = _unpickle(open_member(member))
            batch_images = _batch_images(batch, member)
            images.append(batch_images)
            count = len(batch_images)
            fine.append(_batch_labels(batch, fine_key, count, member))
            if name == "cifar100":
                coarse.append(
                    _batch_labels(batch, b"coarse_labels", count, member)
                )
        parts[split] = (
            np.concatenate(images),
            np.concatenate(fine),
            np.concatenate(coarse) if coarse else None,
        )
    meta = _unpickle(open_member(spec["meta"]))
    key = b"label_names" if name == "cifar10" else b"fine_label_names"
    class_names = tuple(n.decode() for n in meta[key])
    return parts, class_names


def read_cifar(path, name):
    """Reads an official python-version CIFAR archive or extracted folder.

    Does not check the md5 (`load_cifar` does); checks the structure of
    every batch instead, and reads everything before returning, so a
    truncated or corrupt file raises instead of yielding part of the data.

    Args:
        path: the `.tar.gz` archive or the extracted folder.
        name: `"cifar10"` or `"cifar100"`.

    Returns:
        A `CifarData` with `source` naming the file.

    Raises:
        ValueError: if the file is not a complete CIFAR archive.
    """
    _check_name(name)
    path = Path(path)
    folder = CIFAR_ARCHIVES[name]["folder"]
    try:
        if path.is_dir():
            root = (
                path
                if (path / CIFAR_ARCHIVES[name]["meta"]).exists()
                else (path / folder)
            )

            def open_member(member):
                return io.BytesIO((root / member).read_bytes())

            parts, class_names = _read_members(name, open_member)
        else:
            with tarfile.open(path, "r:gz") as archive:

                def open_member(member):
                    handle = archive.extractfile(f"{folder}/{member}")
                    if handle is None:
                        raise KeyError(member)
                    return io.BytesIO(handle.read())

                parts, class_names = _read_members(name, open_member)
    except (
        OSError,
        EOFError,
        KeyError,
        tarfile.TarError,
        pickle.UnpicklingError,
    ) as error:
        raise ValueError(
            f"Could not read {path} as the {name} python-version archive "
            f"(truncated or corrupt?): {type(error).__name__}: {error}"
        ) from error
    (x_train, y_train, c_train), (x_test, y_test, c_test) = (
        parts["train"],
        parts["test"],
    )
    return CifarData(
        x_train,
        y_train,
        x_test,
        y_test,
        class_names,
        name,
        f"{SOURCE_OFFICIAL} ({path.name})",
        c_train,
        c_test,
    )


def _check_name(name):
    if name not in CIFAR_ARCHIVES:
        raise ValueError(
            "Invalid value for argument `name`. Expected 'cifar10' or "
            f"'cifar100'. Received: name={name!r}"
        )


def load_cifar(name="cifar10", data_dir=None, download=True, allow_jpeg=True):
    """Loads CIFAR-10 or CIFAR-100, preferring the official archive.

    Looks in the data directory (see the module docstring) for the official
    archive (md5-verified) or its extracted folder; for CIFAR-10 then for the
    JPEG-compressed copy `cifar10-jpeg.npz`; then downloads the official
    archive once into `~/.keras/datasets` if `download` is true.

    Args:
        name: `"cifar10"` or `"cifar100"`.
        data_dir: directory to search; defaults to `$SPECTRAL_DATA_DIR`, then
            `~/.keras/datasets`.
        download: whether to try downloading the official archive.
        allow_jpeg: whether the JPEG-compressed CIFAR-10 copy may be used
            when the official archive is absent.

    Returns:
        A `CifarData`; its `source` says which copy was read. For CIFAR-100,
        `y_*` are the fine labels and `y_*_coarse` the coarse ones.

    Raises:
        ValueError: if an archive is corrupt (md5 mismatch, truncation).
        FileNotFoundError: if no copy is found and none can be downloaded;
            the message names the file and the directory to put it in.
    """
    _check_name(name)
    spec = CIFAR_ARCHIVES[name]
    directory = data_directory(data_dir)
    archive = directory / spec["archive"]
    if archive.is_file():
        digest = file_md5(archive)
        if digest != spec["md5"]:
            raise ValueError(
                f"{archive} is corrupt or incomplete: its md5 is {digest}, "
                f"expected {spec['md5']}. Delete it and download it again."
            )
        return read_cifar(archive, name)
    if (directory / spec["folder"]).is_dir():
        return read_cifar(directory / spec["folder"], name)
    if name == "cifar10" and allow_jpeg and (directory / JPEG_COPY).is_file():
        return load_cifar10_jpeg(directory / JPEG_COPY)
    if download:
        try:
            path = keras.utils.get_file(
                spec["archive"], spec["url"], md5_hash=spec["md5"]
            )
        except Exception as error:  # no network, refused, interrupted
            raise FileNotFoundError(
                _missing_message(name, directory, error)
            ) from error
        return read_cifar(path, name)
    raise FileNotFoundError(_missing_message(name, directory))


def local_copy(name="cifar10", data_dir=None, allow_jpeg=True):
    """The local file or folder `load_cifar` would read, or None.

    Looks where `load_cifar` looks, in the same order, without reading
    anything; None means `load_cifar` would have to download.
    """
    _check_name(name)
    spec = CIFAR_ARCHIVES[name]
    directory = data_directory(data_dir)
    candidates = [directory / spec["archive"], directory / spec["folder"]]
    if name == "cifar10" and allow_jpeg:
        candidates.append(directory / JPEG_COPY)
    return next((path for path in candidates if path.exists()), None)


def _missing_message(name, directory, error=None):
    spec = CIFAR_ARCHIVES[name]
    message = (
        f"No copy of {name} found in {directory}. Put the official archive "
        f"{spec['archive']} (md5 {spec['md5']}, from {spec['url']}) or its "
        f"extracted folder {spec['folder']}/ there"
    )
    if name == "cifar10":
        message += f", or the JPEG-compressed copy {JPEG_COPY}"
    message += f", or point ${ENV_DATA_DIR} or data_dir at the folder."
    if error is not None:
        message += f" The download failed: {type(error).__name__}: {error}"
    return message


def _check_offsets(blob, offsets):
    """The JPEG offsets as int64, checked: integers, increasing from 0 to
    the blob's end (a wrong dtype would truncate them silently)."""
    offsets = np.asarray(offsets)
    if offsets.ndim != 1 or not np.issubdtype(offsets.dtype, np.integer):
        raise ValueError(
            "the JPEG offsets must be a 1-D integer array; received dtype "
            f"{offsets.dtype} and shape {offsets.shape}"
        )
    offsets = offsets.astype(np.int64)
    if (
        offsets.size < 1
        or offsets[0] != 0
        or offsets[-1] != len(blob)
        or np.any(np.diff(offsets) <= 0)
    ):
        raise ValueError(
            "the JPEG offsets must increase strictly from 0 to the length "
            f"of the image bytes ({len(blob)})"
        )
    return offsets


def _check_label_dtype(labels, what):
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{what} must be integers; received dtype {labels.dtype} (a cast "
            "would truncate them)"
        )
    return labels.astype(np.int64)


def _decode_jpegs(blob, offsets):
    from PIL import Image

    offsets = _check_offsets(blob, offsets)
    images = np.empty((len(offsets) - 1, 32, 32, 3), np.uint8)
    for i in range(len(offsets) - 1):
        data = blob[offsets[i] : offsets[i + 1]].tobytes()
        try:
            images[i] = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        except (OSError, ValueError) as error:
            raise ValueError(f"image {i} does not decode: {error}") from error
    return images


def load_cifar10_jpeg(path):
    """Reads the JPEG-compressed CIFAR-10 copy (`cifar10-jpeg.npz`).

    The npz holds every official CIFAR-10 image as the bytes of a 32x32 JPEG
    (`train_jpeg`, `train_offsets`, `train_labels`, the same for `test_`,
    and `class_names`); they are decoded with Pillow. The returned `source`
    labels the data as this copy: its results are results on a
    JPEG-compressed copy of CIFAR-10, not on the official pixels.

    Raises:
        ValueError: if the file lacks the expected arrays.
    """
    path = Path(path)
    with _open_npz(path, "the JPEG CIFAR-10 copy") as archive:
        keys = set(archive.files)
        needed = {
            "train_jpeg",
            "train_offsets",
            "train_labels",
            "test_jpeg",
            "test_offsets",
            "test_labels",
            "class_names",
        }
        if not needed <= keys:
            raise ValueError(
                f"{path} is not the JPEG CIFAR-10 copy: missing arrays "
                f"{sorted(needed - keys)}."
            )
        try:
            x_train = _decode_jpegs(
                archive["train_jpeg"], archive["train_offsets"]
            )
            x_test = _decode_jpegs(
                archive["test_jpeg"], archive["test_offsets"]
            )
            y_train = _check_label_dtype(archive["train_labels"], "train_labels")
            y_test = _check_label_dtype(archive["test_labels"], "test_labels")
            names = tuple(str(n) for n in archive["class_names"])
        except _NPZ_ERRORS as error:
            raise _corrupt_npz(path, "the JPEG CIFAR-10 copy", error) from error
    return CifarData(
        x_train, y_train, x_test, y_test, names, "cifar10", SOURCE_JPEG
    )


_NPZ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


def _corrupt_npz(path, what, error):
    return ValueError(
        f"Could not read {path} as {what} (truncated or corrupt?): "
        f"{type(error).__name__}: {error}. Copy the file again; see the "
        "data README for its sha256."
    )


@contextlib.contextmanager
def _open_npz(path, what):
    """`np.load` of an npz whose errors name the file and the fix."""
    with open(path, "rb") as handle:  # closed on every error below
        try:
            archive = np.load(handle, allow_pickle=False)
        except _NPZ_ERRORS as error:
            raise _corrupt_npz(path, what, error) from error
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(
                f"{path} is a single .npy array, not {what} (.npz)."
            )
        with archive:
            yield archive


def load_cifar10_exact_subset(path):
    """Reads the exact-pixel CIFAR-10 subset (`cifar10_exact_subset.npz`).

    Returns a `CifarData` with the 5,165 training and 1,017 test images
    whose official pixels are known, and their labels.
    """
    path = Path(path)
    what = "the exact CIFAR-10 subset"
    with _open_npz(path, what) as archive:
        try:
            arrays = (
                archive["x_train_subset"],
                archive["y_train"][archive["train_idx"]].astype(np.int64),
                archive["x_test_subset"],
                archive["y_test"][archive["test_idx"]].astype(np.int64),
            )
        except (*_NPZ_ERRORS, IndexError) as error:
            raise _corrupt_npz(path, what, error) from error
    return CifarData(
        *arrays,
        tuple(f"class_{i}" for i in range(10)),
        "cifar10",
        SOURCE_EXACT_SUBSET,
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
