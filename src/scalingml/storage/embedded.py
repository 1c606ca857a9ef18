"""An S3-compatible object store on loopback, for a learner who has none: moto's server mode.

moto is a stand-in that speaks the S3 protocol (the same HTTP requests, headers and errors a cloud store
answers, which is why s3fs tests against it); it is not a cloud: the objects live in this process's memory,
the network is loopback, and nothing is billed. The course starts it on a free port, as it starts the
embedded Dask ``LocalCluster``, and stops it when done (or at exit)::

    with embedded.start() as store:
        store.fs.pipe(f"{store.root}/hello.txt", b"hi")

A notebook cannot hold a ``with`` across cells: keep the object and call ``close()``.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from scalingml.errors import ScalingmlError
from scalingml.storage import s3, setting

BUCKET_PREFIX = "scalingml-"
#: moto accepts any credentials unless told to check them; these are fixed so nothing is read from the environment.
KEY = SECRET = "scalingml-embedded"


class ObjectStoreError(ScalingmlError, RuntimeError):
    """moto's server could not start (missing, or no loopback port)."""


@dataclass
class ObjectStore:
    """An S3 store: ``endpoint`` (``None``: the AWS settings'), a filesystem ``fs`` on it, ``root`` (bucket/prefix).

    ``server`` is the embedded moto server, or ``None`` for the learner's own store.
    """

    endpoint: str | None
    server: Any = field(repr=False)  # moto.server.ThreadedMotoServer (untyped)
    fs: Any = field(repr=False)  # s3fs.S3FileSystem (untyped)
    root: str = "scalingml"

    @property
    def embedded(self) -> bool:
        return self.server is not None

    def describe(self) -> str:
        """One line: which store, and what it is."""
        if self.embedded:
            return f"{self.url}: the embedded moto S3 server at {self.endpoint} (loopback, in memory; not a cloud)"
        return (
            f"{self.url}: your object store at {self.endpoint or 'the AWS default endpoint'} (from SCALINGML_STORAGE)"
        )

    @property
    def url(self) -> str:
        return f"s3://{self.root}"

    def filesystem(self, **options):
        """Another filesystem on this store (e.g. one whose requests are counted separately)."""
        if not self.embedded:
            return s3.filesystem(**options)
        return s3.filesystem(endpoint_url=self.endpoint, key=KEY, secret=SECRET, **options)

    def close(self) -> None:
        """Stop the embedded server (its objects are gone); safe to call twice; nothing to do for the learner's."""
        if self.server is not None:
            # moto keeps every server's buckets in one per-process state: empty ours, or the next store would see it
            with contextlib.suppress(Exception):  # best effort: the store is stopped either way
                self.fs.rm(self.root, recursive=True)
            self._stop()

    def _stop(self) -> None:
        """Stop the server only (at exit: the process, and moto's state with it, is ending)."""
        if self.server is not None:
            self.server.stop()
            self.server = None
            atexit.unregister(self._stop)

    def __enter__(self) -> ObjectStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def object_store(value: str | None = None) -> ObjectStore:
    """The learner's object store if the storage setting is an ``s3://`` URL, else a new embedded one.

    Close it when done (or use it in a ``with``): closing the learner's store stops nothing.
    """
    chosen = setting.resolve(value)
    if chosen.protocol not in ("s3", "s3a"):
        return start()
    root = str(chosen.url).split("://", 1)[1]
    store = ObjectStore(setting.endpoint(), None, s3.filesystem(), root)
    with s3.guarded(store.url, "list"):
        store.fs.ls(root.split("/", 1)[0])  # fails fast, with the fix, on a wrong endpoint, key or bucket
    return store


def start() -> ObjectStore:
    """Start moto's S3 server on a free loopback port with a new bucket (``scalingml-<id>``), all removed by
    ``close()`` or at exit.

    moto keeps one state per process: two stores started in one process see each other's buckets, hence a
    bucket of each store's own.
    """
    bucket = f"{BUCKET_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise ObjectStoreError(
            f"moto's server cannot be imported ({exc}): reinstall the course (pip install -e .) to get moto and flask."
        ) from exc
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    try:
        server.start()
    except OSError as exc:
        raise ObjectStoreError(f"Could not start the embedded object store on loopback ({exc}).") from exc
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    store = ObjectStore(endpoint, server, None, bucket)
    atexit.register(store._stop)
    store.fs = store.filesystem()
    with s3.guarded(store.url, "create", endpoint_url=endpoint):
        store.fs.mkdir(bucket)
    return store
