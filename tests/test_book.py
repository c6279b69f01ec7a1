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

# The book checks need the book extras (PyYAML for the table of contents).
yaml = pytest.importorskip("yaml")

from spectral import reproduce  # noqa: E402

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
        # Lets MathJax finish typesetting before the DOM is dumped.
        "--virtual-time-budget=20000",
    ]
    url = page.resolve().as_uri()
    dom = subprocess.run(
        [_chromium(), *flags, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_chromium(), *flags, f"--screenshot={screenshot}", url],
        capture_output=True,
        timeout=180,
    )
    return dom


def _book_pages():
    """Every page of the table of contents, as built HTML paths."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        files += [chapter["file"] for chapter in part["chapters"]]
    return [f"{Path(f).with_suffix('')}.html" for f in files]


def _visible_text(dom):
    """The page's text outside scripts, styles and typeset math."""
    for tag in ("script", "style", "mjx-container", "mjx-assistive-mml"):
        dom = re.sub(rf"<{tag}\b.*?</{tag}>", " ", dom, flags=re.S)
    return re.sub(r"<[^>]+>", " ", dom)


RAW_TEX = re.compile(
    r"\\\(|\\\[|\$\$|\\(frac|lfloor|rfloor|mathbf|mathcal|hat|sum|times|cdot)\b"
)
# A table row left as text: three or more "|" on one line, or the
# separator row (Sphinx's smart quotes turn its "---" into an em dash).
RAW_TABLE = re.compile(r"\|\s*:?(-{3,}|—)|^[^\n|]*\|[^\n]*\|[^\n]*\|", re.M)
NAN = re.compile(r"\bnan\b")


@pytest.mark.parametrize("page", _book_pages())
def test_every_page_renders_in_a_browser(page, tmp_path):
    """Every page: a title, no error output, math typeset by the bundled
    MathJax (no network), no raw TeX or markdown table left, no "nan",
    and every image present."""
    path = HTML / page
    if not path.is_file():
        pytest.fail(f"{path} missing: run `make book` first")
    shot = ROOT / "_build" / "screenshots" / (path.stem + ".png")
    dom = _browse(path, shot, tmp_path)
    assert re.search(r"<h1>(.*?)<", dom, re.S), "no page title"
    assert "Traceback" not in dom and "output error" not in dom
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', dom, re.I)
    assert not any(s.startswith("http") for s in scripts), (
        f"MathJax must be bundled, found {scripts}"
    )
    source = path.read_text()
    if "math notranslate" in source:  # the page has equations
        assert scripts, "a page with equations loads no MathJax"
        assert "<mjx-container" in dom, "MathJax did not typeset offline"
    text = _visible_text(dom)
    for pattern, what in (
        (RAW_TEX, "raw TeX"),
        (RAW_TABLE, "a raw markdown table"),
        (NAN, "nan"),
    ):
        found = pattern.search(text)
        if found:
            around = text[max(0, found.start() - 80) : found.end() + 80]
            pytest.fail(f"{what} on {page}: ...{around}...")
    for src in re.findall(r'<img[^>]*src="([^"]+)"', source):
        if not src.startswith("data:"):
            assert (path.parent / src).is_file(), f"missing image {src}"
    assert shot.is_file() and shot.stat().st_size > 10_000


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
def test_built_pages_have_their_titles_and_figures(page, title, min_images):
    dom = (HTML / page).read_text()
    heading = re.search(r"<h1>(.*?)<", dom, re.S)
    assert heading and title in heading.group(1)
    assert dom.count("<img") >= min_images


LAYOUT_SCRIPT = """
<script>
let probed = false;
function probe() {
  if (probed) return;
  probed = true;
  const article = document.querySelector("article.bd-article") || document.querySelector("main");
  const a = article.getBoundingClientRect();
  const side = document.querySelector(".bd-sidebar-secondary");
  const shown = side && getComputedStyle(side).display !== "none" && side.offsetWidth > 0;
  const s = shown ? side.getBoundingClientRect() : null;
  const bad = [];
  const selector = "table, img, pre, figure, .cell_output, mjx-container[display='true']";
  for (const el of article.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const what = el.tagName.toLowerCase() + ": " + el.textContent.trim().slice(0, 60);
    if (r.right > a.right + 1 || r.left < a.left - 1)
      bad.push(`${what} | ${Math.round(r.width)} px wide, the article ${Math.round(a.width)} px`);
    else if (el.tagName !== "IMG" && el.scrollWidth > el.clientWidth + 1
             && getComputedStyle(el).overflowX !== "visible")
      bad.push(`${what} | scrolls sideways (${el.scrollWidth} px in ${el.clientWidth} px)`);
    if (s && r.right > s.left + 1 && r.left < s.right - 1)
      bad.push(`${what} | under the contents panel`);
  }
  const out = document.createElement("pre");
  out.id = "layout-report";
  out.textContent = JSON.stringify(bad);
  document.body.appendChild(out);
}
window.addEventListener("load", () => setTimeout(probe, 300));
setTimeout(probe, 10000);  // a page whose load never ends is still measured
</script>
"""


def _layout_problems(page, width, tmp_path):
    """What does not fit on a built page at a window `width` px wide."""
    probe = page.with_name(f".layout-{page.stem}-{width}.html")
    probe.write_text(page.read_text().replace("</body>", LAYOUT_SCRIPT + "</body>"))
    try:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}",
                 f"--window-size={width},900", "--virtual-time-budget=20000",
                 "--dump-dom", probe.resolve().as_uri()]
        dom = subprocess.run([_chromium(), *flags], capture_output=True,
                             text=True, timeout=180).stdout
    finally:
        probe.unlink()
    found = re.search(r'<pre id="layout-report"[^>]*>(.*?)</pre>', dom, re.S)
    assert found, "the layout probe did not run"
    import html

    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [1280, 768])
@pytest.mark.parametrize("page", _book_pages())
def test_every_page_fits_its_column(page, width, tmp_path):
    """No table, figure or code block is wider than the article or scrolls
    sideways, and nothing sits under the contents panel."""
    path = HTML / page
    if not path.is_file():
        pytest.fail(f"{path} missing: run `make book` first")
    problems = _layout_problems(path, width, tmp_path)
    assert not problems, f"{page} at {width} px:\n" + "\n".join(problems)
