"""CloudFront: origins, ETags and If-Match, disabled-before-delete, and AWS's rules."""
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_of


def config(reference, enabled=True, **extra):
    document = {
        "CallerReference": reference,
        "Comment": "test",
        "Enabled": enabled,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "bucket",
                    "DomainName": "bucket.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": "E2OACTEST",
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "bucket",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    document.update(extra)
    return document


def create(aws, reference=None):
    answer = aws("cloudfront").create_distribution(DistributionConfig=config(reference or uuid.uuid4().hex))
    return answer["Distribution"]["Id"], answer["ETag"]


def test_origins_keep_their_origin_access_control(aws):
    distribution, _ = create(aws)
    origin = aws("cloudfront").get_distribution_config(Id=distribution)["DistributionConfig"]["Origins"]["Items"][0]
    assert origin["OriginAccessControlId"] == "E2OACTEST"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_every_update_gives_a_new_etag_and_a_stale_if_match_is_precondition_failed(aws):
    cloudfront = aws("cloudfront")
    distribution, _ = create(aws)
    current = cloudfront.get_distribution_config(Id=distribution)
    etag = current["ETag"]
    updated = cloudfront.update_distribution(Id=distribution, IfMatch=etag, DistributionConfig=current["DistributionConfig"])
    assert updated["ETag"] != etag
    assert updated["Distribution"]["Status"] == "InProgress"
    with pytest.raises(ClientError) as refused:
        cloudfront.update_distribution(Id=distribution, IfMatch=etag, DistributionConfig=current["DistributionConfig"])
    code, _, status = error_of(refused)
    assert (code, status) == ("PreconditionFailed", 412)


def test_an_enabled_distribution_cannot_be_deleted(aws):
    cloudfront = aws("cloudfront")
    distribution, _ = create(aws)
    etag = cloudfront.get_distribution(Id=distribution)["ETag"]
    with pytest.raises(ClientError) as refused:
        cloudfront.delete_distribution(Id=distribution, IfMatch=etag)
    code, _, status = error_of(refused)
    assert (code, status) == ("DistributionNotDisabled", 409)
    current = cloudfront.get_distribution_config(Id=distribution)
    disabled = dict(current["DistributionConfig"], Enabled=False)
    etag = cloudfront.update_distribution(Id=distribution, IfMatch=current["ETag"], DistributionConfig=disabled)["ETag"]
    cloudfront.delete_distribution(Id=distribution, IfMatch=etag)


def test_origin_access_control_names_are_unique(aws, name):
    cloudfront = aws("cloudfront")
    settings = {"Name": name, "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}
    cloudfront.create_origin_access_control(OriginAccessControlConfig=settings)
    with pytest.raises(ClientError) as refused:
        cloudfront.create_origin_access_control(OriginAccessControlConfig=settings)
    code, _, status = error_of(refused)
    assert (code, status) == ("OriginAccessControlAlreadyExists", 409)


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_quantities_must_match_their_items(aws):
    broken = config(uuid.uuid4().hex)
    broken["Origins"]["Quantity"] = 2
    code, message, status = refused(lambda: aws("cloudfront").create_distribution(DistributionConfig=broken))
    assert (code, message, status) == ("InconsistentQuantities", "The value of Quantity and the size of Items don't match.", 400)


def test_comment_and_default_root_object(aws):
    assert refused(lambda: aws("cloudfront").create_distribution(DistributionConfig=config(uuid.uuid4().hex, Comment="c" * 129)))[0] == "InvalidArgument"
    assert refused(lambda: aws("cloudfront").create_distribution(DistributionConfig=config(uuid.uuid4().hex, DefaultRootObject="/index.html")))[0] == "InvalidDefaultRootObject"


def test_origin_custom_headers(aws):
    def with_headers(headers):
        document = config(uuid.uuid4().hex)
        document["Origins"]["Items"][0]["CustomHeaders"] = {"Quantity": len(headers), "Items": headers}
        return document

    code, message, _ = refused(lambda: aws("cloudfront").create_distribution(DistributionConfig=with_headers([{"HeaderName": "Host", "HeaderValue": "x"}])))
    assert (code, message) == ("InvalidArgument", "The parameter HeaderName : Host is not allowed.")
    assert refused(lambda: aws("cloudfront").create_distribution(DistributionConfig=with_headers([{"HeaderName": "X-Amz-Thing", "HeaderValue": "x"}])))[0] == "InvalidArgument"
    many = [{"HeaderName": f"X-H{index}", "HeaderValue": "x"} for index in range(31)]
    assert refused(lambda: aws("cloudfront").create_distribution(DistributionConfig=with_headers(many)))[0] == "TooManyOriginCustomHeaders"
    aws("cloudfront").create_distribution(DistributionConfig=with_headers([{"HeaderName": "X-Origin-Verify", "HeaderValue": "s3cr3t"}]))


def invalidate(aws, distribution, paths, reference=None):
    return aws("cloudfront").create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": reference or uuid.uuid4().hex},
    )["Invalidation"]


def test_invalidation_paths(aws):
    distribution, _ = create(aws)
    for bad in (["index.html"], ["/my file.html"], ["/caf\u00e9.html"], ["/a*/b"], ["/" + "p" * 4000]):
        code, message, _ = refused(lambda: invalidate(aws, distribution, bad))
        assert (code, message) == ("InvalidArgument", "Your request contains one or more invalid invalidation paths."), bad
    invalidate(aws, distribution, ["/", "/index.html", "/assets/*", "/my%20file.html"])


def test_origin_access_control_names_are_at_most_64_characters(aws):
    settings = {"Name": "n" * 65, "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}
    assert refused(lambda: aws("cloudfront").create_origin_access_control(OriginAccessControlConfig=settings))[0] == "InvalidArgument"


def test_invalidations_are_in_progress_a_while_and_idempotent_per_caller_reference(aws):
    import time

    distribution, _ = create(aws)
    first = invalidate(aws, distribution, ["/", "/index.html"], reference="ref-1")
    assert first["Status"] == "InProgress"
    again = invalidate(aws, distribution, ["/", "/index.html"], reference="ref-1")
    assert again["Id"] == first["Id"]
    assert refused(lambda: invalidate(aws, distribution, ["/other.html"], reference="ref-1"))[0] == "InvalidationBatchAlreadyExists"
    time.sleep(0.6)
    assert aws("cloudfront").get_invalidation(DistributionId=distribution, Id=first["Id"])["Invalidation"]["Status"] == "Completed"


def test_at_most_15_wildcard_paths_in_progress(aws):
    distribution, _ = create(aws)
    invalidate(aws, distribution, [f"/w{index}/*" for index in range(10)])
    code, _, _ = refused(lambda: invalidate(aws, distribution, [f"/v{index}/*" for index in range(6)]))
    assert code == "TooManyInvalidationsInProgress"


def test_a_caller_reference_is_used_once_and_never_changes(aws):
    reference = uuid.uuid4().hex
    distribution, _ = create(aws, reference)
    code, _, status = refused(lambda: create(aws, reference))
    assert (code, status) == ("DistributionAlreadyExists", 409)
    cloudfront = aws("cloudfront")
    current = cloudfront.get_distribution_config(Id=distribution)
    changed = dict(current["DistributionConfig"], CallerReference="another")
    assert refused(lambda: cloudfront.update_distribution(Id=distribution, IfMatch=current["ETag"], DistributionConfig=changed))[0] == "IllegalUpdate"


@pytest.mark.parametrize("missing", ["Aliases", "CustomErrorResponses", "Logging", "ViewerCertificate", "Restrictions", "WebACLId", "HttpVersion", "PriceClass", "CacheBehaviors"])
def test_an_update_must_carry_the_whole_configuration(aws, missing):
    cloudfront = aws("cloudfront")
    distribution, _ = create(aws)
    current = cloudfront.get_distribution_config(Id=distribution)
    partial = {key: value for key, value in current["DistributionConfig"].items() if key != missing}
    with pytest.raises(ClientError) as refused:
        cloudfront.update_distribution(Id=distribution, IfMatch=current["ETag"], DistributionConfig=partial)
    code, message, _ = error_of(refused)
    assert (code, message) == ("IllegalUpdate", f"{missing} is missing for the resource")
    # The configuration as read, sent back whole, is taken.
    cloudfront.update_distribution(Id=distribution, IfMatch=current["ETag"], DistributionConfig=current["DistributionConfig"])


@pytest.mark.parametrize("missing", ["AllowedMethods", "SmoothStreaming", "LambdaFunctionAssociations", "FieldLevelEncryptionId"])
def test_every_cache_behaviour_of_an_update_carries_its_required_fields(aws, missing):
    cloudfront = aws("cloudfront")
    distribution, _ = create(aws)
    current = cloudfront.get_distribution_config(Id=distribution)
    config = dict(current["DistributionConfig"])
    config["DefaultCacheBehavior"] = {k: v for k, v in config["DefaultCacheBehavior"].items() if k != missing}
    with pytest.raises(ClientError) as refused:
        cloudfront.update_distribution(Id=distribution, IfMatch=current["ETag"], DistributionConfig=config)
    code, message, _ = error_of(refused)
    assert code == "InvalidArgument" and missing in message
