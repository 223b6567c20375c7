"""moto server with wl-infra's fidelity extensions: fixes where moto answers unlike AWS.

Each extension is small, documented in localstack/README.md, and only changes how moto answers,
never what wl-infra does. Run as: python wl_moto.py -H 127.0.0.1 -p PORT
"""
import os
import sys

from moto.s3.responses import S3Response


def get_bucket_versioning(self):
    """AWS answers <VersioningConfiguration/> (with <Status> once versioning was ever set);
    moto 5.2 names the root element GetBucketVersioningResponse, which SDKs cannot parse."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    )
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = get_bucket_versioning


from moto.rds.models import RDSBackend  # noqa: E402

_modify_db_subnet_group = RDSBackend.modify_db_subnet_group


def modify_db_subnet_group(self, subnet_name, description, subnets):
    """AWS changes the group in place; moto 5.2 removes it from its registry while modifying
    and never puts it back, so the group (and its tags) vanishes."""
    group = _modify_db_subnet_group(self, subnet_name, description, subnets)
    self.subnet_groups[subnet_name] = group
    return group


RDSBackend.modify_db_subnet_group = modify_db_subnet_group

from moto.core.responses import ActionResult, EmptyResult  # noqa: E402
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup  # noqa: E402
from moto.elasticache.responses import ElastiCacheResponse  # noqa: E402

_replication_group_init = ReplicationGroup.__init__


def replication_group_init(self, *args, **kwargs):
    """AWS creates NumCacheClusters nodes when cluster mode is disabled; moto 5.2 ignores it and
    creates one node unless ReplicasPerNodeGroup is given."""
    if kwargs.get("num_cache_clusters") and not kwargs.get("replicas_per_node_group"):
        kwargs["replicas_per_node_group"] = int(kwargs["num_cache_clusters"]) - 1
    _replication_group_init(self, *args, **kwargs)


ReplicationGroup.__init__ = replication_group_init


def resize_replicas(group, replicas):
    """Sets the number of replicas of a cluster-mode-disabled group (primary is `-001`)."""
    primary = group.member_clusters[:1]
    group.member_clusters = primary + [f"{group.replication_group_id}-{r + 1:0>3}" for r in range(1, replicas + 1)]
    node_group = group.node_groups[0]
    node_group["node_group_members"] = node_group["node_group_members"][:1] + [
        dict(node_group["node_group_members"][0], cache_cluster_id=cluster, current_role="replica")
        for cluster in group.member_clusters[1:]
    ]


def increase_replica_count(self):
    backend = self.elasticache_backend
    group = backend.replication_groups[self._get_param("ReplicationGroupId")]
    resize_replicas(group, int(self._get_param("NewReplicaCount")))
    return ActionResult({"ReplicationGroup": group})


def delete_cache_subnet_group(self):
    """Missing from moto 5.2."""
    self.elasticache_backend.cache_subnet_groups.pop(self._get_param("CacheSubnetGroupName"), None)
    return EmptyResult()


def modify_cache_subnet_group(self):
    """Missing from moto 5.2."""
    backend = self.elasticache_backend
    name = self._get_param("CacheSubnetGroupName")
    group = backend.cache_subnet_groups[name]
    # Re-running the constructor recomputes the subnets' zones and VPC; name, ARN and tags stay.
    group.__init__(
        backend.account_id,
        backend.region_name,
        name,
        self._get_param("CacheSubnetGroupDescription") or group.cache_subnet_group_description,
        self._get_param("SubnetIds") or group.subnet_ids,
        group.tags,
    )
    return ActionResult({"CacheSubnetGroup": group})


ElastiCacheResponse.increase_replica_count = increase_replica_count
ElastiCacheResponse.decrease_replica_count = increase_replica_count
ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group
ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group

_delete_replication_group = ElastiCacheBackend.delete_replication_group


def delete_replication_group(self, replication_group_id, retain_primary_cluster):
    """AWS removes the group once it has been `deleting` for a while; moto 5.2 leaves it
    `deleting` forever."""
    group = _delete_replication_group(self, replication_group_id, retain_primary_cluster)
    self.replication_groups.pop(replication_group_id, None)
    return group


ElastiCacheBackend.delete_replication_group = delete_replication_group

from moto.ec2.responses.nat_gateways import NatGateways  # noqa: E402
from moto.ec2.responses.route_tables import RouteTables  # noqa: E402

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


RouteTables.create_route_table = _idempotent(RouteTables.create_route_table)
NatGateways.create_nat_gateway = _idempotent(NatGateways.create_nat_gateway)

# --- Pending states (WL_EMULATOR_PROFILE=fast|realistic) -----------------------------------
#
# moto makes every resource ready at once. With the `fast` profile a new database reads
# `creating` then `backing-up`, a modified one `modifying`, a new NAT gateway `pending`, and a new
# or modified cache `creating`/`modifying`, each for one describe call, before `available`: the
# waiters really wait, without slowing the suite much. With the `realistic` profile each pending
# state lasts AWS's typical duration (REALISTIC_SECONDS) times WL_EMULATOR_SCALE (default 0.02),
# so a benchmark shows how apply overlaps the slow resources.

import time  # noqa: E402

from moto.ec2.models.nat_gateways import NatGatewayBackend  # noqa: E402
from moto.rds.models import RDSBackend as _RDSBackend  # noqa: E402

_pending = {}
_PROFILE = os.environ.get("WL_EMULATOR_PROFILE", "")
_SCALE = float(os.environ.get("WL_EMULATOR_SCALE", "0.02") or 0.02)

# Typical real-AWS durations in seconds, before scaling (issue 5 lists them).
REALISTIC_SECONDS = {
    "rds": 300,
    "rds-modify": 120,
    "cache": 360,
    "cache-modify": 120,
    "nat": 90,
    "alb": 150,
    "cloudfront": 180,
    "ecs": 60,
}


def realistic_delay(kind):
    """Seconds a pending state lasts with the realistic profile."""
    return REALISTIC_SECONDS.get(kind, 0) * _SCALE


def _schedule(kind, resource_id, states, delay_kind=None):
    if _PROFILE == "fast":
        _pending[(kind, resource_id)] = list(states)
    elif _PROFILE == "realistic":
        # (ready at, states): the states share the delay evenly.
        _pending[(kind, resource_id)] = (time.time() + realistic_delay(delay_kind or kind), list(states))


def _advance(kind, resource_id, current, final):
    entry = _pending.get((kind, resource_id))
    if isinstance(entry, tuple):
        ready_at, states = entry
        remaining = ready_at - time.time()
        if remaining > 0:
            total = realistic_delay(kind) or 1
            index = min(len(states) - 1, int((1 - remaining / total) * len(states)))
            return states[max(index, 0)]
        _pending.pop((kind, resource_id), None)
        return final
    states = entry
    if states:
        return states.pop(0)
    _pending.pop((kind, resource_id), None)
    return final if current in ("creating", "backing-up", "modifying", "pending") else current


def _wrap_create(cls, name, kind, key, states, attribute, delay_kind=None):
    original = getattr(cls, name)

    def wrapped(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        resource_id = getattr(result, key)
        _schedule(kind, resource_id, states, delay_kind)
        if _PROFILE in ("fast", "realistic"):
            setattr(result, attribute, states[0])
        return result

    setattr(cls, name, wrapped)


def _wrap_describe(cls, name, kind, key, attribute, final):
    original = getattr(cls, name)

    def wrapped(self, *args, **kwargs):
        results = original(self, *args, **kwargs)
        for item in results:
            resource_id = getattr(item, key)
            if (kind, resource_id) in _pending or getattr(item, attribute) in ("creating", "backing-up", "modifying", "pending"):
                setattr(item, attribute, _advance(kind, resource_id, getattr(item, attribute), final))
        return results

    setattr(cls, name, wrapped)


_wrap_create(_RDSBackend, "create_db_instance", "rds", "db_instance_identifier", ["creating", "backing-up"], "status")
_wrap_create(_RDSBackend, "modify_db_instance", "rds", "db_instance_identifier", ["modifying"], "status", "rds-modify")
_wrap_describe(_RDSBackend, "describe_db_instances", "rds", "db_instance_identifier", "status", "available")
_wrap_create(NatGatewayBackend, "create_nat_gateway", "nat", "id", ["pending"], "state")
_wrap_describe(NatGatewayBackend, "describe_nat_gateways", "nat", "id", "state", "available")
_wrap_create(ElastiCacheBackend, "create_replication_group", "cache", "replication_group_id", ["creating"], "status")
_wrap_create(ElastiCacheBackend, "modify_replication_group", "cache", "replication_group_id", ["modifying"], "status", "cache-modify")
_wrap_describe(ElastiCacheBackend, "describe_replication_groups", "cache", "replication_group_id", "status", "available")

# --- ECS deployments ------------------------------------------------------------------------
#
# moto keeps every deployment IN_PROGRESS with no task running, never starts a new deployment when
# a service gets a new task definition, and forgets a new service's deploymentConfiguration and
# healthCheckGracePeriodSeconds. Here a deployment rolls out like on AWS: a new PRIMARY deployment
# per new task definition, the old one ACTIVE while it drains, then alone and COMPLETED with every
# desired task running, and an event for each step. With the `fast` profile each step takes one
# DescribeServices; otherwise the rollout completes at once. An image whose tag starts with
# `wl-fail` never becomes healthy: the deployment FAILS and, with the circuit breaker's rollback
# on, a rollback deployment of the previous task definition completes instead.

import datetime  # noqa: E402

from moto.ecs.models import EC2ContainerServiceBackend  # noqa: E402
from moto.ecs.responses import EC2ContainerServiceResponse  # noqa: E402


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _event(service, message):
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": _now(), "message": f"(service {service.name}) {message}"})


def _deployment(service, task_definition, state):
    deployment_id = f"ecs-svc/{random.randint(0, 10**18)}"
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": 0 if state == "COMPLETED" else service.desired_count,
        "runningCount": service.desired_count if state == "COMPLETED" else 0,
        "failedTasks": 0,
        "createdAt": _now(),
        "updatedAt": _now(),
        "launchType": service.launch_type,
        "platformFamily": "FARGATE" if service.launch_type == "FARGATE" else "EC2",
        "networkConfiguration": {"awsvpcConfiguration": service.network_configuration.get("awsvpcConfiguration", {})}
        if service.network_configuration
        else {},
        "rolloutState": state,
        "rolloutStateReason": f"ECS deployment {deployment_id} {'completed' if state == 'COMPLETED' else 'in progress'}.",
    }


def _image_fails(backend, task_definition):
    try:
        definition = backend.describe_task_definition(task_definition)
    except Exception:
        return False
    return any(
        str(container.get("image", "")).rsplit(":", 1)[-1].startswith("wl-fail")
        for container in definition.container_definitions
    )


def _start_deployment(backend, service, previous):
    """A new PRIMARY deployment of the service's task definition; the previous one drains."""
    for deployment in service.deployments:
        deployment["status"] = "ACTIVE"
    slow = _PROFILE in ("fast", "realistic")
    state = "IN_PROGRESS" if slow or _image_fails(backend, service.task_definition) else "COMPLETED"
    deployment = _deployment(service, service.task_definition, state)
    deployment["wl_previous"] = previous
    deployment["wl_ready_at"] = time.time() + (realistic_delay("ecs") if _PROFILE == "realistic" else 0)
    service.deployments.insert(0, deployment)
    _event(service, f"has started {service.desired_count} tasks: (deployment {deployment['id']}).")
    if state == "COMPLETED":
        _finish(service)
    else:
        service.running_count = 0


