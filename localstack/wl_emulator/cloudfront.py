"""CloudFront: origins, ETags and If-Match, disabled-before-delete, unique origin access control
names, and the rules AWS enforces that moto 5.2 does not.

moto 5.2 drops an origin's OriginAccessControlId and S3OriginConfig (so a distribution that
uses origin access control reads back without it), accepts any If-Match value, keeps the ETag
across updates, and deletes an enabled distribution. AWS keeps both fields, gives every update a
new ETag, answers a stale If-Match with PreconditionFailed (412), and refuses to delete an enabled
distribution with DistributionNotDisabled (409).
"""
import datetime

from moto.cloudfront import models as _cloudfront_models
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend

from . import profiles


class PreconditionFailed(CloudFrontException):
    code = 412

    def __init__(self):
        super().__init__("PreconditionFailed", "The If-Match version is missing or not valid for the resource.")


class DistributionNotDisabled(CloudFrontException):
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
        raise PreconditionFailed()


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
            raise DistributionNotDisabled()
    return _original_delete_distribution(self, distribution_id, if_match)


class OriginAccessControlAlreadyExists(CloudFrontException):
    code = 409

    def __init__(self):
        super().__init__("OriginAccessControlAlreadyExists", "An origin access control with the same name already exists.")


_original_create_origin_access_control = CloudFrontBackend.create_origin_access_control


def _create_origin_access_control(self, config_dict):
    # AWS keeps origin access control names unique in an account; moto makes a second one.
    if any(control.name == config_dict.get("Name") for control in self.origin_access_controls.values()):
        raise OriginAccessControlAlreadyExists()
    return _original_create_origin_access_control(self, config_dict)


CloudFrontBackend.create_origin_access_control = _create_origin_access_control
CloudFrontBackend.update_distribution = _update_distribution
CloudFrontBackend.delete_distribution = _delete_distribution

if profiles.PROFILE == "realistic":
    from moto.moto_api import state_manager

    state_manager.set_transition(
        model_name="cloudfront::distribution",
        transition={"progression": "time", "seconds": profiles.realistic_delay("cloudfront")},
    )

# --- Request rules (strict layer) ---------------------------------------------------------------

from .strict import Refusal, rule  # noqa: E402

# Headers CloudFront can't be configured to add to origin requests
# (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-denylist).
FORBIDDEN_ORIGIN_HEADERS = {
    "cache-control", "connection", "content-length", "cookie", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "max-forwards", "pragma", "proxy-authorization",
    "proxy-connection", "range", "request-range", "te", "trailer", "transfer-encoding", "upgrade", "via",
    "x-real-ip",
}


def _distribution_config(call):
    if call.action == "CreateDistributionWithTags":
        return call.get("DistributionConfigWithTags", "DistributionConfig", default={}) or {}
    return call.get("DistributionConfig", default={}) or {}


