"""CIFAR data on disk: finding, verifying and reading it, labelled by source.

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

Nothing here substitutes synthetic data (`spectral.data.synthetic_images`
exists for tests and smoke runs, and its `source` labels it as synthetic).
`spectral.data` re-exports every public name of this module.

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
        "train_images": 50000,
        "test_images": 10000,
        "classes": 10,
    },
    "cifar100": {
        "archive": "cifar-100-python.tar.gz",
        "folder": "cifar-100-python",
        "md5": "eb9058c3a382ffc7106e4002c42a8d85",
        "url": "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "train": ["train"],
        "test": ["test"],
        "meta": "meta",
        "train_images": 50000,
        "test_images": 10000,
        "classes": 100,
    },
}
JPEG_COPY = "cifar10-jpeg.npz"
EXACT_SUBSET = "cifar10_exact_subset.npz"
SOURCE_OFFICIAL = "official archive"
COARSE_CLASSES = 20
SOURCE_JPEG = "JPEG-compressed copy of CIFAR-10 (cifar10-jpeg.npz)"
SOURCE_EXACT_SUBSET = "exact CIFAR-10 pixels, 6,182-image subset"
SOURCE_SYNTHETIC = "synthetic images (not real data)"
_NPZ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


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