def _finish(service):
    primary = service.deployments[0]
    primary.update(rolloutState="COMPLETED", runningCount=service.desired_count, pendingCount=0, updatedAt=_now())
    primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
    service.deployments[:] = [primary]
    service.running_count = service.desired_count
    service.pending_count = 0
    _event(service, "has reached a steady state.")


def _advance_rollout(backend, service):
    primary = service.deployments[0] if service.deployments else None
    if not primary or primary.get("rolloutState") != "IN_PROGRESS" or service.status != "ACTIVE":
        return
    # The first describe after a deployment starts still sees it in progress.
    primary["wl_polls"] = primary.get("wl_polls", 0) + 1
    if primary["wl_polls"] < 2 or time.time() < primary.get("wl_ready_at", 0):
        return
    if _image_fails(backend, primary["taskDefinition"]):
        primary.update(rolloutState="FAILED", status="ACTIVE", runningCount=0, failedTasks=service.desired_count)
        primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        _event(service, f"(deployment {primary['id']}) deployment failed: tasks failed to start.")
        breaker = (getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker", {})
        previous = primary.get("wl_previous")
        if breaker.get("rollback") and previous:
            service.task_definition = previous
            rollback = _deployment(service, previous, "COMPLETED")
            service.deployments.insert(0, rollback)
            _event(service, f"(deployment {rollback['id']}) rolling back to {previous.rsplit('/', 1)[-1]}.")
            service.deployments[:] = [rollback, primary]
            service.running_count = service.desired_count
        return
    _finish(service)


_original_create_service = EC2ContainerServiceBackend.create_service


def _create_service(self, *args, **kwargs):
    service = _original_create_service(self, *args, **kwargs)
    service.deployments = []
    service.events = []
    _start_deployment(self, service, None)
    return service


_original_update_service = EC2ContainerServiceBackend.update_service


def _update_service(self, service_properties):
    cluster = service_properties.get("cluster", "default")
    name = service_properties.get("service", "").split("/")[-1]
    before = self._get_service(cluster, name)
    previous_definition, previous_count = before.task_definition, before.desired_count
    service = _original_update_service(self, service_properties)
    definition = service.task_definition
    if definition and ":" not in definition.rsplit("/", 1)[-1]:
        definition = self.describe_task_definition(definition).arn
        service.task_definition = definition
    if definition != previous_definition:
        _start_deployment(self, service, previous_definition)
    elif service.desired_count != previous_count and service.deployments:
        for deployment in service.deployments:
            deployment["desiredCount"] = service.desired_count
        service.deployments[0]["runningCount"] = service.desired_count
        service.running_count = service.desired_count
    return service


_original_describe_services = EC2ContainerServiceBackend.describe_services


def _describe_services(self, cluster_str, service_names_or_arns):
    services, failures = _original_describe_services(self, cluster_str, service_names_or_arns)
    for service in services:
        _advance_rollout(self, service)
    return services, failures


EC2ContainerServiceBackend.create_service = _create_service
EC2ContainerServiceBackend.update_service = _update_service
EC2ContainerServiceBackend.describe_services = _describe_services

_original_create_service_response = EC2ContainerServiceResponse.create_service


def _create_service_response(self):
    """Keeps the create's deploymentConfiguration and health check grace period, as AWS does."""
    result = _original_create_service_response(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    service.deployment_configuration = self._get_param("deploymentConfiguration")
    service.health_check_grace_period_seconds = self._get_param("healthCheckGracePeriodSeconds")
    return result


EC2ContainerServiceResponse.create_service = _create_service_response

# --- Load balancers and distributions with the realistic profile -------------------------------

from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer  # noqa: E402

_original_activate = FakeLoadBalancer.activate


def _activate(self):
    if time.time() >= getattr(self, "wl_ready_at", 0):
        _original_activate(self)


FakeLoadBalancer.activate = _activate
_original_create_load_balancer = ELBv2Backend.create_load_balancer


def _create_load_balancer(self, *args, **kwargs):
    balancer = _original_create_load_balancer(self, *args, **kwargs)
    if _PROFILE == "realistic":
        balancer.wl_ready_at = time.time() + realistic_delay("alb")
    return balancer


ELBv2Backend.create_load_balancer = _create_load_balancer

if _PROFILE == "realistic":
    from moto.moto_api import state_manager  # noqa: E402

    state_manager.set_transition(
        model_name="cloudfront::distribution",
        transition={"progression": "time", "seconds": realistic_delay("cloudfront")},
    )

# --- Load balancer listeners --------------------------------------------------------------
#
# AWS answers a CreateListener whose port is taken with the existing listener when the settings
# are the same (so a retried call is harmless) and with DuplicateListener otherwise; moto 5.2
# compares the port with listener ARNs, never matches, and makes a second listener on the port.

from moto.elbv2.exceptions import DuplicateListenerError  # noqa: E402

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

# --- CloudFront ------------------------------------------------------------------------------
#
# moto 5.2 drops an origin's OriginAccessControlId and S3OriginConfig (so a distribution that
# uses origin access control reads back without it), accepts any If-Match value, keeps the ETag
# across updates, and deletes an enabled distribution. AWS keeps both fields, gives every update a
# new ETag, answers a stale If-Match with PreconditionFailed (412), and refuses to delete an enabled
# distribution with DistributionNotDisabled (409).

from moto.cloudfront import models as _cloudfront_models  # noqa: E402
from moto.cloudfront.exceptions import CloudFrontException  # noqa: E402
from moto.cloudfront.models import CloudFrontBackend  # noqa: E402


class _PreconditionFailed(CloudFrontException):
    code = 412

    def __init__(self):
        super().__init__("PreconditionFailed", "The If-Match version is missing or not valid for the resource.")


class _DistributionNotDisabled(CloudFrontException):
    code = 409

    def __init__(self):
        super().__init__("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")


_original_origin_init = _cloudfront_models.Origin.__init__


def _origin_init(self, origin):
    _original_origin_init(self, origin)
    if "S3OriginConfig" in origin:
        self.s3_origin_config = {"OriginAccessIdentity": origin["S3OriginConfig"].get("OriginAccessIdentity") or ""}
    self.origin_access_control_id = origin.get("OriginAccessControlId") or ""


_cloudfront_models.Origin.__init__ = _origin_init


def _check_if_match(distribution, if_match):
    if if_match != distribution.etag:
        raise _PreconditionFailed()


_original_update_distribution = CloudFrontBackend.update_distribution


def _update_distribution(self, dist_config, _id, if_match):
    if _id in self.distributions:
        _check_if_match(self.distributions[_id], if_match)
    distribution, location, _ = _original_update_distribution(self, dist_config, _id, if_match)
    distribution.etag = _cloudfront_models.random_id(length=14)
    # An update is deployed again: InProgress for one more read, as moto's state manager does on create.
    distribution.status = "InProgress"
    distribution._tick = 0
    distribution._time_progressed = datetime.datetime.now()
    return distribution, location, distribution.etag


_original_delete_distribution = CloudFrontBackend.delete_distribution


def _delete_distribution(self, distribution_id, if_match):
    if distribution_id in self.distributions:
        distribution = self.distributions[distribution_id]
        _check_if_match(distribution, if_match)
        if str(getattr(distribution.distribution_config, "Enabled", False)).lower() == "true":
            raise _DistributionNotDisabled()
    return _original_delete_distribution(self, distribution_id, if_match)


class _OriginAccessControlAlreadyExists(CloudFrontException):
    code = 409

    def __init__(self):
        super().__init__("OriginAccessControlAlreadyExists", "An origin access control with the same name already exists.")


_original_create_origin_access_control = CloudFrontBackend.create_origin_access_control


def _create_origin_access_control(self, config_dict):
    # AWS keeps origin access control names unique in an account; moto makes a second one.
    if any(control.name == config_dict.get("Name") for control in self.origin_access_controls.values()):
        raise _OriginAccessControlAlreadyExists()
    return _original_create_origin_access_control(self, config_dict)


CloudFrontBackend.create_origin_access_control = _create_origin_access_control
CloudFrontBackend.update_distribution = _update_distribution
CloudFrontBackend.delete_distribution = _delete_distribution

# --- Request log and fault injection -------------------------------------------------------
#
# GET  /wl-api/requests          counts of requests per "service:Action" since the last mark
# POST /wl-api/requests/mark     starts counting afresh
# POST /wl-api/faults            {"rate": 0.2, "access_key": "FAULTY", "kinds": ["throttle", "500", "503", "lost", "drop", "drop-after"],
#                                 "services": ["ec2"], "actions": ["CreateVpc"], "seed": 7}
#                                a fraction of matching requests is answered with an error in the
#                                service's own shape ("lost" carries the request out, then answers
#                                503); {"rate": 0} turns that key's faults off. Settings are kept per
#                                access key ("*" without one), so concurrent tests do not interfere.
# WL_FAULT_RATE / WL_FAULT_ACCESS_KEY / WL_FAULT_KINDS / WL_FAULT_SERVICES set the same at start.

import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from urllib.parse import parse_qs  # noqa: E402

import moto.server  # noqa: E402

_lock = threading.Lock()
_counts = Counter()


def _split(value):
    return [item for item in (value or "").split(",") if item]


# Fault settings by access key ("*" for every key), so tests that inject faults concurrently,
# each with its own key, do not change each other's settings.
_faults = {}
if float(os.environ.get("WL_FAULT_RATE", "0") or 0) > 0:
    _faults[os.environ.get("WL_FAULT_ACCESS_KEY") or "*"] = {
        "rate": float(os.environ["WL_FAULT_RATE"]),
        "kinds": _split(os.environ.get("WL_FAULT_KINDS")) or ["throttle"],
        "services": _split(os.environ.get("WL_FAULT_SERVICES")),
        "actions": [],
    }
_random = random.Random(int(os.environ.get("WL_FAULT_SEED", "1")))
_fault_counts = Counter()

QUERY_THROTTLE = {"ec2": ("RequestLimitExceeded", 503)}


def _describe(environ):
    """(service, action, access key, protocol) of a signed AWS request; reads a query body."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/") if "Credential=" in authorization else []
    access_key = scope[0] if scope else ""
    service = scope[3] if len(scope) > 3 else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1], access_key, "json"
    if service == "s3":
        return service, f"{environ.get('REQUEST_METHOD')} {environ.get('QUERY_STRING', '').split('=')[0] or 'object'}", access_key, "s3"
    content_type = environ.get("CONTENT_TYPE", "")
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action", [""])[0]
    if "x-www-form-urlencoded" in content_type:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [action])[0]
    return service, action or "unknown", access_key, "query"


def _fault_response(kind, service, protocol, start_response):
    request_id = str(uuid.uuid4())
    if kind in ("500", "503"):
        status = "500 Internal Server Error" if kind == "500" else "503 Service Unavailable"
        code, message = ("InternalError", "We encountered an internal error.") if kind == "500" else ("ServiceUnavailable", "Service is unavailable.")
    elif protocol == "s3":
        status, code, message = "503 Slow Down", "SlowDown", "Please reduce your request rate."
    elif service in QUERY_THROTTLE:
        status, code, message = "503 Service Unavailable", QUERY_THROTTLE[service][0], "Request limit exceeded."
    elif protocol == "json":
        status, code, message = "400 Bad Request", "ThrottlingException", "Rate exceeded"
    else:
        status, code, message = "400 Bad Request", "Throttling", "Rate exceeded"
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
    elif protocol == "s3":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>".encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    elif service == "ec2":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>".encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>".encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def _drop_connection(environ, start_response):
    """Shuts the client's connection down mid-request, as a network failure or a killed proxy would."""
    import socket

    connection = environ.get("werkzeug.socket")
    if connection is not None:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    # Werkzeug's write to the shut socket fails with a broken pipe, which it ignores quietly.
    start_response("503 Service Unavailable", [("Content-Length", "0")])
    return [b""]


def _json(start_response, document, status="200 OK"):
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class WlDispatcher(moto.server.DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/wl-api/"):
            return self._control(path, environ, start_response)
        if "HTTP_AUTHORIZATION" not in environ:
            return super().__call__(environ, start_response)
        service, action, access_key, protocol = _describe(environ)
        with _lock:
            _counts[f"{service}:{action}"] += 1
            faults = _faults.get(access_key) or _faults.get("*")
            inject = (
                faults is not None
                and (not faults["services"] or service in faults["services"])
                and (not faults["actions"] or action in faults["actions"])
                and _random.random() < faults["rate"]
            )
            kind = _random.choice(faults["kinds"]) if inject else None
            if inject:
                _fault_counts[f"{service}:{action}"] += 1
        if inject and kind in ("drop", "drop-after"):
            # The connection breaks without an answer, before the request is carried out or after.
            if kind == "drop-after":
                for _ in super().__call__(environ, lambda *args, **kwargs: None):
                    pass
            return _drop_connection(environ, start_response)
        if inject and kind == "lost":
            # The request is carried out, then its answer is lost: the caller sees a 503 and must
            # not create the resource twice when it tries again.
            for _ in super().__call__(environ, lambda *args, **kwargs: None):
                pass
            return _fault_response("503", service, protocol, start_response)
        if inject:
            return _fault_response(kind, service, protocol, start_response)
        return super().__call__(environ, start_response)

    def _control(self, path, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if path == "/wl-api/requests" and method == "GET":
            with _lock:
                return _json(start_response, {"total": sum(_counts.values()), "counts": dict(_counts), "faults": dict(_fault_counts)})
        if path == "/wl-api/requests/mark" and method == "POST":
            with _lock:
                _counts.clear()
                _fault_counts.clear()
            return _json(start_response, {"marked": True})
        if path == "/wl-api/faults" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            key = document.get("access_key") or "*"
            with _lock:
                if float(document.get("rate", 0)) > 0:
                    _faults[key] = {
                        "rate": float(document["rate"]),
                        "kinds": document.get("kinds") or ["throttle"],
                        "services": document.get("services") or [],
                        "actions": document.get("actions") or [],
                    }
                else:
                    _faults.pop(key, None)
                if "seed" in document:
                    _random.seed(document["seed"])
                return _json(start_response, {"faults": _faults})
        return _json(start_response, {"error": f"no such control route: {method} {path}"}, "404 Not Found")


moto.server.DomainDispatcherApplication = WlDispatcher

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
