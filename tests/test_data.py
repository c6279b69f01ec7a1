"""Tests of `spectral.data` on archives built here in the official format."""

import io
import pickle
import tarfile

import keras
import numpy as np
import pytest

from spectral import data


def _batch(rng, count, cifar100=False):
    images = rng.integers(0, 256, size=(count, 32, 32, 3), dtype=np.uint8)
    rows = images.transpose(0, 3, 1, 2).reshape(count, 3072)
    if cifar100:
        fine = rng.integers(0, 100, size=count).tolist()
        coarse = rng.integers(0, 20, size=count).tolist()
        return images, {
            b"data": rows,
            b"fine_labels": fine,
            b"coarse_labels": coarse,
        }
    labels = rng.integers(0, 10, size=count).tolist()
    return images, {b"data": rows, b"labels": labels}


def _write_official(path, name, rng, per_batch=4, as_folder=False):
    """Writes a tiny archive in the exact official layout; returns images."""
    spec = data.CIFAR_ARCHIVES[name]
    cifar100 = name == "cifar100"
    members, expected = {}, {"train": [], "test": []}
    for split in ("train", "test"):
        for member in spec[split]:
            images, batch = _batch(rng, per_batch, cifar100)
            members[member] = pickle.dumps(batch)
            expected[split].append((images, batch))
    if cifar100:
        meta = {
            b"fine_label_names": [f"f{i}".encode() for i in range(100)],
            b"coarse_label_names": [f"c{i}".encode() for i in range(20)],
        }
    else:
        meta = {b"label_names": [f"c{i}".encode() for i in range(10)]}
    members[spec["meta"]] = pickle.dumps(meta)
    if as_folder:
        folder = path / spec["folder"]
        folder.mkdir(parents=True)
        for member, payload in members.items():
            (folder / member).write_bytes(payload)
        return folder, expected
    archive = path / spec["archive"]
    with tarfile.open(archive, "w:gz") as tar:
        for member, payload in members.items():
            info = tarfile.TarInfo(f"{spec['folder']}/{member}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return archive, expected


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
@pytest.mark.parametrize("as_folder", [False, True], ids=["archive", "folder"])
def test_reads_the_official_format(tmp_path, rng, name, as_folder):
    path, expected = _write_official(tmp_path, name, rng, as_folder=as_folder)
    loaded = data.read_cifar(path, name)
    train_images = np.concatenate([i for i, _ in expected["train"]])
    np.testing.assert_array_equal(loaded.x_train, train_images)
    np.testing.assert_array_equal(
        loaded.x_test, np.concatenate([i for i, _ in expected["test"]])
    )
    key = b"labels" if name == "cifar10" else b"fine_labels"
    np.testing.assert_array_equal(
        loaded.y_train, sum((b[key] for _, b in expected["train"]), [])
    )
    assert loaded.num_classes == (10 if name == "cifar10" else 100)
    assert loaded.source.startswith(data.SOURCE_OFFICIAL)
    if name == "cifar100":
        np.testing.assert_array_equal(
            loaded.y_test_coarse,
            sum((b[b"coarse_labels"] for _, b in expected["test"]), []),
        )
    else:
        assert loaded.y_train_coarse is None


def test_load_verifies_the_md5(tmp_path, rng, monkeypatch):
    archive, _ = _write_official(tmp_path, "cifar10", rng)
    with pytest.raises(ValueError, match="corrupt or incomplete: its md5"):
        data.load_cifar("cifar10", data_dir=tmp_path, download=False)
    monkeypatch.setitem(
        data.CIFAR_ARCHIVES["cifar10"], "md5", data.file_md5(archive)
    )
    loaded = data.load_cifar("cifar10", data_dir=tmp_path, download=False)
    assert len(loaded.x_train) == 20 and len(loaded.x_test) == 4


def test_truncated_archive_is_reported_not_half_loaded(tmp_path, rng):
    archive, _ = _write_official(tmp_path, "cifar100", rng, per_batch=50)
    payload = archive.read_bytes()
    archive.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.read_cifar(archive, "cifar100")


def test_malformed_batch_is_reported(tmp_path, rng):
    folder, _ = _write_official(tmp_path, "cifar10", rng, as_folder=True)
    (folder / "data_batch_3").write_bytes(
        pickle.dumps(
            {b"data": np.zeros((4, 100), np.uint8), b"labels": [0] * 4}
        )
    )
    with pytest.raises(ValueError, match="expected rows of 3072 bytes"):
        data.load_cifar("cifar10", data_dir=tmp_path, download=False)


def test_offline_without_files_says_what_to_put_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-100-python.tar.gz") as e:
        data.load_cifar("cifar100", data_dir=tmp_path, download=False)
    assert str(tmp_path) in str(e.value) and "SPECTRAL_DATA_DIR" in str(e.value)


def test_failed_download_is_reported(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", refuse)
    with pytest.raises(FileNotFoundError, match="network unreachable"):
        data.load_cifar("cifar10", data_dir=tmp_path, download=True)


def test_environment_variable_is_the_default_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_DATA_DIR, str(tmp_path))
    assert data.data_directory() == tmp_path
    assert data.data_directory("/elsewhere") != tmp_path


def _write_jpeg_copy(path, rng, count=6):
    from PIL import Image

    def encode(images):
        blobs = []
        for image in images:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=95)
            blobs.append(np.frombuffer(buffer.getvalue(), np.uint8))
        offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])])
        return np.concatenate(blobs), offsets.astype(np.int64)

    smooth = np.linspace(0, 255, 32).astype(np.uint8)
    images = np.broadcast_to(
        smooth[None, :, None, None], (count, 32, 32, 3)
    ).copy()
    train_jpeg, train_offsets = encode(images)
    test_jpeg, test_offsets = encode(images[:2])
    np.savez(
        path / data.JPEG_COPY,
        train_jpeg=train_jpeg,
        train_offsets=train_offsets,
        train_labels=np.arange(count, dtype=np.uint8) % 10,
        test_jpeg=test_jpeg,
        test_offsets=test_offsets,
        test_labels=np.array([1, 2], np.uint8),
        class_names=np.array([f"c{i}" for i in range(10)]),
    )
    return images


