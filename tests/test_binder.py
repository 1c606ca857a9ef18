"""The Binder image installs what pyproject.toml requires, pinned, on a Python that pyproject accepts."""

import re
import subprocess
import sys
import tomllib
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.notebook_tools import REPO

BINDER = REPO / "binder"


def project():
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def binder_pins() -> dict[str, Requirement]:
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            pins[canonicalize_name(requirement.name)] = requirement
    return pins


def test_every_binder_line_is_an_exact_pin():
    for name, requirement in binder_pins().items():
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{name} is not pinned exactly"


@pytest.mark.parametrize("requirement", project()["dependencies"])
def test_every_runtime_dependency_is_pinned_and_satisfied(requirement):
    required = Requirement(requirement)
    pins = binder_pins()
    name = canonicalize_name(required.name)
    assert name in pins, f"binder/requirements.txt does not pin {required.name}"
    pinned = Version(next(iter(pins[name].specifier)).version)
    assert required.specifier.contains(pinned), f"binder pins {name}=={pinned}, pyproject wants {required.specifier}"
    assert required.extras <= pins[name].extras, f"binder must install {name}{sorted(required.extras)}"


def test_binder_pins_only_what_pyproject_needs():
    wanted = {canonicalize_name(Requirement(r).name) for r in project()["dependencies"]}
    extra = set(binder_pins()) - wanted
    assert not extra, f"binder pins packages pyproject does not require (keep the image lean): {sorted(extra)}"


def test_binder_python_satisfies_requires_python():
    match = re.fullmatch(r"python-(\d+\.\d+)\s*", (BINDER / "runtime.txt").read_text())
    assert match, "runtime.txt must read python-X.Y"
    assert Version(match.group(1)) >= Version("3.11"), (
        "nbgrader 0.9.6 needs Python >= 3.11 (repo2docker defaults to 3.10)"
    )
    from packaging.specifiers import SpecifierSet

    assert SpecifierSet(project()["requires-python"]).contains(match.group(1) + ".0")


def test_post_build_installs_the_package_and_stops_on_error():
    script = (BINDER / "postBuild").read_text()
    assert script.startswith("#!/bin/bash") and "set -e" in script
    assert re.search(r"pip install .*\s\.\s*$", script, re.M), "postBuild must install the package from the repo"


def test_start_selects_small_caps_blas_and_execs():
    script = (BINDER / "start").read_text()
    assert 'SCALINGML_SCALE="${SCALINGML_SCALE:-small}"' in script
    assert "OMP_NUM_THREADS" in script and "OPENBLAS_NUM_THREADS" in script
    assert script.rstrip().splitlines()[-1] == 'exec "$@"'


def test_binder_scripts_are_executable():
    for script in ("postBuild", "start"):
        assert (BINDER / script).stat().st_mode & 0o111, f"binder/{script} must be executable"


def test_readme_links_self_study_to_the_repository_and_a_graded_class_to_the_learner_branch():
    """Two Binder links, each opening the welcome lesson: HEAD (model answers) and the branch scalingml dist writes."""
    readme = (REPO / "README.md").read_text()
    links = dict(re.findall(r"\[!\[Binder: ([\w -]+)\]\([^)]*\)\]\((https://mybinder\.org/v2/gh/[^)]+)\)", readme))
    assert set(links) == {"self-study", "graded class"}, links
    assert links["self-study"].split("/")[7].startswith("HEAD?")
    assert links["graded class"].split("/")[7].startswith("learner?")
    assert all(link.endswith("?urlpath=lab/tree/course/00_welcome.ipynb") for link in links.values())
    assert "--git-branch learner" in readme and "git push origin learner" in readme


def test_wheel_ships_the_datasets(tmp_path):
    """postBuild's non-editable install must still find the data through the package."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("scalingml-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "scalingml/_shipped_datasets/churn.csv" in names
    assert "scalingml/_shipped_datasets/README.md" in names
    assert "scalingml/learner_jupyter_config/labconfig/page_config.json" in names, "learners' Jupyter settings"
    assert "scalingml/learner_jupyter_config/jupyter_server_config.d/scalingml-learner.json" in names


def test_a_too_old_python_is_the_first_error_of_an_install():
    """hatch_build.py refuses, before pip looks up any dependency, the Pythons pyproject refuses."""
    import importlib.util

    from packaging.specifiers import SpecifierSet

    spec = importlib.util.spec_from_file_location("hatch_build", REPO / "hatch_build.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    accepted = SpecifierSet(project()["requires-python"])
    oldest = ".".join(map(str, hook.MINIMUM_PYTHON))
    assert accepted.contains(oldest + ".0") and not accepted.contains("3.10.13")
    with pytest.raises(RuntimeError, match=rf"needs Python >= {oldest}; this is Python 3\.10\.13"):
        hook.refuse_old_python((3, 10, 13, "final", 0))
    hook.refuse_old_python((*hook.MINIMUM_PYTHON, 0))
