"""The request log, fault injection and the version check."""
import json
import subprocess
import time
import sys

import pytest
from botocore.exceptions import ClientError

from conftest import LOCALSTACK, error_of


def test_the_request_log_counts_by_service_and_action_since_the_mark(emulator, aws):
    emulator.control("POST", "/wl-api/requests/mark")
    aws("ec2").describe_vpcs()
    aws("ec2").describe_vpcs()
    aws("ecs").list_clusters()
    log = emulator.control("GET", "/wl-api/requests")
    assert log["counts"]["ec2:DescribeVpcs"] >= 2 and log["counts"]["ecs:ListClusters"] >= 1
    assert log["total"] >= 3


@pytest.mark.parametrize(
    "service,call,code,status",
    [
        ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded", 503),
        ("ecs", lambda c: c.list_clusters(), "ThrottlingException", 400),
        ("rds", lambda c: c.describe_db_instances(), "Throttling", 400),
        ("s3", lambda c: c.list_buckets(), "SlowDown", 503),
    ],
)
def test_a_throttle_fault_is_answered_in_the_service_s_own_shape(emulator, service, call, code, status):
    key = f"THROTTLE{service.upper()}"
    emulator.control("POST", "/wl-api/faults", {"rate": 1, "access_key": key, "kinds": ["throttle"]})
    try:
        with pytest.raises(ClientError) as refused:
            call(emulator.client(service, access_key=key))
        assert (error_of(refused)[0], error_of(refused)[2]) == (code, status)
    finally:
        emulator.control("POST", "/wl-api/faults", {"rate": 0, "access_key": key})
    call(emulator.client(service, access_key=key))


def test_a_lost_answer_carries_the_request_out(emulator, aws, name):
    key = "LOSTANSWER"
    emulator.control("POST", "/wl-api/faults", {"rate": 1, "access_key": key, "kinds": ["lost"], "actions": ["CreateRepository"]})
    try:
        with pytest.raises(ClientError) as refused:
            emulator.client("ecr", access_key=key).create_repository(repositoryName=name)
        assert error_of(refused)[2] == 503
    finally:
        emulator.control("POST", "/wl-api/faults", {"rate": 0, "access_key": key})
    assert aws("ecr").describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryName"] == name
    faults = emulator.control("GET", "/wl-api/requests")["faults"]
    assert faults.get("ecr:CreateRepository", 0) >= 1


def test_a_limit_stops_the_faults_after_that_many(emulator):
    key = "LIMITEDFAULTS"
    emulator.control("POST", "/wl-api/requests/mark")
    emulator.control("POST", "/wl-api/faults", {"rate": 1, "access_key": key, "kinds": ["throttle"], "limit": 1, "actions": ["ListClusters"]})
    try:
        client = emulator.client("ecs", access_key=key)
        for _ in range(3):
            try:
                client.list_clusters()
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ThrottlingException"
        log = emulator.control("GET", "/wl-api/requests")
        assert log["counts"]["ecs:ListClusters"] >= 3
        assert log["faults"] == {"ecs:ListClusters": 1}, "one fault, then none"
    finally:
        emulator.control("POST", "/wl-api/faults", {"rate": 0, "access_key": key})


