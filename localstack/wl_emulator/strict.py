"""The strict request layer: refuse what AWS refuses, before moto sees the request.

Two kinds of checks run on every signed request, in front of every action:

1. The generic validator. For the request's action it loads botocore's input shape of that
   operation (the service models in the emulator's virtualenv, which carry the constraints of the
   API reference) and checks every parameter present against the model's `min`/`max` (string
   length, list length, integer range), `pattern` and `enum`, and that every `required` member is
   there. The request's wire form is mapped onto the shape tree first: query pairs
   (`Foo.member.1.Bar`, EC2's `Foo.1.Bar`), JSON bodies, and REST-XML paths, query strings,
   headers and XML payloads. Where the model is ambiguous the validator lets the request through
   (a false negative is better than refusing what AWS accepts).

2. Hand-written rules, registered with `@rule(...)` in the service modules, for what the model's
   structure cannot say: constraints stated only in a member's documentation prose, allowed
   combinations, reserved words, and rules across resources. Each rule cites its source.

Refusals are answered in the protocol's own error shape with AWS's code and HTTP status
(control.error_response). WL_EMULATOR_STRICT=0 turns the generic validator and the request rules
off, for debugging only; WL_EMULATOR_STRICT=log lets those requests through but logs and lists what
would have been refused (GET /wl-api/refusals). Rules registered with kind="state" (AWS's rules
across resources, such as a subnet with network interfaces) stay on in every mode: they are how
AWS behaves, not a validation of one request.
"""
import json
import os
import re
import sys
import threading
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict

import botocore.session

from . import control

MODE = (os.environ.get("WL_EMULATOR_STRICT", "1") or "1").strip().lower()
STRICT = MODE not in ("0", "false", "off", "no")
LOG_ONLY = MODE == "log"

# The credential scope's service name (what the request is signed for) -> botocore's model name.
MODELS = {
    "ec2": "ec2",
    "ecs": "ecs",
    "ecr": "ecr",
    "rds": "rds",
    "elasticache": "elasticache",
    "elasticloadbalancing": "elbv2",
    "iam": "iam",
    "monitoring": "cloudwatch",
    "logs": "logs",
    "secretsmanager": "secretsmanager",
    "s3": "s3",
    "cloudfront": "cloudfront",
    "sts": "sts",
    "servicediscovery": "servicediscovery",
    "sns": "sns",
    "application-autoscaling": "application-autoscaling",
    "kms": "kms",
}

# The code each service answers a model constraint violation with (its Coral validation):
#   query services: ValidationError, e.g. IAM "1 validation error detected: Value '...' at
#     'roleName' failed to satisfy constraint: Member must have length less than or equal to 64",
#     CloudWatch and ELB the same (terraform-provider-aws issues quote them).
#   EC2: InvalidParameterValue (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
#   RDS and ElastiCache document InvalidParameterValue as their parameter error
#     (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html).
#   JSON services: Secrets Manager ValidationException (it answers invalid names with it);
#     ECR and CloudWatch Logs InvalidParameterException ("Invalid parameter at 'repositoryName'
#     failed to satisfy constraint: ..."); ECS InvalidParameterException.
#   S3 and CloudFront: InvalidArgument.
GENERIC_CODES = {
    "ec2": "InvalidParameterValue",
    "rds": "InvalidParameterValue",
    "elasticache": "InvalidParameterValue",
    "elasticloadbalancing": "ValidationError",
    "iam": "ValidationError",
    "monitoring": "ValidationError",
    "sts": "ValidationError",
    "ecs": "InvalidParameterException",
    "ecr": "InvalidParameterException",
    "logs": "InvalidParameterException",
    "secretsmanager": "ValidationException",
    "s3": "InvalidArgument",
    "cloudfront": "InvalidArgument",
    # Cloud Map documents InvalidInput for "One or more specified values aren't valid".
    "servicediscovery": "InvalidInput",
    # SNS documents InvalidParameter: "a request parameter does not comply with the associated constraints".
    "sns": "InvalidParameter",
    # Application Auto Scaling answers constraint violations with ValidationException.
    "application-autoscaling": "ValidationException",
    # KMS answers a constraint violation with ValidationException ("1 validation error detected").
    "kms": "ValidationException",
}
MISSING_CODES = {"ec2": "MissingParameter", "rds": "MissingParameter", "elasticache": "MissingParameter"}


