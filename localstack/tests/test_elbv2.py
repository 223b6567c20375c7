"""ELBv2: CreateListener idempotence, pending load balancers and AWS's rules."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from helpers import network, wait_until


def balancer(aws, name, net):
    return aws("elbv2").create_load_balancer(
        Name=name, Type="application", Scheme="internet-facing", Subnets=net["subnets"], SecurityGroups=[net["group"]]
    )["LoadBalancers"][0]["LoadBalancerArn"]


def fixed(status="404"):
    return [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": status, "ContentType": "text/plain", "MessageBody": "no"}}]


def test_create_listener_on_a_taken_port_answers_with_the_listener_or_duplicate_listener(aws, name):
    net = network(aws, name)
    arn = balancer(aws, name, net)
    elbv2 = aws("elbv2")
    first = elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=fixed())["Listeners"][0]
    again = elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=fixed())["Listeners"][0]
    assert again["ListenerArn"] == first["ListenerArn"]
    assert len(elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]) == 1
    with pytest.raises(ClientError) as refused:
        elbv2.create_listener(
            LoadBalancerArn=arn,
            Protocol="HTTPS",
            Port=80,
            Certificates=[{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}],
            DefaultActions=fixed(),
        )
    assert error_of(refused)[0] == "DuplicateListener"


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_load_balancer_names(aws, name):
    net = network(aws, name)
    elbv2 = aws("elbv2")
    create = lambda lb_name: elbv2.create_load_balancer(Name=lb_name, Subnets=net["subnets"], SecurityGroups=[net["group"]])
    code, message, _ = refused(lambda: create("x" * 33))
    assert (code, message) == ("ValidationError", f"The load balancer name '{'x' * 33}' cannot be longer than '32' characters")
    for bad in ("internal-app", "-app", "app-", "app_1"):
        assert refused(lambda: create(bad))[0] == "ValidationError", bad


def test_target_group_names(aws, name):
    elbv2 = aws("elbv2")
    for bad in ("t" * 33, "-tg", "tg-", "tg.1"):
        assert refused(lambda: elbv2.create_target_group(Name=bad, Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip"))[0] == "ValidationError", bad


def rule_fixture(aws, name):
    net = network(aws, name)
    arn = balancer(aws, name, net)
    elbv2 = aws("elbv2")
    listener = elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=fixed())["Listeners"][0]["ListenerArn"]
    group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8000, VpcId=net["vpc"], TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    return net, arn, listener, group


def test_rule_condition_values_and_priorities(aws, name):
    _, _, listener, group = rule_fixture(aws, name)
    elbv2 = aws("elbv2")
    forward = [{"Type": "forward", "TargetGroupArn": group}]
    six = [{"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/p{index}" for index in range(6)]}}]
    code, message, _ = refused(lambda: elbv2.create_rule(ListenerArn=listener, Priority=10, Conditions=six, Actions=forward))
    assert (code, message) == ("ValidationError", "A rule can only have '5' condition values")
    long_path = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/" + "p" * 128]}}]
    assert refused(lambda: elbv2.create_rule(ListenerArn=listener, Priority=10, Conditions=long_path, Actions=forward))[0] == "ValidationError"
    header = [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X" * 41, "Values": ["v"]}}]
    assert refused(lambda: elbv2.create_rule(ListenerArn=listener, Priority=10, Conditions=header, Actions=forward))[0] == "ValidationError"
    ok = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/users", "/api/users/*", "/api/health/users"]}}]
    assert refused(lambda: elbv2.create_rule(ListenerArn=listener, Priority=50001, Conditions=ok, Actions=forward))[0] == "ValidationError"
    elbv2.create_rule(ListenerArn=listener, Priority=1234, Conditions=ok, Actions=forward)


def test_fixed_response_bodies(aws, name):
    net = network(aws, name)
    arn = balancer(aws, name, net)
    action = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "application/json", "MessageBody": "x" * 1025}}]
    assert refused(lambda: aws("elbv2").create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=action))[0] == "ValidationError"


def test_an_application_load_balancer_needs_subnets_in_two_zones(aws, name):
    net = network(aws, name)
    elbv2 = aws("elbv2")
    code, message, _ = refused(lambda: elbv2.create_load_balancer(Name=name, Subnets=net["subnets"][:1], SecurityGroups=[net["group"]]))
    assert (code, message) == ("ValidationError", "At least two subnets in two different Availability Zones must be specified")
    arn = balancer(aws, name, net)
    assert refused(lambda: elbv2.set_subnets(LoadBalancerArn=arn, Subnets=net["subnets"][:1]))[0] == "ValidationError"
    second = aws("ec2").create_subnet(VpcId=net["vpc"], CidrBlock="10.0.9.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    assert refused(lambda: elbv2.set_subnets(LoadBalancerArn=arn, Subnets=[net["subnets"][0], second]))[0] == "InvalidConfigurationRequest"


def test_a_target_group_a_rule_or_listener_forwards_to_cannot_be_deleted(aws, name):
    _, arn, listener, group = rule_fixture(aws, name)
    elbv2 = aws("elbv2")
    conditions = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/x"]}}]
    rule = elbv2.create_rule(ListenerArn=listener, Priority=5, Conditions=conditions, Actions=[{"Type": "forward", "TargetGroupArn": group}])["Rules"][0]["RuleArn"]
    code, message, _ = refused(lambda: elbv2.delete_target_group(TargetGroupArn=group))
    assert (code, message) == ("ResourceInUse", f"Target group '{group}' is currently in use by a listener or a rule")
    elbv2.delete_rule(RuleArn=rule)
    elbv2.modify_listener(ListenerArn=listener, DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    assert refused(lambda: elbv2.delete_target_group(TargetGroupArn=group))[0] == "ResourceInUse"
    elbv2.modify_listener(ListenerArn=listener, DefaultActions=fixed())
    elbv2.delete_target_group(TargetGroupArn=group)


def test_set_subnets_and_security_groups_move_the_interfaces(aws, name):
    from helpers import interfaces

    net = network(aws, name, zones=3)
    arn = aws("elbv2").create_load_balancer(Name=name, Subnets=net["subnets"][:2], SecurityGroups=[net["group"]])["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2 = aws("elbv2")
    elbv2.set_subnets(LoadBalancerArn=arn, Subnets=net["subnets"][1:])
    live = lambda: sorted(eni["SubnetId"] for eni in interfaces(aws, **{"vpc-id": net["vpc"]}))
    wait_until(lambda: live() == sorted(net["subnets"][1:]), timeout=5)
    other = aws("ec2").create_security_group(GroupName=f"{name}-other", Description="d", VpcId=net["vpc"])["GroupId"]
    elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[other])
    assert len(interfaces(aws, **{"group-id": other})) == 2


def test_create_load_balancer_is_idempotent_for_the_same_settings(aws, name):
    # A retried CreateLoadBalancer whose first answer was lost must not make a twin.
    net = network(aws, name)
    elb = aws("elbv2")
    first = elb.create_load_balancer(Name=name[:32], Subnets=net["subnets"])["LoadBalancers"][0]["LoadBalancerArn"]
    again = elb.create_load_balancer(Name=name[:32], Subnets=net["subnets"])["LoadBalancers"][0]["LoadBalancerArn"]
    assert first == again
    assert len([b for b in elb.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == name[:32]]) == 1
    with pytest.raises(ClientError) as raised:
        elb.create_load_balancer(Name=name[:32], Subnets=net["subnets"], Scheme="internal")
    assert error_of(raised)[0] == "DuplicateLoadBalancerName"
