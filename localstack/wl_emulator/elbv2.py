"""ELBv2: load balancers that take time with the realistic profile, CreateListener idempotence,
and the rules AWS enforces that moto 5.2 does not."""
import time

from moto.elbv2.exceptions import DuplicateListenerError
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

from . import ec2, profiles

_original_activate = FakeLoadBalancer.activate


def _activate(self):
    if time.time() >= getattr(self, "wl_ready_at", 0):
        _original_activate(self)


FakeLoadBalancer.activate = _activate
import inspect  # noqa: E402

from moto.elbv2.exceptions import DuplicateLoadBalancerName as DuplicateLoadBalancerError  # noqa: E402

_original_create_load_balancer = ELBv2Backend.create_load_balancer


def _create_load_balancer(self, *args, **kwargs):
    # "This operation is idempotent, which means that it completes at most one time. If you
    # attempt to create multiple load balancers with the same settings, each call succeeds."
    # (API_CreateLoadBalancer): the same name and settings answer with the load balancer made
    # first, other settings are DuplicateLoadBalancerName; moto 5.2 makes a second one.
    bound = inspect.signature(_original_create_load_balancer).bind(self, *args, **kwargs)
    bound.apply_defaults()
    name = bound.arguments["name"]
    for existing in self.load_balancers.values():
        if existing.name == name:
            same = (
                sorted(subnet.id for subnet in existing.subnets) == sorted(bound.arguments.get("subnet_ids") or [])
                and existing.scheme == bound.arguments.get("scheme")
                and existing.type == (bound.arguments.get("loadbalancer_type") or "application")
            )
            if same:
                return existing
            raise DuplicateLoadBalancerError()
    balancer = _original_create_load_balancer(self, *args, **kwargs)
    if profiles.PROFILE == "realistic":
        balancer.wl_ready_at = time.time() + profiles.realistic_delay("alb")
    for subnet in balancer.subnets:
        _attach_balancer_interfaces(self, balancer, subnet.id)
    return balancer


# --- The load balancer's network interfaces -----------------------------------------------------
#
# An Application Load Balancer has a network interface in each of its subnets, described
# "ELB app/<name>/<id>", requester-managed by amazon-elb, with the load balancer's security groups
# and, when internet-facing, a public IP address; they stay a while after the load balancer is
# deleted (ec2.py: profiles.seconds("eni-elb")).


def _balancer_description(balancer):
    return "ELB " + balancer.arn.split(":loadbalancer/", 1)[-1]


def _attach_balancer_interfaces(backend, balancer, subnet_id):
    ec2.attach_interfaces(
        backend.account_id,
        backend.region_name,
        ("elb", balancer.arn, subnet_id),
        [subnet_id],
        balancer.security_groups,
        _balancer_description(balancer),
        public=balancer.scheme == "internet-facing",
        requester="amazon-elb",
    )


_original_delete_load_balancer = ELBv2Backend.delete_load_balancer


def _delete_load_balancer(self, arn):
    balancer = self.load_balancers.get(arn)
    _original_delete_load_balancer(self, arn)
    if balancer is not None:
        for subnet in balancer.subnets:
            ec2.release_interfaces(self.account_id, self.region_name, ("elb", arn, subnet.id), "eni-elb")


_original_set_subnets = ELBv2Backend.set_subnets


def _set_subnets(self, arn, subnets, subnet_mappings):
    balancer = self.load_balancers.get(arn)
    before = {subnet.id for subnet in balancer.subnets} if balancer is not None else set()
    answer = _original_set_subnets(self, arn, subnets, subnet_mappings)
    if balancer is not None:
        after = {subnet.id for subnet in balancer.subnets}
        for subnet_id in before - after:
            ec2.release_interfaces(self.account_id, self.region_name, ("elb", arn, subnet_id), "eni-elb")
        for subnet_id in after - before:
            _attach_balancer_interfaces(self, balancer, subnet_id)
    return answer


_original_set_security_groups = ELBv2Backend.set_security_groups


