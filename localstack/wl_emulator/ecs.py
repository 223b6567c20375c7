"""ECS: deployments that roll out like on AWS, and the rules AWS enforces that moto 5.2 does not.

moto keeps every deployment IN_PROGRESS with no task running, never starts a new deployment when
a service gets a new task definition, and forgets a new service's deploymentConfiguration and
healthCheckGracePeriodSeconds. Here a deployment rolls out like on AWS: a new PRIMARY deployment
per new task definition, the old one ACTIVE while it drains, then alone and COMPLETED with every
desired task running, and an event for each step. With the `fast` profile each step takes one
DescribeServices; otherwise the rollout completes at once. An image whose tag starts with
`wl-fail` never becomes healthy: the deployment FAILS and, with the circuit breaker's rollback
on, a rollback deployment of the previous task definition completes instead.
"""
import datetime
import inspect
import random
import re
import threading
import time
import uuid

from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from . import control, ec2, profiles
from .strict import Refusal, check_tags, rule


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
        # DescribeServices answers Service Connect per deployment (Deployment.serviceConnectConfiguration).
        **_service_connect_fields(service),
    }


def _service_connect_fields(service):
    configuration = getattr(service, "wl_service_connect", None)
    if not configuration:
        return {}
    resources = [
        {"discoveryName": entry.get("discoveryName") or entry.get("portName"), "discoveryArn": arn}
        for entry, arn in zip(configuration.get("services") or [], getattr(service, "wl_discovery_arns", []))
    ]
    return {"serviceConnectConfiguration": configuration, "serviceConnectResources": resources}


def _image_fails(backend, task_definition):
    try:
        definition = backend.describe_task_definition(task_definition)
    except Exception:
        return False
    return any(
        str(container.get("image", "")).rsplit(":", 1)[-1].startswith("wl-fail")
        for container in definition.container_definitions
    )


# --- The tasks' network interfaces ----------------------------------------------------------------
#
# Each running task of an awsvpc service has a network interface in one of the service's subnets
# (taken in turn), with the service's security groups, described
# "arn:aws:ecs:<region>:<account>:attachment/<id>" and requester-managed; a public IP when
# assignPublicIp is ENABLED. The interfaces of a deployment's tasks stay while it runs; when the
# tasks stop (a newer deployment completed, the service scaled in or deleted) they stay a while
# longer (ec2.py: profiles.seconds("eni-ecs")).


def _task_interfaces(backend, service, deployment, count):
    awsvpc = (getattr(service, "network_configuration", None) or {}).get("awsvpcConfiguration") or {}
    subnets = awsvpc.get("subnets") or []
    if not subnets or count <= 0:
        return
    owner = ("ecs", service.arn, deployment["id"])
    running = len(ec2.interfaces_of(backend.account_id, backend.region_name, owner))
    placements = [subnets[(running + index) % len(subnets)] for index in range(count)]
    ec2.attach_interfaces(
        backend.account_id,
        backend.region_name,
        owner,
        placements,
        awsvpc.get("securityGroups") or [],
        lambda _: f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:attachment/{uuid.uuid4()}",
        public=awsvpc.get("assignPublicIp") == "ENABLED",
        requester="amazon-ecs",
    )
    _sync_targets(backend, service, deployment)


def _sync_targets(backend, service, deployment):
    """Registers the deployment's running tasks (their interfaces' private addresses) in the target
    groups the deployment serves, as ECS does for `ip` targets, and deregisters the tasks that
    stopped. The target groups are the service's when the deployment's first tasks start: a
    deployment keeps its load balancer configuration (the previous one drains from its own)."""
    from moto.elbv2.models import elbv2_backends

    groups = deployment.setdefault(
        "wl_target_groups",
        [(lb.get("targetGroupArn"), lb.get("containerPort")) for lb in getattr(service, "load_balancers", None) or []],
    )
    if not groups:
        return
    owner = ("ecs", service.arn, deployment["id"])
    addresses = []
    for eni_id in ec2.interfaces_of(backend.account_id, backend.region_name, owner):
        eni = ec2._backend(backend.account_id, backend.region_name).enis.get(eni_id)
        if eni is not None:
            addresses.append(eni.private_ip_address)
    registered = deployment.get("wl_targets", [])
    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for arn, port in groups:
        group = elbv2.target_groups.get(arn)
        if group is None:
            continue
        gone = [{"Id": address} for address in registered if address not in addresses and address in group.targets]
        if gone:
            group.deregister(gone)
        group.register([{"Id": address, "Port": port} for address in addresses if address not in registered])
    deployment["wl_targets"] = addresses


