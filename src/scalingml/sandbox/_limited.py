"""Launcher run inside the sandbox: set resource limits, start a new session, then exec the command.

    python -m scalingml.sandbox._limited --memory-mb 4096 --processes 256 --file-mb 64 -- CMD ...

Limits are set on this process and so inherited by everything the command starts.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys


def apply_limits(memory_mb: int, processes: int, file_mb: int) -> None:
    """Address space, process count, size of any file written, and no core dumps."""
    megabyte = 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * megabyte, memory_mb * megabyte))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * megabyte, file_mb * megabyte))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    apply_limits(args.memory_mb, args.processes, args.file_mb)
    new_session()
    os.execvp(command[0], command)


def new_session() -> None:
    """Make this process lead a session of its own (one process group to end afterwards, whatever it forks).

    jupyter_client starts kernels with ``start_new_session``: without bubblewrap in between, this
    process already leads its session, and ``setsid`` would fail with ``EPERM``.
    """
    if os.getsid(0) != os.getpid():
        os.setsid()


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
