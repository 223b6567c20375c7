"""Application Auto Scaling: scalable targets of ECS services, tagged; policies that go with their
target; the answers and rules of AWS."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of

DIMENSION = "ecs:service:DesiredCount"


@pytest.fixture
def service(aws, name):
    ecs = aws("ecs")
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(family=name, containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512}])
    ecs.create_service(cluster=name, serviceName="movie", taskDefinition=name, desiredCount=1)
    return f"service/{name}/movie"


def test_a_target_is_tagged_and_deregistering_it_takes_its_policies(aws, service):
    scaling = aws("application-autoscaling")
    answer = scaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=4,
        Tags={"wl:stack": "s"},
    )
    arn = answer["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"wl:stack": "s"}
    scaling.tag_resource(ResourceARN=arn, Tags={"wl:id": "scaling-movie"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["wl:stack"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"wl:id": "scaling-movie"}
    scaling.put_scaling_policy(
        PolicyName="cpu", ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
    )
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=service)["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["cpu"]
    scaling.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION)
    assert scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=service)["ScalingPolicies"] == []
    for call in (
        lambda: scaling.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION),
        lambda: scaling.delete_scaling_policy(PolicyName="cpu", ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert error_of(refused)[0] == "ObjectNotFoundException"


def test_capacity_ranges_policies_without_a_target_and_resource_labels_are_refused(aws, service):
    scaling = aws("application-autoscaling")
    with pytest.raises(ClientError) as refused:
        scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION, MinCapacity=5, MaxCapacity=2)
    assert error_of(refused)[:2] == ("ValidationException", "Minimum capacity cannot be greater than maximum capacity")
    with pytest.raises(ClientError) as refused:
        scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION)
    assert error_of(refused)[0] == "ValidationException"
    policy = dict(
        PolicyName="requests", ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 500.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": "app/x/1/targetgroup/y/2"},
        },
    )
    with pytest.raises(ClientError) as refused:
        scaling.put_scaling_policy(**policy)
    assert error_of(refused)[0] == "ObjectNotFoundException"
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=2)
    scaling.put_scaling_policy(**policy)
    policy["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["ResourceLabel"] = "my-target-group"
    with pytest.raises(ClientError) as refused:
        scaling.put_scaling_policy(**policy)
    assert error_of(refused)[0] == "ValidationException"
    scaling.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=service, ScalableDimension=DIMENSION)
