"""The records: design, storage, runner, statistics, summary files, cost.

Data flows one way through its modules:

* `store` — where the record lives, `Unit` (the one unit type of every
  record, the paper-scale one included), reading and writing run files
  (atomic, standard JSON, never overwriting another design's file);
* `stats` — the t and bootstrap intervals every verdict uses;
* `laptop` — the first study's design (experiments, arms, seeds, configs,
  the learning-rate choice) and its status;
* `runner` — the one loop every record runs its pending units with, within
  a time budget, resuming from checkpoints;
* `bundle` — checkpoints packed into checksummed parts to travel to and
  from a device call (the paper-scale record);
* `device_call` — what one device call can do (its minutes, what it
  carries back) and which units, their checkpoints too large to travel,
  must finish inside one;
* `cost` — the measured throughput of every kind of unit and the hours a
  re-execution of the laptop record takes;
* `summaries` — the first study's statistics;
* `files` — the summary files (`pooling.json`, `speedup.json`,
  `modern.json`, `claims.json`, `record.json`);
* `cli` — the command lines of the laptop record; `python -m
  spectral.record <study|robustness|claims|paper> ...` reaches every
  record's command line (`__main__`).

The robustness study's design (`spectral.robustness`) builds on `store`,
`laptop` and `runner`; the verdicts (`spectral.claims`,
`spectral.robustness_analysis`) on `stats` and `summaries`; the
paper-scale record (`spectral.paper_record`) on `store`, `runner`,
`bundle` and `device_call`; the book's tables and figures live in
`spectral.study_report`, `spectral.paper_report` and `spectral.report`.
`spectral.study` keeps every public name of the first study under its
historical name.
"""