class Refusal(Exception):
    """AWS's answer to a request it refuses: code, message, HTTP status."""

    def __init__(self, code, message, status=400, sender="Sender"):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


class Call:
    """What a rule sees of a request: the service (as signed), the operation, its parameters
    decoded onto the model's shape (member names as in the API reference, typed values), and
    the account and region."""

    def __init__(self, request, operation, params):
        self.request = request
        self.service = request.service
        self.action = operation
        self.params = params
        self.region = request.region
        self.account = _account_of(request.access_key)

    def get(self, *path, default=None):
        value = self.params
        for key in path:
            if isinstance(value, dict) and key in value:
                value = value[key]
            elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
                value = value[key]
            else:
                return default
        return value

    def backend(self, name):
        """moto's backend of `name` for this request's account and region."""
        from moto.backends import get_backend

        backends = get_backend(name)[self.account]
        if self.region in backends:
            return backends[self.region]
        # Global services (IAM, CloudFront) keep one backend per partition.
        return backends["global"] if "global" in backends else backends["aws"]


def _account_of(access_key):
    """The account moto serves an access key from (its default one unless IAM made the key)."""
    from moto.core import DEFAULT_ACCOUNT_ID

    if not access_key:
        return DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


class Rule:
    def __init__(self, service, actions, function, kind, source):
        self.service = service
        self.actions = set(actions)
        self.function = function
        self.kind = kind
        self.source = source
        self.name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"

    def applies(self, service, operation):
        return service == self.service and ("*" in self.actions or operation in self.actions)


RULES = []


def rule(service, *actions, kind="request"):
    """Registers a hand-written rule for `service` (the signing name) and `actions`; the rule
    raises Refusal when AWS would refuse the call. kind="state" marks rules across resources,
    which stay on when strict mode is off."""

    def register(function):
        RULES.append(Rule(service, actions, function, kind, (function.__doc__ or "").strip()))
        return function

    return register


def counts_by_service():
    """{service: {"rules": n, "state": n}} of the hand-written rules, plus the generic validator."""
    counts = defaultdict(Counter)
    for registered in RULES:
        counts[registered.service]["state" if registered.kind == "state" else "rules"] += 1
    return {service: dict(counter) for service, counter in sorted(counts.items())}


# --- helpers the service modules' rules share -----------------------------------------------------


def identifier_ok(text, maximum, allowed=r"A-Za-z0-9-"):
    """The AWS identifier convention (RDS, ElastiCache, ELB): 1..maximum characters of `allowed`,
    a letter first, no hyphen at the end, no two hyphens in a row."""
    return (
        0 < len(text) <= maximum
        and re.fullmatch(f"[{allowed}]+", text) is not None
        and text[0].isascii()
        and text[0].isalpha()
        and not text.endswith("-")
        and "--" not in text
    )


def check_tags(tags, code, *, key="Key", value="Value", key_max=128, value_max=256, count_max=50, reserved=("aws:",)):
    """The tag limits most services share (key and value lengths, reserved prefixes, count)."""
    tags = tags or []
    if len(tags) > count_max:
        raise Refusal(code, f"The number of tags ({len(tags)}) exceeds the maximum of {count_max} per resource.")
    for tag in tags:
        tag_key = str(tag.get(key, "")) if isinstance(tag, dict) else str(tag)
        tag_value = str(tag.get(value, "") or "") if isinstance(tag, dict) else ""
        if not tag_key or len(tag_key) > key_max:
            raise Refusal(code, f"Tag key '{tag_key[:200]}' must be 1 to {key_max} characters long.")
        if len(tag_value) > value_max:
            raise Refusal(code, f"Tag value of key '{tag_key}' must be at most {value_max} characters long.")
        for prefix in reserved:
            if tag_key.lower().startswith(prefix):
                raise Refusal(code, f"Tag keys starting with '{prefix}' are reserved for internal use (tag key '{tag_key}').")


