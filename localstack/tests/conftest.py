"""The emulator's own tests: each starts from a real emulator process (the package run as
`python -m wl_emulator`, as localstack/start runs it) and talks to it with boto3, as a client of
AWS would, asserting AWS's answer: its error code, HTTP status and, where the SDKs show it, its
message.

One emulator with the `fast` profile serves the whole session; tests that need other settings
(another profile, strict mode off, other hold times) start their own with `start_emulator`.
A failure to start is an error, never a skip.
"""
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import boto3
import botocore.config
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LOCALSTACK = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Emulator:
    def __init__(self, process, endpoint, log):
        self.process = process
        self.endpoint = endpoint
        self.log = log

    def client(self, service, access_key="test", region=REGION, **config):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key="test",
            # No client-side validation: the tests send what AWS would refuse, to see the emulator refuse it.
            config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False, **config),
        )

    def control(self, method, path, document=None):
        data = json.dumps(document).encode() if document is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def raw(self, service, params=None, *, method="POST", path="/", body=None, headers=None, access_key="test"):
        """A signed request as the AWS SDK for Rust sends it (query protocol by default: the
        form-encoded parameters in the body); answers (status, headers, body text)."""
        headers = dict(headers or {})
        if params is not None:
            body = "&".join(f"{key}={urllib.parse.quote(str(value), safe='')}" for key, value in params.items())
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        request = AWSRequest(method=method, url=self.endpoint + path, data=body, headers=headers)
        SigV4Auth(Credentials(access_key, "test"), service, REGION).add_auth(request)
        prepared = request.prepare()
        data = prepared.body if body is not None else None
        if isinstance(data, str):
            data = data.encode()
        outgoing = urllib.request.Request(prepared.url, data=data, method=method)
        for key, value in prepared.headers.items():
            outgoing.add_header(key, value)
        try:
            with urllib.request.urlopen(outgoing, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def log_text(self):
        return Path(self.log).read_text(errors="replace") if self.log else ""


def _wait(endpoint, process, log, timeout=60):
    started = time.time()
    while time.time() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode}:\n{Path(log).read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(endpoint + "/wl-api/requests", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the emulator did not answer on {endpoint} within {timeout} s:\n{Path(log).read_text(errors='replace')}")


@contextlib.contextmanager
def start_emulator(tmp_path_factory, **env):
    """Runs `python -m wl_emulator` on a free port with `env` added to the environment."""
    port = free_port()
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    environment = dict(os.environ)
    for key in list(environment):
        if key.startswith("WL_EMULATOR_") or key.startswith("WL_FAULT_"):
            del environment[key]
    environment.update({"MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "PYTHONPATH": str(LOCALSTACK)})
    environment.update({key: str(value) for key, value in env.items()})
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "wl_emulator", "-H", "127.0.0.1", "-p", str(port)],
            cwd=LOCALSTACK,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait(endpoint, process, log)
        yield Emulator(process, endpoint, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    with start_emulator(tmp_path_factory, WL_EMULATOR_PROFILE="fast") as running:
        yield running
        # No rule failed with an exception on anything the tests sent, and nothing the emulator
        # settles by itself (held interfaces, deletions) failed.
        errors = running.control("GET", "/wl-api/refusals")["rule_errors"]
        assert errors == [], errors
        assert "failed:" not in running.log_text(), running.log_text()[-3000:]


@pytest.fixture(scope="session")
def aws(emulator):
    """aws("ec2") is a boto3 client of the session's emulator (one attempt: no SDK retries)."""
    clients = {}

    def client(service):
        if service not in clients:
            clients[service] = emulator.client(service)
        return clients[service]

    return client


@pytest.fixture
def name():
    """A unique lower-case name for this test's resources."""
    return "t" + uuid.uuid4().hex[:10]


def refusals_of(emulator, access_key):
    """What the strict layer refused (or would have) for requests signed with `access_key`."""
    return [entry for entry in emulator.control("GET", "/wl-api/refusals")["refusals"] if entry["access_key"] == access_key]


def error_of(excinfo):
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return response["Error"].get("Code"), response["Error"].get("Message"), response["ResponseMetadata"]["HTTPStatusCode"]


_session_emulators = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test shows the end of the emulator's log (its tracebacks)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        emulator = item.funcargs.get("emulator")
        if emulator is not None:
            tail = "\n".join(emulator.log_text().splitlines()[-40:])
            report.sections.append(("emulator log (last 40 lines)", tail))
