"""Shared builders for the emulator's tests: the resources most rules need around them."""
import time

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


def network(aws, name, zones=2, cidr="10.0.0.0/16"):
    """A VPC with one subnet per zone (10.0.<n>.0/24); {"vpc": id, "subnets": [ids], "group": sg id}."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = cidr.split(".")[0] + "." + cidr.split(".")[1]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{index}.0/24", AvailabilityZone=ZONES[index])["Subnet"]["SubnetId"]
        for index in range(zones)
    ]
    group = ec2.create_security_group(GroupName=f"{name}-sg", Description="test group", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


def wait_until(check, timeout=10.0, interval=0.05):
    """Polls `check` until it returns something true; returns that."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(interval)


def interfaces(aws, **filters):
    """DescribeNetworkInterfaces with {"subnet-id": ..., "group-id": ..., "vpc-id": ...} filters."""
    answer = aws("ec2").describe_network_interfaces(Filters=[{"Name": key, "Values": [value]} for key, value in filters.items()])
    return answer["NetworkInterfaces"]


def load_balancer(aws, name, net, scheme="internet-facing"):
    return aws("elbv2").create_load_balancer(
        Name=name, Type="application", Scheme=scheme, Subnets=net["subnets"], SecurityGroups=[net["group"]]
    )["LoadBalancers"][0]["LoadBalancerArn"]
