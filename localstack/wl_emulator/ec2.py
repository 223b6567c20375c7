"""EC2: client tokens, pending NAT gateways, and the rules AWS enforces that moto 5.2 does not."""
from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.responses.route_tables import RouteTables

from . import control, profiles

_client_token_results = {}


def _idempotent(create):
    """AWS answers a repeated ClientToken with the resource the first call made; moto 5.2 ignores
    the token and makes another (a retried CreateRouteTable makes a twin table, a retried
    CreateNatGateway fails on the address the first gateway holds)."""

    def wrapped(self):
        token = self._get_param("ClientToken")
        if not token:
            return create(self)
        key = (create.__name__, self.current_account, self.region, token)
        if key not in _client_token_results:
            _client_token_results[key] = create(self)
        return _client_token_results[key]

    return wrapped


control.reset_hooks.append(_client_token_results.clear)

RouteTables.create_route_table = _idempotent(RouteTables.create_route_table)
NatGateways.create_nat_gateway = _idempotent(NatGateways.create_nat_gateway)

# Pending states: a new NAT gateway reads `pending`.
profiles.wrap_create(NatGatewayBackend, "create_nat_gateway", "nat", "id", ["pending"], "state")
profiles.wrap_describe(NatGatewayBackend, "describe_nat_gateways", "nat", "id", "state", "available")

# --- Request rules (strict layer) ---------------------------------------------------------------
#
# EC2 answers InvalidParameterValue for a parameter value it refuses, in the shape
# "Value (x) for parameter Name is invalid. <why>" (pulumi-awsx#328 quotes the sg- one).

import re  # noqa: E402

from .strict import Refusal, check_tags, rule  # noqa: E402

