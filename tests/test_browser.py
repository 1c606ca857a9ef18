"""JupyterLab in a real browser: `scalingml lab` serves a scratch copy of the course, headless Chromium runs it.

The learner's path, end to end: the welcome lesson opens, "Run all" executes it in a live kernel, its outputs
appear, a quick-check slider moves and its feedback follows, a choice is checked; then the learner's own copy of
an exercise (from ``scalingml start``) runs its visible tests, and what the browser saves is read back from disk.

Needs Chromium (Debian's ``chromium`` package, which ``.ci/run`` installs like bubblewrap) and Playwright for
Python (the test extra). ``playwright install`` cannot download browsers here, so the test launches the
system's Chromium. Without one it is skipped, with the reason in pytest's summary (``-rs``).
Screenshots land in ``test-artifacts/browser/`` (or ``$SCALINGML_TEST_ARTIFACTS``), on failure too.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from scalingml import cells
from scalingml.quickcheck import question
from tests.notebook_tools import REPO, scratch_copy

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: flags for a headless Chromium in a container without network (no sandbox as root, no background traffic)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("SCALINGML_TEST_ARTIFACTS", REPO / "test-artifacts")) / "browser"
LESSON = "course/00_welcome.ipynb"
ASSIGNMENT = "00_welcome"
SLOW = 240_000  # ms: a lesson run shares 2 cores with the rest of the suite


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    pytest.skip(
        "no Chromium on PATH (tried " + ", ".join(CHROMIUM_NAMES) + "): install Debian's chromium package "
        "(apt-get install chromium) to run the browser test; .ci/run does this when it runs as root"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_course(workdir: Path) -> Path:
    """A course with the welcome lesson and assignment 00, and a learner's copy of it with question 1 answered."""
    root = scratch_copy([ASSIGNMENT], workdir)
    (root / "course").mkdir()
    shutil.copy2(REPO / LESSON, root / LESSON)
    shutil.copytree(REPO / "exercises" / ASSIGNMENT, root / "exercises" / ASSIGNMENT)
    subprocess.run(
        [sys.executable, "-m", "scalingml", "start", ASSIGNMENT, "--no-lab"], cwd=root, check=True, capture_output=True
    )
    mine = root / "my-work" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(mine, 4)
    answer = next(c for c in notebook.cells if cells.nbgrader_metadata(c).get("grade_id") == "q1_answer")
    answer.source = 'churn = datasets.load("churn")\nchurn_rate = float(churn["churned"].mean())'
    nbformat.write(notebook, mine)
    return root


@pytest.fixture
def lab(tmp_path):
    """`scalingml lab` on a scratch course, on a free loopback port; yields (base URL, token, course root)."""
    root = scratch_course(tmp_path / "course")
    port, token = free_port(), "scalingml-browser-test"
    env = {
        **os.environ,
        # a private Jupyter home: no user settings or saved workspace leak in, nothing is written to ~/.jupyter
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
    }
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scalingml",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--LabApp.news_url=None",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"scalingml lab exited with {server.returncode}:\n{(tmp_path / 'lab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 90 s:\n{(tmp_path / 'lab.log').read_text()}")
            time.sleep(0.5)
        yield base, token, root
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