def _scale_task_interfaces(backend, service, deployment, wanted):
    owner = ("ecs", service.arn, deployment["id"])
    running = len(ec2.interfaces_of(backend.account_id, backend.region_name, owner))
    if wanted > running:
        _task_interfaces(backend, service, deployment, wanted - running)
    elif wanted < running:
        ec2.release_interfaces(backend.account_id, backend.region_name, owner, "eni-ecs", count=running - wanted)
    _sync_targets(backend, service, deployment)


def _stop_task_interfaces(backend, service, deployment):
    ec2.release_interfaces(backend.account_id, backend.region_name, ("ecs", service.arn, deployment["id"]), "eni-ecs")
    _sync_targets(backend, service, deployment)


def _start_deployment(backend, service, previous):
    """A new PRIMARY deployment of the service's task definition; the previous one drains."""
    for deployment in service.deployments:
        deployment["status"] = "ACTIVE"
    state = "IN_PROGRESS" if profiles.slow() or _image_fails(backend, service.task_definition) else "COMPLETED"
    deployment = _deployment(service, service.task_definition, state)
    deployment["wl_previous"] = previous
    deployment["wl_ready_at"] = time.time() + (profiles.realistic_delay("ecs") if profiles.PROFILE == "realistic" else 0)
    service.deployments.insert(0, deployment)
    if not _image_fails(backend, service.task_definition):
        _task_interfaces(backend, service, deployment, service.desired_count)
    _event(service, f"has started {service.desired_count} tasks: (deployment {deployment['id']}).")
    if state == "COMPLETED":
        _finish(service, backend)
    else:
        service.running_count = 0


def _finish(service, backend=None):
    primary = service.deployments[0]
    primary.update(rolloutState="COMPLETED", runningCount=service.desired_count, pendingCount=0, updatedAt=_now())
    primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
    if backend is not None:
        for drained in service.deployments[1:]:
            _stop_task_interfaces(backend, service, drained)
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
            for drained in service.deployments[2:]:
                _stop_task_interfaces(backend, service, drained)
            _task_interfaces(backend, service, rollback, service.desired_count)
            service.deployments[:] = [rollback, primary]
            service.running_count = service.desired_count
        return
    _finish(service, backend)


_original_create_service = EC2ContainerServiceBackend.create_service
# The clientToken of the CreateService this thread serves (set by the response wrapper below).
_create_request = threading.local()


def _create_service(self, *args, **kwargs):
    # A repeated CreateService with the same clientToken answers with the service the first one
    # made (API_CreateService: "An identifier that you provide to ensure the idempotency of the
    # request"); moto 5.2 replaces the service instead, orphaning the first one's tasks. Any other
    # create of an active service's name is refused (`create_service_is_idempotent` below).
    token = getattr(_create_request, "client_token", None)
    bound = inspect.signature(_original_create_service).bind(self, *args, **kwargs)
    cluster = self._get_cluster(bound.arguments["cluster_str"])
    existing = self.services.get(f"{cluster.name}:{bound.arguments['service_name']}")
    if existing is not None and existing.status == "ACTIVE" and token and getattr(existing, "wl_client_token", None) == token:
        return existing
    service = _original_create_service(self, *args, **kwargs)
    service.wl_client_token = token
    _join_namespace(self, service, getattr(_create_request, "service_connect", None))
    service.deployments = []
    service.events = []
    _start_deployment(self, service, None)
    return service


_original_update_service = EC2ContainerServiceBackend.update_service


# Parameters whose documentation ends "This parameter triggers a new service deployment." (and
# forceNewDeployment, "to start a new deployment with no service definition changes"); a
# desiredCount alone "doesn't trigger a new service deployment"
# (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html).
DEPLOYING_PARAMETERS = ("task_definition", "network_configuration", "load_balancers", "platform_version", "service_registries")


