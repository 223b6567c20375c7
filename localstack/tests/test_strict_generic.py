"""The generic validator: botocore's model constraints, answered in each protocol's error shape."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of, refusals_of


def test_a_query_protocol_length_violation_is_a_validation_error_in_the_error_response_shape(emulator):
    status, _, body = emulator.raw(
        "iam",
        {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "r" * 65, "AssumeRolePolicyDocument": "{}"},
    )
    assert status == 400
    assert "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>" in body
    assert "1 validation error detected: Value &#x27;" in body or "1 validation error detected: Value '" in body
    assert "at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64" in body


def test_boto3_sees_the_query_code_and_message(aws):
    with pytest.raises(ClientError) as refused:
        aws("iam").create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}")
    code, message, status = error_of(refused)
    assert (code, status) == ("ValidationError", 400)
    assert "Member must have length less than or equal to 64" in message


def test_an_ec2_range_violation_is_invalid_parameter_value_in_the_ec2_shape(emulator):
    status, _, body = emulator.raw("ec2", {"Action": "DescribeVpcs", "Version": "2016-11-15", "MaxResults": "1"})
    assert status == 400
    assert "<Response><Errors><Error><Code>InvalidParameterValue</Code>" in body
    assert "for parameter maxResults is invalid" in body


def test_a_json_protocol_violation_names_its_code_in_type_and_header(emulator, aws):
    with pytest.raises(ClientError) as refused:
        aws("secretsmanager").create_secret(Name="x", SecretString="s", ClientRequestToken="too-short")
    code, message, status = error_of(refused)
    assert (code, status) == ("ValidationException", 400)
    assert message == "1 validation error detected: Value 'too-short' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32"
    assert refused.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ValidationException"


def test_ecr_answers_a_pattern_violation_in_its_own_words(aws):
    with pytest.raises(ClientError) as refused:
        aws("ecr").create_repository(repositoryName="Org/Repo")
    code, message, _ = error_of(refused)
    assert code == "InvalidParameterException"
    assert message.startswith("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression pattern:")


def test_an_enum_violation_lists_the_allowed_values(aws, name):
    with pytest.raises(ClientError) as refused:
        aws("elbv2").create_target_group(Name=name, Protocol="HTTX", Port=80, VpcId="vpc-1", TargetType="ip")
    code, message, _ = error_of(refused)
    assert code == "ValidationError"
    assert "at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS" in message


def test_an_integer_range_violation(aws, name):
    with pytest.raises(ClientError) as refused:
        aws("elbv2").create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip", HealthCheckIntervalSeconds=1)
    assert "at 'healthCheckIntervalSeconds' failed to satisfy constraint: Member must have value greater than or equal to 5" in error_of(refused)[1]


def test_a_missing_required_member_is_refused(emulator):
    status, _, body = emulator.raw("elasticloadbalancing", {"Action": "CreateTargetGroup", "Version": "2015-12-01", "Protocol": "HTTP"})
    assert status == 400
    assert "<Code>ValidationError</Code>" in body and "Value null at 'name' failed to satisfy constraint: Member must not be null" in body


def test_a_rest_xml_violation_is_answered_in_the_wrapped_error_shape(emulator, aws):
    cloudfront = aws("cloudfront")
    with pytest.raises(ClientError) as refused:
        cloudfront.tag_resource(Resource="arn:aws:cloudfront::123456789012:distribution/E1", Tags={"Items": [{"Key": "k" * 129, "Value": "v"}]})
    code, message, status = error_of(refused)
    assert (code, status) == ("InvalidArgument", 400)
    assert "Member must have length less than or equal to 128" in message


def test_valid_requests_pass(aws, name):
    aws("iam").create_role(RoleName=name, Path=f"/wl/{name}/", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
    aws("ecr").create_repository(repositoryName=f"{name}-movie")
    aws("secretsmanager").create_secret(Name=f"{name}/main/master", SecretString="{}", ClientRequestToken="wl-000000000001-" + "a" * 32)


def test_the_refusals_route_lists_what_was_refused(emulator):
    key = "REFUSALSROUTE"
    with pytest.raises(ClientError):
        emulator.client("iam", access_key=key).create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}")
    [entry] = refusals_of(emulator, key)
    assert (entry["service"], entry["action"], entry["rule"], entry["code"], entry["logged_only"]) == ("iam", "CreateRole", "generic", "ValidationError", False)


def test_strict_mode_off_lets_everything_through_but_the_state_rules(tmp_path_factory):
    from conftest import start_emulator

    with start_emulator(tmp_path_factory, WL_EMULATOR_STRICT="0") as relaxed:
        relaxed.client("iam").create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}")
        assert relaxed.control("GET", "/wl-api/refusals")["mode"] == "0"


def test_strict_mode_log_lets_requests_through_and_lists_them(tmp_path_factory):
    from conftest import start_emulator

    with start_emulator(tmp_path_factory, WL_EMULATOR_STRICT="log") as logging:
        logging.client("iam", access_key="LOGGED").create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}")
        [entry] = refusals_of(logging, "LOGGED")
        assert entry["logged_only"] is True and entry["code"] == "ValidationError"
        assert "would refuse iam:CreateRole" in logging.log_text()