def test_jpeg_copy_is_used_and_labelled_when_no_archive(tmp_path, rng):
    images = _write_jpeg_copy(tmp_path, rng)
    loaded = data.load_cifar("cifar10", data_dir=tmp_path, download=False)
    assert loaded.source == data.SOURCE_JPEG
    assert "JPEG-compressed" in loaded.describe()
    assert loaded.x_train.shape == (6, 32, 32, 3)
    assert np.abs(loaded.x_train.astype(int) - images).max() < 12
    np.testing.assert_array_equal(loaded.y_test, [1, 2])
    with pytest.raises(FileNotFoundError):
        data.load_cifar(
            "cifar10", data_dir=tmp_path, download=False, allow_jpeg=False
        )


def test_official_archive_is_preferred_to_the_jpeg_copy(tmp_path, rng):
    _write_jpeg_copy(tmp_path, rng)
    _write_official(tmp_path, "cifar10", rng, as_folder=True)
    loaded = data.load_cifar("cifar10", data_dir=tmp_path, download=False)
    assert loaded.source.startswith(data.SOURCE_OFFICIAL)


def test_synthetic_images_are_labelled_and_deterministic():
    a = data.synthetic_images(20, 10, seed=3)
    b = data.synthetic_images(20, 10, seed=3)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.is_synthetic and "synthetic" in a.describe()
    assert a.x_train.dtype == np.uint8 and a.x_train.shape == (20, 32, 32, 3)
    assert set(np.unique(a.y_train)) <= set(range(10))


def test_subset_is_seeded_and_keeps_the_source():
    full = data.synthetic_images(50, 20, seed=0)
    part = data.subset(full, 10, 5, seed=1)
    assert len(part.x_train) == 10 and len(part.x_test) == 5
    assert part.source == full.source
    again = data.subset(full, 10, 5, seed=1)
    np.testing.assert_array_equal(part.x_train, again.x_train)
    assert len(data.subset(full, None, None).x_train) == 50


