"""``scalingml workshop start|stop|status|remove``: the command line of the workshop server."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scalingml.workshop import roster

SIZE_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30}


def parse_size(text: str) -> int:
    """Bytes from ``1.5G``, ``800M`` or a plain number of bytes.

    >>> parse_size("1.5G"), parse_size("800M"), parse_size("1073741824")
    (1610612736, 838860800, 1073741824)
    """
    unit = SIZE_UNITS.get(text[-1:].upper())
    try:
        value = float(text[:-1] if unit else text) * (unit or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: write e.g. 2G or 800M") from None
    if value < 64 * 2**20:
        raise argparse.ArgumentTypeError(f"{text!r} is too little memory for a learner's server (at least 64M)")
    return int(value)


def _bounded(kind: type, low: float, high: float | None, what: str):
    """An argparse type: a number of ``kind`` with ``low < value`` (and ``value <= high``), else one line."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number ({what})") from None
        if not value > low or (high is not None and value > high):
            bound = f"more than {low:g}" + (f" and at most {high:g}" if high is not None else "")
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: {what} must be {bound}")
        return value

    return parse


def _start(args: argparse.Namespace) -> int:
    from scalingml import course
    from scalingml.workshop import server

    server.require_root()  # before anything is read: the roster, the course
    if (args.roster is None) == (args.learners is None):
        raise roster.RosterError("give a roster file (one learner per line) or --learners N, not both or neither")
    names = roster.read_roster(args.roster) if args.roster else roster.names_from_count(args.learners)
    started = server.start(
        names,
        directory=args.dir,
        port=args.port,
        ip=args.ip,
        instructor=args.instructor,
        course_root=course.root(),
        cpus=args.cpus,
        memory_bytes=args.memory,
        idle_timeout=args.idle_timeout,
    )
    print(started.describe(args.dir))
    return 0


def _stop(args: argparse.Namespace) -> int:
    from scalingml.workshop import server

    print("stopped" if server.stop(args.dir) else f"no workshop was running from {args.dir}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from scalingml.workshop import server

    print(server.status(args.dir))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from scalingml.workshop import server

    removed = server.remove(args.dir, delete_learners_work=args.delete_learners_work)
    print(f"removed {args.dir} and {len(removed)} accounts: {', '.join(removed) or 'none'}")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``workshop`` and its sub-commands to the ``scalingml`` parser."""
    from scalingml.workshop import server

    top = commands.add_parser(
        "workshop",
        help="a JupyterHub workshop server: an account per learner, nbgrader's exchange (as root; docs/workshop.md)",
    )
    actions = top.add_subparsers(dest="action", required=True)

    def with_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--dir", type=Path, default=server.DEFAULT_DIR, help="the workshop's folder (default: %(default)s)"
        )
        return p

    p = with_dir(actions.add_parser("start", help="create the accounts (once) and start the hub"))
    p.add_argument("roster", nargs="?", help="a text file: one learner name per line (# comments)")
    p.add_argument("--learners", type=int, help="instead of a roster: N learners named learner01, learner02, ...")
    p.add_argument("--instructor", default=server.DEFAULT_INSTRUCTOR, help="the instructor's login (%(default)s)")
    p.add_argument(
        "--port",
        type=_bounded(int, 0, 65535, "a port"),
        default=server.DEFAULT_PORT,
        help="the hub's port (%(default)s)",
    )
    p.add_argument("--ip", default="", help="the address to listen on (default: every interface)")
    p.add_argument(
        "--cpus",
        type=_bounded(float, 0, float(os.cpu_count() or 1), "the CPUs per learner (this machine's cores at most)"),
        help="CPU share per learner (default: the cores split between learners)",
    )
    p.add_argument(
        "--memory", type=parse_size, help="memory per learner, e.g. 2G (default: the memory split between learners)"
    )
    p.add_argument(
        "--idle-timeout",
        type=_bounded(int, 0, None, "the idle timeout in seconds"),
        default=server.DEFAULT_IDLE_TIMEOUT,
        help="stop idle servers after S s (%(default)s)",
    )
    p.set_defaults(handler=_start)
    with_dir(
        actions.add_parser("stop", help="stop the hub and every learner's server (their work stays)")
    ).set_defaults(handler=_stop)
    with_dir(actions.add_parser("status", help="running or stopped, and where")).set_defaults(handler=_status)
    p = with_dir(actions.add_parser("remove", help="delete the workshop's accounts, homes and folder"))
    p.add_argument(
        "--delete-learners-work", action="store_true", help="required: every learner's work and the gradebook go"
    )
    p.set_defaults(handler=_remove)
