"""Count every request an s3fs filesystem sends and every byte it reads, at the client, exactly.

botocore emits ``before-call`` once per operation the client asks for, ``before-send`` for each HTTP
request it sends (a retry sends another), and ``after-call`` with the parsed response; :func:`attach` hooks
them on the filesystem's client. ``requests`` counts operations, which depend only on what the code asks
(the same on every machine); ``retries`` counts the extra attempts a busy or flaky store caused (machine
noise, though a store bills them too). Bytes read are the bodies of ``GetObject`` responses (their
``Content-Length``), bytes written the bodies of ``PutObject``/``UploadPart`` requests. Nothing is estimated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: Operations a store bills at the "GET" rate; every other request is billed at the "PUT, COPY, POST, LIST" rate.
GET_CLASS = frozenset({"GetObject", "HeadObject", "HeadBucket", "GetBucketLocation", "GetObjectTagging"})
#: Deleting is free at most stores (AWS S3, GCS, Azure): not billed as a request.
FREE = frozenset({"DeleteObject", "DeleteObjects", "AbortMultipartUpload"})


@dataclass
class RequestLog:
    """Requests by S3 operation, and the bytes read and written, since the last :meth:`reset`."""

    by_operation: Counter = field(default_factory=Counter)
    attempts: int = 0
    bytes_read: int = 0
    bytes_written: int = 0

    @property
    def retries(self) -> int:
        """HTTP requests sent beyond one per operation (a timeout, a dropped connection, a throttle)."""
        return max(0, self.attempts - self.requests)

    @property
    def requests(self) -> int:
        return sum(self.by_operation.values())

    @property
    def get_requests(self) -> int:
        """Requests billed at the GET rate."""
        return sum(n for op, n in self.by_operation.items() if op in GET_CLASS)

    @property
    def put_requests(self) -> int:
        """Requests billed at the PUT/COPY/POST/LIST rate."""
        return sum(n for op, n in self.by_operation.items() if op not in GET_CLASS and op not in FREE)

    def reset(self) -> None:
        self.by_operation.clear()
        self.attempts = self.bytes_read = self.bytes_written = 0

    def snapshot(self) -> dict:
        """The counts as plain numbers (a row of a results frame)."""
        return {
            "requests": self.requests,
            "get_requests": self.get_requests,
            "put_requests": self.put_requests,
            "retries": self.retries,
            "bytes_read": self.bytes_read,
            "bytes_written": self.bytes_written,
        }

    # botocore event handlers (called with keyword arguments only)
    def _called(self, event_name: str, **_) -> None:
        self.by_operation[event_name.rsplit(".", 1)[-1]] += 1

    def _sent(self, event_name: str, request, **_) -> None:
        self.attempts += 1
        if event_name.rsplit(".", 1)[-1] in ("PutObject", "UploadPart"):
            self.bytes_written += int(request.headers.get("Content-Length") or 0)

    def _answered(self, event_name: str, parsed, **_) -> None:
        if event_name.endswith(".GetObject"):
            self.bytes_read += int(parsed.get("ContentLength") or 0)


def attach(fs) -> RequestLog:
    """Start counting the requests of ``fs`` (an ``s3fs.S3FileSystem``); returns the log it fills.

    Attach once, to a filesystem of its own (``scalingml.storage.s3.filesystem()``): the hooks live on
    its client, so another filesystem's requests are not counted.
    """
    if getattr(fs, "_scalingml_log", None) is not None:
        return fs._scalingml_log
    fs.connect()
    log = RequestLog()
    events = fs.s3.meta.events
    events.register("before-call.s3", log._called)
    events.register("before-send.s3", log._sent)
    events.register("after-call.s3", log._answered)
    fs._scalingml_log = log
    return log
