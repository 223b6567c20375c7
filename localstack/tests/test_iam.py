"""IAM: role names and paths, case-insensitive uniqueness, tags, and ListRoles' lag."""
import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_of

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_role_names_and_paths(aws, name):
    iam = aws("iam")
    assert refused(lambda: iam.create_role(RoleName="bad name", AssumeRolePolicyDocument=TRUST))[0] == "ValidationError"
    assert refused(lambda: iam.create_role(RoleName=name, Path="wl/x", AssumeRolePolicyDocument=TRUST))[0] == "ValidationError"
    iam.create_role(RoleName=f"{name}-task-execution-role", Path=f"/wl/{name}/", AssumeRolePolicyDocument=TRUST, Description="lets ECS pull the services' images")


def test_role_names_are_unique_whatever_their_case(aws, name):
    iam = aws("iam")
    iam.create_role(RoleName=f"{name}-Role", AssumeRolePolicyDocument=TRUST)
    code, _, status = refused(lambda: iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST))
    assert (code, status) == ("EntityAlreadyExists", 409)


def test_role_tags(aws, name):
    assert refused(lambda: aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "aws:x", "Value": "v"}]))[0] == "InvalidInput"


def test_list_roles_lags_behind_create_but_get_role_finds_it(aws, name):
    iam = aws("iam")
    iam.create_role(RoleName=name, Path=f"/wl/{name}/", AssumeRolePolicyDocument=TRUST)
    listed = lambda: [role["RoleName"] for role in iam.list_roles(PathPrefix=f"/wl/{name}/")["Roles"]]
    assert listed() == []
    assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name
    time.sleep(0.4)
    assert listed() == [name]


def test_delete_role_conflicts_for_a_moment_after_its_last_policy_went(aws, name):
    iam = aws("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    iam.detach_role_policy(RoleName=name, PolicyArn=policy)
    code, message, status = refused(lambda: iam.delete_role(RoleName=name))
    assert (code, status) == ("DeleteConflict", 409) and "detach all policies" in message
    time.sleep(0.6)
    iam.delete_role(RoleName=name)