@contextlib.contextmanager
def launched_chromium():
    """The system's Chromium, headless, through Playwright (skips the test where either is missing); closed after."""
    executable = chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is in the test extra")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page():
    """A headless Chromium page; a screenshot of the last state is saved whatever happens."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launched_chromium() as browser:
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield tab
        finally:
            tab.screenshot(path=ARTIFACTS / "last.png")


def open_and_run_all(page, url: str) -> None:
    """Open a notebook and run every cell from the Run menu, once its kernel is connected.

    The execution indicator reads "idle" before the kernel connects, and a "Run all" clicked then runs nothing;
    so run all is clicked again until a cell shows that it ran or is queued (``[*]``, ``[1]``).
    """
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=SLOW)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ran = re.compile(r"\[(\*|\d+)\]")
    started = page.locator(".jp-NotebookPanel .jp-InputPrompt", has_text=ran)
    deadline = time.monotonic() + SLOW / 1000
    while time.monotonic() < deadline:
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=SLOW)
        if page.locator(".jp-Dialog").is_visible():  # "Select Kernel": run all reached a notebook without one
            page.locator(".jp-Dialog .jp-mod-accept").click()
            continue
        page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
        page.click("li[data-command='runmenu:run-all']")
        try:
            started.first.wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:  # the kernel was not connected yet
            continue
    pytest.fail(f"no cell of {url} ever ran: the kernel did not start")


def test_a_learner_runs_the_welcome_lesson_and_an_exercise_in_jupyterlab(page, lab):
    from playwright.sync_api import expect

    base, token, root = lab
    started = time.monotonic()
    # one workspace per notebook: each page then holds one notebook panel, whatever JupyterLab restores
    open_and_run_all(page, f"{base}/lab/workspaces/lesson/tree/{LESSON}?token={token}")
    outputs = page.locator(".jp-OutputArea-output")
    panels = page.locator(".scalingml-quickcheck")
    expect(outputs.filter(has_text="computed the squares of 0..7")).to_have_count(1, timeout=SLOW)
    expect(outputs.filter(has_text=re.compile(r"fit time grows like n\^-?\d"))).to_have_count(1, timeout=SLOW)
    panels.last.scroll_into_view_if_needed()
    expect(panels).to_have_count(5, timeout=SLOW)  # one per section, the last one after the experiment

    # a multiple-choice quick check (the first, 00.course): the right option is explained
    course_check = panels.first
    course_check.scroll_into_view_if_needed()
    course_check.locator("label", has_text=f"({question('00.course').right_letter})").click()
    course_check.get_by_role("button", name="Check").click()
    expect(course_check).to_contain_text("Right.", timeout=20_000)

    # the last check follows the lesson's verdict: an estimate with a slider, or (fit inconclusive) a question on why
    estimate = panels.last
    estimate.scroll_into_view_if_needed()
    if estimate.locator(".noUi-handle").count() == 0:
        instead = question("00.first-experiment").instead
        expect(estimate).to_contain_text("inconclusive")
        estimate.locator("label", has_text=f"({instead.right_letter})").click()
        estimate.get_by_role("button", name="Check").click()
        expect(estimate).to_contain_text("Right.", timeout=20_000)
    else:
        readout = estimate.locator(".widget-readout")
        before = readout.inner_text()
        estimate.get_by_role("button", name="Check").click()
        feedback = estimate.locator(".widget-html").last
        expect(feedback).to_contain_text(re.compile(r"Close\.|Too low\.|Too high\."), timeout=20_000)
        first_feedback = feedback.inner_text()
        estimate.locator(".noUi-handle").first.focus()
        for _ in range(120):
            page.keyboard.press("ArrowRight")
        expect(readout).not_to_have_text(before)
        expect(feedback).not_to_have_text(first_feedback, timeout=20_000)
    page.screenshot(path=ARTIFACTS / "welcome-lesson.png")
    lesson_seconds = time.monotonic() - started

    # the learner's copy of the exercise: question 1 answered, question 2 not yet
    mine = f"my-work/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    open_and_run_all(page, f"{base}/lab/workspaces/exercise/tree/{mine}?token={token}")
    expect(outputs.filter(has_text="NotImplementedError")).not_to_have_count(0, timeout=SLOW)
    page.screenshot(path=ARTIFACTS / "exercise.png")
    page.keyboard.press("Escape")
    page.click("div.lm-MenuBar-itemLabel:text-is('File')")
    page.click("li[data-command='docmanager:save']")
    saved = _wait_for_saved_outputs(root / mine)
    by_id = {cells.nbgrader_metadata(c).get("grade_id"): c for c in saved.cells}
    assert by_id["q1_answer"].execution_count and by_id["q1_tests"].execution_count, "question 1 did not run"
    assert not [o for o in by_id["q1_tests"].outputs if o.output_type == "error"], "q1's visible tests failed"
    # question 2's answer only defines a function; its visible test calls it and meets the unanswered stub
    q2_errors = [o.ename for o in by_id["q2_tests"].outputs if o.output_type == "error"]
    assert q2_errors == ["NotImplementedError"], f"the unanswered question should say so, got {q2_errors}"
    print(f"browser test: lesson run + widgets {lesson_seconds:.1f} s, total {time.monotonic() - started:.1f} s")


def _wait_for_saved_outputs(path: Path, timeout: float = 30.0) -> nbformat.NotebookNode:
    deadline = time.monotonic() + timeout
    while True:
        notebook = nbformat.read(path, 4)
        errors = [o for c in notebook.cells for o in getattr(c, "outputs", []) if o.output_type == "error"]
        if errors or time.monotonic() > deadline:  # the save that follows the run, not an earlier autosave
            return notebook
        time.sleep(0.5)