def _quantity_pairs(value, path="DistributionConfig"):
    """Every {Quantity, Items} pair in a configuration, with where it is."""
    if isinstance(value, dict):
        if "Quantity" in value:
            yield path, value
        for key, item in value.items():
            yield from _quantity_pairs(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _quantity_pairs(item, f"{path}[{index}]")


@rule("cloudfront", "CreateDistribution", "CreateDistributionWithTags", "UpdateDistribution", "CreateInvalidation")
def quantities_match_their_items(call):
    """Every list in a CloudFront configuration carries its Quantity; "The value of Quantity and the
    size of Items don't match." is InconsistentQuantities (botocore cloudfront, e.g.
    CreateDistribution's errors; https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateDistribution.html)."""
    document = call.get("InvalidationBatch", default=None) if call.action == "CreateInvalidation" else _distribution_config(call)
    for _, pair in _quantity_pairs(document or {}):
        items = pair.get("Items") or []
        if int(pair.get("Quantity") or 0) != len(items):
            raise Refusal("InconsistentQuantities", "The value of Quantity and the size of Items don't match.")


@rule("cloudfront", "CreateDistribution", "CreateDistributionWithTags", "UpdateDistribution")
def distribution_comment_root_object_and_origin_headers(call):
    """Comment: "The comment cannot be longer than 128 characters."; DefaultRootObject: "Your string
    can't begin with a forward slash (/)." (botocore cloudfront DistributionConfig). Origin custom
    headers: at most 30 per origin, names up to 256 characters, values up to 1,783, 10,240 in all,
    none of the headers CloudFront refuses to add, nor X-Amz-* or X-Edge-*
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-custom-headers,
    add-origin-custom-headers.html#add-origin-custom-headers-denylist)."""
    config = _distribution_config(call)
    comment = config.get("Comment") or ""
    if len(comment) > 128:
        raise Refusal("InvalidArgument", "The parameter Comment is too long. The comment cannot be longer than 128 characters.")
    root = config.get("DefaultRootObject") or ""
    if root.startswith("/"):
        raise Refusal("InvalidDefaultRootObject", "The specified default root object is invalid.")
    if len(root) > 255:
        raise Refusal("InvalidDefaultRootObject", "The specified default root object is invalid.")
    for origin in (config.get("Origins") or {}).get("Items") or []:
        headers = (origin.get("CustomHeaders") or {}).get("Items") or []
        if len(headers) > 30:
            raise Refusal("TooManyOriginCustomHeaders", "Your request contains too many origin custom headers.")
        total = 0
        for header in headers:
            name = header.get("HeaderName") or ""
            value = header.get("HeaderValue") or ""
            total += len(name) + len(value)
            lowered = name.lower()
            if lowered in FORBIDDEN_ORIGIN_HEADERS or lowered.startswith(("x-amz-", "x-edge-")):
                raise Refusal("InvalidArgument", f"The parameter HeaderName : {name} is not allowed.")
            if not name or len(name) > 256:
                raise Refusal("InvalidArgument", f"The parameter HeaderName : {name[:64]} is too long (at most 256 characters).")
            if len(value) > 1783:
                raise Refusal("InvalidArgument", f"The parameter HeaderValue of {name} is too long (at most 1783 characters).")
        if total > 10240:
            raise Refusal("InvalidArgument", "The origin custom headers are too long: their names and values have at most 10240 characters in all.")


_UNSAFE = set(' "<>#%{}|\\^~[]`')


def _path_ok(path):
    if not path.startswith("/") or len(path) > 4000:
        return False
    if "*" in path[:-1]:
        return False
    for index, character in enumerate(path):
        if ord(character) > 126 or ord(character) < 33:
            return False
        if character == "%":
            if len(path) < index + 3 or not all(c in "0123456789abcdefABCDEF" for c in path[index + 1:index + 3]):
                return False
        elif character in _UNSAFE - {"%", "~"}:
            return False
    return True


@rule("cloudfront", "CreateInvalidation")
def invalidation_paths(call):
    """Invalidation paths: "When you use the CloudFront API directly, invalidation paths must begin
    with a leading slash."; "If the path includes non-ASCII characters or unsafe characters as
    defined in RFC 1783, URL-encode those characters"; "The *, which replaces 0 or more characters,
    must be the last character in the invalidation path."; "The maximum length of a path is 4,000
    characters." (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html).
    CloudFront answers InvalidArgument "Your request contains one or more invalid invalidation
    paths." (gist sud0n1m/aceecb10f0e48cfd435a quotes it)."""
    paths = call.get("InvalidationBatch", "Paths", "Items", default=[]) or []
    if any(not _path_ok(str(path)) for path in paths):
        raise Refusal("InvalidArgument", "Your request contains one or more invalid invalidation paths.")


@rule("cloudfront", "CreateOriginAccessControl", "UpdateOriginAccessControl")
def origin_access_control_name(call):
    """OriginAccessControlConfig.Name: "You can specify up to 64 characters." (botocore cloudfront)."""
    name = call.get("OriginAccessControlConfig", "Name", default="") or ""
    if not name or len(name) > 64:
        raise Refusal("InvalidArgument", "The origin access control name must be 1 to 64 characters long.")

# --- Invalidations: in progress for a while, idempotent per caller reference ---------------------
#
# An invalidation is InProgress until CloudFront has removed the files from its edge caches, then
# Completed (botocore cloudfront Invalidation.Status); here for profiles.seconds("invalidation").
# moto reads "COMPLETED" at once. A repeated CallerReference with the same paths answers with the
# invalidation the first call made; with other paths it is InvalidationBatchAlreadyExists
# (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_InvalidationBatch.html, CallerReference);
# moto makes a new invalidation every time.

import time  # noqa: E402


def _status(self):
    return "InProgress" if time.time() < getattr(self, "wl_done_at", 0) else "Completed"


def _set_status(self, value):
    pass


_cloudfront_models.Invalidation.status = property(_status, _set_status)


class InvalidationBatchAlreadyExists(CloudFrontException):
    code = 409

    def __init__(self):
        super().__init__("InvalidationBatchAlreadyExists", "The caller reference you attempted to create the invalidation with is associated with another invalidation.")


_original_create_invalidation = CloudFrontBackend.create_invalidation


def _create_invalidation(self, dist_id, paths, caller_ref):
    for existing in self.invalidations.get(dist_id, []):
        if existing.caller_ref == caller_ref:
            if list(existing.paths) == list(paths):
                return existing
            raise InvalidationBatchAlreadyExists()
    invalidation = _original_create_invalidation(self, dist_id, paths, caller_ref)
    invalidation.wl_done_at = time.time() + profiles.seconds("invalidation")
    return invalidation


CloudFrontBackend.create_invalidation = _create_invalidation


@rule("cloudfront", "CreateInvalidation", kind="state")
def invalidations_in_progress(call):
    """"you can have invalidation requests for up to 3,000 files per distribution in progress at one
    time"; "If you're using the * wildcard, you can have requests for up to 15 invalidation paths in
    progress at one time" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html);
    over either, TooManyInvalidationsInProgress "You have exceeded the maximum number of allowable
    InProgress invalidation batch requests, or invalidation objects." (botocore cloudfront)."""
    backend = call.backend("cloudfront")
    distribution = call.get("DistributionId", default="")
    paths = [str(path) for path in call.get("InvalidationBatch", "Paths", "Items", default=[]) or []]
    reference = call.get("InvalidationBatch", "CallerReference", default=None)
    in_progress = [
        invalidation for invalidation in backend.invalidations.get(distribution, [])
        if invalidation.status == "InProgress" and invalidation.caller_ref != reference
    ]
    files = sum(1 for invalidation in in_progress for path in invalidation.paths if not str(path).endswith("*"))
    wildcards = sum(1 for invalidation in in_progress for path in invalidation.paths if str(path).endswith("*"))
    new_files = sum(1 for path in paths if not path.endswith("*"))
    new_wildcards = len(paths) - new_files
    if files + new_files > 3000 or wildcards + new_wildcards > 15:
        raise Refusal("TooManyInvalidationsInProgress", "You have exceeded the maximum number of allowable InProgress invalidation batch requests, or invalidation objects.")


@rule("cloudfront", "UpdateDistribution", kind="state")
def caller_reference_cannot_change(call):
    """UpdateDistribution: "You can't change the value of CallerReference."
    (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html);
    IllegalUpdate "The update contains modifications that are not allowed." (botocore cloudfront)."""
    backend = call.backend("cloudfront")
    distribution = backend.distributions.get(call.get("Id", default=""))
    reference = call.get("DistributionConfig", "CallerReference")
    if distribution is not None and reference is not None and reference != distribution.distribution_config.caller_reference:
        raise Refusal("IllegalUpdate", "The update contains modifications that are not allowed. You cannot update Origin or CallerReference.")


# Required on UpdateDistribution though optional on create
# (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-overview-required-fields.html).
_UPDATE_REQUIRED_CONFIG_FIELDS = (
    "CallerReference", "Aliases", "DefaultRootObject", "Origins", "DefaultCacheBehavior", "CacheBehaviors",
    "CustomErrorResponses", "Comment", "Logging", "PriceClass", "Enabled", "ViewerCertificate", "Restrictions",
    "WebACLId", "HttpVersion",
)
_UPDATE_REQUIRED_BEHAVIOR_FIELDS = (
    "TargetOriginId", "ViewerProtocolPolicy", "AllowedMethods", "SmoothStreaming", "Compress",
    "LambdaFunctionAssociations", "FieldLevelEncryptionId",
)


@rule("cloudfront", "UpdateDistribution")
def update_distribution_carries_the_whole_configuration(call):
    """"Use UpdateDistribution to update the distribution, providing the entire distribution
    configuration, including the fields that you modified and those that you didn't." The fields
    required on update: CallerReference, Aliases, DefaultRootObject, Origins, DefaultCacheBehavior,
    CacheBehaviors, CustomErrorResponses, Comment, Logging, PriceClass, Enabled, ViewerCertificate,
    Restrictions, WebACLId and HttpVersion, and in every cache behaviour (the default one included)
    TargetOriginId, ViewerProtocolPolicy, AllowedMethods, SmoothStreaming, Compress,
    LambdaFunctionAssociations and FieldLevelEncryptionId, PathPattern besides the default one
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-overview-required-fields.html).
    "The values that you specify in an UpdateDistribution request are not merged into your existing
    configuration" (API_UpdateDistribution). AWS answers IllegalUpdate "WebACLId is missing for the
    resource" (yaybu/touchdown#66) for a missing field of the configuration and InvalidArgument "The
    parameter Field level encryption id is required." (boto/boto3#1558) for one of a behaviour."""
    config = call.get("DistributionConfig", default={}) or {}
    for field in _UPDATE_REQUIRED_CONFIG_FIELDS:
        if config.get(field) is None:
            raise Refusal("IllegalUpdate", f"{field} is missing for the resource")
    behaviors = [("DefaultCacheBehavior", config.get("DefaultCacheBehavior") or {})]
    behaviors += [
        (f"CacheBehaviors.Items[{index}]", behavior)
        for index, behavior in enumerate((config.get("CacheBehaviors") or {}).get("Items") or [])
    ]
    for where, behavior in behaviors:
        required = _UPDATE_REQUIRED_BEHAVIOR_FIELDS + (("PathPattern",) if where != "DefaultCacheBehavior" else ())
        for field in required:
            if behavior.get(field) is None:
                raise Refusal("InvalidArgument", f"The parameter {field} is required in {where}.")