# --- botocore's models --------------------------------------------------------------------------

_session = botocore.session.get_session()
_models = {}
_models_lock = threading.Lock()


def model(service):
    name = MODELS.get(service)
    if name is None:
        return None
    with _models_lock:
        if name not in _models:
            _models[name] = _session.get_service_model(name)
        return _models[name]


def _member_name(member, name, protocol):
    """A member's name on the wire (as botocore's serializers write it)."""
    serialization = member.serialization
    if protocol == "ec2":
        if "queryName" in serialization:
            return serialization["queryName"]
        if "name" in serialization:
            return serialization["name"][0].upper() + serialization["name"][1:]
        return name
    return serialization.get("name", name)


def _scalar(shape, text):
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            return {"true": True, "false": False}.get(str(text).lower(), text)
    except (TypeError, ValueError):
        return text
    return text


class _Flat:
    """Query parameters with fast prefix look-ups."""

    def __init__(self, pairs):
        self.pairs = pairs
        self.prefixes = set()
        for key in pairs:
            parts = key.split(".")
            for index in range(1, len(parts) + 1):
                self.prefixes.add(".".join(parts[:index]))

    def has(self, key):
        return key in self.prefixes


def decode_query(shape, prefix, flat, protocol):
    kind = shape.type_name
    if kind == "structure":
        result = {}
        for name, member in shape.members.items():
            key = _member_name(member, name, protocol)
            full = f"{prefix}.{key}" if prefix else key
            if flat.has(full):
                result[name] = decode_query(member, full, flat, protocol)
        return result
    if kind == "list":
        if protocol != "ec2" and flat.pairs.get(prefix) == "":
            return []
        if protocol == "ec2" or shape.serialization.get("flattened"):
            list_prefix = prefix
        else:
            list_prefix = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items, index = [], 1
        while flat.has(f"{list_prefix}.{index}"):
            items.append(decode_query(shape.member, f"{list_prefix}.{index}", flat, protocol))
            index += 1
        return items
    if kind == "map":
        entries = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result, index = {}, 1
        while flat.has(f"{entries}.{index}"):
            key = flat.pairs.get(f"{entries}.{index}.{key_name}")
            if flat.has(f"{entries}.{index}.{value_name}"):
                result[key] = decode_query(shape.value, f"{entries}.{index}.{value_name}", flat, protocol)
            index += 1
        return result
    return _scalar(shape, flat.pairs.get(prefix, ""))


