"""The profiles: how long resources stay pending and how long AWS takes to let go."""
import time

import pytest

from conftest import start_emulator
from helpers import interfaces, load_balancer, network, wait_until


def clients(emulator):
    cache = {}

    def aws(service):
        if service not in cache:
            cache[service] = emulator.client(service)
        return cache[service]

    return aws


@pytest.fixture(scope="module")
def unprofiled(tmp_path_factory):
    with start_emulator(tmp_path_factory) as running:
        yield clients(running)


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    # AWS's times times 0.005: a NAT gateway pending 0.45 s, a load balancer's interfaces held 1.5 s.
    with start_emulator(tmp_path_factory, WL_EMULATOR_PROFILE="realistic", WL_EMULATOR_SCALE="0.005") as running:
        yield clients(running)


def test_without_a_profile_everything_is_let_go_at_once(unprofiled, name):
    aws = unprofiled
    net = network(aws, name)
    ec2 = aws("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "available"
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "deleted"
    ec2.release_address(AllocationId=allocation)
    arn = load_balancer(aws, name, net)
    assert len(interfaces(aws, **{"group-id": net["group"]})) == 2, "the interfaces exist while their owner does"
    aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)
    assert interfaces(aws, **{"group-id": net["group"]}) == []
    ec2.delete_security_group(GroupId=net["group"])


def test_the_realistic_profile_takes_aws_s_times_scaled(realistic, name):
    aws = realistic
    net = network(aws, name)
    ec2 = aws("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    started = time.time()
    nat = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]
    assert state() == "pending"
    wait_until(lambda: state() == "available", timeout=5)
    assert time.time() - started >= 0.4
    arn = load_balancer(aws, name, net)
    aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)
    deleted = time.time()
    wait_until(lambda: not interfaces(aws, **{"group-id": net["group"]}), timeout=10)
    assert time.time() - deleted >= 1.0


def test_a_variable_overrides_the_profile_s_hold(tmp_path_factory, name):
    with start_emulator(tmp_path_factory, WL_EMULATOR_PROFILE="fast", WL_EMULATOR_ENI_HOLD_SECONDS="0", WL_EMULATOR_LIST_LAG_SECONDS="0") as running:
        aws = clients(running)
        net = network(aws, name)
        arn = load_balancer(aws, name, net)
        aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)
        assert interfaces(aws, **{"group-id": net["group"]}) == []
        aws("secretsmanager").create_secret(Name=name, SecretString="s")
        assert [s["Name"] for s in aws("secretsmanager").list_secrets()["SecretList"]] == [name]
