"""The package's own index: its docstring lists every module and subpackage, and nothing that is gone."""

import pkgutil
import re

import scalingml

#: Private helpers and the ``python -m scalingml`` entry point are not part of the index.
UNLISTED = {"__main__", "_imports"}


def test_the_package_docstring_lists_every_module():
    modules = {info.name for info in pkgutil.iter_modules(scalingml.__path__)} - UNLISTED
    section = scalingml.__doc__.split("Modules", 1)[1]
    listed = set(re.findall(r"^    (\w+)\s", section, re.M))
    assert listed == modules, f"missing: {sorted(modules - listed)}; gone: {sorted(listed - modules)}"


def test_the_version_is_written_once_and_the_installed_metadata_reads_it():
    import importlib.metadata
    import tomllib

    from scalingml import course

    project = tomllib.loads((course.root() / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert course.version() == scalingml.__version__ == importlib.metadata.version("scalingml")


def test_the_pre_commit_hooks_run_the_readme_commands_lint_steps():
    """The hooks and CI lint and type-check the same way: each hook's command is a step of the README's test command."""
    import yaml

    from scalingml import course

    root = course.root()
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    readme = (root / "README.md").read_text()
    test_command = next(line for line in readme.splitlines() if "pytest -m timing" in line)
    steps = [step.strip() for step in test_command.split("&&")]
    checks = {step for step in steps if step.startswith((".venv/bin/ruff", ".venv/bin/mypy"))}
    assert {hook["entry"] for hook in hooks} == checks and ".venv/bin/mypy" in checks


def test_every_relative_link_in_the_guides_leads_to_a_file():
    from scalingml import course

    root = course.root()
    guides = [root / "README.md", root / "CONTRIBUTING.md", root / "CHANGELOG.md", *root.glob("docs/*.md")]
    guides += list((root / "learner-edition").glob("*.md"))
    broken = []
    for guide in guides:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", guide.read_text()):
            if "://" not in target and not (guide.parent / target).exists():
                broken.append(f"{guide.relative_to(root)} -> {target}")
    assert not broken, broken
