"""S3: fixes of moto's answers and AWS's rules for buckets."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of


def test_versioning_of_a_bucket_never_versioned_is_an_empty_configuration(emulator, aws, name):
    aws("s3").create_bucket(Bucket=name)
    status, _, body = emulator.raw("s3", method="GET", path=f"/{name}?versioning")
    assert status == 200
    assert "<VersioningConfiguration" in body and "GetBucketVersioningResponse" not in body
    assert "Status" not in aws("s3").get_bucket_versioning(Bucket=name)


def test_versioning_once_set_reads_back_its_status(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_bucket_names(aws, name):
    for bad in ("ab", "a" * 64, "Upper-case", "-start", "end-", "two..dots", "192.168.1.1", "xn--bucket", "sthree-bucket",
                "amzn-s3-demo-bucket", "bucket-s3alias", "bucket--ol-s3", "under_score"):
        code, message, status = refused(lambda: aws("s3").create_bucket(Bucket=bad))
        assert (code, message, status) == ("InvalidBucketName", "The specified bucket is not valid.", 400), bad
    aws("s3").create_bucket(Bucket=f"{name}-frontend-123456789012")


def test_create_bucket_keeps_the_tags_of_its_configuration(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"Tags": [{"Key": "wl:stack", "Value": name}, {"Key": "Name", "Value": "frontend"}]})
    tags = sorted((tag["Key"], tag["Value"]) for tag in s3.get_bucket_tagging(Bucket=name)["TagSet"])
    assert tags == [("Name", "frontend"), ("wl:stack", name)]


def test_bucket_tag_limits(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    assert refused(lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "aws:x", "Value": "v"}]}))[0] == "InvalidTag"
    assert refused(lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]}))[0] == "InvalidTag"


def test_a_bucket_that_is_not_empty_cannot_be_deleted(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="index.html", Body=b"<html/>")
    code, message, status = refused(lambda: s3.delete_bucket(Bucket=name))
    assert (code, status) == ("BucketNotEmpty", 409)
    assert message == "The bucket you tried to delete is not empty"
    s3.delete_object(Bucket=name, Key="index.html")
    s3.delete_bucket(Bucket=name)


def test_a_bucket_of_another_region_answers_permanent_redirect_but_tells_its_location(emulator, aws, name):
    west = emulator.client("s3", region="us-west-2")
    west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    # botocore follows S3's 301 to the bucket's region (the Rust SDK does not): the refusal log
    # shows the first answer.
    with pytest.raises(ClientError):
        aws("s3").get_bucket_tagging(Bucket=name)
    refusals = emulator.control("GET", "/wl-api/refusals")["refusals"]
    assert any(r["rule"] == "s3.bucket_of_another_region" and r["code"] == "PermanentRedirect" for r in refusals)
    assert aws("s3").get_bucket_location(Bucket=name)["LocationConstraint"] == "us-west-2"
    west.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})


def test_tags_on_create_need_s3_tag_resource(emulator, name):
    key = "NOTAGRESOURCE"
    emulator.control("POST", "/wl-api/denied", {"access_key": key, "actions": ["s3:TagResource"]})
    try:
        s3 = emulator.client("s3", access_key=key)
        tagged = {"Tags": [{"Key": "wl:stack", "Value": "x"}]}
        with pytest.raises(ClientError) as refused:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration=tagged)
        assert (error_of(refused)[0], error_of(refused)[2]) == ("AccessDenied", 403)
        s3.create_bucket(Bucket=name)
    finally:
        emulator.control("POST", "/wl-api/denied", {"access_key": key, "actions": []})


def test_delete_objects_without_s3_delete_object_answers_an_error_per_key(emulator, name):
    key = "NODELETEOBJECT"
    s3 = emulator.client("s3", access_key=key, s3={"addressing_style": "path"})
    s3.create_bucket(Bucket=name)
    for object_key in ("index.html", "assets/app.js"):
        s3.put_object(Bucket=name, Key=object_key, Body=b"x")
    batch = {"Objects": [{"Key": "index.html"}, {"Key": "assets/app.js"}], "Quiet": True}
    emulator.control("POST", "/wl-api/denied", {"access_key": key, "actions": ["s3:DeleteObject"]})
    try:
        answer = s3.delete_objects(Bucket=name, Delete=batch)
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert [(error["Key"], error["Code"]) for error in answer["Errors"]] == [("index.html", "AccessDenied"), ("assets/app.js", "AccessDenied")]
        assert sorted(item["Key"] for item in s3.list_objects_v2(Bucket=name)["Contents"]) == ["assets/app.js", "index.html"]
        with pytest.raises(ClientError) as refused:
            s3.delete_object(Bucket=name, Key="index.html")
        assert (error_of(refused)[0], error_of(refused)[2]) == ("AccessDenied", 403)
        # Denied under a prefix only (a bucket policy protecting assets/*): the others go.
        emulator.control("POST", "/wl-api/denied", {"access_key": key, "actions": ["s3:DeleteObject:assets/"]})
        answer = s3.delete_objects(Bucket=name, Delete=batch)
        assert [(error["Key"], error["Code"]) for error in answer["Errors"]] == [("assets/app.js", "AccessDenied")]
        assert [item["Key"] for item in s3.list_objects_v2(Bucket=name)["Contents"]] == ["assets/app.js"]
        # Deleting a version needs s3:DeleteObjectVersion, deleting the object s3:DeleteObject.
        emulator.control("POST", "/wl-api/denied", {"access_key": key, "actions": ["s3:DeleteObjectVersion"]})
        [version] = s3.list_object_versions(Bucket=name)["Versions"]
        answer = s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "assets/app.js", "VersionId": version["VersionId"]}]})
        assert [(error["Key"], error["Code"]) for error in answer["Errors"]] == [("assets/app.js", "AccessDenied")]
        with pytest.raises(ClientError) as refused:
            s3.delete_object(Bucket=name, Key="assets/app.js", VersionId=version["VersionId"])
        assert error_of(refused)[0] == "AccessDenied"
    finally:
        emulator.control("POST", "/wl-api/denied", {"access_key": key, "actions": []})
    assert not s3.delete_objects(Bucket=name, Delete=batch).get("Errors")
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    s3.delete_bucket(Bucket=name)
