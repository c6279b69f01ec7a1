"""spectral.record.cost: image passes, measured throughput, projected hours."""

import dataclasses
import json

import pytest

from spectral import report
from spectral import robustness
from spectral.record import cost
from spectral.record import laptop


def _fake_throughput(train=1000.0, inference=3000.0, record_dir=None):
    kinds = {}
    for _, _, config in cost.record_configs(record_dir):
        kinds[json.dumps(cost.speed_kind(config), sort_keys=True)] = config
    return {"images": 0, "kinds": [
        {"kind": cost.speed_kind(c), "train_images_per_second": train,
         "inference_images_per_second": inference, "compile_seconds": 0.0}
        for c in kinds.values()]}


@pytest.mark.parametrize(
    "config, train, inference",
    [
        # 12 epochs x 45,000 images; 5,000 validation images each epoch + test
        (laptop._base_configs()["pooling"], 12 * 45000, 12 * 5000 + 10000),
        # 40 epochs x 5,000; validation and the 2,000 logged training images
        (robustness.regime_config("max", 0.0088, 0), 40 * 5000,
         40 * (5000 + 2000) + 10000),
    ],
)
def test_image_passes_count_training_and_inference_images(config, train, inference):
    assert cost.image_passes(config) == {"train": train, "inference": inference}


def test_projected_seconds_divides_each_pass_by_its_measured_rate():
    config = laptop._base_configs()["pooling"]
    throughput = {"kinds": [{"kind": cost.speed_kind(config),
                             "train_images_per_second": 500.0,
                             "inference_images_per_second": 1400.0}]}
    assert cost.projected_seconds(config, throughput) == pytest.approx(
        540000 / 500 + 70000 / 1400)
    # the learning rate, seed and epochs change the passes, never the kind
    other = dataclasses.replace(config, learning_rate=0.1, seed=3, epochs=6)
    assert cost.projected_seconds(other, throughput) == pytest.approx(
        270000 / 500 + 40000 / 1400)


def test_projected_seconds_names_an_unmeasured_kind():
    config = laptop._base_configs()["pooling"]
    with pytest.raises(KeyError, match="no measured throughput for the kind"):
        cost.projected_seconds(dataclasses.replace(config, width=0.25),
                               {"kinds": []})


@pytest.mark.parametrize("kwargs, match", [
    (dict(images=16), "Received: images=16"),
    (dict(repeats=0), "Received: repeats=0"),
])
def test_measure_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cost.measure(laptop._base_configs()["pooling"], **kwargs)


def test_measure_times_training_and_inference_of_a_small_network():
    config = dataclasses.replace(laptop._base_configs()["pooling"],
                                 width=0.125, batch_size=32)
    lines = []
    row = cost.measure(config, images=64, repeats=2, log=lines.append)
    assert len(row["train_seconds"]) == len(row["inference_seconds"]) == 2
    # the rate is the fastest repeat's
    assert row["train_images_per_second"] == pytest.approx(64 / min(row["train_seconds"]))
    assert row["inference_images_per_second"] == pytest.approx(
        64 / min(row["inference_seconds"]))
    assert "train" in lines[0] and "inference" in lines[0]


def test_record_configs_cost_every_unit_once():
    rows = cost.record_configs()
    names = [unit.name for _, unit, _ in rows]
    assert len(names) == len(set(names))
    assert all(config is not None for _, _, config in rows)
    assert {part for part, _, _ in rows} == {"first study"} | {
        f"robustness: {e}" for e in robustness.EXPERIMENTS}


def test_measure_record_writes_one_row_per_kind(tmp_path, monkeypatch):
    monkeypatch.setattr(cost, "measure", lambda config, images, repeats, log: {
        "train_images_per_second": 1.0, "inference_images_per_second": 2.0,
        "compile_seconds": 0.0})
    path = tmp_path / "throughput.json"
    document = cost.measure_record(images=64, path=path, log=lambda m: None)
    kinds = {json.dumps(cost.speed_kind(c), sort_keys=True)
             for _, _, c in cost.record_configs()}
    assert len(document["kinds"]) == len(kinds)
    assert {"git_sha", "device", "wall_seconds"} <= set(document["provenance"])
    assert cost.load_throughput(tmp_path) == json.loads(path.read_text())