def _update_service(self, service_properties):
    cluster = service_properties.get("cluster", "default")
    name = service_properties.get("service", "").split("/")[-1]
    before = self._get_service(cluster, name)
    previous_definition, previous_count = before.task_definition, before.desired_count
    deploys = bool(service_properties.get("force_new_deployment")) or any(
        service_properties.get(parameter) is not None for parameter in DEPLOYING_PARAMETERS
    )
    connect = service_properties.get("service_connect_configuration")
    service = _original_update_service(self, service_properties)
    if connect is not None:
        # "Changing this setting starts a new deployment" (API_UpdateService).
        _join_namespace(self, service, connect)
        deploys = True
    definition = service.task_definition
    if definition and ":" not in definition.rsplit("/", 1)[-1]:
        definition = self.describe_task_definition(definition).arn
        service.task_definition = definition
    if deploys or definition != previous_definition:
        _start_deployment(self, service, previous_definition)
    elif service.desired_count != previous_count and service.deployments:
        for deployment in service.deployments:
            deployment["desiredCount"] = service.desired_count
        service.deployments[0]["runningCount"] = service.desired_count
        service.running_count = service.desired_count
        if not _image_fails(self, service.deployments[0]["taskDefinition"]):
            _scale_task_interfaces(self, service, service.deployments[0], service.desired_count)
    return service


_original_delete_service = EC2ContainerServiceBackend.delete_service


def _delete_service(self, cluster_name, service_name, force):
    service = _original_delete_service(self, cluster_name, service_name, force)
    for deployment in getattr(service, "deployments", None) or []:
        _stop_task_interfaces(self, service, deployment)
    _leave_namespace(self, service)
    return service


EC2ContainerServiceBackend.delete_service = _delete_service

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
    _create_request.client_token = self._get_param("clientToken")
    _create_request.service_connect = self._get_param("serviceConnectConfiguration")
    try:
        result = _original_create_service_response(self)
    finally:
        _create_request.client_token = None
        _create_request.service_connect = None
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    service.deployment_configuration = self._get_param("deploymentConfiguration")
    service.health_check_grace_period_seconds = self._get_param("healthCheckGracePeriodSeconds")
    return result


EC2ContainerServiceResponse.create_service = _create_service_response


# --- What ECS stores ------------------------------------------------------------------------------
#
# ECS leaves environment entries without a value (or with an empty one) out of the registered task
# definition: DescribeTaskDefinition reads them back without them (terraform-provider-aws#39533,
# aws-actions/amazon-ecs-deploy-task-definition#224 report it; moto keeps them).

_original_register_task_definition = EC2ContainerServiceBackend.register_task_definition


def _register_task_definition(self, family, container_definitions, *args, **kwargs):
    for container in container_definitions or []:
        if isinstance(container, dict) and container.get("environment") is not None:
            container["environment"] = [entry for entry in container["environment"] if entry.get("value") not in (None, "")]
    return _original_register_task_definition(self, family, container_definitions, *args, **kwargs)


EC2ContainerServiceBackend.register_task_definition = _register_task_definition

# --- Request rules (strict layer) ---------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")

# Fargate task sizes: cpu -> the memory values (MiB) it accepts
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size;
# the same table as src/stack/facts.rs).
FARGATE_SIZES = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}


def _units(value):
    """cpu or memory as sent: "1024", or "1 vCPU" / "2 GB" (RegisterTaskDefinition.cpu: "String
    values are converted to an integer indicating the CPU units")."""
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(vcpu|gb)?", text)
    if not match:
        return None
    number = float(match.group(1))
    return int(number * 1024) if match.group(2) else int(number)


@rule("ecs", "CreateService")
def create_service_client_token(call):
    """CreateService clientToken: "An identifier that you provide to ensure the idempotency of the
    request. It must be unique and is case sensitive. Up to 36 ASCII characters in the range of
    33-126 (inclusive) are allowed." (botocore ecs;
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html)."""
    token = call.get("clientToken")
    if token is not None and (len(token) > 36 or not token or not all(33 <= ord(c) <= 126 for c in token)):
        raise Refusal("InvalidParameterException", f"Invalid clientToken '{token}': up to 36 ASCII characters in the range of 33-126 (inclusive) are allowed.")


