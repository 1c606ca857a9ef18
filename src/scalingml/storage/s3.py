"""s3fs filesystems with bounded waits, and storage URLs opened as fsspec filesystems.

botocore's defaults wait 60 s to connect and 60 s per read, with retries, and s3fs retries five more times
around that: a wrong endpoint would hang a notebook for minutes. Here a connection gets
:data:`CONNECT_TIMEOUT` seconds, a read :data:`READ_TIMEOUT`, and :data:`ATTEMPTS` tries in all.
Every failure comes back as a :class:`~scalingml.storage.errors.StorageError` through :func:`guarded`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from scalingml.storage.errors import translate
from scalingml.storage.setting import Setting, endpoint

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
ATTEMPTS = 2


def filesystem(*, endpoint_url: str | None = None, key: str | None = None, secret: str | None = None, **options):
    """A new ``s3fs.S3FileSystem`` (never a cached one) with short timeouts and few retries.

    Without ``endpoint_url``/``key``/``secret``, botocore reads the standard AWS settings itself
    (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``...). Reads are not cached ahead
    (``default_cache_type="none"``), so each read is one ranged GET of what was asked: byte counts
    show what a reader needs, not what a cache guessed.
    """
    import s3fs

    config = {
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retries": {"max_attempts": ATTEMPTS, "mode": "standard"},
    }
    options.setdefault("default_cache_type", "none")
    fs = s3fs.S3FileSystem(
        endpoint_url=endpoint_url, key=key, secret=secret, config_kwargs=config, skip_instance_cache=True, **options
    )
    fs.retries = ATTEMPTS  # s3fs's own retry loop around botocore's (class default: 5, with back-off)
    return fs


def open_setting(setting: Setting):
    """``(filesystem, root)`` for a storage setting: s3 through :func:`filesystem`, others through fsspec."""
    import fsspec

    location = setting.location()
    if setting.protocol in ("s3", "s3a"):
        return filesystem(), location.split("://", 1)[1]
    if setting.is_local:
        fs = fsspec.filesystem("file")
        root = location.split("://", 1)[1] if "://" in location else location
        fs.makedirs(root, exist_ok=True)
        return fs, root
    fs, root = fsspec.core.url_to_fs(location)
    return fs, root


@contextlib.contextmanager
def guarded(url: str, action: str, *, endpoint_url: str | None = None) -> Iterator[None]:
    """Turn any storage failure inside the block into a one-line :class:`StorageError` (``action`` on ``url``)."""
    try:
        yield
    except Exception as exc:  # botocore, aiohttp and s3fs raise many types; translate() sorts them
        if isinstance(exc, OSError | TimeoutError) or type(exc).__module__.split(".")[0] in ("botocore", "aiohttp"):
            raise translate(exc, url, action, endpoint=endpoint_url or endpoint()) from exc
        raise
