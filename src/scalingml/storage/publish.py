"""Publish a dataset so that a half-written one never looks complete.

Objects are written under a staging prefix beside the target (``_staging-<id>-<name>``, a name dataset
readers skip), then copied to the target, and a manifest (``_manifest.json``: each object and its size) is
written last. A dataset is complete when its manifest is there and lists what is there; :func:`check_complete`
says so or raises. Replacing a dataset first removes its manifest, so a reader never takes the mixture of an
old and a new dataset for either. Object stores have no atomic rename; this is the ``_SUCCESS`` marker
convention of Hadoop and Spark, with a listing to check against.

>>> import fsspec
>>> from scalingml.scratch import scratch_dir
>>> fs = fsspec.filesystem("file")
>>> with scratch_dir("doctest") as root:
...     with staged(fs, f"{root}/table") as staging:
...         fs.pipe(f"{staging}/part-0.txt", b"hello")
...     sorted(check_complete(fs, f"{root}/table")["objects"]), [p.rsplit("/", 1)[-1] for p in fs.ls(root)]
(['part-0.txt'], ['table'])
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator

from scalingml.storage.errors import StorageNotFoundError

MANIFEST = "_manifest.json"


class IncompleteDatasetError(StorageNotFoundError):
    """A dataset without its manifest, or missing an object its manifest lists (interrupted or being replaced)."""


def is_object_store(fs) -> bool:
    """Whether ``fs`` is an object store (no folders: a prefix exists once an object is under it)."""
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol
    return "s3" in protocols


def _relative(fs, root: str) -> dict[str, int]:
    root = fs._strip_protocol(root).rstrip("/")
    found = fs.find(root, detail=True)  # nothing there: {}
    return {path[len(root) + 1 :]: int(info["size"]) for path, info in found.items()}


def publish(fs, staging: str, target: str) -> dict:
    """Copy every object under ``staging`` to ``target``, write the manifest last, delete ``staging``."""
    objects = {name: size for name, size in _relative(fs, staging).items() if name != MANIFEST}
    if fs.exists(f"{target}/{MANIFEST}"):
        fs.rm(f"{target}/{MANIFEST}")  # from here on the old dataset no longer looks complete
    if fs.exists(target):
        fs.rm(target, recursive=True)
    if not is_object_store(fs):
        for folder in {f"{target}/{name}".rpartition("/")[0] for name in objects}:
            fs.makedirs(folder, exist_ok=True)
    if objects:  # one call: s3fs sends the server-side copies concurrently
        fs.copy([f"{staging}/{name}" for name in objects], [f"{target}/{name}" for name in objects])
    manifest = {"objects": objects, "bytes": sum(objects.values())}
    fs.pipe(f"{target}/{MANIFEST}", json.dumps(manifest, sort_keys=True).encode())
    fs.rm(staging, recursive=True)
    fs.invalidate_cache()
    return manifest


@contextlib.contextmanager
def staged(fs, target: str) -> Iterator[str]:
    """Yield a staging prefix to write into; on success publish it to ``target``, on failure delete it."""
    parent, _, name = fs._strip_protocol(target).rstrip("/").rpartition("/")
    staging = f"{parent}/_staging-{uuid.uuid4().hex[:8]}-{name}"
    if not is_object_store(fs):
        fs.makedirs(staging, exist_ok=True)
    try:
        yield staging
    except BaseException:
        if fs.exists(staging):
            fs.rm(staging, recursive=True)
        raise
    publish(fs, staging, target)


def check_complete(fs, target: str) -> dict:
    """The manifest of the dataset at ``target``; :class:`IncompleteDatasetError` if it is not complete."""
    present = _relative(fs, target)  # listed first: s3fs then reads the manifest without a HEAD request
    if MANIFEST not in present:
        raise IncompleteDatasetError(
            f"{target} has no {MANIFEST}: it was never published, or its writing was interrupted; write it again."
        )
    manifest = json.loads(fs.cat_file(f"{target}/{MANIFEST}"))
    missing = [name for name, size in manifest["objects"].items() if present.get(name) != size]
    if missing:
        raise IncompleteDatasetError(
            f"{target} lacks {len(missing)} object(s) its manifest lists (first: {missing[0]}): write it again."
        )
    return manifest
