"""CloudWatch PutMetricAlarm and CloudWatch Logs, as the AWS SDK for Rust sends them (query
protocol for CloudWatch, JSON for Logs)."""
import json

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


def dashboard_body(**widget):
    base = {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
            "properties": {"metrics": [["AWS/ECS", "CPUUtilization"]], "region": "us-east-1"}}
    base.update(widget)
    return json.dumps({"widgets": [base]})


def test_dashboards_are_global_and_tagged_by_arn_and_their_tags_go_with_them(emulator, name):
    east = emulator.client("cloudwatch")
    west = emulator.client("cloudwatch", region="eu-west-1")
    east.put_dashboard(DashboardName=f"{name}-board", DashboardBody=dashboard_body())
    listed = west.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [entry["DashboardName"] for entry in listed] == [f"{name}-board"], "dashboards are global"
    arn = listed[0]["DashboardArn"]
    assert arn.startswith("arn:aws:cloudwatch::") and arn.endswith(f":dashboard/{name}-board")
    east.tag_resource(ResourceARN=arn, Tags=[{"Key": "wl:stack", "Value": name}])
    assert east.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "wl:stack", "Value": name}]
    east.delete_dashboards(DashboardNames=[f"{name}-board"])
    east.put_dashboard(DashboardName=f"{name}-board", DashboardBody=dashboard_body())
    assert east.list_tags_for_resource(ResourceARN=arn)["Tags"] == [], "a new dashboard of the name has no tags"
    east.delete_dashboards(DashboardNames=[f"{name}-board"])
    with pytest.raises(ClientError) as refused:
        east.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(refused)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "dashboard_name, body, path",
    [
        ("has space", dashboard_body(), None),
        ("ok", json.dumps({"board": []}), "Should have required property 'widgets'"),
        ("ok", dashboard_body(x=24), "/widgets/0/x"),
        ("ok", dashboard_body(width=25), "/widgets/0/width"),
        ("ok", dashboard_body(height=0), "/widgets/0/height"),
        ("ok", dashboard_body(type="pie-chart"), "/widgets/0/type"),
        ("ok", dashboard_body(properties={"metrics": []}), "required property 'region'"),
        ("ok", dashboard_body(type="log", properties={"region": "us-east-1"}), "required property 'query'"),
    ],
)
def test_put_dashboard_refuses_a_bad_name_or_body(emulator, name, dashboard_name, body, path):
    cloudwatch = emulator.client("cloudwatch")
    with pytest.raises(ClientError) as refused:
        cloudwatch.put_dashboard(DashboardName=f"{name}-{dashboard_name}", DashboardBody=body)
    code, message, status = error_of(refused)
    assert (code, status) == ("InvalidParameterInput", 400)
    if path:
        assert path in message, message


def test_a_new_alarm_has_insufficient_data_and_describe_alarms_applies_every_filter(emulator, name):
    cloudwatch = emulator.client("cloudwatch")
    status, _, body = emulator.raw("monitoring", alarm(f"{name}-alarm-movie-cpu"))
    assert status == 200, body
    status, _, body = emulator.raw("monitoring", alarm(f"{name}-alarm-user-cpu"))
    assert status == 200, body
    described = cloudwatch.describe_alarms(AlarmNamePrefix=f"{name}-alarm-")["MetricAlarms"]
    assert {a["StateValue"] for a in described} == {"INSUFFICIENT_DATA"}
    cloudwatch.set_alarm_state(AlarmName=f"{name}-alarm-movie-cpu", StateValue="ALARM", StateReason="CPU at 97%")
    firing = cloudwatch.describe_alarms(AlarmNamePrefix=f"{name}-alarm-", StateValue="ALARM")["MetricAlarms"]
    assert [a["AlarmName"] for a in firing] == [f"{name}-alarm-movie-cpu"]
    cloudwatch.delete_alarms(AlarmNames=[f"{name}-alarm-movie-cpu", f"{name}-alarm-user-cpu"])
