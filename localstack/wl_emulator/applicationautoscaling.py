"""Application Auto Scaling: tags on scalable targets, what deregistering a target takes with it,
the not-found answers AWS gives, and the rules moto 5.2 does not enforce.

moto keeps no tags for scalable targets and has no TagResource, UntagResource or
ListTagsForResource; AWS tags a scalable target (on RegisterScalableTarget, or by its ARN later),
never a policy (API_TagResource). "Deregistering a scalable target deletes the scaling policies and
the scheduled actions that are associated with it" (API_DeregisterScalableTarget); moto keeps the
policies. AWS answers a target or policy that is not there with ObjectNotFoundException ("The
specified object could not be found"); moto with ValidationException.
"""
import json
import math
import re
import threading

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

from . import control
from .strict import Refusal, check_tags, rule

_lock = threading.Lock()
_tags = {}  # scalable target ARN -> {key: value}
control.reset_hooks.append(_tags.clear)


def _target_by_arn(backend, arn):
    for targets in backend.targets.values():
        for target in targets.values():
            if target.arn == arn:
                return target
    return None


def _not_found(message):
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ObjectNotFoundException", message)


_original_register = ApplicationAutoScalingResponse.register_scalable_target


def _register_scalable_target(self):
    answer = _original_register(self)
    tags = self._get_param("Tags")
    if tags:
        arn = json.loads(answer)["ScalableTargetARN"]
        with _lock:
            # Tags on a register of an existing target are not applied (API_RegisterScalableTarget:
            # "use this parameter to tag the scalable target when it is created").
            _tags.setdefault(arn, dict(tags))
    return answer


_original_deregister_target = ApplicationAutoscalingBackend.deregister_scalable_target


def _deregister_scalable_target(self, namespace, r_id, dimension):
    target = self.targets.get(dimension, {}).get(r_id)
    if target is None:
        raise _not_found(f"No scalable target found for service namespace: {namespace}, resource ID: {r_id}, scalable dimension: {dimension}")
    _original_deregister_target(self, namespace, r_id, dimension)
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
    with _lock:
        _tags.pop(target.arn, None)


_original_delete_policy = ApplicationAutoscalingBackend.delete_scaling_policy


def _delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension):
    from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy

    key = FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id, scalable_dimension, policy_name)
    if key not in self.policies:
        raise _not_found(f"No scaling policy found for service namespace: {service_namespace}, resource ID: {resource_id}, scalable dimension: {scalable_dimension}, policy name: {policy_name}")
    return _original_delete_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)


def _describe_scaling_policies(self, service_namespace, resource_id, scalable_dimension, max_results, next_token):
    # A filter by ResourceId matches that id exactly (moto matches a part of it).
    policies = [p for p in self.policies.values() if p.service_namespace == service_namespace]
    if resource_id:
        policies = [p for p in policies if p.resource_id == resource_id]
    if scalable_dimension:
        policies = [p for p in policies if p.scalable_dimension == scalable_dimension]
    start = int(next_token) if next_token else 0
    size = max_results or 100
    page = policies[start : start + size]
    following = str(start + size) if len(policies) > start + size else None
    return following, page


def _tag_resource(self):
    arn = self._get_param("ResourceARN")
    if _target_by_arn(self.applicationautoscaling_backend, arn) is None:
        raise _resource_not_found(arn)
    with _lock:
        _tags.setdefault(arn, {}).update(self._get_param("Tags") or {})
    return json.dumps({})


def _untag_resource(self):
    arn = self._get_param("ResourceARN")
    if _target_by_arn(self.applicationautoscaling_backend, arn) is None:
        raise _resource_not_found(arn)
    with _lock:
        for key in self._get_param("TagKeys") or []:
            _tags.setdefault(arn, {}).pop(key, None)
    return json.dumps({})


def _list_tags_for_resource(self):
    arn = self._get_param("ResourceARN")
    if _target_by_arn(self.applicationautoscaling_backend, arn) is None:
        raise _resource_not_found(arn)
    with _lock:
        return json.dumps({"Tags": dict(_tags.get(arn, {}))})


def _resource_not_found(arn):
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ResourceNotFoundException", f"No scalable target found for ARN {arn}")


ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target
ApplicationAutoScalingResponse.tag_resource = _tag_resource
ApplicationAutoScalingResponse.untag_resource = _untag_resource
ApplicationAutoScalingResponse.list_tags_for_resource = _list_tags_for_resource
ApplicationAutoscalingBackend.deregister_scalable_target = _deregister_scalable_target
ApplicationAutoscalingBackend.delete_scaling_policy = _delete_scaling_policy
ApplicationAutoscalingBackend.describe_scaling_policies = _describe_scaling_policies

