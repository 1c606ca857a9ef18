"""How to type the ``scalingml`` command here, for the commands a message tells a learner to run next.

The README runs the course from an environment that is not activated (``.venv/bin/scalingml check ...``).
A message that says ``scalingml check ...`` then names a command the learner's shell does not find, so
messages spell it as it can be run: plain ``scalingml`` when that is on ``PATH`` and is this one, else
its path (relative to the current folder when it is below it: ``.venv/bin/scalingml``).

>>> here = command("check", "my-work/00_welcome/00_welcome.ipynb")
>>> here.endswith(" check my-work/00_welcome/00_welcome.ipynb") and "scalingml" in here
True
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path


def _spelled(path: Path) -> str:
    """``path`` relative to the current folder when it lies below it, else absolute."""
    try:
        return Path(os.path.relpath(path)).as_posix() if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)


def program() -> str:
    """The ``scalingml`` command as a learner can type it in this shell."""
    script = Path(sysconfig.get_path("scripts")) / ("scalingml.exe" if os.name == "nt" else "scalingml")
    if not script.is_file():
        return f"{_spelled(Path(sys.executable))} -m scalingml"
    found = shutil.which("scalingml")
    if found and Path(found).resolve() == script.resolve():
        return "scalingml"
    return _spelled(script)


def command(*args: object) -> str:
    """A whole command line for a message, e.g. ``.venv/bin/scalingml check my-work/01_data/01_data.ipynb``."""
    return " ".join([program(), *map(str, args)])
