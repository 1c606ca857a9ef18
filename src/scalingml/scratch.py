"""Scratch space for experiments that write files: a private temporary folder, removed when done.

Use it as a context manager in code::

    with scratch_dir("volume") as folder:
        ...                                   # folder is a str path; gone after the block

A notebook cannot hold a ``with`` block across cells: keep the object and call
``cleanup()`` in the last cell that needs the files. If the kernel stops first, the
folder is removed when the object is garbage-collected or the interpreter exits.

>>> space = scratch_dir("doctest")
>>> import os; os.path.isdir(space.name)
True
>>> space.cleanup(); os.path.exists(space.name)
False
"""

from __future__ import annotations

import tempfile


def scratch_dir(area: str) -> tempfile.TemporaryDirectory:
    """A new folder ``scalingml-AREA-*`` under the system temp folder, deleted by ``cleanup()`` or on exit."""
    return tempfile.TemporaryDirectory(prefix=f"scalingml-{area}-", ignore_cleanup_errors=True)