def test_batches_are_scaled_and_reshuffled_per_epoch():
    images = np.arange(10 * 2 * 2 * 3, dtype=np.uint8).reshape(10, 2, 2, 3)
    labels = np.arange(10)
    plain = data.ArrayBatches(images, labels, 4)
    assert len(plain) == 3
    x, y = plain[2]
    np.testing.assert_array_equal(y, [8, 9])
    np.testing.assert_allclose(x, images[8:] / 255.0)
    first = data.ArrayBatches(images, labels, 10, shuffle=True, seed=1)[0][1]
    again = data.ArrayBatches(images, labels, 10, shuffle=True, seed=1)[0][1]
    other = data.ArrayBatches(
        images, labels, 10, shuffle=True, seed=1, epoch=1
    )[0][1]
    np.testing.assert_array_equal(first, again)
    assert sorted(first) == list(range(10)) and list(first) != list(other)


@pytest.mark.slow
def test_preprocessing_standardises_and_augments_only_in_training():
    images = data.synthetic_images(16, 4, seed=0).x_train
    mean, variance = data.channel_statistics(images)
    x = images.astype("float32") / 255.0
    plain = data.preprocessing(mean, variance)
    y = np.asarray(plain(x))
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(0, 1, 2)), 1, atol=1e-3)
    augmented = data.preprocessing(mean, variance, augment=True, seed=4)
    np.testing.assert_allclose(augmented(x, training=False), y, atol=1e-5)
    trained = np.asarray(augmented(x, training=True))
    assert trained.shape == y.shape and not np.allclose(trained, y, atol=1e-2)
    # Same seed and the same sequence of calls: the same augmentation.
    again = data.preprocessing(mean, variance, augment=True, seed=4)
    again(x, training=False)
    np.testing.assert_allclose(again(x, training=True), trained, atol=1e-5)


def test_shared_data_loads_when_present():
    """The real copies beside the checkout, where this machine has them."""
    import pathlib

    shared = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (shared / data.EXACT_SUBSET).is_file():
        pytest.skip("../shared/data is not beside this checkout")
    exact = data.load_cifar10_exact_subset(shared / data.EXACT_SUBSET)
    assert exact.x_train.shape == (5165, 32, 32, 3)
    assert exact.x_test.shape == (1017, 32, 32, 3)
    assert set(np.unique(exact.y_test)) == set(range(10))


@pytest.mark.slow
def test_the_complete_jpeg_copy_loads_with_its_label():
    """CI points SPECTRAL_DATA_DIR at ../shared/data, which holds the copy."""
    import os
    import pathlib

    folder = pathlib.Path(os.environ.get(data.ENV_DATA_DIR, "/nonexistent"))
    if not (folder / data.JPEG_COPY).is_file():
        pytest.skip(f"no {data.JPEG_COPY} in ${data.ENV_DATA_DIR}")
    cifar = data.load_cifar("cifar10", download=False)
    assert cifar.source == data.SOURCE_JPEG
    assert cifar.x_train.shape == (50000, 32, 32, 3)
    assert cifar.x_test.shape == (10000, 32, 32, 3)
    assert np.bincount(cifar.y_test).tolist() == [1000] * 10


def test_sample_photographs_are_real_square_rgb():
    pytest.importorskip("skimage")
    images, names = data.sample_photographs(64, ("astronaut", "camera"))
    assert images.shape == (2, 64, 64, 3) and names == ("astronaut", "camera")
    assert 0.0 <= images.min() and images.max() <= 1.0
    np.testing.assert_allclose(images[1, ..., 0], images[1, ..., 2])  # grey
    assert images[0].std() > 0.1  # not flat


def test_every_default_photograph_loads():
    pytest.importorskip("skimage")
    images, names = data.sample_photographs(32)
    assert images.shape == (len(data.PHOTOGRAPHS), 32, 32, 3)


