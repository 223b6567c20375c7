"""The requests wl-infra's drivers really send pass the strict layer.

data/driver-requests.jsonl holds one request of each distinct shape (operation and parameter
structure) that the wl-infra binary sent in a recorded session against this emulator: apply of a
two-zone stack with a database, a cache, two services and a frontend, a plan, an instance class,
node type and replica change, a replica added back, a deployment the circuit breaker rolled back
(`--image-tag movie=wl-fail-1`), a new image, a third zone, and destroy. Each line is the request
decoded onto botocore's input shape, as the strict layer sees it.

To record a new corpus, run the emulator with WL_EMULATOR_RECORD=<file> and the same commands,
then keep one line per (service, operation, parameter structure) (see localstack/README.md).

The generic validator and every request rule run on each recorded request; a refusal here is a
false positive of the emulator (or a new driver bug, which then needs a rule test of its own).
"""
import json
import sys
from pathlib import Path

import pytest

from conftest import LOCALSTACK

sys.path.insert(0, str(LOCALSTACK))

CORPUS = Path(__file__).resolve().parent / "data" / "driver-requests.jsonl"
ENTRIES = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def strict():
    import wl_emulator

    wl_emulator.install()
    from wl_emulator import strict as module

    return module


class Recorded:
    def __init__(self, service):
        self.service = service
        self.region = "us-east-1"
        self.access_key = "test"


def test_the_corpus_covers_every_service_wl_infra_calls():
    services = {entry["service"] for entry in ENTRIES}
    assert services >= {"ec2", "ecs", "ecr", "rds", "elasticache", "elasticloadbalancing", "iam", "monitoring", "logs", "secretsmanager", "s3", "cloudfront", "sts"}
    assert len(ENTRIES) > 100


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e['service']}:{e['operation']}:{index}" for index, e in enumerate(ENTRIES)])
def test_a_recorded_driver_request_passes_the_strict_layer(strict, entry):
    model = strict.model(entry["service"])
    operation = model.operation_model(entry["operation"])
    errors = []
    if operation.input_shape is not None:
        strict.validate(operation.input_shape, entry["params"], "", errors)
    assert errors == [], strict.generic_refusal(entry["service"], errors).message
    call = strict.Call(Recorded(entry["service"]), entry["operation"], entry["params"])
    for registered in strict.RULES:
        if registered.kind == "state" or not registered.applies(entry["service"], entry["operation"]):
            continue
        try:
            registered.function(call)
        except strict.Refusal as refusal:
            pytest.fail(f"{registered.name} refused a request the drivers send: {refusal.code}: {refusal.message}")
