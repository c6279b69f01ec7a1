"""Package-level checks: saving, public surface, docstrings and doctests."""

import doctest
import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

import spectral
from spectral import fourier
from spectral import layers
from tests.oracles import assert_close


@pytest.mark.slow
def test_model_with_all_four_layers_saves_and_reloads(tmp_path, rng):
    inputs = keras.Input((16, 16, 3))
    x = layers.SpectralConv2D(8, 3, padding="same", activation="relu")(inputs)
    x = layers.SpectralPooling2D(11)(x)
    x = layers.FrequencyDropout(0.5, seed=2)(x)
    x = layers.FFTConv2D(4, 3, padding="same")(x)
    outputs = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)  # no custom_objects needed
    x = rng.normal(size=(2, 16, 16, 3)).astype("float32")
    assert_close(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_quick_start():
    layer = spectral.layers.SpectralPooling2D(output_size=15)
    assert tuple(layer(np.zeros((1, 32, 32, 3), "float32")).shape) == (
        1,
        15,
        15,
        3,
    )


PUBLIC_MODULES = [
    fourier,
    layers.spectral_pooling,
    layers.frequency_dropout,
    layers.spectral_conv,
    layers.fft_conv,
]


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_public_names_are_documented(module):
    assert module.__doc__
    for name, obj in vars(module).items():
        if name.startswith("_") or not callable(obj):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
@pytest.mark.slow
def test_doctests(module):
    globs = {"np": np, "ops": ops, **vars(module)}
    result = doctest.testmod(
        module, globs=globs, verbose=False, optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0
    assert result.attempted > 0


def test_public_surface_and_no_import_side_effects():
    assert spectral.__all__ == ["__version__", "fourier", "layers", "models"]
    assert callable(spectral.models.build_model)
    assert keras.config.image_data_format() == "channels_last"


@pytest.mark.parametrize(
    "environ,keras_json,installed,expected",
    [
        ({}, None, {"jax"}, "jax"),  # TensorFlow missing: JAX, not a crash
        ({}, None, {"jax", "tensorflow"}, None),  # Keras's default works
        ({}, None, set(), None),  # nothing to fall back to
        ({"KERAS_BACKEND": "torch"}, None, {"jax"}, None),  # explicit choice
        ({}, {"backend": "torch"}, {"jax"}, None),  # keras.json's choice
        # Keras writes "tensorflow" into keras.json on its first import.
        ({}, {"backend": "tensorflow"}, {"jax"}, "jax"),
        ({}, {"backend": "tensorflow"}, {"jax", "tensorflow"}, None),
        ({}, {"floatx": "float32"}, {"jax"}, "jax"),  # keras.json, no backend
    ],
)
def test_backend_fallback_only_replaces_a_default_that_cannot_work(
    tmp_path, environ, keras_json, installed, expected
):
    from spectral import _backend

    if keras_json is not None:
        (tmp_path / "keras.json").write_text(json.dumps(keras_json))
    environ = {**environ, "KERAS_HOME": str(tmp_path)}
    choice = _backend.fallback_backend(environ, lambda name: name in installed)
    assert choice == expected


@pytest.mark.slow
def test_import_selects_jax_when_tensorflow_is_missing(tmp_path):
    pytest.importorskip("jax")
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = None  # as on a machine without it\n"
        "import spectral, keras\n"
        "print(keras.backend.backend())\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KERAS_BACKEND", "KERAS_HOME")
    }
    env["KERAS_HOME"] = str(tmp_path)
    # As Keras leaves it after a first import on the same machine.
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "jax"


def test_readme_opens_with_title_then_the_two_commands():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    lines = [line for line in readme.splitlines() if line.strip()]
    assert lines[0].startswith("# "), "the README must open with its title"
    assert lines[1] == "```bash"
    commands = lines[2 : lines.index("```", 2)]
    assert [c.split("#")[0].strip() for c in commands] == [
        "make book",
        "make test",
    ]


LAYERS_ON_IMAGES = [
    lambda: layers.SpectralPooling2D(5),
    lambda: layers.AdaptivePooling2D(5, "average"),
    lambda: layers.FrequencyDropout(0.5, seed=1),
    lambda: layers.FFTConv2D(2, 3, padding="same"),
    lambda: layers.SpectralConv2D(2, 3, padding="same"),
]