# --- every data source checks labels, counts and class names at load time


def _rewrite_npz(path, **changes):
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays.update(changes)
    np.savez(path, **arrays)


@pytest.mark.parametrize("label", [42, -1])
def test_official_folder_with_a_label_out_of_range_is_refused(
    tmp_path, rng, label
):
    folder, _ = _write_official(tmp_path, "cifar10", rng, as_folder=True)
    member = folder / "data_batch_3"
    batch = pickle.loads(member.read_bytes())
    batch[b"labels"][1] = label
    member.write_bytes(pickle.dumps(batch))
    with pytest.raises(
        ValueError, match=rf"train labels must lie in \[0, 10\).*e\.g\. {label}"
    ):
        data.load_cifar("cifar10", data_dir=tmp_path, download=False)


@pytest.mark.parametrize("label", [99, 255])
def test_jpeg_copy_with_a_label_out_of_range_is_refused(tmp_path, rng, label):
    _write_jpeg_copy(tmp_path, rng)
    _rewrite_npz(
        tmp_path / data.JPEG_COPY, test_labels=np.array([1, label], np.uint8)
    )
    with pytest.raises(ValueError, match=r"JPEG-compressed.*test labels"):
        data.load_cifar("cifar10", data_dir=tmp_path, download=False)


def test_fewer_class_names_than_labels_is_refused(tmp_path, rng):
    _write_jpeg_copy(tmp_path, rng)
    _rewrite_npz(tmp_path / data.JPEG_COPY, class_names=np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"\[0, 2\) for 2 classes"):
        data.load_cifar("cifar10", data_dir=tmp_path, download=False)


def test_image_and_label_counts_must_agree(tmp_path, rng):
    _write_jpeg_copy(tmp_path, rng, count=6)
    _rewrite_npz(
        tmp_path / data.JPEG_COPY, train_labels=np.arange(4, dtype=np.uint8)
    )
    with pytest.raises(ValueError, match="train has 6 images but labels"):
        data.load_cifar("cifar10", data_dir=tmp_path, download=False)


def test_exact_subset_with_mismatched_counts_is_refused(tmp_path):
    path = tmp_path / data.EXACT_SUBSET
    np.savez(
        path,
        x_train_subset=np.zeros((6, 32, 32, 3), np.uint8),
        train_idx=np.arange(4),
        y_train=np.zeros(10, np.int64),
        x_test_subset=np.zeros((2, 32, 32, 3), np.uint8),
        test_idx=np.arange(2),
        y_test=np.zeros(10, np.int64),
    )
    with pytest.raises(ValueError, match="train has 6 images but labels"):
        data.load_cifar10_exact_subset(path)


def test_direct_construction_is_checked():
    images = np.zeros((3, 32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="at least 2 class names"):
        data.CifarData(images, [0, 0, 0], images, [0, 0, 0], ("a",), "x", "y")
    with pytest.raises(ValueError, match="labels must be integers"):
        data.CifarData(
            images, np.zeros(3), images, [0, 0, 0], ("a", "b"), "x", "y"
        )
    with pytest.raises(ValueError, match=r"shape \(n, height, width"):
        data.CifarData(images[0], [0], images, [0, 0, 0], ("a", "b"), "x", "y")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "bad-jpeg"], ids=str)
def test_damaged_jpeg_copy_names_the_file_and_the_fix(tmp_path, rng, damage):
    _write_jpeg_copy(tmp_path, rng)
    path = tmp_path / data.JPEG_COPY
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "garbage":
        path.write_bytes(b"\x93NUMPY not really" * 20)
    else:
        with np.load(path) as archive:
            blob = archive["train_jpeg"].copy()
        blob[:40] = 7  # the first image's header
        _rewrite_npz(path, train_jpeg=blob)
    with pytest.raises(ValueError, match="Copy the file again") as info:
        data.load_cifar("cifar10", data_dir=tmp_path, download=False)
    assert str(path) in str(info.value)
    assert "allow_pickle" not in str(info.value)
