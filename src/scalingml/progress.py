"""Progress bars for the experiment loops (tqdm: a widget in Jupyter, text elsewhere).

Set ``SCALINGML_PROGRESS=0`` to silence every bar (CI logs stay short).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
#: Set to 0 (or false, no, off) to silence every progress bar.
ENV_VAR = "SCALINGML_PROGRESS"


def progress(items: Iterable[T], *, desc: str = "", disable: bool = False, **kwargs: Any) -> Iterable[T]:
    """Wrap ``items`` in a progress bar titled ``desc``.

    >>> list(progress([1, 2, 3], disable=True))
    [1, 2, 3]
    """
    return tqdm(items, desc=desc, disable=disable or silenced(), leave=False, **kwargs)


def silenced() -> bool:
    """Whether ``SCALINGML_PROGRESS`` switches progress reports off."""
    return os.environ.get(ENV_VAR, "1").strip() in {"0", "false", "no", "off"}
