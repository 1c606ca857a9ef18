"""The workshop server end to end: a real JupyterHub, real Unix users, nbgrader's exchange, headless Chromium.

``scalingml workshop start`` (the real command, in the environment ``deploy/install-workshop.sh`` makes)
serves an instructor and two learners that the test creates and removes. A learner logs in through the
hub's login page, fetches ``00_welcome`` from the Assignments tab, answers a question and submits; the
instructor collects, grades with ``scalingml grade`` on nbgrader's ``submitted/`` in place and releases
feedback; the learner fetches it and the test reads the score. The other learner cannot read the first
one's files or submission, nor any hidden test, and a memory bomb in their kernel is stopped while the
first learner's server keeps answering. The hub is stopped and started again, and the work, the
submission and the gradebook are still there.

Needs root, configurable-http-proxy, Chromium and the workshop environment (``SCALINGML_WORKSHOP_ENV``,
default ``/opt/scalingml-workshop``); ``.ci/run`` makes all of them. Elsewhere it is skipped with the
reason. Screenshots land in ``test-artifacts/workshop/``.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shlex
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from scalingml import cells
from scalingml.workshop import accounts, limits
from tests.notebook_tools import REPO
from tests.test_browser import chromium, free_port, launched_chromium, open_and_run_all

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.workshop]

WORKSHOP_ENV = Path(os.environ.get("SCALINGML_WORKSHOP_ENV", "/opt/scalingml-workshop"))
ARTIFACTS = Path(os.environ.get("SCALINGML_TEST_ARTIFACTS", REPO / "test-artifacts")) / "workshop"
ASSIGNMENT = "00_welcome"
ANSWER = 'churn = datasets.load("churn")\nchurn_rate = float(churn["churned"].mean())'
BOMB = "blocks = [b'x' * 2**26 for _ in range(1000)]  # 64 GB, written (not lazily mapped) page by page"
MEMORY = "1200M"  # each learner's share here: enough for a server and a kernel, small enough to bomb quickly
SPAWN_MS = 240_000  # a user server spawns in ~10 s on a quiet 2-core machine; the suite shares those cores
#: what the copy of the checkout the workshop starts from leaves out (a clean clone has none of it)
NOT_COPIED = (".git", ".venv", "grading", "test-artifacts", "wip", "__pycache__", ".ruff_cache", ".mypy_cache")


def _source_digest(package: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def ensure_workshop_env() -> Path:
    """The workshop environment, holding this checkout's package (reinstalled, without dependencies, if stale).

    Skips the test where root, the proxy, Chromium or the environment is missing. Test processes running at
    once take turns (a lock file), so one reinstall is never read half-done by another.
    """
    if os.geteuid() != 0:
        pytest.skip("the workshop test creates Unix users: run it as root")
    if shutil.which("configurable-http-proxy") is None:
        pytest.skip("configurable-http-proxy is missing: sudo bash deploy/install-workshop.sh installs it")
    if not (WORKSHOP_ENV / "bin" / "jupyterhub").exists():
        pytest.skip(f"no workshop environment at {WORKSHOP_ENV}: sudo bash deploy/install-workshop.sh makes it")
    python = WORKSHOP_ENV / "bin" / "python"
    with open(WORKSHOP_ENV / ".scalingml-reinstall.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = subprocess.run(
            [python, "-c", "import scalingml, pathlib; print(pathlib.Path(scalingml.__file__).parent)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if _source_digest(Path(installed)) != _source_digest(REPO / "src" / "scalingml"):
            subprocess.run(
                [python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(REPO)],
                check=True,
                capture_output=True,
            )
    return WORKSHOP_ENV


@pytest.fixture(scope="module")
def workshop_env() -> Path:
    """:func:`ensure_workshop_env`, once per module, with Chromium (the browser drives the hub)."""
    env = ensure_workshop_env()
    chromium()
    return env


def private_checkout(target: Path) -> Path:
    """A copy of this checkout only root can read: the workshop refuses one whose solutions learners could open."""
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(*NOT_COPIED))
    os.chmod(target, 0o700)
    return target


class Workshop:
    """The CLI of one workshop, run as root the way docs/workshop.md says."""

    def __init__(self, env: Path, course_root: Path, directory: Path, port: int, instructor: str, roster: Path):
        self.env, self.course_root, self.directory = env, course_root, directory
        self.port, self.instructor, self.roster = port, instructor, roster
        self.url = f"http://127.0.0.1:{port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.env / "bin" / "scalingml"), "workshop", *args, "--dir", str(self.directory)],
            cwd=self.course_root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and done.returncode:
            log = self.directory / "hub" / "jupyterhub.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            pytest.fail(f"scalingml workshop {' '.join(args)} failed:\n{done.stdout}{done.stderr}\n{tail}")
        return done

    def start(self) -> str:
        args = ["start", str(self.roster), "--port", str(self.port), "--ip", "127.0.0.1"]
        return self.cli(*args, "--instructor", self.instructor, "--memory", MEMORY).stdout

    def passwords(self) -> dict[str, str]:
        lines = (self.directory / "passwords.csv").read_text().splitlines()[1:]
        return {line.split(",")[0]: line.split(",")[2] for line in lines}

    def as_user(self, name: str, command: str, check: bool = True) -> subprocess.CompletedProcess:
        """``command`` in bash as Unix user ``name``, in their home, with the workshop environment on PATH."""
        home = pwd.getpwnam(name).pw_dir
        env = ["env", "-i", f"HOME={home}", f"USER={name}", f"PATH={self.env / 'bin'}:/usr/bin:/bin"]
        done = subprocess.run(
            ["runuser", "-u", name, "--", *env, "bash", "-c", f"cd ~ && {command}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and done.returncode:
            pytest.fail(f"as {name}: {command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done


@pytest.fixture
def workshop(workshop_env, tmp_path):
    tag = secrets.token_hex(2)
    learners = [f"wsl{tag}a", f"wsl{tag}b"]
    roster = tmp_path / "roster.txt"
    roster.write_text("# the workshop test's class\n" + "\n".join(learners) + "\n")
    directory = Path(tempfile.mkdtemp(prefix="scalingml-workshop-test-"))
    shop = Workshop(workshop_env, private_checkout(tmp_path / "course"), directory, free_port(), f"wsi{tag}", roster)
    shop.learners = learners
    try:
        yield shop
    finally:
        shop.cli("remove", "--delete-learners-work", check=False)
        shutil.rmtree(directory, ignore_errors=True)
        leftover = [name for name in [*learners, shop.instructor] if accounts.exists(name)]
        assert not leftover, f"remove left accounts behind: {leftover}"


@pytest.fixture
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launched_chromium() as launched:
        yield launched


#: In a logged-in JupyterLab page: open a terminal, run a command in it, return what the terminal printed.
TERMINAL_RUN = """async ([base, command]) => {
  const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
  const made = await fetch(base + 'api/terminals', {method: 'POST', headers: {'X-XSRFToken': xsrf}});
  const {name} = await made.json();
  const socket = new WebSocket(base.replace(/^http/, 'ws') + 'terminals/websocket/' + name);
  let out = '';
  return await new Promise((resolve) => {
    socket.onmessage = (message) => {
      const [kind, text] = JSON.parse(message.data);
      if (kind === 'stdout') out += text;
      if (out.includes('command-done-2')) { socket.close(); resolve(out); }
    };
    socket.onopen = () => socket.send(JSON.stringify(['stdin', command + '; echo command-done-$((1+1))\\r']));
    setTimeout(() => resolve(out), 240000);
  });
}"""


def in_terminal(page, shop: Workshop, name: str, command: str) -> str:
    """``command`` in a JupyterLab terminal of ``name``'s server (as the learner's own shell runs it)."""
    return page.evaluate(TERMINAL_RUN, [f"{shop.url}/user/{name}/", command])


def log_in(browser, shop: Workshop, name: str, password: str):
    """A fresh browser context (its own cookies) logged in as ``name``; returns its page, in JupyterLab."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{shop.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{name}/lab**", timeout=SPAWN_MS)
    page.wait_for_selector(".jp-LabShell", timeout=SPAWN_MS)
    return page


