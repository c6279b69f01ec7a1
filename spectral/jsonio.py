"""Reading and writing the project's JSON files: atomic, standard, named.

Every JSON file the project writes goes through `write_json`: the text is
written to a temporary file in the same folder, flushed to disk and renamed
over the target, so a kill at any moment leaves either the old file or the
new one, never a truncated one. The text is standard JSON: a document
holding a non-finite number (NaN or an infinity, which Python's `json`
would write as the non-standard `NaN`/`Infinity`) is refused with an error
naming the file, and nothing is written.

`read_json` reads one back; a missing, unreadable or damaged file raises
`DamagedFileError` naming the file and what to do about it.
"""

import json
import math
import os
import tempfile
from pathlib import Path


class DamagedFileError(ValueError):
    """A JSON file the project needs cannot be read; the message names the
    file and the fix."""


def _non_finite_path(value, path=""):
    """The location of the first non-finite float in `value`, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(the document)"
    if isinstance(value, dict):
        for key, item in value.items():
            found = _non_finite_path(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _non_finite_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


def dumps(document, indent=2, what=None):
    """Standard JSON text of `document`; non-finite numbers raise
    `ValueError` naming where they are (and `what` the document is)."""
    try:
        return json.dumps(document, indent=indent, allow_nan=False, default=_default)
    except ValueError as error:
        where = _non_finite_path(document)
        raise ValueError(
            f"Refusing to write {what or 'a JSON document'}: it holds a "
            f"non-finite number{f' at {where}' if where else ''} ({error}). "
            "JSON has no NaN or infinity; store None (null) or fix the value."
        ) from None


def _default(value):
    """numpy scalars and arrays as Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def write_text_atomic(path, text):
    """Writes `text` to `path` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_json(path, document, indent=2, what=None):
    """Writes `document` to `path` as standard JSON, atomically; returns
    the path. Raises `ValueError` (naming `what`, else the path) on a
    non-finite number, before touching the file."""
    text = dumps(document, indent, what or str(path))
    return write_text_atomic(path, text)


def read_json(path, what="a JSON file", fix="Restore it from git or delete it."):
    """The parsed content of `path`; a missing or damaged file raises
    `DamagedFileError` with its path, `what` it is and the `fix`."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise DamagedFileError(f"{path} ({what}) does not exist. {fix}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DamagedFileError(
            f"{path} ({what}) cannot be read ({error}). {fix}"
        ) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        raise DamagedFileError(
            f"{path} ({what}) is not valid JSON ({error}): the file is "
            f"damaged. {fix}"
        ) from None


def _refuse_constant(name):
    raise ValueError(f"non-standard constant {name}")



def run_command(main, argv=None):
    """Runs a command's `main(argv)`; a damaged file ends it with its
    message (path and fix) and exit status 2 instead of a traceback."""
    import sys

    try:
        return main(argv)
    except DamagedFileError as error:
        print(error, file=sys.stderr)
        return 2

# The package's command lines, named by every module that has none.
COMMANDS = (
    "spectral.train", "spectral.study", "spectral.robustness", "spectral.claims",
    "spectral.paper_record", "spectral.reproduce", "spectral.bench", "spectral.record",
)


def no_command_line(module):
    """What `python -m <module>` does for a module without a command line:
    says so on stderr, names the package's commands, and returns the exit
    status 2 (a usage error)."""
    import sys

    print(
        f"{module} has no command line; the commands are "
        + ", ".join(COMMANDS[:-1]) + f" and {COMMANDS[-1]}.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    import sys

    sys.exit(no_command_line("spectral.jsonio"))
