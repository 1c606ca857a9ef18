"""nbgrader's submit step, with each submission readable by the learner and the instructor only.

nbgrader's default exchange makes a submission world-readable (and its folder world-writable) and hides
it only behind an unlisted, randomised name in ``inbound/``. On a workshop server every learner has an
account on the same machine, so this submit step narrows it. ``inbound/`` is set-group-ID and belongs
to the instructor's group (``release_assignment``, run by the instructor, makes it so): what is created
in it takes that group. nbgrader's copy (``shutil.copytree``) copies the learner's folder modes over
the new folders, which clears set-group-ID before ``timestamp.txt`` is written, so this step copies
contents only (new folders keep set-group-ID), then makes the files ``rw-r-----`` and the folders
``rwxrwx---``: the learner and the instructor's group can read them, no other learner can. Learners'
nbgrader configuration selects it (``c.ExchangeFactory.submit``,
:func:`scalingml.workshop.hubconfig.learner_nbgrader_config`).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import ignore_patterns

FILE_MODE = 0o640
FOLDER_MODE = 0o770


class PrivateExchangeSubmit(ExchangeSubmit):
    """``nbgrader submit`` whose copy in the exchange only the submitter and the instructor's group can read."""

    def do_copy(self, src: str, dest: str, log: Any = None) -> None:
        if os.path.commonpath([os.path.abspath(dest), os.path.abspath(self.inbound_path)]) != os.path.abspath(
            self.inbound_path
        ):
            super().do_copy(src, dest, log)  # the learner's own cache copy, in their home
            return
        limit = 1000 * self.coursedir.max_dir_size
        if self.get_size(src) > limit:
            raise RuntimeError(f"Directory size is too big. Size is {self.get_size(src)}, maximum size is {limit}")
        ignore = ignore_patterns(
            exclude=self.coursedir.ignore,
            include=self.coursedir.include,
            max_file_size=self.coursedir.max_file_size,
            log=self.log,
        )
        copy_contents(src, dest, ignore)

    def copy_files(self) -> None:
        super().copy_files()
        restrict(os.path.join(self.inbound_path, self.assignment_filename))


def copy_contents(src: str, dest: str, ignore: Any) -> None:
    """Copy files' contents (not their modes) from ``src`` into ``dest``; new folders inherit set-group-ID."""
    os.makedirs(dest, exist_ok=True)
    names = os.listdir(src)
    skipped = set(ignore(src, names)) if ignore else set()
    for name in names:
        if name in skipped:
            continue
        source, target = os.path.join(src, name), os.path.join(dest, name)
        if os.path.isdir(source) and not os.path.islink(source):
            copy_contents(source, target, ignore)
        elif not os.path.islink(source):
            shutil.copyfile(source, target)


def restrict(folder: str) -> None:
    """Give ``folder``, its sub-folders and files the modes above (their group is inherited from ``inbound/``)."""
    for path, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            os.chmod(os.path.join(path, name), FILE_MODE)
        os.chmod(path, FOLDER_MODE)
