"""Collecting a class: folder layouts, zip_collect names, zips, and notebooks that cannot be read."""

import zipfile

import pytest

from scalingml import submissions

NB = "00_welcome.ipynb"
VALID = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def write(root, files):
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def by_student(found):
    return {s.student: s for s in found}


def test_one_folder_per_student_with_or_without_the_assignment_folder(tmp_path):
    write(
        tmp_path,
        {
            f"alice/{NB}": VALID,
            f"bob/00_welcome/{NB}": VALID,
            "bob/00_welcome/timestamp.txt": b"2026-11-20 17:05:00",
            "bob/00_welcome/data/extra.csv": b"a\n1\n",
        },
    )
    found = by_student(submissions.collect(tmp_path, "00_welcome"))
    assert set(found) == {"alice", "bob"}
    assert found["alice"].notebooks() == [NB]
    assert found["bob"].timestamp == "2026-11-20 17:05:00"
    assert set(found["bob"].files) == {NB, "data/extra.csv"}


def test_a_single_student_folder_is_not_mistaken_for_a_wrapper(tmp_path):
    write(tmp_path, {f"alice/00_welcome/{NB}": VALID})
    assert [s.student for s in submissions.collect(tmp_path, "00_welcome")] == ["alice"]


def test_zip_collect_file_names(tmp_path):
    write(
        tmp_path,
        {
            f"00_welcome_alice_attempt_2026-11-20-17-05-00_{NB}": VALID,
            f"00_welcome_bob_attempt_2026-11-21-09-00-00_{NB}": VALID,
        },
    )
    found = by_student(submissions.collect(tmp_path, "00_welcome"))
    assert found["alice"].notebooks() == [NB] and found["alice"].timestamp == "2026-11-20-17-05-00"


def test_a_zip_wrapping_the_class_in_one_folder(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"class/alice/{NB}", VALID)
        zipped.writestr(f"class/bob/{NB}", VALID)
        zipped.writestr("__MACOSX/class/._alice", b"junk")
    found = submissions.collect(archive, "00_welcome")
    assert [s.student for s in found] == ["alice", "bob"]
    assert list(tmp_path.iterdir()) == [archive], "the zip was extracted beside itself"


def test_a_zip_with_paths_outside_it_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"../alice/{NB}", VALID)
    with pytest.raises(submissions.SubmissionsError, match="outside the archive"):
        submissions.collect(archive, "00_welcome")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "No submissions at"),
        (lambda p: p.write_text("not a zip"), "not a zip archive"),
        (lambda p: p.mkdir(), "No submissions found"),
        (lambda p: write(p, {"stray.ipynb": VALID}), "give --named-regexp"),
    ],
)
def test_unusable_submission_folders_say_what_to_do(tmp_path, make, message):
    target = tmp_path / "subs"
    make(target)
    with pytest.raises(submissions.SubmissionsError, match=message):
        submissions.collect(target, "00_welcome")


def test_unsafe_student_ids_are_a_problem_not_a_crash(tmp_path):
    write(tmp_path, {f"bad name!/{NB}": VALID, f"alice/{NB}": VALID})
    found = by_student(submissions.collect(tmp_path, "00_welcome"))
    assert found["bad name!"].problems and not found["alice"].problems


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"{oops", "not valid notebook JSON"),
        (b'{"a": 1}', "not a valid notebook"),
        (bytes(range(256)), "not valid notebook JSON"),
        (submissions.TooLarge(30 * 2**20), "over the 20 MB limit"),
    ],
)
def test_notebook_problems(content, message):
    with pytest.raises(submissions.NotebookProblem, match=message):
        submissions.parse_notebook(content)
    assert submissions.parse_notebook(VALID).cells is not None


def test_matching_notebook_names():
    renamed = submissions.Submission("a", {"Copy1.ipynb": VALID})
    found, notes = submissions.match_notebooks(renamed, [NB])
    assert found == {NB: VALID} and "graded Copy1.ipynb as 00_welcome.ipynb" in notes[0]
    two = submissions.Submission("b", {"x.ipynb": VALID, "y.ipynb": VALID})
    found, notes = submissions.match_notebooks(two, [NB])
    assert found == {} and notes == [f"missing notebook {NB}"]
