"""Every change to the robustness study made after its preregistration.

The design (`spectral.robustness`), the rules (`spectral.robustness_rules`)
and the analysis (`spectral.robustness_analysis`) were committed before any
unit of the study ran; `results/laptop/preregistration.json` names that
commit. Each later change is one entry here — its date, what changed and
why — and chapter 6 lists them all (`spectral.report.deviations_frame`).
A change that would alter a unit's configuration, a rule or a validity
condition must say so in its reason.
"""

# Changes after the preregistration commit (15a9ecb), with their reasons.
# None changes a design choice, a rule or a validity condition.
DEVIATIONS = (
    {
        "date": "2026-12-03",
        "change": "robustness_analysis: the first study's 25-epoch speed-up "
        "regime is left out for a network without first-study runs (the "
        "§5.1 network) instead of being reported as NaN",
        "reason": "a NaN estimate cannot be written as standard JSON "
        "(found by the new write-time check); no rule changes",
    },
    {
        "date": "2026-12-03",
        "change": "claims.json is written in the preregistered document "
        "format by spectral.claims.write_claims",
        "reason": "presentation only: the same rules and code",
    },
    {
        "date": "2026-12-03",
        "change": "robustness_analysis: the claim rows are built by one "
        "helper (_claim); checks carry a verdict field",
        "reason": "removes repeated code; every output is unchanged "
        "(tests/test_robustness.py)",
    },
    {
        "date": "2026-12-03",
        "change": "code moved, not changed: the first study's design, "
        "storage, runner, statistics and summary files move from "
        "spectral/study.py into spectral/record/ (one training loop, "
        "record.runner.train_pending, and one finished-runs filter, "
        "record.store.runs_of, for both designs; the robustness runner's "
        "log line now names the epochs done); claims.json is written by "
        "record.files.write_claims",
        "reason": "one record layer without import cycles (issue 21); the "
        "summary files regenerated from the same run files are identical in "
        "every value, and no unit's configuration changes",
    },
    {
        "date": "2026-12-03",
        "change": "the writer of results/laptop/preregistration.json: it "
        "writes through jsonio.write_json (the project's one atomic, "
        "standard-JSON writer) instead of its own code, and moved from "
        "spectral.robustness to spectral.robustness_analysis, beside the "
        "rules it writes",
        "reason": "one JSON writer and no import cycle; the committed file "
        "was written once (commit c7c45a0) and never rewritten, and the "
        "current code writes it byte for byte the same (same units, rules "
        "and design)",
    },
    {
        "date": "2026-12-03",
        "change": "code added and moved, not changed: provisional_config "
        "(a waiting unit's configuration at its ladder's middle rung, for "
        "costing; it was report._waiting_config) and paper_lr_drops now "
        "imported from spectral.paper, where it moved from "
        "spectral.experiments",
        "reason": "the measured cost of re-executing the record "
        "(spectral.record.cost) and the paper's facts in one place (issue "
        "21); no unit's configuration, rule or validity condition changes",
    },
    {
        "date": "2026-12-03",
        "change": "code moved, not changed: RULES, the verdict vocabulary "
        "(DIRECTIONS, SIZES, BOOTSTRAP_RESAMPLES) and the preregistration "
        "writer move from spectral.robustness_analysis to "
        "spectral.robustness_rules (re-exported where they were)",
        "reason": "no module over ~600 lines (issue 21); the rules text is "
        "byte for byte the same, and the current code writes the committed "
        "preregistration.json byte for byte (tests/test_robustness.py)",
    },
    {
        "date": "2026-12-03",
        "change": "results/laptop/preregistration.json was committed in "
        "c7c45a0, the commit after the one it names (15a9ecb): a file cannot "
        "name the commit that contains it",
        "reason": "c7c45a0 adds only that file and no unit ran between the "
        "two commits; the file has not changed since, and the current code "
        "writes it byte for byte (tests/test_robustness.py)",
    },
    {
        "date": "2026-12-03",
        "change": "code moved, not changed: this list of deviations moves "
        "from spectral.robustness to spectral.robustness_deviations "
        "(re-exported where it was)",
        "reason": "no module over ~600 lines (issue 21); the design, the "
        "rules and every unit's configuration are unchanged",
    },
)
