"""The paper-scale record's tables and sentences (`spectral.paper_report`)."""

import json

from spectral import paper_record
from spectral import paper_report
from tests.fakes import TINY


def _tiny_units(record_dir=None, data_dir=None):
    return [
        paper_record.paper_unit("tiny-train", "classification", "train", TINY),
        paper_record.paper_unit(
            "tiny-blocked", "search", "search", settings={}, blocked="why"
        ),
    ]


def test_summary_table_counts_units_by_group(tmp_path):
    table = paper_report.summary_table(tmp_path, tmp_path, tmp_path)
    assert list(table.index) == list(paper_record.GROUPS)
    assert table.loc["throughput", "pending"] == 2
    assert table.loc["throughput", "next unit"] == "throughput-float32"
    assert table.loc["classification", "pending"] == 3
    assert table.loc["search", "pending"] == 1
    assert table.loc["cifar100", "blocked"] == 3
    assert "CIFAR-100 archive" in table.loc["cifar100", "why blocked"]
    # The Generic network's full-width checkpoints (about 100 MiB with SGD's
    # momentum, 152 with Adam's state) cannot travel; the others can.
    generic = [u for u in paper_record.units(tmp_path, tmp_path)
               if u.config is not None and u.config.network == "generic"]
    assert generic
    assert table.loc["speedup", "must finish in one call"] == len(generic)
    assert table["must finish in one call"].sum() == len(generic)
    total = (
        table[
            [
                "finished",
                "in progress",
                "pending",
                "waits for lr selection",
                "blocked",
            ]
        ]
        .to_numpy()
        .sum()
    )
    assert total == len(paper_record.units(tmp_path, tmp_path))


def test_group_table_and_sentence_read_the_record(tmp_path, monkeypatch):
    monkeypatch.setattr(paper_record, "units", _tiny_units)
    assert paper_report.group_table("classification", tmp_path).empty
    sentence = paper_report.group_sentence("classification", tmp_path, tmp_path)
    assert sentence.startswith("The paper-scale record holds 0 of the 1")
    assert "paper_record run --minutes N" in sentence
    assert paper_report.group_sentence("search", tmp_path, tmp_path).endswith(
        "blocked: why."
    )
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "tiny-train.json").write_text(
        json.dumps(
            {
                "config": TINY.to_dict(),
                "test_error": 0.25,
                "history": [{}, {}, {}],
                "wall_seconds": 120.0,
                "provenance": {"device": "gpu: H200"},
            }
        )
    )
    table = paper_report.group_table("classification", tmp_path)
    assert table.loc["tiny-train"].tolist() == [0.25, 3, 2.0, "gpu: H200"]
    assert paper_report.group_sentence(
        "classification", tmp_path, tmp_path
    ).endswith("1 of the 1 `classification` units.")
