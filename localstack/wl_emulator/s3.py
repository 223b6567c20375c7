"""S3: fixes where moto 5.2 answers unlike AWS, and the rules AWS enforces that moto does not."""
from moto.s3.responses import S3Response


def get_bucket_versioning(self):
    """AWS answers <VersioningConfiguration/> (with <Status> once versioning was ever set);
    moto 5.2 names the root element GetBucketVersioningResponse, which SDKs cannot parse."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    )
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = get_bucket_versioning

# --- CreateBucket keeps the tags of its configuration ---------------------------------------------
#
# AWS takes tags at create for general purpose buckets: CreateBucketConfiguration.Tags, "An array of
# tags that you can apply to the bucket that you're creating" (botocore s3 CreateBucketConfiguration;
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-create-tag.html). moto 5.2 ignores
# them, so a bucket created with tags reads back without any.

import re  # noqa: E402
import xml.etree.ElementTree as ElementTree  # noqa: E402

_original_bucket_response_put = S3Response._bucket_response_put


def _tags_of_create_configuration(body):
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return {}
    tags = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "Tag":
            fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
            if "Key" in fields:
                tags[fields["Key"]] = fields.get("Value", "")
    return tags


def _bucket_response_put(self, request, bucket_name, querystring):
    creating = not querystring and bucket_name not in self.backend.buckets
    answer = _original_bucket_response_put(self, request, bucket_name, querystring)
    if creating and self.body and bucket_name in self.backend.buckets:
        tags = _tags_of_create_configuration(self.body)
        if tags:
            self.backend.put_bucket_tagging(bucket_name, tags)
    return answer


S3Response._bucket_response_put = _bucket_response_put

# --- Request rules (strict layer) ---------------------------------------------------------------

from .strict import Refusal, rule  # noqa: E402


def bucket_name_problem(name):
    """Why a general purpose bucket name is refused, or None
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)."""
    if not 3 <= len(name) <= 63:
        return "must be between 3 and 63 characters long"
    if not re.fullmatch(r"[a-z0-9.-]+", name):
        return "can consist only of lowercase letters, numbers, periods, and hyphens"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "must begin and end with a letter or number"
    if ".." in name:
        return "must not contain two adjacent periods"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "must not be formatted as an IP address"
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(prefix):
            return f"must not start with the prefix {prefix}"
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if name.endswith(suffix):
            return f"must not end with the suffix {suffix}"
    return None


@rule("s3", "CreateBucket")
def bucket_name(call):
    """General purpose bucket names: 3 to 63 characters; only lowercase letters, numbers, periods
    and hyphens; begin and end with a letter or number; no two adjacent periods; not an IP
    address; not starting with xn--, sthree- or amzn-s3-demo-; not ending with -s3alias, --ol-s3,
    .mrap, --x-s3 or --table-s3 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
    S3 answers InvalidBucketName "The specified bucket is not valid."."""
    if bucket_name_problem(call.get("Bucket", default="")):
        raise Refusal("InvalidBucketName", "The specified bucket is not valid.")


@rule("s3", "CreateBucket", "PutBucketTagging")
def bucket_tags(call):
    """Bucket tags: at most 50, keys 1 to 128 characters, values up to 256, keys not starting with
    aws: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-managing.html; S3 answers
    InvalidTag)."""
    tags = call.get("CreateBucketConfiguration", "Tags", default=None) if call.action == "CreateBucket" else call.get("Tagging", "TagSet", default=None)
    tags = tags or []
    if len(tags) > 50:
        raise Refusal("BadRequest", "Object tags cannot be greater than 50")
    keys = set()
    for tag in tags:
        key, value = str(tag.get("Key", "")), str(tag.get("Value", "") or "")
        if not key or len(key) > 128:
            raise Refusal("InvalidTag", "The TagKey you have provided is too long, max 128")
        if len(value) > 256:
            raise Refusal("InvalidTag", "The TagValue you have provided is too long, max 256")
        if key.startswith("aws:"):
            raise Refusal("InvalidTag", "System tags cannot be added/updated by requester")
        if key in keys:
            raise Refusal("InvalidTag", "Cannot provide multiple Tags with the same key")
        keys.add(key)


# Operations addressed to one bucket that S3 answers from the bucket's own region only.
_REGIONAL_BUCKET_OPERATIONS = (
    "GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging", "GetBucketPolicy", "PutBucketPolicy",
    "DeleteBucketPolicy", "GetPublicAccessBlock", "PutPublicAccessBlock", "GetBucketEncryption",
    "PutBucketEncryption", "GetBucketVersioning", "PutBucketVersioning", "ListObjectsV2", "ListObjects",
    "DeleteObjects", "PutObject", "DeleteObject", "HeadObject", "GetObject", "DeleteBucket",
)


@rule("s3", *_REGIONAL_BUCKET_OPERATIONS, kind="state")
def bucket_of_another_region(call):
    """A request signed for one region about a bucket of another: 301 PermanentRedirect "The bucket
    you are attempting to access must be addressed using the specified endpoint. Please send all
    future requests to this endpoint." with the bucket's region in x-amz-bucket-region
    (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html; the SDKs do not follow
    it). GetBucketLocation and ListBuckets answer from any region; moto answers everything."""
    from moto.s3.models import s3_backends

    name = call.get("Bucket", default="")
    # S3 keeps every bucket of an account in its partition's one backend, whatever its region.
    bucket = s3_backends[call.account]["aws"].buckets.get(name)
    if bucket is not None and getattr(bucket, "region_name", call.region) != call.region:
        raise Refusal(
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
            status=301,
        )


@rule("s3", "CreateBucket", kind="state")
def tags_on_create_need_tag_resource(call):
    """CreateBucket with CreateBucketConfiguration.Tags needs s3:TagResource besides s3:CreateBucket
    ("To create a bucket with tags, you must have the s3:CreateBucket and s3:TagResource
    permissions", API_CreateBucket): a principal without it gets AccessDenied (403). Which key
    lacks it is set with POST /wl-api/denied."""
    from . import control

    tags = call.get("CreateBucketConfiguration", "Tags", default=None)
    if tags and "s3:TagResource" in control.denied.get(call.request.access_key, ()):
        raise Refusal("AccessDenied", "User is not authorized to perform: s3:TagResource", status=403)


# --- Deletes denied: DeleteObject answers 403, DeleteObjects a 200 with an error per key -----------
#
# DeleteObjects answers 200 whatever happens to each key; a key the principal may not delete comes
# back as <Error><Key>..</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error> in
# the DeleteResult ("the response includes ... Error elements", API_DeleteObjects); DeleteObject
# answers 403 AccessDenied. Deleting a version (a VersionId given) needs s3:DeleteObjectVersion,
# without one s3:DeleteObject (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html).
# moto has no permissions: POST /wl-api/denied sets them per access key, "s3:DeleteObjectVersion"
# for every key or "s3:DeleteObjectVersion:<prefix>" for the keys under a prefix (a bucket policy
# that protects `uploads/*`); the same for s3:DeleteObject.

import uuid  # noqa: E402
from xml.sax.saxutils import escape as _xml_escape  # noqa: E402

from . import control  # noqa: E402


def _delete_denied(access_key, object_key, version):
    needed = "s3:DeleteObjectVersion" if version else "s3:DeleteObject"
    for denied in control.denied.get(access_key, ()):
        if denied == needed or (denied.startswith(needed + ":") and object_key.startswith(denied[len(needed) + 1:])):
            return True
    return False


def _object_identifiers(body):
    root = ElementTree.fromstring(body or b"<Delete/>")
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Object":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in element}
        yield fields.get("Key", ""), fields.get("VersionId")


def _xml_answer(start_response, status, body):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
    start_response(status, [("Content-Type", "application/xml"), ("x-amz-request-id", str(uuid.uuid4())), ("Content-Length", str(len(body)))])
    return [body]


def deletes_denied(request, start_response):
    if request.service != "s3" or not any(action.startswith("s3:DeleteObject") for action in control.denied.get(request.access_key, ())):
        return None
    if request.method == "DELETE" and "uploadId" not in request.query:
        # Path-style DeleteObject: /bucket/key (wl-infra signs path-style against an endpoint).
        segments = request.path_segments()
        object_key = "/".join(segments[1:])
        version = (request.query.get("versionId") or [None])[0]
        if object_key and _delete_denied(request.access_key, object_key, version):
            return _xml_answer(start_response, "403 Forbidden", "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
        return None
    if request.method != "POST" or "delete" not in request.query:
        return None
    identifiers = list(_object_identifiers(request.body))
    refused = [(key, version) for key, version in identifiers if _delete_denied(request.access_key, key, version)]
    if not refused:
        return None
    # The keys it may delete go (moto deletes them, answering for those alone), the others stay.
    allowed = [(key, version) for key, version in identifiers if (key, version) not in refused]
    from moto.s3.models import s3_backends

    from .strict import _account_of

    bucket_name = request.path_segments()[0]
    backend = s3_backends[_account_of(request.access_key)]["aws"]
    for key, version in allowed:
        backend.delete_object(bucket_name, key, version_id=version)
    errors = "".join(
        f"<Error><Key>{_xml_escape(key)}</Key>"
        + (f"<VersionId>{_xml_escape(version)}</VersionId>" if version else "")
        + "<Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        for key, version in refused
    )
    return _xml_answer(start_response, "200 OK", f'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{errors}</DeleteResult>')


control.request_layers.append(deletes_denied)