# a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*
_GROUP_CHARACTERS = re.compile(r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")


@rule("ec2", "*")
def client_token_is_at_most_64_ascii_characters(call):
    """ClientToken: "Constraint: Maximum 64 ASCII characters." (botocore ec2, e.g. CreateNatGateway;
    https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html gives the same limit
    for every EC2 call that takes a client token)."""
    token = call.get("ClientToken")
    if isinstance(token, str) and (len(token) > 64 or not token.isascii()):
        raise Refusal("InvalidParameterValue", f"Value ({token}) for parameter clientToken is invalid. The client token must be 64 ASCII characters or less.")


@rule("ec2", "CreateSecurityGroup")
def security_group_name_and_description(call):
    """GroupName: "Up to 255 characters in length. Can't start with sg-. Valid characters: a-z, A-Z,
    0-9, spaces, and ._-:/()#,@[]+=&;{}!$*"; Description: the same length and characters
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html). The
    sg- message is AWS's own (pulumi-awsx#328)."""
    name = call.get("GroupName", default="")
    description = call.get("Description", default="")
    if name.lower().startswith("sg-"):
        raise Refusal("InvalidParameterValue", f"Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.")
    for field, value in (("GroupName", name), ("GroupDescription", description)):
        if len(value) > 255:
            raise Refusal("InvalidParameterValue", f"Invalid value '{value[:64]}...' for {field}. Length of value exceeds maximum of 255.")
        if not _GROUP_CHARACTERS.fullmatch(value):
            raise Refusal("InvalidParameterValue", f"Value ({value}) for parameter {field} is invalid. Character sets beyond ASCII are not supported.")
    if not description:
        raise Refusal("MissingParameter", "The request must contain the parameter GroupDescription")


@rule("ec2", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress")
def security_group_rule_descriptions(call):
    """IpRange / UserIdGroupPair Description: "Up to 255 characters in length. Allowed characters
    are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" (botocore ec2, IpRange.Description)."""
    for permission in call.get("IpPermissions", default=[]) or []:
        for source in (permission.get("IpRanges") or []) + (permission.get("UserIdGroupPairs") or []) + (permission.get("Ipv6Ranges") or []):
            description = source.get("Description") or ""
            if len(description) > 255 or not _GROUP_CHARACTERS.fullmatch(description):
                raise Refusal("InvalidParameterValue", f"Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{{}}!$*")


@rule("ec2", "*")
def tags_within_ec2_limits(call):
    """Tags: "Tag keys are case-sensitive and accept a maximum of 127 Unicode characters. May not
    begin with aws:"; values "a maximum of 256 Unicode characters"; "Each resource can have a
    maximum of 50 tags" (botocore ec2 Tag and CreateTags;
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html)."""
    groups = [spec.get("Tags") or [] for spec in call.get("TagSpecifications", default=[]) or []]
    if call.action == "CreateTags":
        groups.append(call.get("Tags", default=[]) or [])
    for tags in groups:
        if len(tags) > 50:
            raise Refusal("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
        for tag in tags:
            key = str(tag.get("Key", ""))
            if key.lower().startswith("aws:"):
                raise Refusal("InvalidParameterValue", f"Value ( {key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use")
        check_tags(tags, "InvalidParameterValue", key_max=127, value_max=256, count_max=50, reserved=())

# --- Network interfaces AWS creates for its services, and holds after their owner is gone -----------
#
# Load balancers, the tasks of awsvpc ECS services, databases and cache nodes each have network
# interfaces in their subnets, with their security groups, requester-managed, described like AWS
# describes them ("ELB app/<name>/<id>", "arn:aws:ecs:<region>:<account>:attachment/<id>",
# "RDSNetworkInterface", "ElastiCache <cluster>"). moto makes none (but for NAT gateways). AWS
# releases them minutes after their owner is deleted (terraform-provider-aws retries DeleteSubnet and
# DeleteSecurityGroup on DependencyViolation for up to 20 minutes for that reason,
# internal/service/ec2/vpc_subnet.go); here they stay profiles.seconds("eni-<owner kind>") after
# their owner is gone, holding their subnet and security groups. DescribeNetworkInterfaces (filters
# group-id, subnet-id, vpc-id) shows them.

import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from moto.ec2.models import ec2_backends  # noqa: E402
from moto.ec2.utils import random_public_ip  # noqa: E402

_interfaces_lock = threading.RLock()
# (account, region, owner) -> [eni id]
_owned = {}
# (account, region, eni id) -> when it goes
_held = {}


def _backend(account, region):
    return ec2_backends[account][region]


def attach_interfaces(account, region, owner, placements, groups, description, public=False, requester="amazon-aws"):
    """Creates one requester-managed interface per subnet id in `placements` for `owner`."""
    backend = _backend(account, region)
    existing_groups = [group for group in groups or [] if backend.get_security_group_from_id(group) is not None]
    created = []
    with _interfaces_lock:
        for subnet_id in placements:
            try:
                subnet = backend.get_subnet(subnet_id)
            except Exception:  # noqa: BLE001 - a subnet that is gone gets no interface
                continue
            eni = backend.create_network_interface(subnet, None, group_ids=existing_groups or None, description=description(len(created)) if callable(description) else description)
            if not existing_groups:
                eni._group_set = []
            eni.requester_managed = True
            eni.requester_id = requester
            eni.status = "in-use"
            if public:
                eni.public_ip = random_public_ip()
            created.append(eni.id)
        _owned.setdefault((account, region, owner), []).extend(created)
    return created


def interfaces_of(account, region, owner):
    with _interfaces_lock:
        return list(_owned.get((account, region, owner), []))


def release_interfaces(account, region, owner, kind, count=None):
    """Lets `owner`'s interfaces go (the last `count` of them, or all) after profiles.seconds(kind)."""
    with _interfaces_lock:
        owned = _owned.get((account, region, owner), [])
        leaving = owned if count is None else owned[len(owned) - count:] if count > 0 else []
        remaining = owned[: len(owned) - len(leaving)]
        if remaining:
            _owned[(account, region, owner)] = remaining
        else:
            _owned.pop((account, region, owner), None)
        due = time.time() + profiles.seconds(kind)
        for eni_id in leaving:
            _held[(account, region, eni_id)] = due
    reap_interfaces()


def set_interface_groups(account, region, owner, groups):
    backend = _backend(account, region)
    resolved = [backend.get_security_group_from_id(group) for group in groups or []]
    resolved = [group for group in resolved if group is not None]
    with _interfaces_lock:
        for eni_id in _owned.get((account, region, owner), []):
            eni = backend.enis.get(eni_id)
            if eni is not None:
                eni._group_set = list(resolved)


def reap_interfaces():
    """Deletes held interfaces whose time has come."""
    now = time.time()
    with _interfaces_lock:
        for key, due in list(_held.items()):
            if due <= now:
                account, region, eni_id = key
                _held.pop(key, None)
                _backend(account, region).enis.pop(eni_id, None)


def _forget_interfaces():
    with _interfaces_lock:
        _owned.clear()
        _held.clear()


control.reset_hooks.append(_forget_interfaces)
control.before_hooks.append(reap_interfaces)

# --- NAT gateways: `deleting`, then `deleted` ---------------------------------------------------
#
# DeleteNatGateway: "Deleting a public NAT gateway disassociates its Elastic IP address, but does not
# release the address from your account." The gateway is `deleting` ("in the process of being
# terminated and may still be processing traffic") before `deleted`
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNatGateway.html, NatGateway.State);
# its address stays associated until then. moto sets `deleted` at once and never disassociates the
# address nor deletes the gateway's interface. Here the gateway is `deleting` for
# profiles.seconds("nat-delete"), then `deleted`, its address disassociated and its interface gone.
# Its interface is described as AWS does ("Interface for NAT Gateway nat-...", type nat_gateway,
# no security groups).

_nat_deleting = {}  # (account, region, nat id) -> when it is deleted

from moto.ec2.models.nat_gateways import NatGateway  # noqa: E402

_original_nat_init = NatGateway.__init__


def _nat_init(self, backend, *args, **kwargs):
    _original_nat_init(self, backend, *args, **kwargs)
    self._eni.description = f"Interface for NAT Gateway {self.id}"
    self._eni.interface_type = "nat_gateway"
    self._eni.requester_managed = True
    self._eni._group_set = []


NatGateway.__init__ = _nat_init

_original_delete_nat_gateway = NatGatewayBackend.delete_nat_gateway


_nat_addresses_held = {}  # (account, region, nat id) -> when its Elastic IP is let go


def _let_go_of_addresses(backend, gateway):
    eni = getattr(gateway, "_eni", None)
    if eni is not None:
        for address in list(backend.addresses):
            if address.eni is not None and address.eni.id == eni.id:
                backend.disassociate_address(address=address.public_ip)
        backend.enis.pop(eni.id, None)


def _finish_nat_deletion(backend, gateway, address_hold):
    """The gateway reads `deleted`; its Elastic IP stays associated `address_hold` seconds more."""
    gateway.state = "deleted"
    if address_hold <= 0:
        _let_go_of_addresses(backend, gateway)
    else:
        _nat_addresses_held[(backend.account_id, backend.region_name, gateway.id)] = time.time() + address_hold


def _delete_nat_gateway(self, nat_gateway_id):
    gateway = self.nat_gateways.get(nat_gateway_id)
    if gateway is None or gateway.state in ("deleting", "deleted"):
        return _original_delete_nat_gateway(self, nat_gateway_id) if gateway is None else gateway
    profiles._pending.pop(("nat", nat_gateway_id), None)
    # Both times are the deleting key's (POST /wl-api/pending), read now, not when they are due.
    hold, address_hold = profiles.seconds("nat-delete"), profiles.seconds("nat-eip")
    if hold <= 0:
        _finish_nat_deletion(self, gateway, address_hold)
    else:
        gateway.state = "deleting"
        _nat_deleting[(self.account_id, self.region_name, nat_gateway_id)] = (time.time() + hold, address_hold)
    return gateway


def _settle(pending, due_of, finish):
    """Runs `finish(backend, gateway, entry)` for each entry of `pending` whose time has come."""
    now = time.time()
    for key, entry in list(pending.items()):
        if due_of(entry) <= now:
            account, region, nat_id = key
            pending.pop(key, None)
            backend = _backend(account, region)
            gateway = backend.nat_gateways.get(nat_id)
            if gateway is not None:
                finish(backend, gateway, entry)


def settle_nat_gateways():
    _settle(_nat_deleting, lambda entry: entry[0], lambda backend, gateway, entry: _finish_nat_deletion(backend, gateway, entry[1]))
    _settle(_nat_addresses_held, lambda due: due, lambda backend, gateway, _: _let_go_of_addresses(backend, gateway))


NatGatewayBackend.delete_nat_gateway = _delete_nat_gateway
control.before_hooks.append(settle_nat_gateways)
control.reset_hooks.append(_nat_deleting.clear)
control.reset_hooks.append(_nat_addresses_held.clear)

# --- State rules: what AWS refuses while something still holds a resource --------------------------


def _interfaces_where(backend, predicate):
    return [eni for eni in list(backend.enis.values()) if predicate(eni)]


@rule("ec2", "DeleteSubnet", kind="state")
def subnet_with_network_interfaces(call):
    """DeleteSubnet while a network interface is in the subnet: DependencyViolation "The subnet
    'subnet-...' has dependencies and cannot be deleted." (aws-cdk#14456 quotes it; "You must
    terminate all running instances in the subnet before you can delete the subnet",
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html)."""
    subnet_id = call.get("SubnetId", default="")
    backend = call.backend("ec2")
    if _interfaces_where(backend, lambda eni: eni.subnet is not None and eni.subnet.id == subnet_id):
        raise Refusal("DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")


@rule("ec2", "DeleteSecurityGroup", kind="state")
def security_group_in_use(call):
    """DeleteSecurityGroup while a network interface uses the group, or another group's rule refers
    to it: DependencyViolation "resource sg-... has a dependent object" ("If you attempt to delete a
    security group that is associated with an instance, or is referenced by another security group
    ... the operation fails with DependencyViolation",
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html)."""
    group_id = call.get("GroupId")
    backend = call.backend("ec2")
    if group_id is None:
        name = call.get("GroupName")
        group = backend.get_security_group_by_name_or_id(name) if name else None
        group_id = group.id if group else None
    if group_id is None:
        return
    in_use = _interfaces_where(backend, lambda eni: any(group.id == group_id for group in eni._group_set))
    referenced = False
    for groups in backend.groups.values():
        for group in groups.values():
            if group.id == group_id:
                continue
            for permission in list(group.ingress_rules) + list(group.egress_rules):
                if (permission.source_group or {}).get("GroupId") == group_id:
                    referenced = True
    if in_use or referenced:
        raise Refusal("DependencyViolation", f"resource {group_id} has a dependent object")


@rule("ec2", "DetachInternetGateway", kind="state")
def gateway_with_mapped_public_addresses(call):
    """DetachInternetGateway while public addresses are mapped in the VPC (Elastic IPs of NAT
    gateways not yet deleted, load balancer and task interfaces with public IPs):
    DependencyViolation "Network vpc-... has some mapped public address(es). Please unmap those
    public address(es) before detaching the gateway." (hashicorp/terraform#497,
    jenkins-x/terraform-aws-eks-jx#373, where the address belonged to a load balancer)."""
    vpc_id = call.get("VpcId", default="")
    backend = call.backend("ec2")
    if _interfaces_where(backend, lambda eni: eni.public_ip and eni.subnet is not None and eni.subnet.vpc_id == vpc_id):
        raise Refusal("DependencyViolation", f"Network {vpc_id} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.")


@rule("ec2", "ReleaseAddress", kind="state")
def address_still_associated(call):
    """ReleaseAddress of an Elastic IP still associated: with a NAT gateway that is not yet
    `deleted`, AWS answers AuthFailure "You do not have permission to access the specified
    resource." (the gateway's interface is AWS's; eformat/sno-for-100#5, kubernetes/kops#938,
    terraform-aws-modules/terraform-aws-vpc#64); with another interface InvalidIPAddress.InUse
    "Address ... is in use." (genevieve/leftovers#16). moto disassociates and releases it."""
    backend = call.backend("ec2")
    allocation, public_ip = call.get("AllocationId"), call.get("PublicIp")
    for address in backend.addresses:
        if (allocation and address.allocation_id == allocation) or (public_ip and address.public_ip == public_ip):
            if address.eni is None:
                return
            if address.eni.interface_type == "nat_gateway":
                raise Refusal("AuthFailure", "You do not have permission to access the specified resource.")
            raise Refusal("InvalidIPAddress.InUse", f"Address {address.public_ip} is in use.")


@rule("ec2", "AssociateRouteTable", kind="state")
def subnet_already_associated(call):
    """AssociateRouteTable of a subnet already associated with a route table: Resource.AlreadyAssociated
    "the specified association for route table rtb-... conflicts with an existing association"
    (terraform-provider-aws#38960; a subnet has one route table, ReplaceRouteTableAssociation changes
    it, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceRouteTableAssociation.html)."""
    subnet_id = call.get("SubnetId")
    if not subnet_id:
        return
    backend = call.backend("ec2")
    for table in backend.route_tables.values():
        if subnet_id in table._associations.values():
            raise Refusal("Resource.AlreadyAssociated", f"the specified association for route table {table.id} conflicts with an existing association")


@rule("ec2", "DeleteVpc", kind="state")
def vpc_with_dependencies(call):
    """DeleteVpc: "You must detach or delete all gateways and resources that are associated with the
    VPC before you can delete it ... security groups (other than the default) ..."
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html); DependencyViolation
    "The vpc 'vpc-...' has dependencies and cannot be deleted." moto checks subnets and route tables
    only."""
    vpc_id = call.get("VpcId", default="")
    backend = call.backend("ec2")
    groups = [group for group in backend.groups.get(vpc_id, {}).values() if group.name != "default"]
    gateways = [gateway for gateway in backend.internet_gateways.values() if gateway.vpc is not None and gateway.vpc.id == vpc_id]
    interfaces = _interfaces_where(backend, lambda eni: eni.subnet is not None and eni.subnet.vpc_id == vpc_id)
    if groups or gateways or interfaces:
        raise Refusal("DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")


# The weight of an AWS-managed prefix list against a group's rule quota ("AWS-managed prefix list
# weights", https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html);
# a customer-managed list weighs its MaxEntries.
MANAGED_PREFIX_LIST_WEIGHTS = {
    "com.amazonaws.global.cloudfront.origin-facing": 55,
    "com.amazonaws.global.ipv6.cloudfront.origin-facing": 55,
    "com.amazonaws.global.groundstation": 5,
}
# "Inbound or outbound rules per security group: 60" (VPC quotas, adjustable).
RULES_PER_SECURITY_GROUP = 60


def _prefix_list_weight(backend, prefix_list_id):
    listed = backend.managed_prefix_lists.get(prefix_list_id)
    if listed is None:
        return 1
    if listed.max_entries:
        return int(listed.max_entries)
    name = listed.prefix_list_name or ""
    return MANAGED_PREFIX_LIST_WEIGHTS.get(name, 10 if "vpc-lattice" in name else 1)


@rule("ec2", "AuthorizeSecurityGroupIngress", kind="state")
def rules_per_security_group(call):
    """A group's inbound rules, a prefix list counting its weight, may not pass the quota of 60:
    RulesPerSecurityGroupLimitExceeded "The maximum number of rules per security group has been
    reached." (VPC quotas; the CloudFront origin-facing list alone weighs 55). A rule the group
    has already adds nothing: AWS answers it with InvalidPermission.Duplicate (a repeat of a
    request whose answer was lost)."""
    backend = call.backend("ec2")
    group_id = call.get("GroupId", default="")
    group = next((groups[group_id] for groups in backend.groups.values() if group_id in groups), None)
    if group is None:
        return

    def source(rule):
        return rule.prefix_list_id or (rule.ip_range or {}).get("CidrIp") or (rule.source_group or {}).get("GroupId")

    existing = {(rule.ip_protocol, rule.from_port, rule.to_port, source(rule)) for rule in group.ingress_rules}
    weight = sum(_prefix_list_weight(backend, rule.prefix_list_id) if rule.prefix_list_id else 1 for rule in group.ingress_rules)
    for permission in call.get("IpPermissions", default=[]) or []:
        protocol = str(permission.get("IpProtocol"))
        ports = tuple(None if permission.get(key) is None else int(permission.get(key)) for key in ("FromPort", "ToPort"))

        def new(value):
            return (protocol, *ports, value) not in existing

        weight += sum(1 for entry in permission.get("IpRanges") or [] if new(entry.get("CidrIp")))
        weight += len(permission.get("Ipv6Ranges") or [])
        weight += sum(1 for entry in permission.get("UserIdGroupPairs") or [] if new(entry.get("GroupId")))
        weight += sum(
            _prefix_list_weight(backend, entry.get("PrefixListId"))
            for entry in permission.get("PrefixListIds") or []
            if new(entry.get("PrefixListId"))
        )
    if weight > RULES_PER_SECURITY_GROUP:
        raise Refusal("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")


# --- A prefix-list rule keeps its description ------------------------------------------------------
#
# AWS keeps the Description of each PrefixListIds entry (API_PrefixListId) and answers it in
# DescribeSecurityGroups; moto 5.2 drops it.

from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupRule  # noqa: E402

_original_rule_init = SecurityGroupRule.__init__


_rule_signature = __import__("inspect").signature(_original_rule_init)


def _rule_init(self, *args, **kwargs):
    _original_rule_init(self, *args, **kwargs)
    prefix_list = _rule_signature.bind(self, *args, **kwargs).arguments.get("prefix_list_id")
    self.wl_prefix_list_description = prefix_list.get("Description") if isinstance(prefix_list, dict) else None


SecurityGroupRule.__init__ = _rule_init
_original_flattened_rules = SecurityGroup._flattened_rules


def _flattened_rules(self, rules):
    views = _original_flattened_rules(self, rules)
    described = {
        (rule.from_port, rule.to_port, rule.ip_protocol, rule.prefix_list_id): rule.wl_prefix_list_description
        for rule in rules
        if rule.prefix_list_id and getattr(rule, "wl_prefix_list_description", None)
    }
    for view in views:
        for entry in view.prefix_list_ids:
            description = described.get((view.from_port, view.to_port, view.ip_protocol, entry.get("PrefixListId")))
            if description:
                entry["Description"] = description
    return views


SecurityGroup._flattened_rules = _flattened_rules