def decode_json(shape, value):
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        result = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                result[name] = decode_json(member, value[key])
        return result
    if kind == "list" and isinstance(value, list):
        return [decode_json(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: decode_json(shape.value, item) for key, item in value.items()}
    return value


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def decode_xml(shape, element):
    kind = shape.type_name
    if kind == "structure":
        result = {}
        children = list(element)
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if member.type_name == "list" and member.serialization.get("flattened"):
                item_name = member.member.serialization.get("name", key)
                matches = [child for child in children if _local(child.tag) == item_name]
                if matches:
                    result[name] = [decode_xml(member.member, child) for child in matches]
                continue
            for child in children:
                if _local(child.tag) == key:
                    result[name] = decode_xml(member, child)
                    break
        return result
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        return [decode_xml(shape.member, child) for child in element if _local(child.tag) == item_name]
    if kind == "map":
        result = {}
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        for entry in element:
            parts = {_local(child.tag): child for child in entry}
            if key_name in parts:
                result[parts[key_name].text or ""] = decode_xml(shape.value, parts[value_name]) if value_name in parts else None
        return result
    return _scalar(shape, element.text or "")


# --- REST operations: which operation a method and path are -------------------------------------

_rest_routes = {}


def _routes(service_model):
    if service_model.service_name not in _rest_routes:
        routes = []
        for name in service_model.operation_names:
            operation = service_model.operation_model(name)
            uri = operation.http.get("requestUri", "/")
            path, _, query = uri.partition("?")
            required = {}
            operation_id = None
            for part in filter(None, query.split("&")):
                key, _, value = part.partition("=")
                if key == "x-id":
                    operation_id = value
                else:
                    required[key] = value
            # Members the request must carry outside the path: a CopyObject needs its
            # x-amz-copy-source header, an AbortMultipartUpload its uploadId.
            needed = []
            shape = operation.input_shape
            for member_name in (shape.required_members if shape is not None else []):
                member = shape.members[member_name]
                location = member.serialization.get("location")
                if location in ("header", "querystring"):
                    needed.append((location, member.serialization.get("name", member_name)))
            segments = [segment for segment in path.split("/") if segment != ""]
            routes.append((operation.http.get("method", "POST"), segments, required, operation_id, needed, name))
        _rest_routes[service_model.service_name] = routes
    return _rest_routes[service_model.service_name]


def _match_path(template, segments):
    """Labels of a path template matched against the request's segments, or None."""
    labels = {}
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            if index >= len(segments):
                return None
            labels[part[1:-2]] = "/".join(segments[index:])
            return labels
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not segments[index]:
                return None
            labels[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return labels if len(template) == len(segments) else None


def resolve_rest(service_model, request):
    """(operation name, labels) of a REST request, the most specific route that matches."""
    segments = [segment for segment in request.path_segments() if segment != ""]
    if request.path.endswith("/") and segments and request.service == "s3" and len(segments) == 1:
        segments = segments[:1]
    best = None
    sent_id = (request.query.get("x-id") or [None])[0]
    for method, template, required, operation_id, needed, name in _routes(service_model):
        if method != request.method:
            continue
        labels = _match_path(template, segments)
        if labels is None:
            continue
        if any(key not in request.query or (value and request.query[key][0] != value) for key, value in required.items()):
            continue
        if sent_id and operation_id and sent_id != operation_id:
            continue
        if any((location == "header" and request.header(wire) is None) or (location == "querystring" and wire not in request.query) for location, wire in needed):
            continue
        greedy = sum(1 for part in template if part.endswith("+}"))
        score = (len(required), -greedy, sum(1 for part in template if not part.startswith("{")))
        if best is None or score > best[0]:
            best = (score, name, labels)
    return (best[1], best[2]) if best else (None, {})


def decode_rest(operation, request, labels):
    shape = operation.input_shape
    if shape is None:
        return {}
    params = {}
    payload_name = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                params[name] = labels[wire]
        elif location == "querystring":
            if member.type_name == "map":
                continue
            if wire in request.query:
                values = request.query[wire]
                params[name] = [_scalar(member.member, v) for v in values] if member.type_name == "list" else _scalar(member, values[0])
        elif location == "header":
            value = request.header(wire)
            if value is not None:
                params[name] = _scalar(member, value)
    body = request.body
    if payload_name and body:
        member = shape.members[payload_name]
        if member.type_name == "structure":
            try:
                root = ElementTree.fromstring(body)
            except ElementTree.ParseError:
                return params
            params[payload_name] = decode_xml(member, root)
        elif member.type_name == "string":
            params[payload_name] = body.decode("utf-8", "replace")
    return params


# --- the generic validator ------------------------------------------------------------------------

_pattern_cache = {}


def _java_pattern(pattern):
    """A Python regex for a model pattern. Java's Unicode classes have no Python spelling; they
    are widened (\\p{L} and \\p{N} to \\w, \\p{Z} to \\s), which only ever accepts more."""
    if pattern not in _pattern_cache:
        translated = pattern.replace(r"\p{L}", r"\w").replace(r"\p{N}", r"\w").replace(r"\p{Z}", r"\s")
        try:
            _pattern_cache[pattern] = re.compile(translated)
        except re.error:
            _pattern_cache[pattern] = None
    return _pattern_cache[pattern]


def _camel(name):
    return name[:1].lower() + name[1:]


def _display(value, limit=100):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def validate(shape, value, path, errors, depth=0):
    """Appends (path, value, constraint) for each model constraint the value breaks."""
    if depth > 30:
        return
    kind = shape.type_name
    metadata = shape.metadata
    if kind == "string" and isinstance(value, str):
        if "min" in metadata and len(value) < metadata["min"]:
            errors.append((path, value, f"Member must have length greater than or equal to {metadata['min']}"))
        if "max" in metadata and len(value) > metadata["max"]:
            errors.append((path, value, f"Member must have length less than or equal to {metadata['max']}"))
        pattern = metadata.get("pattern")
        if pattern:
            # AWS matches the whole value (Java's String.matches): ECR refuses "Org/repo" for its
            # lower-case pattern although a part of it matches.
            compiled = _java_pattern(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                errors.append((path, value, f"Member must satisfy regular expression pattern: {pattern}"))
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            errors.append((path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    elif kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        if "min" in metadata and value < metadata["min"]:
            errors.append((path, value, f"Member must have value greater than or equal to {metadata['min']}"))
        if "max" in metadata and value > metadata["max"]:
            errors.append((path, value, f"Member must have value less than or equal to {metadata['max']}"))
    elif kind == "list" and isinstance(value, list):
        if "min" in metadata and len(value) < metadata["min"]:
            errors.append((path, value, f"Member must have length greater than or equal to {metadata['min']}"))
        if "max" in metadata and len(value) > metadata["max"]:
            errors.append((path, value, f"Member must have length less than or equal to {metadata['max']}"))
        for index, item in enumerate(value, 1):
            validate(shape.member, item, f"{path}.{index}.member", errors, depth + 1)
    elif kind == "map" and isinstance(value, dict):
        if "max" in metadata and len(value) > metadata["max"]:
            errors.append((path, value, f"Member must have length less than or equal to {metadata['max']}"))
        for key, item in value.items():
            validate(shape.key, key, f"{path}.key", errors, depth + 1)
            validate(shape.value, item, f"{path}.{key}", errors, depth + 1)
    elif kind == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            if name not in value and shape.members[name].serialization.get("location") not in ("uri", "header", "querystring"):
                errors.append((f"{path}.{_camel(name)}" if path else _camel(name), None, "Member must not be null"))
        for name, item in value.items():
            member = shape.members.get(name)
            if member is not None:
                validate(member, item, f"{path}.{_camel(name)}" if path else _camel(name), errors, depth + 1)


def generic_refusal(service, errors):
    """AWS's answer to model constraint violations, in the service's own wording."""
    code = GENERIC_CODES.get(service, "ValidationError")
    missing = [error for error in errors if error[1] is None]
    if service in MISSING_CODES and missing and len(missing) == len(errors):
        path = missing[0][0]
        return Refusal(MISSING_CODES[service], f"The request must contain the parameter {path[:1].upper() + path[1:]}")
    if service == "ec2":
        path, value, constraint = errors[0]
        return Refusal(code, f"Value ({_display(value)}) for parameter {path} is invalid. {constraint}")
    if service == "ecr":
        path, value, constraint = errors[0]
        return Refusal(code, f"Invalid parameter at '{path}' failed to satisfy constraint: '{constraint[len('Member '):] if constraint.startswith('Member ') else constraint}'")
    described = "; ".join(
        f"Value {'null' if value is None else repr(_display(value)).replace(chr(34), chr(39))} at '{path}' failed to satisfy constraint: {constraint}"
        for path, value, constraint in errors[:10]
    )
    count = len(errors)
    return Refusal(code, f"{count} validation error{'s' if count != 1 else ''} detected: {described}")


# --- the layer ------------------------------------------------------------------------------------

_refusals = []
# Rules that failed with an exception (a bug of the emulator's): listed at /wl-api/refusals.
rule_errors = []
_refusals_lock = threading.Lock()
refusal_counts = Counter()


def decode(request):
    """(operation name, params decoded onto its input shape), or (None, None) when unknown."""
    service_model = model(request.service)
    if service_model is None:
        return None, None
    if request.protocol == "rest-xml":
        operation_name, labels = resolve_rest(service_model, request)
        if operation_name is None:
            return None, None
        operation = service_model.operation_model(operation_name)
        return operation_name, decode_rest(operation, request, labels)
    operation_name = request.action
    if operation_name not in service_model.operation_names:
        return None, None
    if request.protocol in ("query", "ec2"):
        version = request.params.get("Version")
        if version and version != service_model.api_version:
            # Another API version under the same signing name (classic ELB): not this model.
            return None, None
    operation = service_model.operation_model(operation_name)
    shape = operation.input_shape
    if shape is None:
        return operation_name, {}
    if request.protocol == "json":
        return operation_name, decode_json(shape, request.params)
    protocol = "ec2" if request.protocol == "ec2" else "query"
    return operation_name, decode_query(shape, "", _Flat(request.params), protocol)


# WL_EMULATOR_RECORD=<file> appends every decoded request to <file> as a JSON line (service,
# operation, parameters), to see what a client really sends.
RECORD = os.environ.get("WL_EMULATOR_RECORD")
_record_lock = threading.Lock()


def _record(request, operation_name, params):
    line = json.dumps({"service": request.service, "operation": operation_name, "access_key": request.access_key, "params": params}, default=str)
    with _record_lock, open(RECORD, "a") as output:
        output.write(line + "\n")


def check(request):
    """The Refusal AWS would answer `request` with, or None."""
    operation_name, params = decode(request)
    if RECORD:
        _record(request, operation_name or request.action, params)
    if operation_name is None:
        return None, None
    call = Call(request, operation_name, params)
    for registered in RULES:
        if registered.kind != "state" or not registered.applies(request.service, operation_name):
            continue
        try:
            registered.function(call)
        except Refusal as refusal:
            return refusal, registered.name
    if not STRICT:
        return None, None
    shape = model(request.service).operation_model(operation_name).input_shape
    # A body too large to inspect (an object upload) is moto's alone to read.
    if shape is not None and request.body is not None:
        errors = []
        validate(shape, params, "", errors)
        if errors:
            return generic_refusal(request.service, errors), "generic"
    for registered in RULES:
        if registered.kind == "state" or not registered.applies(request.service, operation_name):
            continue
        try:
            registered.function(call)
        except Refusal as refusal:
            return refusal, registered.name
    return None, None


def layer(request, start_response):
    try:
        refusal, name = check(request)
    except Exception as error:  # a bug in a rule must not take the emulator down: let moto answer
        sys.stderr.write(f"wl_emulator.strict: rule error on {request.service}:{request.action}: {error!r}\n")
        with _refusals_lock:
            rule_errors.append({"service": request.service, "action": request.action, "error": repr(error)})
            del rule_errors[:-100]
        return None
    if refusal is None:
        return None
    entry = {
        "service": request.service,
        "action": request.action,
        "access_key": request.access_key,
        "rule": name,
        "code": refusal.code,
        "message": refusal.message,
        "logged_only": LOG_ONLY and not any(r.name == name and r.kind == "state" for r in RULES),
    }
    with _refusals_lock:
        _refusals.append(entry)
        del _refusals[:-500]
        refusal_counts[name] += 1
    if LOG_ONLY and not any(r.name == name and r.kind == "state" for r in RULES):
        sys.stderr.write(f"wl_emulator.strict (log only): would refuse {request.service}:{request.action} [{name}] {refusal.code}: {refusal.message}\n")
        return None
    return control.error_response(start_response, request, refusal.code, refusal.message, refusal.status, refusal.sender)


def refusals():
    with _refusals_lock:
        return list(_refusals)


control.request_layers.append(layer)
control.extra_routes["/wl-api/refusals"] = lambda: {"mode": MODE, "refusals": refusals(), "rules": counts_by_service(), "rule_errors": list(rule_errors)}
control.reset_hooks.append(lambda: _refusals.clear())
