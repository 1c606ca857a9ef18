import argparse
import os
import re
import subprocess
import sys
import time

import pytest

from scalingml import cli, course, doctor, sandbox
from tests.notebook_tools import scratch_copy
from tests.test_cluster import closed_loopback_port


def run_cli(*args, env=None, timeout=60):
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "scalingml", *args], capture_output=True, text=True, env=environment, timeout=timeout
    )


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("scalingml ")


def test_doctor_reports_versions_profile_and_embedded_cluster(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    for expected in (
        "scikit-learn",
        "pandas",
        "nbgrader",
        "cores",
        "memory",
        r"scale profile\s+ci",
        "embedded",
        rf"grading sandbox\s+{sandbox.isolation()}",
    ):
        assert re.search(expected, result.stdout), expected


def test_doctor_with_unreachable_scheduler_reports_it_quickly():
    address = closed_loopback_port()
    result = run_cli("doctor", "--timeout", "1.5", env={"DASK_SCHEDULER_ADDRESS": address}, timeout=60)
    assert result.returncode == 1
    assert "!! cluster reachable" in result.stdout and address in result.stdout
    assert "within 1.5 s" in result.stdout, "the probe uses the --timeout given"
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_no_probe_skips_the_remote_check():
    result = run_cli("doctor", "--no-probe", env={"DASK_SCHEDULER_ADDRESS": closed_loopback_port()})
    assert result.returncode == 0
    assert "remote scheduler" in result.stdout and "cluster reachable" not in result.stdout


def test_doctor_proves_the_default_storage_with_a_probe(monkeypatch):
    monkeypatch.delenv("SCALINGML_STORAGE", raising=False)
    result = run_cli("doctor", "--no-probe")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"   storage\s+a local folder in the course's scratch area", result.stdout)
    assert re.search(r"   storage probe\s+write, read and delete of a 1024-byte object: \d+ ms", result.stdout)