def test_the_emulator_refuses_to_start_on_another_moto_version(tmp_path):
    fake = tmp_path / "moto"
    fake.mkdir()
    (fake / "__init__.py").write_text('__version__ = "5.2.4"\n')
    run = subprocess.run(
        [sys.executable, "-m", "wl_emulator", "-H", "127.0.0.1", "-p", "1"],
        cwd=LOCALSTACK,
        env={"PYTHONPATH": f"{tmp_path}:{LOCALSTACK}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 3
    assert "moto 5.2.4 is installed, but these patches were written for moto 5.2.5" in run.stderr


def test_the_version_check_passes_on_the_pinned_version():
    sys.path.insert(0, str(LOCALSTACK))
    from wl_emulator import version

    assert version.check() == "5.2.5"
    with pytest.raises(SystemExit):
        version.check(installed="5.3.0")


def test_what_one_access_key_creates_stays_pending_as_long_as_it_asks(emulator, name):
    # The SIGKILL test of the Rust suite leaves databases, caches and NAT gateways half made.
    from helpers import network

    slow = f"SLOW{name.upper().replace('-', '')}"
    emulator.control("POST", "/wl-api/pending", {"access_key": slow, "seconds": {"nat": 1.5}})
    clients = {}

    def aws(service):
        return clients.setdefault(service, emulator.client(service, access_key=slow))

    net = network(aws, name)
    ec2 = aws("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]
    assert [state() for _ in range(3)] == ["pending"] * 3, "pending for its time, not one read"
    time.sleep(1.6)
    assert state() == "available"
    # Others' creates are as the profile says; {} turns the key's times off.
    emulator.control("POST", "/wl-api/pending", {"access_key": slow, "seconds": {}})
    other = ec2.create_nat_gateway(SubnetId=net["subnets"][1], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    other_id = other["NatGateway"]["NatGatewayId"]
    assert [ec2.describe_nat_gateways(NatGatewayIds=[other_id])["NatGateways"][0]["State"] for _ in range(2)] == ["pending", "available"]


def test_what_one_access_key_holds_stays_pending_until_the_test_lets_it_go(emulator, name):
    # The SIGKILL test kills an apply exactly while a NAT gateway, a database or a cache is pending.
    from helpers import network

    holder = f"HOLD{name.upper().replace('-', '')}"
    emulator.control("POST", "/wl-api/pending", {"access_key": holder, "hold": ["nat"]})
    ec2 = emulator.client("ec2", access_key=holder)
    net = network(lambda service: emulator.client(service, access_key=holder), name)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]
    assert [state() for _ in range(5)] == ["pending"] * 5, "held, however often it is read"
    held = emulator.control("GET", "/wl-api/pending")["held"]
    assert {"kind": "nat", "id": nat, "access_key": holder} in held
    # Another key's creates are not held.
    other = emulator.client("ec2")
    other_nat = other.create_nat_gateway(SubnetId=net["subnets"][1], AllocationId=other.allocate_address(Domain="vpc")["AllocationId"])
    assert all(entry["id"] != other_nat["NatGateway"]["NatGatewayId"] for entry in emulator.control("GET", "/wl-api/pending")["held"])
    released = emulator.control("POST", "/wl-api/pending/release", {"access_key": holder, "kinds": ["nat"]})["released"]
    assert released == [{"kind": "nat", "id": nat}]
    assert [state() for _ in range(2)] == ["pending", "available"], "released: on as the fast profile goes"
    assert all(entry["id"] != nat for entry in emulator.control("GET", "/wl-api/pending")["held"])
    emulator.control("POST", "/wl-api/pending", {"access_key": holder, "hold": []})
    later = ec2.create_nat_gateway(SubnetId=net["subnets"][1], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    assert all(entry["id"] != later["NatGateway"]["NatGatewayId"] for entry in emulator.control("GET", "/wl-api/pending")["held"])


def test_a_fault_limit_per_action_fails_each_action_that_often(emulator, name):
    # The Rust suite loses the first answer of each CreateSecret and CreateRole, whatever their order.
    key = f"PERACTION{name.upper().replace('-', '')}"
    emulator.control("POST", "/wl-api/faults", {"rate": 1, "access_key": key, "kinds": ["throttle"], "actions": ["DescribeVpcs", "ListClusters"], "limit_per_action": 1})
    try:
        emulator.control("POST", "/wl-api/requests/mark")
        ec2, ecs = emulator.client("ec2", access_key=key), emulator.client("ecs", access_key=key)
        for call in (ec2.describe_vpcs, ecs.list_clusters, ec2.describe_vpcs, ecs.list_clusters):
            call()  # the SDK's retry carries the first of each through
        log = emulator.control("GET", "/wl-api/requests")
        assert log["faults"] == {"ec2:DescribeVpcs": 1, "ecs:ListClusters": 1}
        assert (log["counts"]["ec2:DescribeVpcs"], log["counts"]["ecs:ListClusters"]) == (3, 3)
        assert emulator.control("GET", "/wl-api/requests")["faults"] == {"ec2:DescribeVpcs": 1, "ecs:ListClusters": 1}
    finally:
        emulator.control("POST", "/wl-api/faults", {"rate": 0, "access_key": key})


def test_a_hold_on_a_change_keeps_the_cache_modifying_until_released(emulator, name):
    from helpers import network

    key = f"HOLDMOD{name.upper().replace('-', '')}"
    aws = lambda service: emulator.client(service, access_key=key)
    net = network(aws, name)
    elasticache = aws("elasticache")
    elasticache.create_cache_subnet_group(CacheSubnetGroupName=name, CacheSubnetGroupDescription="test", SubnetIds=net["subnets"])
    elasticache.create_replication_group(
        ReplicationGroupId=name, ReplicationGroupDescription="test", Engine="redis", CacheNodeType="cache.t3.micro",
        NumCacheClusters=1, CacheSubnetGroupName=name, SecurityGroupIds=[net["group"]],
    )
    status = lambda: elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]["Status"]
    assert [status(), status()] == ["creating", "available"], "creates are not held by a hold on changes"
    emulator.control("POST", "/wl-api/pending", {"access_key": key, "hold": ["cache-modify"]})
    try:
        elasticache.modify_replication_group(ReplicationGroupId=name, CacheNodeType="cache.t3.small", ApplyImmediately=True)
        assert [status() for _ in range(4)] == ["modifying"] * 4
        assert {"kind": "cache-modify", "id": name, "access_key": key} in emulator.control("GET", "/wl-api/pending")["held"]
        emulator.control("POST", "/wl-api/pending/release", {"access_key": key, "kinds": ["cache-modify"]})
        assert [status(), status()] == ["modifying", "available"]
    finally:
        emulator.control("POST", "/wl-api/pending", {"access_key": key, "hold": []})