# --- Request rules (strict layer) ---------------------------------------------------------------

_ECS_RESOURCE = re.compile(r"service/[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]{1,255}")
_ALB_LABEL = re.compile(r"app/[A-Za-z0-9-]{1,32}/[0-9a-f]+/targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+")


@rule("application-autoscaling", "RegisterScalableTarget")
def capacity_range_and_ecs_resource(call):
    """MinCapacity and MaxCapacity are required for a new target, the minimum "0" for ECS
    services, and the minimum no more than the maximum (ValidationException "Minimum capacity
    cannot be greater than maximum capacity"); an ECS ResourceId is `service/<cluster>/<service>`
    and its dimension `ecs:service:DesiredCount` (botocore application-autoscaling
    RegisterScalableTarget). Tags: at most 50, keys up to 128 characters, values up to 256."""
    low, high = call.get("MinCapacity"), call.get("MaxCapacity")
    if low is not None and high is not None and int(low) > int(high):
        raise Refusal("ValidationException", "Minimum capacity cannot be greater than maximum capacity")
    if low is not None and int(low) < 0:
        raise Refusal("ValidationException", "Minimum capacity cannot be less than 0")
    if call.get("ServiceNamespace") == "ecs":
        if not _ECS_RESOURCE.fullmatch(call.get("ResourceId", default="") or ""):
            raise Refusal("ValidationException", "Unsupported service namespace, resource type or scalable dimension")
        if call.get("ScalableDimension") != "ecs:service:DesiredCount":
            raise Refusal("ValidationException", "Unsupported service namespace, resource type or scalable dimension")
    tags = [{"Key": key, "Value": value} for key, value in (call.get("Tags", default={}) or {}).items()]
    check_tags(tags, "ValidationException", key_max=128, value_max=256, count_max=50, reserved=("aws:",))


@rule("application-autoscaling", "RegisterScalableTarget", kind="state")
def new_target_needs_its_range(call):
    """"This property is required when registering a new scalable target" (MinCapacity,
    MaxCapacity); an update of a registered one may leave them out."""
    backend = call.backend("applicationautoscaling")
    exists = call.get("ResourceId") in backend.targets.get(call.get("ScalableDimension"), {})
    if not exists and (call.get("MinCapacity") is None or call.get("MaxCapacity") is None):
        raise Refusal("ValidationException", "MinCapacity and MaxCapacity are required for registering a new scalable target")


@rule("application-autoscaling", "PutScalingPolicy", kind="state")
def policy_needs_a_registered_target(call):
    """"You cannot create a scaling policy until you have registered the resource as a scalable
    target" (API_PutScalingPolicy): ObjectNotFoundException "No scalable target registered for
    service namespace: ..., resource ID: ..., scalable dimension: ..."."""
    backend = call.backend("applicationautoscaling")
    namespace, resource, dimension = call.get("ServiceNamespace"), call.get("ResourceId"), call.get("ScalableDimension")
    if resource not in backend.targets.get(dimension, {}):
        raise Refusal("ObjectNotFoundException", f"No scalable target registered for service namespace: {namespace}, resource ID: {resource}, scalable dimension: {dimension}")


@rule("application-autoscaling", "PutScalingPolicy")
def target_tracking_configuration(call):
    """A target tracking policy's TargetValue is "between 8.515920e-109 and 6.174597e+307" (base 2:
    2^-360 to 2^1023); ALBRequestCountPerTarget needs a ResourceLabel
    `app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>`,
    the other predefined metrics none (botocore application-autoscaling PredefinedMetricSpecification)."""
    if call.get("PolicyType") != "TargetTrackingScaling":
        return
    configuration = call.get("TargetTrackingScalingPolicyConfiguration", default={}) or {}
    value = configuration.get("TargetValue")
    if value is None or not (8.515920e-109 <= float(value) <= 6.174597e307) or math.isnan(float(value)):
        raise Refusal("ValidationException", f"TargetValue {value} is out of range")
    metric = configuration.get("PredefinedMetricSpecification") or {}
    label = metric.get("ResourceLabel")
    if metric.get("PredefinedMetricType") == "ALBRequestCountPerTarget":
        if not label or not _ALB_LABEL.fullmatch(label):
            raise Refusal("ValidationException", f"Invalid resource label: {label}")
    elif label:
        raise Refusal("ValidationException", f"Resource label is not supported for {metric.get('PredefinedMetricType')}")
