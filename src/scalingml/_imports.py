"""Start-up time: skip an optional import that costs seconds and that this package never needs.

jsonschema imports ``rfc3987_syntax`` (if installed, as jupyter's dependencies make it) to
check IRI formats, and that compiles a lark grammar: 2.8 s on every process start here.
Notebook validation never uses IRI formats. Call :func:`skip_slow_optional_imports`
before ``nbformat`` is imported, in processes of our own only (the grading runner, the
``scalingml`` command); JupyterLab and kernels are left as they are.
"""

from __future__ import annotations

import sys

SLOW_OPTIONAL_MODULES = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    """Make importing the slow optional modules fail fast, so their users fall back (an ImportError)."""
    for name in SLOW_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None in sys.modules makes import fail
