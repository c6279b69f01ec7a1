"""spectral.record.runner: the one loop every record runs its units with."""

import pytest

from spectral.record import runner, store


def _measurement(name, blocked=None):
    return store.Unit(name, "throughput", kind="throughput", settings={},
                      blocked=blocked)


def test_a_unit_that_does_not_train_needs_run_other():
    with pytest.raises(ValueError, match="is a 'throughput' unit: pass `run_other`"):
        runner.train_pending(lambda: [_measurement("m")], log=lambda m: None)


def test_run_other_runs_runnable_units_in_order_and_stops_when_one_is_unfinished():
    pending = [_measurement("blocked", blocked="no data"), _measurement("a"),
               _measurement("b"), _measurement("c")]
    seen = []

    def run_other(unit, budget):
        seen.append((unit.name, budget))
        pending.remove(unit)
        return unit.name != "b"  # b stops at its deadline

    finished, remaining = runner.train_pending(
        lambda: list(pending), log=lambda m: None, run_other=run_other)
    assert finished == ["a"]
    assert [name for name, _ in seen] == ["a", "b"]  # the blocked one never runs
    assert seen[0][1] is None  # no deadline: no time budget
    assert remaining == 2


@pytest.mark.parametrize(
    "unit, runnable",
    [
        (store.Unit("t", "tuned", config=object()), True),
        (store.Unit("t", "tuned"), False),  # waits for its learning rate
        (store.Unit("s", "search", kind="search"), True),
        (store.Unit("c", "cifar100", config=object(), blocked="no archive"), False),
    ],
)
def test_runnable_means_not_blocked_and_configured_if_it_trains(unit, runnable):
    assert unit.runnable is runnable
