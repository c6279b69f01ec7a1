"""The summary files of the laptop record, written from its run files:
`pooling.json`, `speedup.json`, `modern.json`, `claims.json` and
`record.json` (`python -m spectral.study summarize`)."""

from pathlib import Path

from spectral.record.laptop import EXPERIMENTS, record_runs, scale, units
from spectral.record.store import CHAPTER_RESULTS, RECORD_DIR, damaged_runs, load_runs, moved_aside
from spectral.record.summaries import modern_summary, pooling_summary, speedup_summary


def superseded_runs(record_dir=None):
    """Names of run files that no unit of the current design matches
    (neither this study's nor the robustness study's,
    `spectral.robustness`)."""
    from spectral import robustness

    current = set(record_runs(record_dir))
    current |= set(robustness.design_runs(record_dir))
    return sorted(set(load_runs(record_dir)) - current)


def summarize(record_dir=None, chapter_results=None):
    """Writes the study's summary files from its run files; returns them.

    `pooling.json`, `speedup.json`, `modern.json`, `claims.json` (see
    `spectral.claims`) and `record.json`: `wall_seconds` (the compute of
    every finished unit, summed), counts of finished and pending units,
    the commits the runs came from, and provenance.
    """
    import functools

    from spectral import experiments

    # One provenance for every file, read before the first write dirties
    # the checkout.
    write_result = functools.partial(
        experiments.write_result, provenance_info=experiments.provenance()
    )
    record_dir = Path(record_dir or RECORD_DIR)
    runs = record_runs(record_dir)
    written = {
        "pooling": write_result(
            record_dir / "pooling.json",
            {**pooling_summary(runs), "scale": scale("pooling")},
        ),
        "speedup": write_result(
            record_dir / "speedup.json",
            {**speedup_summary(runs), "scale": scale("speedup")},
        ),
        "modern": write_result(
            record_dir / "modern.json", modern_summary(runs)
        ),
    }
    written["claims"] = write_claims(
        record_dir, chapter_results or CHAPTER_RESULTS, write_result
    )
    all_units = units(record_dir)
    written["record"] = write_result(
        record_dir / "record.json",
        {
            "wall_seconds": sum(doc["wall_seconds"] for doc in runs.values()),
            "units_finished": len(runs),
            "units_total": len(all_units),
            "units_pending": [u.name for u in all_units if u.name not in runs],
            "superseded_runs": superseded_runs(record_dir),
            "moved_aside": moved_aside(record_dir),
            "damaged_runs": damaged_runs(record_dir),
            "wall_seconds_by_experiment": {
                name: sum(
                    doc["wall_seconds"]
                    for doc in runs.values()
                    if doc["experiment"] == name
                )
                for name in EXPERIMENTS
            },
            "commits": sorted(
                {doc["provenance"]["git_sha"] for doc in runs.values()}
            ),
            "data_sources": sorted(
                {doc["data_source"] for doc in runs.values()}
            ),
        },
    )
    return written


def write_claims(record_dir=None, chapter_results=None, write_result=None):
    """Writes `claims.json` and returns it: `{"rule", "claims", "checks"}`
    of `spectral.robustness_analysis.claims_document` (every claim with its
    direction, size and regimes; the implementation checks apart).
    `write_result` defaults to `spectral.experiments.write_result`."""
    from spectral import robustness_analysis

    if write_result is None:
        from spectral.experiments import write_result
    record_dir = Path(record_dir or RECORD_DIR)
    return write_result(
        record_dir / "claims.json",
        robustness_analysis.claims_document(record_dir, chapter_results),
    )


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.record.files"))
