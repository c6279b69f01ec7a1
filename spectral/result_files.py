"""A profile's result files: the summary `reproduce` writes and the table
the appendix shows.

`summarize` writes `summary.json` from the chapters' result files (the
CIFAR errors and the six speed-up cases the paper reports);
`result_files_table` lists every result file of a record with its data
source and provenance; `data_source_of` finds the data source a result
file names, wherever it nests it. `spectral.reproduce` re-exports them.
"""

from pathlib import Path

from spectral import jsonio

# The speed-up cases of the paper's Fig. 5, as chapter 4's speedup.json keys
# them.
SPEEDUP_KEYS = (
    "deep_3x3",
    "deep_5x5",
    "generic_3x3",
    "generic_5x5",
    "spectral_pooling_3x3",
    "spectral_pooling_5x5",
)


def summarize(results_dir):
    """Writes `summary.json` from a profile's result files; returns it.

    Keys: `cifar10_test_error` and `cifar100_test_error` (`{mean, std, n}`,
    or None when not run), `speedup` (the six cases of the paper, mean over
    seeds; `sp_pooling_*` named as in the paper's table), `data_source`,
    the provenance of each source file (`sources`) and the file's own
    `provenance` (the commit and machine that summarised them).
    """
    from spectral.experiments import write_result

    results_dir = Path(results_dir)

    def read(name):
        path = results_dir / name
        return (
            jsonio.read_json(path, "a chapter's result file", "Re-execute its chapter.")
            if path.is_file()
            else None
        )

    def stats(values):
        return (
            None
            if values is None
            else {k: values.get(k) for k in ("mean", "std", "n")}
        )

    cifar = read("cifar10.json")
    speed = read("speedup.json")
    summary = {
        "cifar10_test_error": stats(cifar and cifar["test_error"]),
        "cifar100_test_error": stats(cifar and cifar.get("cifar100")),
        "speedup": None
        if speed is None
        else {
            key.replace("spectral_pooling", "sp_pooling"): speed["cases"][key][
                "mean_speedup"
            ]
            for key in SPEEDUP_KEYS
            if key in speed["cases"]
        },
        "data_source": cifar and cifar["data_source"],
        "sources": {
            name: doc["provenance"]
            for name, doc in (("cifar10.json", cifar), ("speedup.json", speed))
            if doc
        },
    }
    return write_result(results_dir / "summary.json", summary)


def data_source_of(document):
    """The data source a result file names, wherever it nests it.

    Result files keep `data_source` at the top or inside a section (chapter
    2's `information.json` under `"cifar"`); None when none is named.

    Example:

    >>> data_source_of({"cifar": {"data_source": "JPEG copy"}, "x": 1})
    'JPEG copy'
    """
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("data_source"), str):
        return document["data_source"]
    for value in document.values():
        found = data_source_of(value)
        if found:
            return found
    return None


def result_files_table(results_dir, **more):
    """One row per result file of a record (`pandas.DataFrame`): its data
    source, the commit (12 characters), backend, device and date (day) of
    its provenance. `reproduce.json`, the runner's log, is left out.

    Args:
        results_dir: a folder of result files (a profile's record), or a
            dict `{label: folder}` of several; a row's name is
            `label/file` (the file's name alone for a plain folder).
        **more: unused; reserved.

    A file without provenance (the preregistration names its commit and
    date itself) shows those; a field nobody recorded shows "—".
    """
    import pandas as pd

    folders = results_dir if isinstance(results_dir, dict) else {"": results_dir}
    rows = {}
    for label, folder in folders.items():
        for path in sorted(Path(folder).glob("*.json")):
            if path.name == "reproduce.json":
                continue
            document = jsonio.read_json(
                path, "a result file of the record", "Re-execute its chapter."
            )
            info = document.get("provenance") or {}
            commit = info.get("git_sha") or document.get("commit") or "—"
            rows[f"{label}/{path.name}" if label else path.name] = {
                "data": data_source_of(document) or "none (no data read)",
                "commit": commit[:12],
                "backend": info.get("backend") or "—",
                "device": info.get("device") or "—",
                "date": (info.get("date") or document.get("date") or "—")[:10],
            }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "file"
    return table
