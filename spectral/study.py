"""The first laptop-scale study under its historical name.

Every public name of the study, re-exported from where it lives: the design
(`spectral.record.laptop`), the record's storage (`spectral.record.store`),
the runner (`spectral.record.runner`), statistics (`spectral.record.stats`,
`spectral.record.summaries`), the summary files (`spectral.record.files`)
and the book's tables and figures (`spectral.study_report`). The chapters
read the study through this module; nothing in the library imports it, so it
sits at the top of the import graph.

`python -m spectral.study status|run|summarize` is the study's command line
(`spectral.record.cli`).
"""

import sys

from spectral.record.cli import main
from spectral.record.files import summarize, superseded_runs
from spectral.record.laptop import (
    ADAM_LEARNING_RATES,
    CONVS,
    EXPERIMENTS,
    FILTER_SIZES,
    MODERN_ARMS,
    MODERN_EPOCHS,
    POOLING_ARMS,
    POOLING_EPOCHS,
    ROUNDTRIP,
    SEEDS,
    SGD_CONTROL,
    SPEEDUP_EPOCHS,
    SPEEDUP_NETWORKS,
    THRESHOLDS,
    VALIDATION_SIZE,
    chosen_learning_rate,
    pending,
    record_runs,
    scale,
    scale_sentence,
    speedup_name,
    status,
    units,
)
from spectral.record.runner import print_status, run_pending, run_unit
from spectral.record.stats import median_interval, t_interval
from spectral.record.store import (
    CHAPTER_RESULTS,
    EXIT_INCOMPLETE,
    RECORD_DIR,
    STATE_DIR,
    Unit,
    best_validation_error,
    damaged_runs,
    load_runs,
    moved_aside,
    write_run,
)
from spectral.record.summaries import (
    loss_gaps,
    modern_summary,
    pooling_summary,
    speedup_summary,
    threshold_speedups,
)
from spectral.study_report import (
    PAPER_SPEEDUP,
    budget,
    chapter_glue,
    comparison_sentence,
    curves_figure,
    design_table,
    differences_table,
    display_table,
    headline_numbers,
    pooling_table,
    speedup_figure,
    speedup_table,
)

__all__ = [
    "ADAM_LEARNING_RATES", "CHAPTER_RESULTS", "CONVS", "EXIT_INCOMPLETE",
    "EXPERIMENTS", "FILTER_SIZES", "MODERN_ARMS", "MODERN_EPOCHS",
    "PAPER_SPEEDUP", "POOLING_ARMS", "POOLING_EPOCHS", "RECORD_DIR",
    "ROUNDTRIP", "SEEDS", "SGD_CONTROL", "SPEEDUP_EPOCHS", "SPEEDUP_NETWORKS",
    "STATE_DIR", "THRESHOLDS", "Unit", "VALIDATION_SIZE",
    "best_validation_error", "budget", "chapter_glue", "chosen_learning_rate",
    "comparison_sentence", "curves_figure", "damaged_runs", "design_table",
    "differences_table", "display_table", "headline_numbers", "load_runs",
    "loss_gaps", "main", "median_interval", "modern_summary", "moved_aside",
    "pending", "pooling_summary", "pooling_table", "print_status",
    "record_runs", "run_pending", "run_unit", "scale", "scale_sentence", "speedup_figure",
    "speedup_name", "speedup_summary", "speedup_table", "status",
    "summarize", "superseded_runs", "t_interval", "threshold_speedups",
    "units", "write_run",
]

if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
