"""Unix accounts for the workshop: one per learner and one for the instructor, each with a private home.

The workshop creates only accounts that do not exist, and records them; an existing account it did not
create (a system account, a colleague's login) is refused, never reused or changed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from scalingml.workshop import WorkshopError

COMMENT = "scalingml workshop"


class AccountError(WorkshopError):
    """A Unix account could not be created, or its name is already taken on this machine."""


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def refuse_taken(names: list[str], ours: set[str]) -> None:
    """Raise if a name is an account this workshop did not create (``ours``: the ones it did)."""
    for name in names:
        if name in ours or not exists(name):
            continue
        entry = pwd.getpwnam(name)
        raise AccountError(
            f"{name!r} is already an account on this machine (uid {entry.pw_uid}, {entry.pw_dir}) that this workshop "
            "did not create: rename that learner in the roster, or choose another --instructor NAME"
        )


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise AccountError(f"{command[0]} failed for {command[-1]!r}: {reason[-1] if reason else done.returncode}")


def create(name: str, password: str) -> pwd.struct_passwd:
    """Create ``name`` with a home only it can read, and set its password."""
    for tool in ("useradd", "chpasswd", "userdel"):
        if shutil.which(tool) is None:
            raise AccountError(f"{tool} is not installed: the workshop needs it (apt-get install passwd)")
    _run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", COMMENT, name])
    set_password(name, password)
    entry = pwd.getpwnam(name)
    os.chmod(entry.pw_dir, 0o700)
    return entry


def set_password(name: str, password: str) -> None:
    _run(["chpasswd"], stdin=f"{name}:{password}\n")


def remove(name: str) -> None:
    """Delete the account and its home (only ever called for accounts this workshop created)."""
    if exists(name):
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        subprocess.run(["userdel", "--remove", name], capture_output=True)


def chown_tree(path: Path, entry: pwd.struct_passwd) -> None:
    """Give ``path`` and everything below it to the account ``entry``."""
    os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(path):
        for item in (*dirs, *files):
            os.chown(os.path.join(folder, item), entry.pw_uid, entry.pw_gid, follow_symlinks=False)
