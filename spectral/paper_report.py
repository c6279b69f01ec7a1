"""The paper-scale record (`spectral.paper_record`) as tables and sentences.

Chapters 3, 4 and the appendix show how far the GPU record has come: which
units are finished, in progress, pending or blocked, what the finished
ones measured, and the command that continues them. These readers only
read the record (`paper_record.status`, `paper_record.load_runs`); they
compute nothing new.
"""

from spectral import paper_record
from spectral.paper_record import GROUPS


def status_table(record_dir=None, data_dir=None, state_dir=None):
    """`status` as a `pandas.DataFrame` indexed by unit."""
    import pandas as pd

    table = pd.DataFrame(paper_record.status(record_dir, data_dir, state_dir))
    return table.set_index("unit")


def summary_table(record_dir=None, data_dir=None, state_dir=None):
    """Units per group and state, in priority order (a `pandas.DataFrame`).

    Columns: the number of units in each state, how many unfinished units
    must train start to finish inside one device call (their checkpoints
    are too large to carry back), the first unit still to run and, for a
    blocked group, why.
    """
    import pandas as pd

    rows = paper_record.status(record_dir, data_dir, state_dir)
    states = ("finished", "in progress", "pending", "waits for lr selection")
    table = {}
    for group in GROUPS:
        mine = [r for r in rows if r["group"] == group]
        entry = {s: sum(r["state"] == s for r in mine) for s in states}
        entry["blocked"] = sum(r["state"] == "blocked" for r in mine)
        entry["must finish in one call"] = sum(r["one_call"] for r in mine)
        following = next(
            (r["unit"] for r in mine if r["state"] in states[1:3]), "—"
        )
        entry["next unit"] = following
        entry["why blocked"] = next(
            (r["note"] for r in mine if r["state"] == "blocked"), ""
        )
        table[group] = entry
    frame = pd.DataFrame.from_dict(table, orient="index")
    frame.index.name = "group"
    return frame


def group_table(group, record_dir=None):
    """The finished units of one group: test error, epochs, minutes and
    device, one row per unit (a `pandas.DataFrame`; empty when none)."""
    import pandas as pd

    runs = paper_record.load_runs(record_dir)
    rows = {}
    for unit in paper_record.units(record_dir):
        doc = runs.get(unit.name)
        if unit.experiment != group or doc is None or not paper_record.is_finished(unit, runs):
            continue
        rows[unit.name] = {
            "test error": doc.get("test_error"),
            "epochs": len(doc.get("history", [])) or None,
            "minutes": doc.get("wall_seconds", 0.0) / 60,
            "device": doc.get("provenance", {}).get("device"),
        }
    frame = pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=["test error", "epochs", "minutes", "device"],
    )
    frame.index.name = "unit"
    return frame


def group_sentence(group, record_dir=None, data_dir=None):
    """How far one group of the record has come, and the command that
    continues it, as a sentence for the chapters."""
    rows = [r for r in paper_record.status(record_dir, data_dir) if r["group"] == group]
    done = sum(r["state"] == "finished" for r in rows)
    blocked = [r for r in rows if r["state"] == "blocked"]
    text = (
        f"The paper-scale record holds {done} of the {len(rows)} "
        f"`{group}` units"
    )
    if done == len(rows):
        return text + "."
    if blocked and len(blocked) == len(rows) - done:
        return text + f"; the others are blocked: {blocked[0]['note']}."
    return (
        text + "; on a GPU machine, `python -m spectral.paper_record run "
        "--minutes N` trains the next ones (one device call: "
        "`.ci/gpu-record-call`, see the appendix)."
    )
