"""Checks of the executed chapters and the rendered book (marker: notebooks).

Run after `make reproduce PROFILE=smoke` and `make book`, as CI does. The
browser check opens built pages in headless Chromium (Debian's `chromium`
package) and keeps screenshots in `_build/screenshots/` as CI artefacts.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from spectral import reproduce

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "_build" / "smoke"
HTML = ROOT / "_build" / "html"
pytestmark = pytest.mark.notebooks


def glued(notebook, key):
    """The text/plain value glued under `key` in an executed notebook."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if (
                output.get("metadata", {}).get("scrapbook", {}).get("name")
                == key
            ):
                # glue(..., display=False) prefixes the MIME type.
                for mime, value in output["data"].items():
                    if mime.endswith("text/plain"):
                        return value
    raise KeyError(key)


@pytest.mark.parametrize("chapter", reproduce.chapters(), ids=lambda p: p.stem)
def test_smoke_execution_has_no_errors(chapter):
    path = SMOKE / f"{chapter.stem}.ipynb"
    if not path.is_file():
        pytest.fail(f"{path} missing: run `make reproduce PROFILE=smoke` first")
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", cell["source"][:200]
    assert notebook["metadata"]["papermill"]["parameters"]["profile"] == "smoke"


def test_smoke_results_are_numbers_in_range():
    notebook = json.loads((SMOKE / "03-cifar-classification.ipynb").read_text())
    assert 0.0 <= float(glued(notebook, "cifar10-error-mean")) <= 1.0
    result = json.loads((SMOKE / "results" / "cifar10.json").read_text())
    assert result["provenance"]["git_sha"]
    assert result["data_source"]
    speedup = json.loads((SMOKE / "results" / "speedup.json").read_text())
    assert len(speedup["cases"]) == 6


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("no Chromium: CI installs Debian's chromium package")


def _browse(page, screenshot, tmp_path):
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,1800",
    ]
    url = page.resolve().as_uri()
    dom = subprocess.run(
        [_chromium(), *flags, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_chromium(), *flags, f"--screenshot={screenshot}", url],
        capture_output=True,
        timeout=120,
    )
    return dom


@pytest.mark.parametrize(
    "page,title,min_images",
    [
        ("book/intro.html", "Spectral representations", 0),
        (
            "book/02-information-preservation.html",
            "Information preservation",
            3,
        ),
        ("book/03-cifar-classification.html", "CIFAR classification", 1),
    ],
    ids=["intro", "information", "classification"],
)
def test_built_pages_render_in_a_browser(page, title, min_images, tmp_path):
    path = HTML / page
    if not path.is_file():
        pytest.fail(f"{path} missing: run `make book` first")
    shot = ROOT / "_build" / "screenshots" / (path.stem + ".png")
    dom = _browse(path, shot, tmp_path)
    heading = re.search(r"<h1>(.*?)<", dom, re.S)
    assert heading and title in heading.group(1)
    assert dom.count("<img") >= min_images
    assert "Traceback" not in dom and "output error" not in dom
    assert shot.is_file() and shot.stat().st_size > 10_000
