"""The laptop record: design, storage, runner, statistics and summary files.

Data flows one way through its modules:

* `store` — where the record lives, the `Unit` type, reading and writing run
  files (atomic, standard JSON, never overwriting another design's file);
* `stats` — the t and bootstrap intervals every verdict uses;
* `laptop` — the first study's design (experiments, arms, seeds, configs,
  the learning-rate choice) and its status;
* `runner` — trains pending units within a time budget, resuming from
  checkpoints;
* `summaries` — the first study's statistics;
* `files` — the summary files (`pooling.json`, `speedup.json`,
  `modern.json`, `claims.json`, `record.json`);
* `cli` — `python -m spectral.study status|run|summarize`.

The robustness study's design (`spectral.robustness`) builds on `store`,
`laptop` and `runner`; the verdicts (`spectral.claims`,
`spectral.robustness_analysis`) on `stats` and `summaries`; the book's
tables and figures live in `spectral.study_report` and `spectral.report`.
`spectral.study` keeps every public name of the first study under its
historical name.
"""