def test_doctor_probes_an_object_store_and_flags_an_unreachable_one():
    from scalingml.storage import embedded

    with embedded.start() as store:
        env = {
            "SCALINGML_STORAGE": f"{store.url}/doctor",
            "AWS_ENDPOINT_URL": store.endpoint,
            "AWS_ACCESS_KEY_ID": embedded.KEY,
            "AWS_SECRET_ACCESS_KEY": embedded.SECRET,
        }
        result = run_cli("doctor", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"object store at {store.endpoint}" in result.stdout and "   storage probe" in result.stdout
        assert store.fs.find(store.root) == [], "the probe deletes what it wrote"
    started = time.monotonic()
    result = run_cli("doctor", env=env)  # the server is gone
    assert time.monotonic() - started < 45, "bounded by the storage timeouts"
    assert result.returncode == 1 and "!! storage probe" in result.stdout and "Could not reach" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "storage probe" not in run_cli("doctor", "--no-probe", env=env).stdout, "--no-probe contacts no store"


def test_doctor_flags_a_bad_storage_setting():
    result = run_cli("doctor", "--no-probe", env={"SCALINGML_STORAGE": "nosuchfs://x"})
    assert result.returncode == 1 and "!! storage" in result.stdout and "fsspec does not know" in result.stdout


def test_doctor_flags_an_unknown_profile():
    result = run_cli("doctor", env={"SCALINGML_SCALE": "gigantic"})
    assert result.returncode == 1
    assert "!! scale profile" in result.stdout and "ci, small, large" in result.stdout


def test_lab_refuses_an_unknown_profile_without_starting_jupyter(monkeypatch, capsys):
    monkeypatch.setenv("SCALINGML_SCALE", "gigantic")
    assert cli.main(["lab"]) == 2
    assert "Valid profiles: ci, small, large" in capsys.readouterr().err


def test_lab_builds_the_jupyter_command(monkeypatch, capsys, repo):
    launched = {}

    def fake_call(command, cwd):
        launched.update(command=command, cwd=cwd)
        return 0

    monkeypatch.setattr(cli.lab, "run", fake_call)
    assert cli.main(["lab", "--no-browser"]) == 0
    assert launched["cwd"] == repo
    assert f"--ServerApp.root_dir={repo}" in launched["command"]
    assert "--LabApp.default_url=/lab/tree/course/00_welcome.ipynb" in launched["command"]
    assert "--no-browser" in launched["command"]


@pytest.mark.parametrize("uid, expected", [(0, True), (1000, False)])
def test_lab_allows_root_only_when_running_as_root(monkeypatch, uid, expected):
    launched = {}
    monkeypatch.setattr(cli.lab, "run", lambda command, cwd: launched.update(command=command) or 0)
    monkeypatch.setattr(cli.os, "geteuid", lambda: uid)
    assert cli.main(["lab", "--no-browser"]) == 0
    assert ("--allow-root" in launched["command"]) is expected


def test_release_unknown_assignment_is_a_clear_error(capsys):
    assert cli.main(["release", "99_nope"]) == 2
    err = capsys.readouterr().err
    assert "Unknown assignment '99_nope'; known: 00_welcome, 01_data_management," in err and "[" not in err


def test_every_command_takes_an_assignments_number_as_start_does():
    assert course.require_assignments(["00", "02_model_complexity"]) == ["00_welcome", "02_model_complexity"]
    assert course.resolve_assignment("03") == "03_infrastructure"


def test_feedback_names_the_assignment_a_number_stands_for(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(scratch_copy(["00_welcome"], tmp_path / "course"))  # nothing graded there
    assert cli.main(["feedback", "00"]) == 2
    assert "No autograded submissions of 00_welcome" in capsys.readouterr().err


def test_profiles_marks_the_active_one(capsys):
    assert cli.main(["profiles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("*")] == ["ci"]


def test_profiles_follows_the_same_rule_as_every_command(monkeypatch, capsys):
    monkeypatch.setenv("SCALINGML_SCALE", " SMALL ")
    assert cli.main(["profiles"]) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("*")] == ["small"]
    monkeypatch.setenv("SCALINGML_SCALE", "gigantic")
    assert cli.main(["profiles"]) == 2
    assert "Valid profiles: ci, small, large" in capsys.readouterr().err


def test_domain_errors_are_one_line_and_bugs_keep_their_traceback(monkeypatch, capsys):
    def domain_error(args):
        raise course.UnknownAssignmentError("Unknown assignment(s) ['x']")

    monkeypatch.setattr(cli, "_profiles", domain_error)
    assert cli.main(["profiles"]) == 2
    assert capsys.readouterr().err.strip() == "scalingml profiles: Unknown assignment(s) ['x']"

    def bug(args):
        raise ValueError("a bug in pandas or in our code")

    monkeypatch.setattr(cli, "_profiles", bug)
    with pytest.raises(ValueError, match="a bug"):
        cli.main(["profiles"])


def test_datasets_lists_the_shipped_files(capsys):
    assert cli.main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "churn.csv" in out and "transactions.csv" in out


def test_doctor_report_frame_has_one_row_per_check(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    frame = doctor.report()
    assert {"topic", "value", "ok"} == set(frame.columns)
    assert frame["topic"].tolist() == [check.topic for check in doctor.checks()]
    assert frame["topic"].is_unique and frame["ok"].all()


def test_every_subcommand_prints_its_help(capsys):
    """argparse formats help with %: a literal percent sign in a help text crashes --help (it once did for check)."""
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"check", "grade", "lab", "release", "start"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as exited:
            cli.main([name, "--help"])
        assert exited.value.code == 0, name
        assert "usage: scalingml" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["grade", "--help"], ["profiles"]])
def test_help_and_light_commands_do_not_import_pandas_or_dask(argv):
    """Those take a second to load; a command that never touches a frame or a cluster does not wait for them."""
    probe = (
        "import sys\nfrom scalingml import cli\ntry:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'dask', 'distributed', 'sklearn') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
