"""Checkpoints that travel: a state folder bundled into checksummed parts.

A device call returns at most a few tens of MiB, so a unit that trains
over several calls carries its newest checkpoint out in a bundle and back
in the next call. `pack` writes an uncompressed tar of the unfinished
runs' newest checkpoints split into parts with a manifest of sizes and
SHA-256 sums; `unpack` refuses a missing, extra, short or altered part
before touching anything.
"""

import shutil
import tarfile
import warnings
from pathlib import Path

from spectral import jsonio

MANIFEST = "state.manifest.json"
# A part must come back from a device call; the whole bundle, with the
# code, must fit what a call carries (64 MiB).
PART_BYTES = 15 * 2**20
CARRY_BYTES = 56 * 2**20


def _travel_ignore(directory, names):
    """What `pack` leaves behind in one folder of the state tree: the
    checkpoints of finished runs, all but the newest checkpoint of an
    unfinished run, partial checkpoints and lock files."""
    from spectral.training.checkpoints import _checkpoint_dirs

    directory = Path(directory)
    ignored = {n for n in names if n == "lock" or n.endswith(".partial")}
    if "result.json" in names:
        ignored.add("checkpoints")
    if directory.name == "checkpoints":
        run_dir = directory.parent
        if (run_dir / "result.json").exists():
            return set(names)
        newest = _checkpoint_dirs(run_dir)[:1]
        ignored |= {
            n for n in names if n.startswith("epoch_") and directory / n not in newest
        }
    return ignored


def pack(state_dir, out_dir, part_bytes=PART_BYTES, carry_bytes=CARRY_BYTES,
         exclude=()):
    """Bundles the unfinished units' newest checkpoints for travel.

    Finished runs travel without checkpoints (their `result.json` is
    enough to skip them); each unfinished run carries only its newest
    checkpoint. Nothing in `state_dir` is changed or deleted: the bundle is
    made from a filtered copy. It is an uncompressed tar split into files
    `state.tar.NNN` of at most `part_bytes` bytes each in `out_dir`, with
    `state.manifest.json` listing every part's size and SHA-256, so that
    `unpack` refuses a gap or a short part. Returns the part paths (none
    when there is nothing to carry). The run folders named in `exclude`
    (units whose checkpoints cannot travel) are left out.
    """
    import hashlib
    import tempfile

    state_dir = Path(state_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not state_dir.is_dir() or not any(state_dir.iterdir()):
        return []
    for stale in list(out_dir.glob("state.tar.[0-9][0-9][0-9]")) + [
        out_dir / MANIFEST
    ]:
        if stale.exists():
            stale.unlink()
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        staging = Path(tmp) / "state"
        excluded = set(exclude)

        def ignore(directory, names):
            skipped = _travel_ignore(directory, names)
            if Path(directory) == state_dir:
                skipped |= excluded & set(names)
            return skipped

        shutil.copytree(state_dir, staging, ignore=ignore)
        bundle = Path(tmp) / "state.tar"
        with tarfile.open(bundle, "w") as archive:
            archive.add(staging, arcname=".")
        parts = []
        with open(bundle, "rb") as handle:
            for index in range(10**3):
                chunk = handle.read(part_bytes)
                if not chunk:
                    break
                part = out_dir / f"state.tar.{index:03d}"
                part.write_bytes(chunk)
                parts.append(
                    {
                        "name": part.name,
                        "bytes": len(chunk),
                        "sha256": hashlib.sha256(chunk).hexdigest(),
                    }
                )
    jsonio.write_json(out_dir / MANIFEST, {"parts": parts})
    total = sum(p["bytes"] for p in parts)
    if total > carry_bytes:
        warnings.warn(
            f"The bundle holds {total / 2**20:.0f} MiB, more than a device "
            f"call can carry back in ({carry_bytes / 2**20:.0f} MiB with the "
            "code): the unfinished unit cannot resume on a device machine "
            "and must finish inside one call.",
            stacklevel=2,
        )
    return [out_dir / p["name"] for p in parts]


class BundleError(ValueError):
    """A carried bundle is incomplete or damaged (nothing was unpacked)."""


def unpack(parts_dir, state_dir):
    """Restores a bundle written by `pack` into `state_dir`.

    Every part named in `state.manifest.json` must be present with its
    size and SHA-256, and no other part may be there; otherwise
    `BundleError` names what is wrong and nothing is unpacked. A folder
    with neither parts nor manifest holds no bundle: returns 0. Files
    present in the bundle replace those in `state_dir`; unpack only a
    bundle that came back from the latest call. Returns the number of
    parts read.

    Raises:
        FileNotFoundError: if `parts_dir` does not exist.
        BundleError: for a missing, extra, short or altered part.
    """
    import hashlib

    parts_dir = Path(parts_dir)
    if not parts_dir.is_dir():
        raise FileNotFoundError(
            f"{parts_dir} does not exist: pass the folder `pack --to` wrote "
            "(a device call's files_at)."
        )
    found = sorted(p.name for p in parts_dir.glob("state.tar.[0-9][0-9][0-9]"))
    manifest_path = parts_dir / MANIFEST
    if not found and not manifest_path.exists():
        return 0
    if not manifest_path.exists():
        raise BundleError(
            f"{parts_dir} holds {len(found)} parts but no {MANIFEST}: the "
            "bundle cannot be checked, so it is not unpacked."
        )
    listed = jsonio.read_json(manifest_path, "the bundle's manifest")["parts"]
    names = [p["name"] for p in listed]
    missing = sorted(set(names) - set(found))
    extra = sorted(set(found) - set(names))
    if missing or extra:
        raise BundleError(
            f"The bundle in {parts_dir} is incomplete: missing parts "
            f"{missing}, unexpected parts {extra}. Nothing was unpacked; "
            "fetch every part of the latest call again."
        )
    for entry in listed:
        data = (parts_dir / entry["name"]).read_bytes()
        if len(data) != entry["bytes"] or (
            hashlib.sha256(data).hexdigest() != entry["sha256"]
        ):
            raise BundleError(
                f"Part {parts_dir / entry['name']} has {len(data)} bytes, "
                f"expected {entry['bytes']} with the manifest's SHA-256: it "
                "is short or altered. Nothing was unpacked."
            )
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    bundle = state_dir.parent / f".{state_dir.name}.incoming.tar"
    with open(bundle, "wb") as out:
        for name in names:
            out.write((parts_dir / name).read_bytes())
    try:
        with tarfile.open(bundle) as archive:
            for member in archive.getmembers():
                target = state_dir / member.name
                if member.isfile() and target.exists():
                    target.unlink()
            archive.extractall(state_dir, filter="data")
    finally:
        bundle.unlink()
    return len(names)
