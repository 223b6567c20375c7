"""EC2: client tokens, pending NAT gateways, and AWS's rules for the network."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from helpers import network, wait_until


def test_a_repeated_client_token_answers_with_the_first_route_table(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    first = ec2.create_route_table(VpcId=net["vpc"], ClientToken=name)["RouteTable"]["RouteTableId"]
    again = ec2.create_route_table(VpcId=net["vpc"], ClientToken=name)["RouteTable"]["RouteTableId"]
    assert first == again
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["RouteTables"]
    assert len([t for t in tables if not any(a.get("Main") for a in t.get("Associations", []))]) == 1


def test_a_repeated_client_token_answers_with_the_first_nat_gateway_which_is_pending_first(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation, ClientToken=name)["NatGateway"]
    again = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation, ClientToken=name)["NatGateway"]
    assert first["NatGatewayId"] == again["NatGatewayId"]
    assert first["State"] == "pending"
    states = [ec2.describe_nat_gateways(NatGatewayIds=[first["NatGatewayId"]])["NatGateways"][0]["State"] for _ in range(2)]
    assert states == ["pending", "available"]


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_a_client_token_longer_than_64_characters_is_refused(aws, name):
    net = network(aws, name)
    code, message, status = refused(lambda: aws("ec2").create_route_table(VpcId=net["vpc"], ClientToken="t" * 65))
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "64 ASCII characters or less" in message
    # wl-infra's 48-character tokens are within EC2's limit.
    aws("ec2").create_route_table(VpcId=net["vpc"], ClientToken="wl-000000000001-" + "0" * 32)


def test_security_group_names_and_descriptions(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    code, message, _ = refused(lambda: ec2.create_security_group(GroupName="sg-123", Description="d", VpcId=net["vpc"]))
    assert code == "InvalidParameterValue" and message == "Value (sg-123) for parameter GroupName is invalid. Group names may not be in the format sg-*."
    assert refused(lambda: ec2.create_security_group(GroupName="g" * 256, Description="d", VpcId=net["vpc"]))[0] == "InvalidParameterValue"
    assert refused(lambda: ec2.create_security_group(GroupName=f"{name}-x", Description="café", VpcId=net["vpc"]))[0] == "InvalidParameterValue"
    ec2.create_security_group(GroupName=f"{name}-alb", Description="load balancer: http(s) from the internet", VpcId=net["vpc"])


def test_security_group_rule_descriptions(aws, name):
    net = network(aws, name)
    permission = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "naïve"}]}
    assert refused(lambda: aws("ec2").authorize_security_group_ingress(GroupId=net["group"], IpPermissions=[permission]))[0] == "InvalidParameterValue"
    permission["IpRanges"][0]["Description"] = "http from anywhere"
    aws("ec2").authorize_security_group_ingress(GroupId=net["group"], IpPermissions=[permission])


def test_tag_limits(aws, name):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    code, message, _ = refused(lambda: ec2.create_tags(Resources=[vpc], Tags=[{"Key": "aws:owner", "Value": "x"}]))
    assert code == "InvalidParameterValue" and "Tag keys starting with 'aws:' are reserved for internal use" in message
    assert refused(lambda: ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k" * 128, "Value": "x"}]))[0] == "InvalidParameterValue"
    assert refused(lambda: ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "v" * 257}]))[0] == "InvalidParameterValue"
    many = [{"Key": f"k{index}", "Value": "v"} for index in range(51)]
    assert refused(lambda: ec2.create_vpc(CidrBlock="10.8.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": many}]))[0] == "TagLimitExceeded"
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "wl:stack", "Value": name}, {"Key": "k" * 127, "Value": "v" * 256}])


from helpers import interfaces, load_balancer  # noqa: E402


def test_a_load_balancer_has_interfaces_that_outlive_it_and_hold_its_subnets_and_group(aws, name):
    net = network(aws, name)
    arn = load_balancer(aws, name, net)
    held = interfaces(aws, **{"group-id": net["group"]})
    assert len(held) == 2
    lb_id = arn.split(":loadbalancer/", 1)[1]
    assert {eni["Description"] for eni in held} == {f"ELB {lb_id}"}
    assert all(eni["RequesterManaged"] for eni in held)
    assert {eni["SubnetId"] for eni in held} == set(net["subnets"])
    assert len(interfaces(aws, **{"vpc-id": net["vpc"]})) == 2
    aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)
    ec2 = aws("ec2")
    code, message, _ = refused(lambda: ec2.delete_subnet(SubnetId=net["subnets"][0]))
    assert (code, message) == ("DependencyViolation", f"The subnet '{net['subnets'][0]}' has dependencies and cannot be deleted.")
    assert refused(lambda: ec2.delete_security_group(GroupId=net["group"])) [:2] == ("DependencyViolation", f"resource {net['group']} has a dependent object")
    wait_until(lambda: not interfaces(aws, **{"group-id": net["group"]}), timeout=5)
    ec2.delete_security_group(GroupId=net["group"])
    ec2.delete_subnet(SubnetId=net["subnets"][0])


def test_a_group_referenced_by_another_group_cannot_be_deleted(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    app = ec2.create_security_group(GroupName=f"{name}-app", Description="services", VpcId=net["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "UserIdGroupPairs": [{"GroupId": net["group"]}]}])
    assert refused(lambda: ec2.delete_security_group(GroupId=net["group"]))[0] == "DependencyViolation"
    ec2.delete_security_group(GroupId=app)
    ec2.delete_security_group(GroupId=net["group"])


def test_a_nat_gateway_is_deleting_then_deleted_and_holds_its_address_until_then(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    gateway_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=net["vpc"])
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    [eni] = interfaces(aws, **{"subnet-id": net["subnets"][0]})
    assert (eni["InterfaceType"], eni["Description"], eni["Groups"]) == ("nat_gateway", f"Interface for NAT Gateway {nat}", [])
    code, message, _ = refused(lambda: ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=net["vpc"]))
    assert code == "DependencyViolation"
    assert message == f"Network {net['vpc']} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway."
    assert refused(lambda: ec2.release_address(AllocationId=allocation))[:2] == ("AuthFailure", "You do not have permission to access the specified resource.")
    ec2.delete_nat_gateway(NatGatewayId=nat)
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]
    assert state() == "deleting"
    assert ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0].get("AssociationId")
    assert refused(lambda: ec2.release_address(AllocationId=allocation))[0] == "AuthFailure"
    wait_until(lambda: state() == "deleted", timeout=5)
    # `deleted`, yet the address stays associated a moment longer (eformat/sno-for-100#9).
    assert refused(lambda: ec2.release_address(AllocationId=allocation))[0] == "AuthFailure"
    wait_until(lambda: not ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0].get("AssociationId"), timeout=5)
    assert interfaces(aws, **{"subnet-id": net["subnets"][0]}) == []
    ec2.release_address(AllocationId=allocation)
    ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=net["vpc"])


def test_an_internet_facing_load_balancer_maps_public_addresses(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    gateway_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=net["vpc"])
    arn = load_balancer(aws, name, net)
    assert all(eni.get("Association", {}).get("PublicIp") for eni in interfaces(aws, **{"vpc-id": net["vpc"]}))
    aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)
    assert refused(lambda: ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=net["vpc"]))[0] == "DependencyViolation"
    wait_until(lambda: not interfaces(aws, **{"vpc-id": net["vpc"]}), timeout=5)
    ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=net["vpc"])


def test_a_subnet_has_one_route_table(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    first = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
    second = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=first, SubnetId=net["subnets"][0])
    code, message, _ = refused(lambda: ec2.associate_route_table(RouteTableId=second, SubnetId=net["subnets"][0]))
    assert (code, message) == ("Resource.AlreadyAssociated", f"the specified association for route table {first} conflicts with an existing association")


def test_a_vpc_with_security_groups_or_a_gateway_cannot_be_deleted(aws, name):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName=f"{name}-g", Description="d", VpcId=vpc)["GroupId"]
    assert refused(lambda: ec2.delete_vpc(VpcId=vpc))[:2] == ("DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted.")
    ec2.delete_security_group(GroupId=group)
    gateway_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc)
    assert refused(lambda: ec2.delete_vpc(VpcId=vpc))[0] == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc)
    ec2.delete_vpc(VpcId=vpc)


def test_the_cloudfront_prefix_list_weighs_55_rules_against_the_group_s_60(aws, name):
    net = network(aws, name)
    ec2 = aws("ec2")
    lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.global.cloudfront.origin-facing"]}])["PrefixLists"]
    assert [entry["OwnerId"] for entry in lists] == ["AWS"]
    cloudfront = lists[0]["PrefixListId"]
    permission = lambda port, **source: {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **source}
    ec2.authorize_security_group_ingress(GroupId=net["group"], IpPermissions=[permission(80, PrefixListIds=[{"PrefixListId": cloudfront, "Description": "from CloudFront"}])])
    rules = ec2.describe_security_groups(GroupIds=[net["group"]])["SecurityGroups"][0]["IpPermissions"]
    entries = [entry for rule in rules for entry in rule.get("PrefixListIds", [])]
    assert entries == [{"PrefixListId": cloudfront, "Description": "from CloudFront"}], "its description is kept"
    # 55 + the same list on another port: over the quota of 60.
    code, message, _ = refused(lambda: ec2.authorize_security_group_ingress(GroupId=net["group"], IpPermissions=[permission(443, PrefixListIds=[{"PrefixListId": cloudfront}])]))
    assert (code, message) == ("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
    # Five more single rules fit; a sixth does not.
    ec2.authorize_security_group_ingress(GroupId=net["group"], IpPermissions=[permission(8000 + n, IpRanges=[{"CidrIp": "10.0.0.0/16"}]) for n in range(5)])
    assert refused(lambda: ec2.authorize_security_group_ingress(GroupId=net["group"], IpPermissions=[permission(9000, IpRanges=[{"CidrIp": "10.0.0.0/16"}])]))[0] == "RulesPerSecurityGroupLimitExceeded"
    # The same list again on its port (a repeat whose first answer was lost) adds nothing: AWS
    # answers it as a duplicate, not as over the quota.
    code, _, _ = refused(lambda: ec2.authorize_security_group_ingress(GroupId=net["group"], IpPermissions=[permission(80, PrefixListIds=[{"PrefixListId": cloudfront}])]))
    assert code == "InvalidPermission.Duplicate"
