"""Wall time of every notebook at a scale profile, as a markdown table.

    python benchmarks/notebook_times.py --profile ci
    python benchmarks/notebook_times.py --profile small course/02_model_complexity.ipynb

Each notebook runs in a fresh kernel in its own folder, like CI. Released exercises
are expected to stop on NotImplementedError; others must run without error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scalingml import course

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests/
from tests.notebook_tools import error_names, execute  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    root = course.root()
    paths = args.notebooks or [
        *course.lessons(root),
        *sorted((root / "solutions").rglob("*.ipynb")),
        *sorted((root / "exercises").rglob("*.ipynb")),
    ]
    os.environ["SCALINGML_PROGRESS"] = "0"
    print("| notebook | profile | seconds | errors |\n|---|---|---|---|")
    failed = False
    for path in paths:
        notebook, seconds = execute(path, env={"SCALINGML_SCALE": args.profile})
        errors = error_names(notebook)
        released = "exercises" in Path(path).resolve().parts
        failed |= bool(errors) and not released
        print(
            f"| {Path(path).resolve().relative_to(root)} | {args.profile} | {seconds:.1f} | "
            f"{', '.join(sorted(set(errors))) or '-'} |",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
