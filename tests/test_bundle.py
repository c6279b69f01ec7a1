"""spectral.record.bundle: checkpoints packed into checksummed parts."""

import numpy as np
import pytest

from spectral.record import bundle


def _bundle(tmp_path):
    state = tmp_path / "state" / "unit"
    state.mkdir(parents=True)
    (state / "big.bin").write_bytes(np.random.default_rng(0).bytes(3 * 2**12))
    return bundle.pack(tmp_path / "state", tmp_path / "out", part_bytes=2**12)


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda parts: parts[1].unlink(), "missing parts \\['state.tar.001'\\]"),
        (lambda parts: parts[0].write_bytes(parts[0].read_bytes()[:-1]), "short or altered"),
        (lambda parts: (parts[0].parent / "state.tar.099").write_bytes(b"x"), "unexpected parts"),
        (lambda parts: (parts[0].parent / "state.manifest.json").unlink(), "no state.manifest.json"),
    ],
    ids=["gap", "short", "extra", "no-manifest"],
)
def test_unpack_refuses_a_damaged_bundle_and_unpacks_nothing(tmp_path, damage, match):
    parts = _bundle(tmp_path)
    assert len(parts) >= 3
    damage(parts)
    with pytest.raises(bundle.BundleError, match=match):
        bundle.unpack(tmp_path / "out", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_pack_of_nothing_writes_nothing(tmp_path):
    assert bundle.pack(tmp_path / "missing", tmp_path / "out") == []
    assert bundle.unpack(tmp_path / "out", tmp_path / "state") == 0


def test_pack_warns_when_a_bundle_cannot_travel(tmp_path):
    run = tmp_path / "state" / "big" / "checkpoints" / "epoch_0001"
    run.mkdir(parents=True)
    (run / "model.keras").write_bytes(b"x" * 5000)
    with pytest.warns(UserWarning, match="must finish inside one call"):
        parts = bundle.pack(tmp_path / "state", tmp_path / "out", carry_bytes=4096)
    assert parts
