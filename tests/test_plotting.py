"""Tests of `spectral.plotting`: figures draw, tables and notices say what
they must."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from spectral import data  # noqa: E402
from spectral import metrics  # noqa: E402
from spectral import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_nyquist_figure_shows_the_four_point_error():
    fig = plotting.nyquist_figure()
    assert len(fig.axes) == 4
    title = fig._suptitle.get_text()
    library_error = float(title.split("library ")[1].split(",")[0])
    four_point_error = float(title.split("four-point fix ")[1])
    assert library_error < 1e-4 < 0.1 < four_point_error


def test_pooling_grid_and_lowpass(rng):
    images = rng.random((2, 16, 16, 3)).astype("float32")
    assert len(plotting.pooling_grid(images, (2, 4)).axes) == 2 * 5
    assert len(plotting.lowpass_figure(images[0], [16, 8, 4]).axes) == 3


def test_approximation_figure_plots_every_curve(rng):
    curves = metrics.approximation_curves(
        rng.random((2, 16, 16, 3)), [0.25, 1.0], (2, 4)
    )
    fig = plotting.approximation_figure(curves, {"spectral": [(0.25, 0.07)]})
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert "spectral pooling" in labels and "best max pooling" in labels
    assert any(label.startswith("paper") for label in labels)


def test_curves_basis_speedup_and_speed_figures():
    fig = plotting.learning_curves(
        [("a", [0.5, 0.4], {}), ("b", [0.6, 0.3], {"ls": "--"})]
    )
    assert len(fig.axes[0].lines) == 2
    assert len(plotting.kernel_basis_figure((3, 3)).axes) == 9
    panel = {
        "title": "t",
        "spatial": [0.5, 0.3],
        "spectral": [0.4, 0.2],
        "speedup": metrics.convergence_speedup([0.5, 0.3], [0.4, 0.2]),
    }
    assert (
        sum(ax.get_visible() for ax in plotting.speedup_grid([panel] * 3).axes)
        == 3
    )
    rows = [
        {"input_size": 8, "kernel_size": k, "ratio": r}
        for k, r in ((3, 2.0), (5, 0.5))
    ]
    assert len(plotting.speed_ratio_figure(rows).axes[0].lines) == 2


def test_save_figure_writes_png_and_pdf(tmp_path):
    fig = plotting.learning_curves([("a", [0.5, 0.4], {})])
    paths = plotting.save_figure(fig, "curve", tmp_path)
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_markdown_table_formats_and_marks_missing_values():
    table = plotting.markdown_table(
        [
            {"a": "x", "b": 0.1234},
            {"a": "y", "b": None},
            {"a": "z", "b": float("nan")},
        ],
        [("a", "A"), ("b", "B")],
        {"b": ".1%"},
    )
    lines = table.data.splitlines()
    assert lines[0] == "| A | B |" and lines[2] == "| x | 12.3% |"
    assert lines[3] == "| y | — |" and lines[4] == "| z | — |"


def test_markdown_table_escapes_pipes_so_it_still_parses_as_a_table():
    from markdown_it import MarkdownIt

    table = plotting.markdown_table(
        [{"k": "3×3", "d": 1e-6}],
        [("k", "kernel"), ("d", "max |FFT − Conv2D|")],
        {"d": ".1e"},
    )
    tokens = MarkdownIt("commonmark").enable("table").parse(table.data)
    headers = [t for t in tokens if t.type == "th_open"]
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(headers) == 2 and len(cells) == 2
    inline = [t.content for t in tokens if t.type == "inline"]
    assert "max |FFT − Conv2D|" in inline  # the pipes come back as text


@pytest.mark.parametrize(
    "source,profile,expected,absent",
    [
        (data.SOURCE_SYNTHETIC, "smoke", [":class: warning", "no result"], []),
        (
            data.SOURCE_JPEG,
            "paper",
            [":class: note", "JPEG-compressed"],
            ["not comparable"],
        ),
        (data.SOURCE_JPEG, "cpu", ["JPEG-compressed", "not comparable"], []),
        (
            "official archive (cifar-10-python.tar.gz)",
            "paper",
            ["official archive"],
            ["JPEG", "not comparable"],
        ),
    ],
    ids=["synthetic", "jpeg-paper", "jpeg-cpu", "official"],
)
def test_data_notice(source, profile, expected, absent):
    text = plotting.data_notice(source, profile).data
    for fragment in expected:
        assert fragment in text
    for fragment in absent:
        assert fragment not in text
    assert text.startswith(":::{admonition} ") and text.endswith(":::")


def test_figures_share_the_book_style_without_changing_global_state():
    import matplotlib

    before = matplotlib.rcParams["font.size"], matplotlib.rcParams["figure.dpi"]
    fig = plotting.learning_curves([("a", [0.8, 0.6], {})])
    assert fig.dpi == plotting.STYLE["figure.dpi"]
    # error curves span a narrow range: a linear axis by default
    assert fig.axes[0].get_yscale() == "linear"
    label = fig.axes[0].xaxis.label
    assert label.get_fontsize() == plotting.STYLE["axes.labelsize"]
    after = matplotlib.rcParams["font.size"], matplotlib.rcParams["figure.dpi"]
    assert before == after


@pytest.mark.parametrize(
    "spectral,title",
    [([0.2, 0.1], "t: speed-up 2.00"), ([0.6, 0.4], "t: target not reached")],
    ids=["reached", "not-reached"],
)
def test_speedup_panel_title_states_the_speedup_or_that_it_is_undefined(
    spectral, title
):
    panel = {"title": "t", "spatial": [0.5, 0.3], "spectral": spectral,
             "speedup": metrics.convergence_speedup([0.5, 0.3], spectral)}
    ax = plotting.speedup_grid([panel]).axes[0]
    assert ax.get_title() == title
    assert [line.get_marker() for line in ax.lines].count("D") == (
        panel["speedup"]["speedup"] is not None)


def test_speedup_marker_is_the_spectral_colour_and_log_ticks_are_plain():
    panel = {
        "title": "t",
        "spatial": [0.5, 0.3],
        "spectral": [0.4, 0.2],
        "speedup": metrics.convergence_speedup([0.5, 0.3], [0.4, 0.2]),
    }
    ax = plotting.speedup_grid([panel]).axes[0]
    marker = [line for line in ax.lines if line.get_marker() == "D"]
    assert marker and marker[0].get_color() == plotting.COLOURS["spectral"]
    rows = [
        {"input_size": 8, "kernel_size": k, "ratio": r}
        for k, r in ((3, 0.6), (5, 0.9))
    ]
    fig = plotting.speed_ratio_figure(rows)
    fig.canvas.draw()
    texts = [
        t.get_text()
        for t in fig.axes[0].get_yticklabels(minor=True)
        + fig.axes[0].get_yticklabels()
        if t.get_text()
    ]
    assert texts and not any("times" in t or "^" in t for t in texts)


def test_learning_curves_without_runs_say_so():
    fig = plotting.learning_curves([])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["no finished run yet"]
    assert not fig.axes[0].lines


def _speedup_record_panels():
    curve = list(np.linspace(0.9, 0.3, 12))
    pair = {"spatial": curve, "spectral": curve[::-1][::-1],
            "spatial_loss": list(np.linspace(2, 0.5, 12)),
            "spectral_loss": list(np.linspace(2, 0.45, 12)),
            "roundtrip_loss": list(np.linspace(2, 0.5, 12) + 1e-6)}
    return [{"title": f"{n} {k}×{k}", "adam": [pair] * 3, "sgd": [pair] * 3}
            for n in ("Generic", "Deep") for k in (3, 5)]


def _figures():
    rng = np.random.default_rng(0)
    images = rng.random((2, 32, 32, 3)).astype("float32")
    panel = {"title": "Deep 5×5", "spatial": list(np.linspace(0.9, 0.3, 25)),
             "spectral": list(np.linspace(0.8, 0.25, 25))}
    panel["speedup"] = metrics.convergence_speedup(panel["spatial"], panel["spectral"])
    rows = [{"input_size": s, "kernel_size": k, "ratio": r} for s in (16, 32)
            for k, r in ((3, 0.6), (5, 0.9), (7, 1.1), (9, 1.5), (11, 2.5), (15, 4.0))]
    return {
        "nyquist": lambda: plotting.nyquist_figure(),
        "pooling-grid": lambda: plotting.pooling_grid(images, (2, 4, 8)),
        "lowpass": lambda: plotting.lowpass_figure(images[0], [16, 8, 4, 2]),
        "approximation": lambda: plotting.approximation_figure(
            metrics.approximation_curves(rng.random((2, 16, 16, 3)), [0.1, 0.25, 1.0], (2, 4)),
            {"spectral": [(0.25, 0.07)]}),
        "basis-3x3": lambda: plotting.kernel_basis_figure((3, 3)),
        "basis-5x5": lambda: plotting.kernel_basis_figure((5, 5)),
        "curves": lambda: plotting.learning_curves(
            [("spectral", [0.8, 0.6, 0.5], {}), ("max", [0.7, 0.5, 0.4], {})],
            ylabel="validation error"),
        "speedup-grid": lambda: plotting.speedup_grid([panel] * 6),
        "speed-ratio": lambda: plotting.speed_ratio_figure(rows),
        "speedup-record": lambda: plotting.speedup_record_figure(_speedup_record_panels()),
    }


@pytest.mark.parametrize("name", sorted(_figures()))
def test_figures_have_no_overlapping_text_and_read_at_page_width(name):
    fig = _figures()[name]()
    assert plotting.text_overlaps(fig) == []
    assert plotting.smallest_text_points(fig) >= plotting.MIN_POINTS


def test_the_overlap_check_can_fail():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("a long title that sits")
    ax.text(0.5, 1.02, "right on top of it", transform=ax.transAxes, ha="center")
    assert plotting.text_overlaps(fig)
    fig.set_figwidth(16)
    ax.tick_params(labelsize=8)
    assert plotting.smallest_text_points(fig) < plotting.MIN_POINTS


def test_error_axes_are_in_percent():
    fig = plotting.learning_curves([("a", [0.5, 0.4], {})], ylabel="validation error")
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert labels and all(label.endswith("%") for label in labels)
