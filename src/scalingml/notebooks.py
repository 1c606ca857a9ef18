"""Execute course notebooks programmatically (tests, benchmarks, CI).

>>> callable(execute)
True
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat


def execute(
    path: str | os.PathLike, *, timeout: int = 300, allow_errors: bool = True, env: dict[str, str] | None = None
) -> tuple[nbformat.NotebookNode, float]:
    """Run ``path`` top to bottom in its own folder; return the executed notebook and wall seconds.

    ``env`` entries are set for the kernel (e.g. ``{"SCALINGML_SCALE": "small"}``).
    With ``allow_errors`` the errors stay in the outputs (see :func:`error_names`).
    """
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        allow_errors=allow_errors,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    previous = {key: os.environ.get(key) for key in (env or {})}
    os.environ.update(env or {})
    try:
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook, seconds


def error_names(notebook: nbformat.NotebookNode) -> list[str]:
    """The exception names in a notebook's outputs, in cell order."""
    return [
        output["ename"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
