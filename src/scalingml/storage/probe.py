"""The storage probe of ``scalingml doctor``: write, read back and delete one small object, within bounded time.

Each step waits at most the timeouts of :mod:`scalingml.storage.s3` (connect, read, two attempts), so a wrong
endpoint costs seconds, not minutes. A failure is reported, not raised, with the line that names the fix.

>>> ok, message = probe(resolve(""))
>>> ok, message.split(":")[0]
(True, 'write, read and delete of a 1024-byte object')
"""

from __future__ import annotations

import os
import time
import uuid

from scalingml.storage import s3
from scalingml.storage.errors import StorageError
from scalingml.storage.setting import Setting, resolve

PROBE_BYTES = 1024


def probe(setting: Setting | None = None) -> tuple[bool, str]:
    """``(ok, message)``: whether a write/read/delete round trip through ``setting`` worked, and how long it took."""
    setting = setting or resolve()
    url = setting.location()
    payload = os.urandom(PROBE_BYTES)
    started = time.perf_counter()
    try:
        with s3.guarded(url, "open"):
            fs, root = s3.open_setting(setting)
        path = f"{root.rstrip('/')}/_scalingml-doctor-{uuid.uuid4().hex[:8]}"
        with s3.guarded(url, "write"):
            fs.pipe(path, payload)
        with s3.guarded(url, "read"):
            echoed = fs.cat(path)
        with s3.guarded(url, "delete"):
            fs.rm(path)
    except StorageError as exc:
        return False, str(exc)
    if echoed != payload:
        return False, f"{url} returned other bytes than were written: the store is corrupting data; contact its admin."
    elapsed = time.perf_counter() - started
    return True, f"write, read and delete of a {PROBE_BYTES}-byte object: {elapsed * 1e3:.0f} ms ({url})"