def _set_security_groups(self, arn, sec_groups):
    _original_set_security_groups(self, arn, sec_groups)
    balancer = self.load_balancers.get(arn)
    if balancer is not None:
        for subnet in balancer.subnets:
            ec2.set_interface_groups(self.account_id, self.region_name, ("elb", arn, subnet.id), sec_groups)


ELBv2Backend.delete_load_balancer = _delete_load_balancer
ELBv2Backend.set_subnets = _set_subnets
ELBv2Backend.set_security_groups = _set_security_groups


ELBv2Backend.create_load_balancer = _create_load_balancer

# AWS answers a CreateListener whose port is taken with the existing listener when the settings
# are the same (so a retried call is harmless) and with DuplicateListener otherwise; moto 5.2
# compares the port with listener ARNs, never matches, and makes a second listener on the port.

_original_create_listener = ELBv2Backend.create_listener


def _create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs):
    balancer = self.load_balancers.get(load_balancer_arn)
    if balancer is not None:
        for listener in balancer.listeners.values():
            if str(listener.port) == str(port):
                if str(listener.protocol).upper() == str(protocol).upper():
                    return listener
                raise DuplicateListenerError()
    return _original_create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs)


ELBv2Backend.create_listener = _create_listener

# --- Request rules (strict layer) ---------------------------------------------------------------

import re  # noqa: E402

from .strict import Refusal, rule  # noqa: E402


def _name_error(kind, name):
    if len(name) > 32:
        return f"The {kind} name '{name}' cannot be longer than '32' characters"
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        return f"{kind[:1].upper() + kind[1:]} name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"
    if name.startswith("-") or name.endswith("-"):
        return f"{kind[:1].upper() + kind[1:]} name '{name}' cannot begin or end with a hyphen"
    return None


@rule("elasticloadbalancing", "CreateLoadBalancer")
def load_balancer_name(call):
    """Name: "This name must be unique per region per account, can have a maximum of 32 characters,
    must contain only alphanumeric characters or hyphens, must not begin or end with a hyphen, and
    must not begin with "internal-"." (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html;
    the length message is ELB's own, cfn-lint#3259)."""
    name = call.get("Name", default="")
    problem = _name_error("load balancer", name)
    if problem is None and name.lower().startswith("internal-"):
        problem = f"Load balancer name '{name}' cannot begin with 'internal-'"
    if problem:
        raise Refusal("ValidationError", problem)


@rule("elasticloadbalancing", "CreateTargetGroup")
def target_group_name(call):
    """Name: "must be unique per region per account, can have a maximum of 32 characters, must contain
    only alphanumeric characters or hyphens, and must not begin or end with a hyphen."
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html)."""
    problem = _name_error("target group", call.get("Name", default=""))
    if problem:
        raise Refusal("ValidationError", problem)


def _condition_values(condition):
    values = list(condition.get("Values") or [])
    for config in ("PathPatternConfig", "HostHeaderConfig", "HttpHeaderConfig", "HttpRequestMethodConfig", "SourceIpConfig"):
        values += list((condition.get(config) or {}).get("Values") or [])
    values += list((condition.get("QueryStringConfig") or {}).get("Values") or [])
    return values


@rule("elasticloadbalancing", "CreateRule", "ModifyRule")
def rule_conditions(call):
    """A rule has at most 5 condition values ("Condition values per rule: 5",
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html;
    ELB answers "A rule can only have '5' condition values", aws-cdk#10065); at most one
    host-header, http-request-method, path-pattern and source-ip condition each
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html);
    path-pattern and http-header values are at most 128 characters and an http-header name at most
    40 (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_HttpHeaderConditionConfig.html,
    API_PathPatternConditionConfig.html)."""
    conditions = call.get("Conditions", default=[]) or []
    total = sum(len(_condition_values(condition)) for condition in conditions)
    if total > 5:
        raise Refusal("ValidationError", "A rule can only have '5' condition values")
    seen = {}
    for condition in conditions:
        field = condition.get("Field")
        seen[field] = seen.get(field, 0) + 1
        if field in ("host-header", "http-request-method", "path-pattern", "source-ip") and seen[field] > 1:
            raise Refusal("ValidationError", f"A rule can only have one '{field}' condition")
        for value in _condition_values(condition):
            if len(str(value)) > 128:
                raise Refusal("ValidationError", f"The '{field}' value is too long; the limit is '128'")
        header = (condition.get("HttpHeaderConfig") or {}).get("HttpHeaderName")
        if header is not None and len(header) > 40:
            raise Refusal("ValidationError", "The 'HttpHeaderName' value is too long; the limit is '40'")


