"""Object storage: one storage setting, an embedded S3-compatible store, and safe publishing.

* :mod:`~scalingml.storage.setting`: where data goes — ``SCALINGML_STORAGE`` (a folder, or any fsspec URL such
  as ``s3://bucket/prefix``), else a scratch folder of the course's, removed at exit. The one rule, like the profile's.
* :mod:`~scalingml.storage.s3`: s3fs filesystems with short timeouts and few retries, and every failure a learner
  can cause (unreachable endpoint, wrong credentials, missing or read-only bucket, an object deleted mid-read)
  turned into a one-line :class:`StorageError` naming the fix.
* :mod:`~scalingml.storage.embedded`: moto's S3 server on a free loopback port, started when the learner has no
  object store and stopped at exit (as :mod:`scalingml.cluster` does with the embedded ``LocalCluster``).
* :mod:`~scalingml.storage.counting`: every request and byte an s3fs filesystem sends and receives, counted at
  the client (botocore's event hooks), exactly.
* :mod:`~scalingml.storage.publish`: write a dataset under a temporary prefix, then publish it with a manifest
  written last, so a half-written dataset never looks complete.
* :mod:`~scalingml.storage.probe`: the bounded write/read/delete probe behind ``scalingml doctor``.
"""

from scalingml.storage.errors import StorageError
from scalingml.storage.setting import ENV_VAR, BadStorageSettingError, Setting, resolve

__all__ = ["ENV_VAR", "BadStorageSettingError", "Setting", "StorageError", "resolve"]
