"""The storage setting: where the course's data goes, resolved by one rule (like the scale profile).

``SCALINGML_STORAGE`` set: a local folder (a path, or ``file://...``) or any fsspec URL, e.g. ``s3://bucket/prefix``.
S3-compatible stores are reached through the standard AWS settings (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``...), which s3fs and botocore read themselves.
Unset: the embedded default, a ``scalingml-storage-*`` folder in the course's scratch area (the system temp
folder), created on first use and removed at exit.

>>> resolve("s3://bucket/course").describe()
's3://bucket/course (object store at the AWS default endpoint, from argument)'
>>> resolve("").is_embedded
True
>>> resolve("ftp2://x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
scalingml.storage.setting.BadStorageSettingError: SCALINGML_STORAGE='ftp2://x' uses 'ftp2', which fsspec ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scalingml.errors import ScalingmlError
from scalingml.scratch import scratch_dir

ENV_VAR = "SCALINGML_STORAGE"
#: The environment variables botocore reads for an S3-compatible endpoint (service-specific one first).
ENDPOINT_ENV_VARS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")

_default_space = None  # the embedded folder, made on first use (a TemporaryDirectory: removed at exit)


class BadStorageSettingError(ScalingmlError, ValueError):
    """``SCALINGML_STORAGE`` holds something that is neither a folder nor a URL fsspec can open."""


def default_folder() -> str:
    """The embedded default folder (created on first call, removed when the interpreter exits)."""
    global _default_space
    if _default_space is None:
        _default_space = scratch_dir("storage")
    return _default_space.name


def endpoint() -> str | None:
    """The S3 endpoint botocore will use, from the standard AWS settings; ``None`` for AWS itself."""
    return next((os.environ[v].strip() for v in ENDPOINT_ENV_VARS if os.environ.get(v, "").strip()), None)


@dataclass(frozen=True)
class Setting:
    """Where data goes: ``url`` (``None`` for the embedded default folder) and where that came from."""

    url: str | None
    source: str

    @property
    def is_embedded(self) -> bool:
        return self.url is None

    @property
    def protocol(self) -> str:
        """``file`` for a folder, else the URL's scheme (``s3``, ``gs``, ``memory``...)."""
        if self.url is None or "://" not in self.url:
            return "file"
        return self.url.split("://", 1)[0].lower()

    @property
    def is_local(self) -> bool:
        """A folder of this machine: a remote Dask worker cannot read it."""
        return self.protocol in ("file", "local")

    def location(self) -> str:
        """The folder or URL, with the embedded folder made (so it can be written to)."""
        return default_folder() if self.url is None else self.url

    def describe(self) -> str:
        """One line for a learner (``scalingml doctor``)."""
        if self.url is None:
            return f"a local folder in the course's scratch area, removed at exit (default; set {ENV_VAR} to choose)"
        if self.protocol == "s3":
            where = endpoint() or "the AWS default endpoint"
            return f"{self.url} (object store at {where}, from {self.source})"
        kind = "local folder" if self.is_local else f"{self.protocol} storage"
        return f"{self.url} ({kind}, from {self.source})"


def resolve(value: str | None = None) -> Setting:
    """The storage setting: ``value`` if given, else ``SCALINGML_STORAGE``, else the embedded default folder.

    Raises:
        BadStorageSettingError: for a URL scheme fsspec does not know, or an ``s3://`` URL without a bucket.
    """
    source = "argument" if value is not None else ENV_VAR
    raw = (os.environ.get(ENV_VAR, "") if value is None else value).strip()
    if not raw:
        return Setting(None, "default")
    if "://" not in raw:
        return Setting(str(Path(raw).expanduser().absolute()), source)
    import fsspec

    protocol = raw.split("://", 1)[0].lower()
    if protocol not in fsspec.available_protocols():
        raise BadStorageSettingError(
            f"{ENV_VAR}={raw!r} uses {protocol!r}, which fsspec does not know; use a folder, or a URL such as "
            "s3://bucket/prefix (S3-compatible stores: set AWS_ENDPOINT_URL too)."
        )
    if protocol in ("s3", "s3a") and not raw.split("://", 1)[1].strip("/"):
        raise BadStorageSettingError(
            f"{ENV_VAR}={raw!r} names no bucket: write it as s3://bucket or s3://bucket/prefix."
        )
    return Setting(raw.rstrip("/"), source)
