"""The roster: learner names from a file (one per line) or a count, checked, and generated passwords.

>>> names_from_count(3)
['learner01', 'learner02', 'learner03']
>>> parse_roster_text("# workshop 1\\nann\\n\\nbob\\n", "roster.txt")
['ann', 'bob']
"""

from __future__ import annotations

import csv
import os
import re
import secrets
from pathlib import Path

from scalingml.workshop import WorkshopError

NAME_RULE = "lowercase letters, digits, '-' or '_', starting with a letter, at most 32 characters"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_LEARNERS = 500
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


class RosterError(WorkshopError, ValueError):
    """A roster that cannot be used: an invalid or duplicate name, or no name at all."""


def check_name(name: str, where: str = "") -> str:
    """Return ``name`` if it can be a Unix login for a learner, else raise :class:`RosterError`.

    >>> check_name("ann-2")
    'ann-2'
    >>> check_name("Ann Smith")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scalingml.workshop.roster.RosterError: 'Ann Smith' is not a valid learner name (lowercase letters, ...)
    """
    if not _NAME.match(name):
        raise RosterError(f"{where}{name!r} is not a valid learner name ({NAME_RULE})")
    return name


def parse_roster_text(text: str, source: str) -> list[str]:
    """Names from a roster's text: one per line; blank lines and ``#`` comments ignored; duplicates refused."""
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        where = f"{source} line {number}: "
        check_name(name, where)
        if name in seen:
            raise RosterError(f"{where}{name!r} is listed twice (first on line {seen[name]}); list each learner once")
        seen[name] = number
    if not seen:
        raise RosterError(f"{source} lists no learner: write one name per line, or give --learners N")
    if len(seen) > MAX_LEARNERS:
        raise RosterError(f"{source} lists {len(seen)} learners; one machine holds at most {MAX_LEARNERS}")
    return list(seen)


def read_roster(path: str | os.PathLike) -> list[str]:
    """Names from the roster file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the roster {path}: {exc}; give a text file, one learner per line") from None
    return parse_roster_text(text, str(path))


def names_from_count(count: int, prefix: str = "learner") -> list[str]:
    """``count`` generated names: learner01, learner02, ..."""
    if not 1 <= count <= MAX_LEARNERS:
        raise RosterError(f"--learners must be between 1 and {MAX_LEARNERS}, not {count}")
    width = max(2, len(str(count)))
    return [check_name(f"{prefix}{i:0{width}d}") for i in range(1, count + 1)]


def new_password(length: int = 12) -> str:
    """A random password without look-alike characters.

    >>> len(new_password()), new_password() != new_password()
    (12, True)
    """
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def read_passwords(path: Path) -> dict[str, tuple[str, str]]:
    """``{name: (role, password)}`` from a passwords file (empty if there is none yet)."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["name"]: (row["role"], row["password"]) for row in csv.DictReader(handle)}


def write_passwords(path: Path, entries: dict[str, tuple[str, str]], owner_uid: int) -> None:
    """Write the passwords file, readable by ``owner_uid`` (the instructor) and root only."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "role", "password"])
        for name, (role, password) in entries.items():
            writer.writerow([name, role, password])
    os.chown(tmp, owner_uid, 0)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