@rule("ecs", "CreateService", "CreateCluster")
def service_and_cluster_names(call):
    """serviceName and clusterName: "Up to 255 letters (uppercase and lowercase), numbers,
    underscores, and hyphens are allowed." (botocore ecs, CreateService and CreateCluster)."""
    for field in ("serviceName", "clusterName"):
        value = call.get(field)
        if value is not None and not _NAME.fullmatch(value):
            raise Refusal("InvalidParameterException", f"The {field} '{value}' is not valid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")


@rule("ecs", "RegisterTaskDefinition")
def family_and_container_names(call):
    """family and containerDefinitions[].name: "Up to 255 letters (uppercase and lowercase),
    numbers, underscores, and hyphens are allowed." (botocore ecs, RegisterTaskDefinition.family,
    ContainerDefinition.name)."""
    family = call.get("family", default="")
    if not _NAME.fullmatch(family):
        raise Refusal("ClientException", f"Family '{family}' is not valid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")
    for container in call.get("containerDefinitions", default=[]) or []:
        name = container.get("name") or ""
        if not name:
            raise Refusal("InvalidParameterException", "Container.name should not be null or empty.")
        if not _NAME.fullmatch(name):
            raise Refusal("ClientException", f"Container name '{name}' is not valid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")


@rule("ecs", "RegisterTaskDefinition")
def fargate_task_size_and_network_mode(call):
    """With requiresCompatibilities FARGATE: task-level cpu and memory are required ("This field is
    required for Fargate") and must be one of the Fargate task sizes; the network mode must be
    awsvpc; the awslogs log driver needs an execution role
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html;
    botocore ecs RegisterTaskDefinition.cpu/memory/networkMode; the "No Fargate configuration
    exists" and awslogs messages are ECS's own)."""
    if "FARGATE" not in (call.get("requiresCompatibilities", default=[]) or []):
        return
    if call.get("networkMode") != "awsvpc":
        raise Refusal("ClientException", "Fargate only supports network mode 'awsvpc'.")
    cpu, memory = call.get("cpu"), call.get("memory")
    if cpu is None or memory is None:
        raise Refusal("ClientException", "Fargate requires that 'cpu' be defined at the task level." if cpu is None else "Fargate requires that 'memory' be defined at the task level.")
    cpu_units, memory_mib = _units(cpu), _units(memory)
    if cpu_units not in FARGATE_SIZES or memory_mib not in FARGATE_SIZES[cpu_units]:
        raise Refusal("ClientException", f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values.")
    uses_awslogs = any(
        ((container.get("logConfiguration") or {}).get("logDriver") == "awslogs")
        for container in call.get("containerDefinitions", default=[]) or []
    )
    if uses_awslogs and not call.get("executionRoleArn"):
        raise Refusal("ClientException", "Fargate requires task definition to have execution role ARN to support log driver awslogs.")


@rule("ecs", "RegisterTaskDefinition")
def container_health_check_ranges(call):
    """HealthCheck: interval "between 5 and 300 seconds", timeout "between 2 and 120 seconds",
    retries "between 1 and 10", startPeriod "between 0 and 300 seconds" (botocore ecs HealthCheck;
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html)."""
    ranges = {"interval": (5, 300), "timeout": (2, 120), "retries": (1, 10), "startPeriod": (0, 300)}
    for container in call.get("containerDefinitions", default=[]) or []:
        check = container.get("healthCheck") or {}
        for field, (low, high) in ranges.items():
            value = check.get(field)
            if value is not None and not low <= int(value) <= high:
                raise Refusal("ClientException", f"Invalid healthCheck {field} value {value}: it must be between {low} and {high}.")
        if check.get("interval") is not None and check.get("timeout") is not None and int(check["timeout"]) > int(check["interval"]):
            raise Refusal("ClientException", "The health check timeout must be less than the interval.")


@rule("ecs", "CreateService", "UpdateService")
def desired_count_and_deployment_configuration(call):
    """desiredCount: at least 0 and at most the 5,000 tasks a service can have
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html); a rolling
    deployment needs room to replace tasks: maximumPercent must be above minimumHealthyPercent, and
    both are percentages of desiredCount, not negative (botocore ecs DeploymentConfiguration:
    maximumPercent is "an upper limit on the number of your service's tasks that are allowed in the
    RUNNING or PENDING state", minimumHealthyPercent "a lower limit")."""
    count = call.get("desiredCount")
    if count is not None and not 0 <= int(count) <= 5000:
        raise Refusal("InvalidParameterException", f"desiredCount {count} is not valid: it must be between 0 and 5000.")
    configuration = call.get("deploymentConfiguration") or {}
    minimum, maximum = configuration.get("minimumHealthyPercent"), configuration.get("maximumPercent")
    if minimum is not None and int(minimum) < 0:
        raise Refusal("InvalidParameterException", "minimumHealthyPercent must be greater than or equal to 0.")
    if maximum is not None and int(maximum) < 0:
        raise Refusal("InvalidParameterException", "maximumPercent must be greater than or equal to 0.")
    if minimum is not None and maximum is not None and int(maximum) <= int(minimum):
        raise Refusal("InvalidParameterException", f"The maximumPercent ({maximum}) must be greater than the minimumHealthyPercent ({minimum}) for a rolling deployment to replace tasks.")


@rule("ecs", "CreateService", "CreateCluster", "RegisterTaskDefinition", "TagResource")
def ecs_tags(call):
    """Tags: "Maximum number of tags per resource - 50", "Maximum key length - 128 Unicode
    characters", "Maximum value length - 256", "Do not use aws:, AWS:, or any upper or lowercase
    combination of such as a prefix for either keys or values" (botocore ecs Tag / tags)."""
    check_tags(call.get("tags"), "InvalidParameterException", key="key", value="value", key_max=128, value_max=256, count_max=50, reserved=("aws:",))


@rule("ecs", "CreateService", kind="state")
def create_service_is_idempotent(call):
    """A CreateService of the name of an active service, unless it repeats that service's
    clientToken: InvalidParameterException "Creation of service was not idempotent." (the answer
    AWS gives; terraform-provider-aws#2283)."""
    backend = call.backend("ecs")
    cluster = (call.get("cluster", default="default") or "default").rsplit("/", 1)[-1]
    existing = backend.services.get(f"{cluster}:{call.get('serviceName', default='')}")
    if existing is None or existing.status != "ACTIVE":
        return
    token = call.get("clientToken")
    if not token or getattr(existing, "wl_client_token", None) != token:
        raise Refusal("InvalidParameterException", "Creation of service was not idempotent.")


@rule("ecs", "CreateService", "UpdateService", kind="state")
def target_group_has_an_associated_load_balancer(call):
    """A service's target group must be one a listener or a listener rule forwards to, on create
    and when UpdateService moves the service to another group (a forward with weight 0 is enough
    to associate it, which lets a rule keep all traffic on the old group until the service has
    moved; ForwardActionConfig, API_TargetGroupTuple: weight 0 to 999): ECS answers
    InvalidParameterException "The target group with targetGroupArn ... does not have an associated
    load balancer." (umotif-public/terraform-aws-ecs-fargate#43,
    cloudposse/terraform-aws-ecs-web-app#226; terraform retries it while a rule is being created)."""
    balancers = call.get("loadBalancers", default=[]) or []
    if not balancers:
        return
    elbv2 = call.backend("elbv2")
    for balancer in balancers:
        arn = balancer.get("targetGroupArn")
        if arn and arn in elbv2.target_groups and not elbv2._any_listener_using(arn):
            raise Refusal("InvalidParameterException", f"The target group with targetGroupArn {arn} does not have an associated load balancer.")


# --- Service Connect ------------------------------------------------------------------------------
#
# moto ignores serviceConnectConfiguration. Here a service keeps it and every deployment answers
# it (with serviceConnectResources), ECS makes a Cloud Map service per Service Connect service in
# the namespace (AmazonECSManaged), and removes it a while after the ECS service is deleted
# (profiles.seconds("sc-cleanup")): until then DeleteNamespace answers ResourceInUse.

_cloud_map_cleanups = {}  # (account, region, Cloud Map service id) -> when ECS removes it


def _namespace_of(account, region, name_or_arn):
    from moto.servicediscovery.models import servicediscovery_backends

    backend = servicediscovery_backends[account][region]
    for namespace in backend.namespaces.values():
        if name_or_arn in (namespace.arn, namespace.name, namespace.id):
            return backend, namespace
    return backend, None


def _join_namespace(backend, service, configuration):
    _leave_namespace(backend, service)
    service.wl_service_connect = configuration if configuration and configuration.get("enabled") else None
    service.wl_discovery_arns = []
    if not service.wl_service_connect:
        return
    cloud_map, namespace = _namespace_of(backend.account_id, backend.region_name, configuration.get("namespace", ""))
    if namespace is None:
        return
    for entry in configuration.get("services") or []:
        made = cloud_map.create_service(
            name=entry.get("discoveryName") or entry.get("portName"), namespace_id=namespace.id, creator_request_id="",
            description="", dns_config=None, health_check_config=None, health_check_custom_config=None,
            tags=[{"Key": "AmazonECSManaged", "Value": "true"}], service_type="HTTP",
        )
        service.wl_discovery_arns.append(made.arn)


def _leave_namespace(backend, service):
    from moto.servicediscovery.models import servicediscovery_backends

    cloud_map = servicediscovery_backends[backend.account_id][backend.region_name]
    due = time.time() + profiles.seconds("sc-cleanup")
    for arn in getattr(service, "wl_discovery_arns", None) or []:
        for made in list(cloud_map.services.values()):
            if made.arn == arn:
                _cloud_map_cleanups[(backend.account_id, backend.region_name, made.id)] = due
    service.wl_discovery_arns = []


def settle_service_connect():
    from moto.servicediscovery.models import servicediscovery_backends

    now = time.time()
    for key, due in list(_cloud_map_cleanups.items()):
        if due <= now:
            account, region, service_id = key
            _cloud_map_cleanups.pop(key, None)
            servicediscovery_backends[account][region].services.pop(service_id, None)


control.before_hooks.append(settle_service_connect)
control.reset_hooks.append(_cloud_map_cleanups.clear)


def _task_definition_port_names(call, reference):
    backend = call.backend("ecs")
    try:
        definition = backend.describe_task_definition(reference)
    except Exception:
        return None
    return {mapping.get("name") for container in definition.container_definitions for mapping in container.get("portMappings") or []}


@rule("ecs", "CreateService", "UpdateService", kind="state")
def service_connect_namespace_and_port_names(call):
    """serviceConnectConfiguration: the namespace (a name or an ARN) must exist in Cloud Map, else
    NamespaceNotFoundException ("Failed to retrieve namespace for <namespace>",
    terraform-aws-modules/terraform-aws-ecs#116); each service's portName "must match the name of
    one of the portMappings from all the containers in the task definition"
    (API_ServiceConnectService), else InvalidParameterException (its message is not documented;
    this one names the port and the task definition)."""
    configuration = call.get("serviceConnectConfiguration", default=None)
    if not configuration or not configuration.get("enabled"):
        return
    namespace = configuration.get("namespace")
    if namespace:
        _, found = _namespace_of(call.account, call.region, namespace)
        if found is None:
            raise Refusal("NamespaceNotFoundException", f"Failed to retrieve namespace for {namespace}")
    reference = call.get("taskDefinition", default=None)
    if reference is None and call.action == "UpdateService":
        backend = call.backend("ecs")
        try:
            reference = backend._get_service(call.get("cluster", default="default"), call.get("service", default="").split("/")[-1]).task_definition
        except Exception:
            return
    names = _task_definition_port_names(call, reference) if reference else None
    if names is None:
        return
    for entry in configuration.get("services") or []:
        if entry.get("portName") not in names:
            raise Refusal("InvalidParameterException", f"The portName {entry.get('portName')} is not a port mapping name of the task definition {reference}.")
        aliases = entry.get("clientAliases") or []
        if len(aliases) > 1:
            raise Refusal("InvalidParameterException", "The maximum number of client aliases is 1.")