@pytest.mark.parametrize(
    "make", LAYERS_ON_IMAGES, ids=lambda f: type(f()).__name__
)
def test_integer_images_are_cast_to_float_not_quantised(make, rng):
    images = rng.integers(0, 256, size=(2, 8, 8, 3)).astype("uint8")
    layer = make()
    out = layer(images, training=True)
    assert keras.backend.standardize_dtype(out.dtype) == layer.compute_dtype
    expected = layer(images.astype("float32"), training=True)
    if not isinstance(layer, layers.FrequencyDropout):  # random per call
        assert_close(out, expected)
    assert not np.allclose(
        keras.ops.convert_to_numpy(out),
        np.round(keras.ops.convert_to_numpy(out)),
    )


@pytest.mark.parametrize(
    "make", LAYERS_ON_IMAGES, ids=lambda f: type(f()).__name__
)
def test_complex_inputs_are_refused(make):
    x = np.ones((1, 8, 8, 3), "complex64")
    with pytest.raises(TypeError, match="Expected real numbers.*complex64"):
        make()(keras.ops.convert_to_tensor(x))


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
@pytest.mark.slow
def test_readme_snippet_runs_as_written(backend, tmp_path):
    """The README's Python example, in a fresh interpreter per backend."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "snippet.py"
    script.write_text(snippet + "\nassert model.output_shape == (None, 10)\n")
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize(
    "tool", ["spectral.reproduce", "spectral.study", "spectral.train"]
)
@pytest.mark.slow
def test_command_line_help_answers(tool):
    out = subprocess.run(
        [sys.executable, "-m", tool, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "usage: python -m" in out.stdout


@pytest.mark.parametrize("entry", ["import spectral", "import spectral.paper"])
@pytest.mark.slow
def test_importing_the_package_registers_the_layers(entry):
    """However the package is first imported (a script, a submodule, a
    `python -m` tool), `keras.saving.load_model` finds its layers."""
    registered = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{entry}; import keras; print(keras.saving.get_registered_object"
            "('spectral>SpectralPooling2D') is not None)",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert registered.stdout.strip().splitlines()[-1] == "True", registered.stderr[-2000:]


def test_the_papers_facts_are_defined_once():
    # The §5.1 protocol, the speed-ups and the errors come from spectral.paper.
    from spectral import config
    from spectral import paper
    from spectral import paper_record
    from spectral import robustness_analysis
    from spectral import study

    assert robustness_analysis.PAPER_SPEEDUP is paper.SPEEDUP
    assert set(study.PAPER_SPEEDUP.items()) <= set(paper.SPEEDUP.items())
    protocol = paper_record.classification_config()
    for field in ("gamma", "alpha", "beta", "momentum", "learning_rate", "lr_drops"):
        assert getattr(protocol, field) == paper.SECTION_5_1[field], field
    defaults = config.TrainConfig()
    assert defaults.learning_rate == paper.SECTION_5_1["learning_rate"]


# The library's other modules with examples in their docstrings: each example
# runs as written (no extra globals), so a changed contract fails here.
DOCTESTED = ["adaptive", "bench", "claims", "data", "experiments", "metrics",
             "models", "report", "reproduce", "robustness", "robustness_analysis",
             "search", "sparsity", "record.summaries", "record.cost", "paper", "result_files"]


@pytest.mark.parametrize("name", DOCTESTED)
def test_library_docstring_examples_run(name):
    module = importlib.import_module(f"spectral.{name}")
    result = doctest.testmod(module, verbose=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def _spectral_import_graph():
    """`{module: {spectral modules it imports anywhere in its text}}`."""
    import ast

    package = Path(spectral.__file__).parent
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("spectral"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("spectral")}
        graph[name] = {t for t in targets if t in modules and t not in (name, "spectral")}
    return graph


def test_no_import_cycle_among_spectral_modules():
    # Lazy imports inside functions count too: data flows one way.
    import graphlib

    graph = _spectral_import_graph()
    assert "spectral.record.store" in graph and "spectral.study" in graph
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError


def test_the_import_graph_check_sees_a_cycle():
    import graphlib

    graph = _spectral_import_graph()
    graph["spectral.paper"] = graph["spectral.paper"] | {"spectral.study"}
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter(graph).prepare()


def test_section_5_1_config_holds_the_papers_protocol():
    from spectral import paper
    from spectral.config import section_5_1_config

    config = section_5_1_config(epochs=30)
    assert config.network == "spectral_pooling" and config.optimizer == "sgd"
    assert config.learning_rate == paper.SECTION_5_1["learning_rate"]
    assert config.lr_drops == tuple(sorted({round(30 * f) for f in paper.LR_DROP_FRACTIONS}))