def open_assignments(page) -> None:
    page.click("div.lm-MenuBar-itemLabel:text-is('Nbgrader')")
    page.click("li.lm-Menu-item:has-text('Assignment List')")
    page.wait_for_selector("#released_assignments_list", timeout=60_000)


def shot(page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def hidden_test_lines() -> list[str]:
    """Distinctive lines of the hidden tests in solutions/ (no learner may be able to read them anywhere).

    A line also in a released exercise (a visible test shares it) or too short to be distinctive is left out.
    """
    released = {
        line.strip()
        for path in (REPO / "exercises").glob("*/*.ipynb")
        for cell in nbformat.read(path, 4).cells
        for line in cell.source.splitlines()
    }
    lines = set()
    for path in sorted((REPO / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            source = cell.source
            while cells.BEGIN_HIDDEN_TESTS in source:
                start = source.index(cells.BEGIN_HIDDEN_TESTS) + len(cells.BEGIN_HIDDEN_TESTS)
                end = source.index(cells.END_HIDDEN_TESTS, start)
                lines.update(line.strip() for line in source[start:end].splitlines() if len(line.strip()) > 35)
                source = source[end:]
    assert len(lines) > 100, "too few hidden-test lines to search for: has the hidden-test marker changed?"
    return sorted(lines - released)


def test_a_class_runs_the_assignment_cycle_on_the_workshop_server(workshop, browser):
    shop = workshop
    first, second = shop.learners
    began = time.monotonic()
    shop.start()
    passwords = shop.passwords()
    assert set(passwords) == {shop.instructor, first, second}
    assert oct((shop.directory / "passwords.csv").stat().st_mode & 0o777) == "0o600"

    # logins: PAM, each learner's own password; one learner's password does not open another's account
    refused = browser.new_context().new_page()
    refused.goto(f"{shop.url}/hub/login")
    refused.fill("#username_input", second)
    refused.fill("#password_input", passwords[first])
    refused.click("#login_submit")
    refused.wait_for_selector("text=Invalid username or password", timeout=30_000)
    shot(refused, "01-wrong-password-refused")

    # the instructor releases the assignment (nbgrader's exchange)
    shop.as_user(shop.instructor, f"cd course && nbgrader release_assignment {ASSIGNMENT}")

    # a learner logs in, fetches it from the Assignments tab, answers question 1 and submits
    learner = log_in(browser, shop, first, passwords[first])
    # JupyterLab's terminal finds the workshop's nbgrader and scalingml (a login shell's PATH would not)
    found_in_terminal = in_terminal(learner, shop, first, "command -v nbgrader scalingml")
    for tool in ("nbgrader", "scalingml"):
        assert str(shop.env / "bin" / tool) in found_in_terminal, f"a learner's terminal: {found_in_terminal!r}"
    learner.click("div.lm-MenuBar-itemLabel:text-is('Nbgrader')")
    menu = learner.locator(".lm-Menu").last.inner_text()
    assert "Assignment List" in menu and "Formgrader" not in menu, f"a learner's Nbgrader menu: {menu!r}"
    learner.keyboard.press("Escape")
    open_assignments(learner)
    learner.click("#released_assignments_list button:has-text('Fetch')")
    learner.wait_for_selector(f"#fetched_assignments_list >> text={ASSIGNMENT}", timeout=60_000)
    shot(learner, "02-learner-fetched")
    notebook = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    shop.as_user(
        first,
        "python - <<'EOF'\nimport nbformat\nfrom scalingml import cells\n"
        f"nb = nbformat.read({notebook!r}, 4)\n"
        "cell = next(c for c in nb.cells if cells.nbgrader_metadata(c).get('grade_id') == 'q1_answer')\n"
        f"cell.source = {ANSWER!r}\nnbformat.write(nb, {notebook!r})\nEOF",
    )
    checked = in_terminal(learner, shop, first, f"scalingml check {notebook}")
    assert "q1" in checked, checked
    assert "no released copy" not in checked, "check finds the release in the learner's ~/scalingml"
    learner.click("#fetched_assignments_list button:has-text('Submit')")
    learner.wait_for_selector(f"#submitted_assignments_list >> text={ASSIGNMENT}", timeout=60_000)
    shot(learner, "03-learner-submitted")

    # the other learner can read neither the first one's home nor their submission in the exchange
    other = pwd.getpwnam(first).pw_dir
    inbound = shop.directory / "exchange" / "scalingml" / "inbound"
    submitted = next(inbound.iterdir())
    for path in (f"{other}/{notebook}", str(inbound), f"{submitted}/{ASSIGNMENT}.ipynb"):
        attempt = shop.as_user(second, f"cat {shlex.quote(path)} || ls {shlex.quote(path)}", check=False)
        assert attempt.returncode != 0 and "Permission denied" in attempt.stderr, (path, attempt)
    # and no hidden test is in any file a learner can reach: their home, the workshop's folder, the environment
    reachable = [other, str(shop.directory), str(shop.env)]
    found = subprocess.run(
        ["runuser", "-u", first, "--", "grep", "-rlsF", "-f", "-", *reachable],
        input="\n".join(hidden_test_lines()),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert found.stdout.strip() == "", f"{first} can read hidden-test text in:\n{found.stdout}"

    # the instructor collects and grades nbgrader's submitted/ in place, then releases the feedback
    grading = f"cd course && nbgrader collect {ASSIGNMENT} && scalingml grade {ASSIGNMENT} grading/submitted"
    graded = shop.as_user(shop.instructor, grading)
    assert first in graded.stdout, graded.stdout
    shop.as_user(shop.instructor, f"cd course && scalingml feedback {ASSIGNMENT} --release")

    # the learner fetches the feedback and sees their score
    learner.click("#refresh_assignments_list")
    learner.click("#submitted_assignments_list button:has-text('Fetch Feedback')")
    feedback_dir = Path(other) / ASSIGNMENT / "feedback"
    deadline = time.monotonic() + 60
    while not list(feedback_dir.glob(f"*/{ASSIGNMENT}.html")) and time.monotonic() < deadline:
        time.sleep(0.5)
    html = next(feedback_dir.glob(f"*/{ASSIGNMENT}.html")).read_text()
    assert "Score:" in html and "BEGIN HIDDEN TESTS" not in html
    score = float(html.split("Score:", 1)[1].split("/", 1)[0].strip().split()[-1])
    gradebook = Path(pwd.getpwnam(shop.instructor).pw_dir) / "course" / "grading" / "gradebook.db"
    assert score > 0 and score == _gradebook_score(gradebook, first)
    shot(learner, "04-learner-feedback")

    # the instructor exports the grades: every learner of the roster is in them, the one who never submitted too
    shop.as_user(shop.instructor, "cd course && nbgrader export")
    course_dir = Path(pwd.getpwnam(shop.instructor).pw_dir) / "course"
    exported = (course_dir / "grading" / "grades.csv").read_text().splitlines()
    grades = {row["student_id"]: row for row in csv.DictReader(exported)}
    assert set(grades) == {first, second}, grades
    assert float(grades[first]["raw_score"]) == score and float(grades[second]["raw_score"] or 0) == 0

    # the instructor's formgrader, framed by JupyterLab under the hub
    teacher = log_in(browser, shop, shop.instructor, passwords[shop.instructor])
    teacher.click("div.lm-MenuBar-itemLabel:text-is('Nbgrader')")
    teacher.click("li.lm-Menu-item:has-text('Formgrader')")
    teacher.frame_locator("iframe").locator(f"text={ASSIGNMENT}").first.wait_for(timeout=60_000)
    shot(teacher, "05-instructor-formgrader")

    # a memory bomb in the second learner's kernel is stopped; the first learner's server keeps answering
    bomber = log_in(browser, shop, second, passwords[second])
    bomb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BOMB)])
    bomb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    shop.as_user(second, f"cat > bomb.ipynb <<'EOF'\n{nbformat.writes(bomb)}\nEOF")
    open_and_run_all(bomber, f"{shop.url}/user/{second}/lab/tree/bomb.ipynb")
    if limits.mechanism() == "rlimit":  # each process's address space is capped: the allocation fails in place
        bomber.wait_for_selector("text=MemoryError", timeout=120_000)
    else:  # the learner's cgroup is full: the kernel's OOM killer ends the kernel, in that group only
        deadline = time.monotonic() + 120
        while not limits.oom_kills(second) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert limits.oom_kills(second), f"the memory bomb was not stopped within 120 s ({limits.mechanism()})"
        assert limits.oom_kills(first) == 0
        bomber.wait_for_selector("text=Kernel Restarting", timeout=60_000)
    shot(bomber, "06-memory-bomb-stopped")
    assert _status(learner, f"{shop.url}/user/{first}/api/status") == 200
    assert _status(bomber, f"{shop.url}/user/{second}/api/status") == 200

    # stop and start again: the accounts, passwords, the learner's work, the submission and the gradebook stay
    shop.cli("stop")
    assert "stopped" in shop.cli("status").stdout
    restarted = time.monotonic()
    shop.start()
    assert shop.passwords() == passwords
    assert ANSWER in [cell.source for cell in nbformat.read(Path(other, notebook), 4).cells]
    assert submitted.exists() and _gradebook_score(gradebook, first) == score
    again = log_in(browser, shop, first, passwords[first])
    open_assignments(again)
    again.wait_for_selector(f"#submitted_assignments_list >> text={ASSIGNMENT}", timeout=60_000)
    shot(again, "07-after-restart")
    timings = {"whole_test_s": time.monotonic() - began, "restart_to_login_s": time.monotonic() - restarted}
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=1))


def _status(page, url: str) -> int:
    return page.request.get(url, timeout=30_000).status


def _gradebook_score(gradebook: Path, student: str) -> float:
    with sqlite3.connect(gradebook) as db:
        rows = db.execute(
            "SELECT SUM(COALESCE(g.manual_score, g.auto_score, 0)) FROM grade g "
            "JOIN submitted_notebook n ON g.notebook_id = n.id JOIN submitted_assignment a ON n.assignment_id = a.id "
            "WHERE a.student_id = ?",
            (student,),
        ).fetchone()
    return float(rows[0])
