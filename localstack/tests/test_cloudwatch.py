"""CloudWatch PutMetricAlarm and CloudWatch Logs, as the AWS SDK for Rust sends them (query
protocol for CloudWatch, JSON for Logs)."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of


def alarm(name, **extra):
    params = {
        "Action": "PutMetricAlarm",
        "Version": "2010-08-01",
        "AlarmName": name,
        "AlarmDescription": "CPU of service movie above 80% for 3 minutes",
        "Namespace": "AWS/ECS",
        "MetricName": "CPUUtilization",
        "Statistic": "Average",
        "Dimensions.member.1.Name": "ClusterName",
        "Dimensions.member.1.Value": "stack",
        "Dimensions.member.2.Name": "ServiceName",
        "Dimensions.member.2.Value": "movie",
        "Period": "60",
        "EvaluationPeriods": "3",
        "Threshold": "80",
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "Tags.member.1.Key": "wl:stack",
        "Tags.member.1.Value": "stack",
    }
    params.update(extra)
    return params


def code_of(body):
    return body.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in body else None


def test_a_valid_alarm_passes(emulator, name):
    status, _, body = emulator.raw("monitoring", alarm(f"{name}-alarm-movie-cpu"))
    assert status == 200, body


def test_alarm_names_and_descriptions_are_bounded(emulator, name):
    assert code_of(emulator.raw("monitoring", alarm("a" * 256))[2]) == "ValidationError"
    assert code_of(emulator.raw("monitoring", alarm(name, AlarmDescription="d" * 1025))[2]) == "ValidationError"
    assert code_of(emulator.raw("monitoring", alarm(name + "\u0007"))[2]) == "ValidationError"


def test_alarm_dimensions(emulator, name):
    many = {f"Dimensions.member.{index}.Name": f"D{index}" for index in range(1, 32)}
    many.update({f"Dimensions.member.{index}.Value": "v" for index in range(1, 32)})
    assert code_of(emulator.raw("monitoring", alarm(name, **many))[2]) == "ValidationError"
    assert code_of(emulator.raw("monitoring", alarm(name, **{"Dimensions.member.1.Name": ":Cluster"}))[2]) == "InvalidParameterValue"
    assert code_of(emulator.raw("monitoring", alarm(name, **{"Dimensions.member.1.Value": "caf\u00e9"}))[2]) == "InvalidParameterValue"
    assert code_of(emulator.raw("monitoring", alarm(name, **{"Dimensions.member.1.Value": "v" * 1025}))[2]) == "ValidationError"


def test_alarm_periods(emulator, name):
    assert code_of(emulator.raw("monitoring", alarm(name, Period="45"))[2]) == "InvalidParameterValue"
    assert code_of(emulator.raw("monitoring", alarm(name, Period="60", EvaluationPeriods="1441"))[2]) == "InvalidParameterCombination"
    for period in ("10", "20", "30", "120"):
        status, _, body = emulator.raw("monitoring", alarm(f"{name}-{period}", Period=period))
        assert status == 200, body


def test_the_json_protocol_answers_the_query_code_too(aws, name):
    with pytest.raises(ClientError) as refused:
        aws("cloudwatch").put_metric_alarm(
            AlarmName=name, Namespace="AWS/ECS", MetricName="CPUUtilization", Statistic="Average", Period=45,
            EvaluationPeriods=3, Threshold=80, ComparisonOperator="GreaterThanThreshold",
        )
    assert error_of(refused)[0] == "InvalidParameterValue"


def test_log_retention_must_be_one_of_the_offered_values(aws, name):
    logs = aws("logs")
    logs.create_log_group(logGroupName=f"/ecs/{name}/movie", tags={"wl:stack": name})
    with pytest.raises(ClientError) as refused:
        logs.put_retention_policy(logGroupName=f"/ecs/{name}/movie", retentionInDays=4)
    code, message, _ = error_of(refused)
    assert code == "InvalidParameterException" and "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30" in message
    logs.put_retention_policy(logGroupName=f"/ecs/{name}/movie", retentionInDays=30)


def test_log_group_names(aws):
    with pytest.raises(ClientError) as refused:
        aws("logs").create_log_group(logGroupName="/ecs/bad name")
    assert error_of(refused)[0] == "InvalidParameterException"


def test_alarm_and_log_group_tags(emulator, aws, name):
    assert code_of(emulator.raw("monitoring", alarm(name, **{"Tags.member.1.Key": "aws:x"}))[2]) == "InvalidParameterValue"
    with pytest.raises(ClientError) as refused:
        aws("logs").create_log_group(logGroupName=f"/ecs/{name}/x", tags={"aws:x": "v"})
    assert error_of(refused)[0] == "InvalidParameterException"