def test_cost_frame_projects_every_unit_from_the_throughput():
    throughput = _fake_throughput()
    frame = report.cost_frame(throughput=throughput)
    expected = sum(
        cost.image_passes(c)["train"] / 1000 + cost.image_passes(c)["inference"] / 3000
        for _, _, c in cost.record_configs()) / 3600
    assert frame.loc["total", "hours to re-execute"] == pytest.approx(expected)
    parts = frame.drop(index="total")
    assert frame.loc["total", "units"] == parts["units"].sum()
    assert frame.loc["first study", "hours measured"] > 10


def test_cost_frame_without_a_measurement_leaves_the_projection_empty(monkeypatch):
    monkeypatch.setattr(cost, "load_throughput", lambda record_dir=None: None)
    frame = report.cost_frame()
    assert frame["hours to re-execute"].isna().all()
    assert frame.loc["total", "hours measured"] > 10


@pytest.mark.parametrize("rate, side", [(1e9, "within"), (1.0, "above")])
def test_cost_sentence_states_the_projection_against_the_target(rate, side):
    throughput = _fake_throughput(rate, rate)
    throughput["provenance"] = {"device": "cpu: Test CPU, 2 cores"}
    frame = report.cost_frame(throughput=throughput)
    text = report.cost_sentence(frame, throughput)
    assert f"{side} the project's target of {cost.TARGET_HOURS} hours" in text
    assert "cpu: Test CPU, 2 cores" in text
    assert f"{frame.loc['first study', 'hours measured']:.1f} hours as measured" in text
    assert "took up to" not in text  # no repeats recorded, no spread claimed


def test_cost_sentence_states_how_much_repeats_varied():
    throughput = _fake_throughput()
    throughput.update(provenance={"device": "cpu"}, repeats=3)
    throughput["kinds"][0]["train_seconds"] = [2.0, 3.0, 2.5]
    text = report.cost_sentence(report.cost_frame(throughput=throughput), throughput)
    assert "took up to 1.5× as long as the fastest (each rate is the fastest of 3)" in text


def test_cost_sentence_says_when_nothing_was_measured(monkeypatch):
    monkeypatch.setattr(cost, "load_throughput", lambda record_dir=None: None)
    frame = report.cost_frame()
    assert "has not been measured yet" in report.cost_sentence(frame)


@pytest.mark.parametrize("revision, code", [("abc123", 0), ("abc123+dirty", 2)])
def test_throughput_command_measures_from_a_clean_checkout(monkeypatch, capsys,
                                                           revision, code):
    from spectral import experiments
    from spectral.record import cli

    calls = []
    monkeypatch.setattr(experiments, "git_revision", lambda path=None: revision)
    monkeypatch.setattr(cost, "measure_record", lambda **kw: calls.append(kw) or {
        "kinds": [{}], "provenance": {"wall_seconds": 60.0}})
    assert cli.robustness_main(["throughput", "--images", "64", "--repeats", "2"]) == code
    if code == 0:
        assert calls[0]["images"] == 64 and calls[0]["repeats"] == 2
        assert "1 kinds measured in 1.0 min" in capsys.readouterr().out
    else:
        assert not calls
        assert "uncommitted changes" in capsys.readouterr().err


def test_appendix_glue_describes_the_whole_record():
    values, frame = report.appendix_glue()
    assert values["laptop-units"] == frame.loc["total", "units"]
    assert values["laptop-units"] > values["laptop-finished"] >= 106
    assert values["laptop-hours"] == pytest.approx(frame.loc["total", "hours measured"])
    assert values["laptop-projected"].endswith(" h") or "not yet measured" in values[
        "laptop-projected"]
    assert "cpu" in values["laptop-devices"]


def test_only_the_robustness_command_measures_throughput(capsys):
    from spectral.record import cli

    with pytest.raises(SystemExit):
        cli.main(["throughput"])
    assert "invalid choice: 'throughput'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "fields, passes",
    [
        # The test set after every epoch instead of once.
        ({"test_every_epoch": True}, {"train": 12 * 45000, "inference": 12 * 15000}),
        # A subset of training images and of test images.
        ({"train_size": 1000, "test_size": 500}, {"train": 12 * 1000, "inference": 12 * 5000 + 500}),
    ],
    ids=["test-every-epoch", "subsets"],
)
def test_image_passes_follow_the_evaluation_settings(fields, passes):
    config = dataclasses.replace(laptop._base_configs()["pooling"], **fields)
    assert cost.image_passes(config) == passes


def test_image_passes_need_a_known_size():
    from tests.fakes import tiny_config

    with pytest.raises(ValueError, match="dataset='synthetic' has no known size"):
        cost.image_passes(tiny_config(train_size=None))
