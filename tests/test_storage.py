"""scalingml.storage against real S3 servers on loopback (moto's server mode; no mocks).

The embedded store is moto's threaded server in this process. Wrong credentials and a read-only bucket need a
server that checks them: a moto server in a child process with IAM authentication on, whose first four
requests (bucket, user, key, read-only policy) are let through to set it up.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from scalingml.storage import counting, embedded, probe, publish, s3, setting
from scalingml.storage.errors import (
    StorageCredentialsError,
    StorageNotFoundError,
    StorageUnreachableError,
)

READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def store():
    with embedded.start() as running:
        yield running


@pytest.fixture(scope="module")
def auth_server():
    """(endpoint, read-only key, secret): a moto server that checks credentials, with a bucket ``readonly``."""
    import boto3

    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "moto's server did not start"
                time.sleep(0.1)
        kwargs = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        boto3.client("s3", **kwargs).create_bucket(Bucket="readonly")
        iam = boto3.client("iam", **kwargs)
        iam.create_user(UserName="reader")
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        iam.put_user_policy(UserName="reader", PolicyName="read-only", PolicyDocument=json.dumps(READ_ONLY))
        yield endpoint, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- the setting ---------------------------------------------------------------------------------------------


def test_unset_means_the_embedded_local_folder(monkeypatch):
    monkeypatch.delenv(setting.ENV_VAR, raising=False)
    chosen = setting.resolve()
    assert chosen.is_embedded and chosen.is_local and chosen.source == "default"
    assert os.path.isdir(chosen.location()) and "scalingml-storage-" in chosen.location()


def test_a_folder_or_an_fsspec_url_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(setting.ENV_VAR, str(tmp_path))
    assert setting.resolve() == setting.Setting(str(tmp_path), setting.ENV_VAR)
    monkeypatch.setenv(setting.ENV_VAR, " s3://course-data/lesson01/ ")
    chosen = setting.resolve()
    assert (chosen.url, chosen.protocol, chosen.is_local) == ("s3://course-data/lesson01", "s3", False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://minio.example:9000")
    assert "object store at http://minio.example:9000" in chosen.describe()


@pytest.mark.parametrize("value", ["nosuchfs://x/y", "s3://", "s3:///"])
def test_a_bad_setting_names_the_fix(value):
    with pytest.raises(setting.BadStorageSettingError, match="SCALINGML_STORAGE") as raised:
        setting.resolve(value)
    one_line(raised.value)


# --- the embedded store and the standard AWS settings -------------------------------------------------------


def test_embedded_store_serves_s3_and_stops_on_close():
    store = embedded.start()
    port = int(store.endpoint.rsplit(":", 1)[1])
    store.fs.pipe(f"{store.root}/hello.txt", b"hi")
    assert store.fs.cat(f"{store.root}/hello.txt") == b"hi" and store.embedded
    store.close()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the server still listens after close()"
    store.close()  # twice is harmless


def test_an_s3_url_setting_reaches_the_store_through_aws_endpoint_url(monkeypatch, store):
    monkeypatch.setenv(setting.ENV_VAR, f"s3://{store.root}/mine")
    monkeypatch.setenv("AWS_ENDPOINT_URL", store.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", embedded.KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", embedded.SECRET)
    with embedded.object_store() as mine:
        assert not mine.embedded and mine.root == f"{store.root}/mine"
        mine.fs.pipe(f"{mine.root}/x", b"1")
    assert store.fs.cat(f"{store.root}/mine/x") == b"1", "the learner's store is the one AWS_ENDPOINT_URL names"
    ok, message = probe.probe()
    assert ok, message


# --- bad input: one line naming the fix, within bounded time -----------------------------------------------


def test_unreachable_endpoint_fails_fast_naming_the_endpoint(monkeypatch):
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "any")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "any")
    started = time.monotonic()
    with pytest.raises(StorageUnreachableError, match="AWS_ENDPOINT_URL") as raised:
        embedded.object_store("s3://somewhere/data")
    assert time.monotonic() - started < 3 * s3.CONNECT_TIMEOUT
    assert endpoint in one_line(raised.value)
    ok, message = probe.probe(setting.resolve("s3://somewhere/data"))
    assert not ok and "Could not reach the object store" in message


def test_missing_credentials_name_the_variables_to_set(monkeypatch, store):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", store.endpoint)
    with pytest.raises(StorageCredentialsError, match="No credentials .* set AWS_ACCESS_KEY_ID") as raised:
        embedded.object_store(f"s3://{store.root}")
    one_line(raised.value)


def test_wrong_credentials_name_the_variables_to_set(auth_server):
    endpoint, key, _ = auth_server
    for wrong_key, wrong_secret in (("nobody", "nothing"), (key, "not-the-secret")):
        fs = s3.filesystem(endpoint_url=endpoint, key=wrong_key, secret=wrong_secret)
        with (
            pytest.raises(StorageCredentialsError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") as raised,
            s3.guarded("s3://readonly/data", "list", endpoint_url=endpoint),
        ):
            fs.ls("readonly")
        one_line(raised.value)


def test_a_read_only_bucket_says_so_on_write(auth_server):
    endpoint, key, secret = auth_server
    fs = s3.filesystem(endpoint_url=endpoint, key=key, secret=secret)
    assert fs.ls("readonly") == []  # reading is allowed
    with (
        pytest.raises(StorageCredentialsError, match="read-only for these credentials") as raised,
        s3.guarded("s3://readonly/data", "write", endpoint_url=endpoint),
    ):
        fs.pipe("readonly/data/x", b"1")
    one_line(raised.value)


def test_a_missing_bucket_names_the_fix(store):
    fs = store.filesystem()
    for action, call in (
        ("list", lambda: fs.ls("no-such-bucket")),
        ("write", lambda: fs.pipe("no-such-bucket/x", b"1")),
    ):
        with (
            pytest.raises(StorageNotFoundError, match="does not exist: create it") as raised,
            s3.guarded("s3://no-such-bucket/x", action),
        ):
            call()
        one_line(raised.value)


def test_an_object_deleted_mid_read_is_reported_as_such(store):
    path = f"{store.root}/mid-read.bin"
    store.fs.pipe(path, b"x" * 100_000)
    reader = store.filesystem()
    with (
        pytest.raises(StorageNotFoundError, match="disappeared while it was being read") as raised,
        s3.guarded(f"s3://{path}", "read"),
        reader.open(path, "rb") as handle,
    ):
        handle.read(10)
        store.fs.rm(path)
        handle.read(10)
    one_line(raised.value)


# --- publishing --------------------------------------------------------------------------------------------


def test_a_failed_write_leaves_nothing_that_looks_complete(store):
    fs, target = store.filesystem(), f"{store.root}/published/table"
    with publish.staged(fs, target) as staging:
        fs.pipe(f"{staging}/part-0.bin", b"old")
    assert publish.check_complete(fs, target)["objects"] == {"part-0.bin": 3}

    with pytest.raises(RuntimeError, match="interrupted"), publish.staged(fs, target) as staging:
        fs.pipe(f"{staging}/part-0.bin", b"new!")
        raise RuntimeError("interrupted")
    fs.invalidate_cache()
    assert fs.cat(f"{target}/part-0.bin") == b"old", "an interrupted rewrite does not touch the published dataset"
    assert [p.rsplit("/", 1)[-1] for p in fs.ls(f"{store.root}/published")] == ["table"], "no staging left behind"

    fs.rm(f"{target}/part-0.bin")  # as if a publish had been cut short after its manifest
    with pytest.raises(publish.IncompleteDatasetError, match="lacks 1 object"):
        publish.check_complete(fs, target)
    fs.rm(f"{target}/{publish.MANIFEST}")
    with pytest.raises(publish.IncompleteDatasetError, match="write it again"):
        publish.check_complete(fs, target)


# --- counting ----------------------------------------------------------------------------------------------


def test_requests_and_bytes_are_counted_exactly(store):
    fs = store.filesystem()
    log = counting.attach(fs)
    fs.pipe(f"{store.root}/counted.bin", bytes(1000))
    assert log.snapshot() == {
        "requests": 1,
        "get_requests": 0,
        "put_requests": 1,
        "retries": 0,
        "bytes_read": 0,
        "bytes_written": 1000,
    }
    log.reset()
    with fs.open(f"{store.root}/counted.bin", "rb") as handle:  # one HEAD (the size), then one ranged GET per read
        handle.read(10)
        handle.seek(500)
        handle.read(100)
    assert dict(log.by_operation) == {"HeadObject": 1, "GetObject": 2} and log.bytes_read == 110
    assert counting.attach(fs) is log, "attaching twice does not count twice"
