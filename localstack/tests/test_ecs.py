"""ECS: rollouts like AWS's, and AWS's rules for task definitions and services."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from helpers import network, wait_until

ROLE = "arn:aws:iam::123456789012:role/ecs-task-execution"


def task_definition(aws, family, image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1", **extra):
    container = {
        "name": "app",
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
        "environment": [{"name": "PORT", "value": "8000"}],
    }
    container.update(extra.pop("container", {}))
    arguments = dict(
        family=family,
        cpu="256",
        memory="512",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        executionRoleArn=ROLE,
        containerDefinitions=[container],
    )
    arguments.update(extra)
    return aws("ecs").register_task_definition(**arguments)["taskDefinition"]["taskDefinitionArn"]


def service(aws, name, net, definition, **extra):
    arguments = dict(
        cluster=name,
        serviceName="app",
        taskDefinition=definition,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["group"]], "assignPublicIp": "DISABLED"}},
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "minimumHealthyPercent": 100, "maximumPercent": 200},
    )
    arguments.update(extra)
    return aws("ecs").create_service(**arguments)["service"]


def describe(aws, name):
    return aws("ecs").describe_services(cluster=name, services=["app"])["services"][0]


def settle(aws, name):
    def check():
        current = describe(aws, name)
        return current if current["deployments"][0]["rolloutState"] != "IN_PROGRESS" else None

    return wait_until(check)


@pytest.fixture
def cluster(aws, name):
    aws("ecs").create_cluster(clusterName=name)
    return network(aws, name)


def test_a_new_service_rolls_out_and_keeps_its_deployment_configuration(aws, name, cluster):
    created = service(aws, name, cluster, task_definition(aws, name), healthCheckGracePeriodSeconds=60)
    assert created["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    first = describe(aws, name)
    assert first["deployments"][0]["rolloutState"] == "IN_PROGRESS", "the first describe still sees it in progress"
    done = settle(aws, name)
    assert [d["rolloutState"] for d in done["deployments"]] == ["COMPLETED"]
    assert done["runningCount"] == 2
    assert done["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert done["healthCheckGracePeriodSeconds"] == 60
    assert any("has reached a steady state" in event["message"] for event in done["events"])


def test_a_new_task_definition_starts_a_new_primary_deployment(aws, name, cluster):
    service(aws, name, cluster, task_definition(aws, name))
    settle(aws, name)
    second = task_definition(aws, name, image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2")
    updated = aws("ecs").update_service(cluster=name, service="app", taskDefinition=second)["service"]
    statuses = [(d["status"], d["taskDefinition"]) for d in updated["deployments"]]
    assert statuses[0] == ("PRIMARY", second) and statuses[1][0] == "ACTIVE"
    done = settle(aws, name)
    assert [(d["status"], d["rolloutState"]) for d in done["deployments"]] == [("PRIMARY", "COMPLETED")]


def test_a_wl_fail_image_fails_and_the_circuit_breaker_rolls_back(aws, name, cluster):
    first = task_definition(aws, name)
    service(aws, name, cluster, first)
    settle(aws, name)
    broken = task_definition(aws, name, image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:wl-fail-1")
    aws("ecs").update_service(cluster=name, service="app", taskDefinition=broken)
    done = settle(aws, name)
    assert done["taskDefinition"] == first
    assert [(d["taskDefinition"], d["rolloutState"]) for d in done["deployments"]] == [(first, "COMPLETED"), (broken, "FAILED")]
    assert any("deployment failed: tasks failed to start" in event["message"] for event in done["events"])


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_a_create_service_client_token_over_36_characters_is_refused(aws, name, cluster):
    definition = task_definition(aws, name)
    # wl-infra's client tokens were 48 characters: ECS allows 36.
    code, message, status = refused(lambda: service(aws, name, cluster, definition, clientToken="wl-000000000001-" + "0" * 32))
    assert (code, status) == ("InvalidParameterException", 400)
    assert "up to 36 ASCII characters in the range of 33-126" in message
    assert refused(lambda: service(aws, name, cluster, definition, clientToken="token with spaces"))[0] == "InvalidParameterException"
    service(aws, name, cluster, definition, clientToken="wl-" + "0" * 33)


def test_fargate_task_sizes(aws, name):
    code, message, _ = refused(lambda: task_definition(aws, name, cpu="256", memory="4096"))
    assert code == "ClientException"
    assert message == "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values."
    assert refused(lambda: task_definition(aws, name, cpu="300", memory="512"))[0] == "ClientException"
    assert refused(lambda: task_definition(aws, name, networkMode="bridge"))[1] == "Fargate only supports network mode 'awsvpc'."
    for cpu, memory in [("256", "512"), ("512", "4096"), ("1024", "2048"), ("4096", "30720"), ("8192", "20480"), ("1 vCPU", "2 GB")]:
        task_definition(aws, name, cpu=cpu, memory=memory)


def test_fargate_awslogs_needs_an_execution_role(aws, name):
    logging = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/x", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}}
    code, message, _ = refused(
        lambda: aws("ecs").register_task_definition(
            family=name,
            cpu="256",
            memory="512",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            containerDefinitions=[{"name": "app", "image": "x", "logConfiguration": logging}],
        )
    )
    assert (code, message) == ("ClientException", "Fargate requires task definition to have execution role ARN to support log driver awslogs.")
    task_definition(aws, name, container={"logConfiguration": logging})


def test_family_and_container_names(aws, name):
    assert refused(lambda: task_definition(aws, f"{name}.bad"))[0] == "ClientException"
    assert refused(lambda: task_definition(aws, name, container={"name": "app/x"}))[0] == "ClientException"


def test_container_health_check_ranges(aws, name):
    check = {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 15}
    task_definition(aws, name, container={"healthCheck": check})
    assert refused(lambda: task_definition(aws, name, container={"healthCheck": dict(check, interval=3)}))[0] == "ClientException"
    assert refused(lambda: task_definition(aws, name, container={"healthCheck": dict(check, retries=11)}))[0] == "ClientException"


def test_empty_environment_values_are_left_out_of_the_stored_definition(aws, name):
    environment = [{"name": "PORT", "value": "8000"}, {"name": "EMPTY", "value": ""}, {"name": "NONE"}]
    arn = task_definition(aws, name, container={"environment": environment})
    stored = aws("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["environment"]
    assert stored == [{"name": "PORT", "value": "8000"}]


def test_desired_count_and_deployment_configuration(aws, name, cluster):
    definition = task_definition(aws, name)
    assert refused(lambda: service(aws, name, cluster, definition, desiredCount=-1))[0] == "InvalidParameterException"
    bad = {"minimumHealthyPercent": 100, "maximumPercent": 100}
    code, message, _ = refused(lambda: service(aws, name, cluster, definition, deploymentConfiguration=bad))
    assert code == "InvalidParameterException" and "maximumPercent (100) must be greater than the minimumHealthyPercent (100)" in message


def test_ecs_tags(aws, name):
    assert refused(lambda: aws("ecs").create_cluster(clusterName=name, tags=[{"key": "aws:x", "value": "v"}]))[0] == "InvalidParameterException"
    assert refused(lambda: aws("ecs").create_cluster(clusterName=name, tags=[{"key": "k" * 129, "value": "v"}]))[0] == "InvalidParameterException"


def test_service_and_cluster_names(aws, name):
    assert refused(lambda: aws("ecs").create_cluster(clusterName="bad name"))[0] == "InvalidParameterException"


from helpers import interfaces  # noqa: E402


def test_a_service_s_tasks_have_interfaces_that_outlive_them(aws, name, cluster):
    service(aws, name, cluster, task_definition(aws, name), networkConfiguration={
        "awsvpcConfiguration": {"subnets": cluster["subnets"], "securityGroups": [cluster["group"]], "assignPublicIp": "DISABLED"}
    })
    settle(aws, name)
    tasks = interfaces(aws, **{"group-id": cluster["group"]})
    assert len(tasks) == 2
    assert all(eni["Description"].startswith("arn:aws:ecs:us-east-1:123456789012:attachment/") and eni["RequesterManaged"] for eni in tasks)
    assert {eni["SubnetId"] for eni in tasks} == set(cluster["subnets"])
    aws("ecs").update_service(cluster=name, service="app", desiredCount=0)
    aws("ecs").delete_service(cluster=name, service="app", force=True)
    assert refused(lambda: aws("ec2").delete_security_group(GroupId=cluster["group"]))[0] == "DependencyViolation"
    wait_until(lambda: not interfaces(aws, **{"group-id": cluster["group"]}), timeout=5)
    aws("ec2").delete_security_group(GroupId=cluster["group"])


def test_a_desired_count_alone_starts_no_deployment_but_a_resent_task_definition_does(aws, name, cluster):
    definition = task_definition(aws, name)
    service(aws, name, cluster, definition)
    first = settle(aws, name)["deployments"][0]["id"]
    scaled = aws("ecs").update_service(cluster=name, service="app", desiredCount=3)["service"]
    assert [d["id"] for d in scaled["deployments"]] == [first]
    assert settle(aws, name)["runningCount"] == 3
    assert len(interfaces(aws, **{"group-id": cluster["group"]})) == 3
    again = aws("ecs").update_service(cluster=name, service="app", taskDefinition=definition, desiredCount=3)["service"]
    assert again["deployments"][0]["id"] != first and again["deployments"][0]["status"] == "PRIMARY"
    forced = settle(aws, name)
    aws("ecs").update_service(cluster=name, service="app", forceNewDeployment=True)
    assert settle(aws, name)["deployments"][0]["id"] != forced["deployments"][0]["id"]


def test_load_balancers_need_a_target_group_a_listener_forwards_to_and_can_change(aws, name, cluster):
    from test_elbv2 import fixed

    elbv2 = aws("elbv2")
    balancer = elbv2.create_load_balancer(Name=name, Subnets=cluster["subnets"], SecurityGroups=[cluster["group"]])["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8000, VpcId=cluster["vpc"], TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    attached = [{"targetGroupArn": group, "containerName": "app", "containerPort": 8000}]
    definition = task_definition(aws, name)
    code, message, _ = refused(lambda: service(aws, name, cluster, definition, loadBalancers=attached))
    assert (code, message) == ("InvalidParameterException", f"The target group with targetGroupArn {group} does not have an associated load balancer.")
    listener = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=fixed())["Listeners"][0]["ListenerArn"]
    elbv2.create_rule(ListenerArn=listener, Priority=7, Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}], Actions=[{"Type": "forward", "TargetGroupArn": group}])
    service(aws, name, cluster, definition, loadBalancers=attached)
    first = settle(aws, name)["deployments"][0]["id"]
    other = elbv2.create_target_group(Name=f"{name}-b", Protocol="HTTP", Port=8000, VpcId=cluster["vpc"], TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    move = lambda: aws("ecs").update_service(cluster=name, service="app", loadBalancers=[dict(attached[0], targetGroupArn=other)])["service"]
    code, _, _ = refused(move)
    assert code == "InvalidParameterException", "a group nothing forwards to cannot take the service"
    # Forwarding to it with weight 0 associates it; the old group keeps all the traffic.
    rules = elbv2.describe_rules(ListenerArn=listener)["Rules"]
    rule = next(r for r in rules if r["Priority"] == "7")["RuleArn"]
    both = {"TargetGroups": [{"TargetGroupArn": group, "Weight": 1}, {"TargetGroupArn": other, "Weight": 0}]}
    elbv2.modify_rule(RuleArn=rule, Actions=[{"Type": "forward", "ForwardConfig": both}])
    moved = move()
    assert moved["loadBalancers"][0]["targetGroupArn"] == other
    assert moved["deployments"][0]["id"] != first
    # ECS registers a deployment's tasks in its own target group and deregisters them as they stop.
    healthy = lambda arn: [t for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"] if t["TargetHealth"]["State"] == "healthy"]
    assert len(healthy(other)) == moved["desiredCount"]
    settle(aws, name)
    assert healthy(group) == [] and len(healthy(other)) == moved["desiredCount"]


def test_a_repeated_create_service_answers_with_the_first_service_and_another_is_refused(aws, name, cluster):
    # A retried CreateService whose answer was lost must not replace the service (moto's own
    # behaviour) nor make a twin; without the same token it is not idempotent.
    definition = task_definition(aws, name)
    first = service(aws, name, cluster, definition, clientToken="wl-token-1")
    again = service(aws, name, cluster, definition, clientToken="wl-token-1")
    assert again["serviceArn"] == first["serviceArn"]
    assert [d["id"] for d in again["deployments"]] == [d["id"] for d in first["deployments"]], "no new deployment"
    code, message, _ = refused(lambda: service(aws, name, cluster, definition, clientToken="wl-token-2"))
    assert (code, message) == ("InvalidParameterException", "Creation of service was not idempotent.")


def test_service_connect_is_answered_per_deployment_and_its_namespace_waits_for_ecs_to_let_go(aws, name, cluster):
    cloud_map = aws("servicediscovery")
    operation = cloud_map.create_http_namespace(Name=name)["OperationId"]
    namespace_id = cloud_map.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    namespace_arn = cloud_map.get_namespace(Id=namespace_id)["Namespace"]["Arn"]
    assert refused(lambda: cloud_map.create_http_namespace(Name=name))[0] == "NamespaceAlreadyExists"
    definition = task_definition(aws, name, container={"portMappings": [{"name": "app", "containerPort": 8000, "protocol": "tcp", "appProtocol": "http"}]})
    connect = lambda port_name, namespace=namespace_arn: {
        "enabled": True,
        "namespace": namespace,
        "services": [{"portName": port_name, "discoveryName": "app", "clientAliases": [{"port": 8000, "dnsName": "app"}]}],
    }
    # A port name the task definition lacks, and a namespace that does not exist, are refused.
    assert refused(lambda: service(aws, name, cluster, definition, serviceConnectConfiguration=connect("web")))[0] == "InvalidParameterException"
    code, message, _ = refused(lambda: service(aws, name, cluster, definition, serviceConnectConfiguration=connect("app", "nowhere")))
    assert (code, message) == ("NamespaceNotFoundException", "Failed to retrieve namespace for nowhere")
    service(aws, name, cluster, definition, serviceConnectConfiguration=connect("app"))
    primary = settle(aws, name)["deployments"][0]
    assert primary["serviceConnectConfiguration"]["namespace"] == namespace_arn
    assert primary["serviceConnectConfiguration"]["services"][0]["portName"] == "app"
    assert [resource["discoveryName"] for resource in primary["serviceConnectResources"]] == ["app"]
    assert "serviceConnectConfiguration" not in settle(aws, name), "not on the service itself"
    # ECS's Cloud Map service holds the namespace until ECS removes it, after the ECS service goes.
    aws("ecs").delete_service(cluster=name, service="app", force=True)
    assert refused(lambda: cloud_map.delete_namespace(Id=namespace_id))[0] == "ResourceInUse"

    def deleted():
        try:
            return cloud_map.delete_namespace(Id=namespace_id)["OperationId"]
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceInUse"
            return None

    wait_until(deleted, timeout=10)