@rule("elasticloadbalancing", "CreateListener", "ModifyListener", "CreateRule", "ModifyRule")
def fixed_response_body(call):
    """FixedResponseConfig MessageBody: "The message." with length 0 to 1024, StatusCode "The HTTP
    response code (2XX, 4XX, or 5XX)", ContentType one of text/plain, text/css, text/html,
    application/javascript, application/json
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_FixedResponseActionConfig.html)."""
    for action in (call.get("DefaultActions") or []) + (call.get("Actions") or []):
        config = action.get("FixedResponseConfig") or {}
        body = config.get("MessageBody")
        if body is not None and len(body) > 1024:
            raise Refusal("ValidationError", "The fixed response message body cannot be longer than 1024 characters")
        content_type = config.get("ContentType")
        if content_type and content_type not in ("text/plain", "text/css", "text/html", "application/javascript", "application/json"):
            raise Refusal("ValidationError", f"Invalid content type '{content_type}'")


@rule("elasticloadbalancing", "CreateRule", "SetRulePriorities")
def rule_priority(call):
    """Priority: 1 to 50000 (botocore elbv2 RulePriority, min 1 max 50000)."""
    priorities = [call.get("Priority")] + [pair.get("Priority") for pair in call.get("RulePriorities", default=[]) or []]
    for priority in priorities:
        if priority is not None and not 1 <= int(priority) <= 50000:
            raise Refusal("ValidationError", f"Priority '{priority}' must be between 1 and 50000")


# --- State rules ----------------------------------------------------------------------------------


@rule("elasticloadbalancing", "CreateLoadBalancer", "SetSubnets", kind="state")
def application_load_balancer_needs_two_zones(call):
    """Subnets: "[Application Load Balancers] You must specify subnets from at least two Availability
    Zones." and "You can specify only one subnet per Availability Zone." (botocore elbv2
    CreateLoadBalancer.Subnets). ELB answers ValidationError "At least two subnets in two different
    Availability Zones must be specified" (kasmtech/terraform#5)."""
    kind = call.get("Type") or "application"
    if call.action == "SetSubnets":
        balancer = call.backend("elbv2").load_balancers.get(call.get("LoadBalancerArn", default=""))
        kind = getattr(balancer, "type", "application") if balancer is not None else kind
    if kind != "application":
        return
    subnet_ids = list(call.get("Subnets", default=[]) or []) + [mapping.get("SubnetId") for mapping in call.get("SubnetMappings", default=[]) or []]
    backend = call.backend("ec2")
    zones = []
    for subnet_id in subnet_ids:
        try:
            zones.append(backend.get_subnet(subnet_id).availability_zone)
        except Exception:  # noqa: BLE001 - an unknown subnet is moto's to answer
            return
    if len(set(zones)) != len(zones):
        raise Refusal("InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
    if len(set(zones)) < 2:
        raise Refusal("ValidationError", "At least two subnets in two different Availability Zones must be specified")


@rule("elasticloadbalancing", "DeleteTargetGroup", kind="state")
def target_group_in_use(call):
    """DeleteTargetGroup: "You can delete a target group if it is not referenced by any actions."
    (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteTargetGroup.html);
    ResourceInUse "Target group '<arn>' is currently in use by a listener or a rule"
    (terraform-provider-aws#16889, pulumi#5900). A listener's default action counts as a rule."""
    arn = call.get("TargetGroupArn", default="")
    backend = call.backend("elbv2")
    if arn in backend.target_groups and backend._any_listener_using(arn):
        raise Refusal("ResourceInUse", f"Target group '{arn}' is currently in use by a listener or a rule")
