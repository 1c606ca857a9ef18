"""Storage errors: each a one-line message naming what to fix, never a botocore traceback.

s3fs turns botocore's errors into ``OSError`` subclasses (``FileNotFoundError``, ``PermissionError``) and keeps
the ``ClientError`` (with its S3 error code) as ``__cause__``; :func:`translate` reads that code.

>>> print(translate(FileNotFoundError("The specified bucket does not exist"), "s3://nowhere/data", "list"))
The bucket of s3://nowhere/data does not exist: create it, or set SCALINGML_STORAGE to a bucket you have (list).
"""

from __future__ import annotations

from scalingml.errors import ScalingmlError

#: Credentials the server does not know, or a secret that does not match the key.
BAD_CREDENTIAL_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"})


class StorageError(ScalingmlError, OSError):
    """The storage could not be used; the message says what to fix."""


class StorageUnreachableError(StorageError, ConnectionError):
    """The object store's endpoint did not answer within the timeout."""


class StorageCredentialsError(StorageError, PermissionError):
    """The object store refused the credentials, or they may not do what was asked (a read-only bucket)."""


class StorageNotFoundError(StorageError, FileNotFoundError):
    """A bucket or an object that should exist does not (or vanished while it was read)."""


def error_code(exc: BaseException) -> str | None:
    """The S3 error code behind ``exc`` (``"NoSuchBucket"``, ``"AccessDenied"``...), if botocore gave one."""
    seen: BaseException | None = exc
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code"):
            return str(response["Error"]["Code"])
        seen = seen.__cause__ or seen.__context__
    return None


def _is_connection_failure(exc: BaseException) -> bool:
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def translate(exc: BaseException, url: str, action: str, *, endpoint: str | None = None) -> StorageError:
    """The :class:`StorageError` for ``exc``, raised while doing ``action`` on ``url``.

    ``action`` is a few words (``"write"``, ``"read"``, ``"list"``); a missing object met while reading a file
    that was there when it was opened is reported as deleted mid-read.
    """
    if isinstance(exc, StorageError):
        return exc
    code = error_code(exc)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = f" at {endpoint}" if endpoint else ""
    if _is_connection_failure(exc):
        return StorageUnreachableError(
            f"Could not reach the object store{where} for {url} ({message}): start it, or check AWS_ENDPOINT_URL "
            "and the network (unset SCALINGML_STORAGE to use a local folder)."
        )
    if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        return StorageCredentialsError(
            f"No credentials for {url} ({message}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)."
        )
    if code in BAD_CREDENTIAL_CODES or "Access Key Id you provided" in message or "signature we calculated" in message:
        return StorageCredentialsError(
            f"The object store{where} refused the credentials for {url} ({message}): set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to a key it knows."
        )
    if code == "AccessDenied" or isinstance(exc, PermissionError):
        return StorageCredentialsError(
            f"Access denied to {action} {url} ({message}): the bucket is read-only for these credentials; use "
            "credentials that may write there, or set SCALINGML_STORAGE to a prefix you may write to."
        )
    if code == "NoSuchBucket" or "bucket does not exist" in message:
        return StorageNotFoundError(
            f"The bucket of {url} does not exist: create it, or set SCALINGML_STORAGE to a bucket you have ({action})."
        )
    if isinstance(exc, FileNotFoundError) and action == "read":
        return StorageNotFoundError(
            f"{url} disappeared while it was being read (deleted or replaced by someone else): rerun the step that "
            "writes it, and do not change a dataset while it is read."
        )
    if isinstance(exc, FileNotFoundError):
        return StorageNotFoundError(f"Nothing at {url} ({action}): write it first, or check the prefix.")
    return StorageError(f"Could not {action} {url} ({type(exc).__name__}: {message}): check SCALINGML_STORAGE.")
