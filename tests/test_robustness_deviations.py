"""The list of changes made after the robustness study's preregistration."""

import datetime
import json
from pathlib import Path

import pytest

from spectral import robustness
from spectral import robustness_deviations

PREREGISTRATION = Path(__file__).parents[1] / "results" / "laptop" / "preregistration.json"


def test_the_design_module_re_exports_the_list():
    assert robustness.DEVIATIONS is robustness_deviations.DEVIATIONS


@pytest.mark.parametrize("index", range(len(robustness_deviations.DEVIATIONS)))
def test_each_deviation_says_when_what_and_why(index):
    entry = robustness_deviations.DEVIATIONS[index]
    assert set(entry) == {"date", "change", "reason"}
    assert entry["change"].strip() and entry["reason"].strip()
    datetime.date.fromisoformat(entry["date"])


def test_no_deviation_is_dated_before_the_preregistration():
    registered = json.loads(PREREGISTRATION.read_text())["date"][:10]
    dates = [entry["date"] for entry in robustness_deviations.DEVIATIONS]
    assert min(dates) >= registered
    assert dates == sorted(dates), "deviations are listed in the order they were made"
