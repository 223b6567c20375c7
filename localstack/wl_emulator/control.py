"""The request log, fault injection, the /wl-api/ control routes, and the dispatcher that puts
them (and the strict request layer) in front of moto.

GET  /wl-api/requests          counts of requests per "service:Action" since the last mark
POST /wl-api/requests/mark     starts counting afresh
POST /wl-api/pending           {"access_key": "K", "seconds": {"rds": 15}, "hold": ["nat"]}: what K creates
                               stays pending that long, or (hold) until released
POST /wl-api/pending/release   {"access_key": "K", "kinds": ["nat"]}: held creates go on to available
GET  /wl-api/pending           {"held": [{"kind", "id", "access_key"}]}
POST /wl-api/faults            {"rate": 0.2, "access_key": "FAULTY", "kinds": ["throttle", "500", "503", "lost", "drop", "drop-after"],
                                "services": ["ec2"], "actions": ["CreateVpc"], "seed": 7, "limit": 1}
                               a fraction of matching requests is answered with an error in the
                               service's own shape ("lost" carries the request out, then answers
                               503), at most "limit" times (or "limit_per_action" times per action) when given;
                               {"rate": 0} turns that key's faults off. Settings are kept per
                               access key ("*" without one), so concurrent tests do not interfere.
WL_FAULT_RATE / WL_FAULT_ACCESS_KEY / WL_FAULT_KINDS / WL_FAULT_SERVICES / WL_FAULT_SEED set the
same at start.
"""
import io
import json
import os
import random
import socket
import sys
import threading
import uuid
from collections import Counter
from urllib.parse import parse_qs, unquote

import moto.server

from . import profiles

_lock = threading.Lock()
_counts = Counter()


def _split(value):
    return [item for item in (value or "").split(",") if item]


# Fault settings by access key ("*" for every key), so tests that inject faults concurrently,
# each with its own key, do not change each other's settings.
_faults = {}
if float(os.environ.get("WL_FAULT_RATE", "0") or 0) > 0:
    _faults[os.environ.get("WL_FAULT_ACCESS_KEY") or "*"] = {
        "rate": float(os.environ["WL_FAULT_RATE"]),
        "kinds": _split(os.environ.get("WL_FAULT_KINDS")) or ["throttle"],
        "services": _split(os.environ.get("WL_FAULT_SERVICES")),
        "actions": [],
        "per_action": Counter(),
    }
_random = random.Random(int(os.environ.get("WL_FAULT_SEED", "1")))
_fault_counts = Counter()

QUERY_THROTTLE = {"ec2": ("RequestLimitExceeded", 503)}

# Bodies larger than this are not read by the emulator's own layers (object uploads); moto reads them.
MAX_INSPECTED_BODY = 1 << 20


class Request:
    """One signed AWS request as the emulator's layers see it: which service and action, who
    signed it, its protocol, and its parameters in the wire form (query pairs, JSON or XML)."""

    def __init__(self, environ):
        self.environ = environ
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/") if "Credential=" in authorization else []
        self.access_key = scope[0] if scope else ""
        self.region = scope[2] if len(scope) > 2 else "us-east-1"
        self.service = scope[3] if len(scope) > 3 else "unknown"
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = environ.get("PATH_INFO", "")
        self.query_string = environ.get("QUERY_STRING", "")
        self.query = parse_qs(self.query_string, keep_blank_values=True)
        self.content_type = environ.get("CONTENT_TYPE", "")
        self.body = self._read_body()
        target = environ.get("HTTP_X_AMZ_TARGET")
        self.params = {}
        if target:
            self.protocol = "json"
            self.action = target.rsplit(".", 1)[-1]
            try:
                self.params = json.loads(self.body or b"{}")
            except ValueError:
                self.params = {}
        elif self.service in ("s3", "cloudfront"):
            self.protocol = "rest-xml"
            # The log names S3 requests by method and sub-resource; the strict layer resolves the
            # operation itself from the service model.
            self.action = f"{self.method} {self.query_string.split('=')[0] or 'object'}" if self.service == "s3" else "unknown"
        else:
            self.protocol = "ec2" if self.service == "ec2" else "query"
            pairs = dict((key, values[0]) for key, values in self.query.items())
            if "x-www-form-urlencoded" in self.content_type and self.body is not None:
                pairs.update((key, values[0]) for key, values in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items())
            self.params = pairs
            self.action = pairs.get("Action") or "unknown"
        # What the log and the fault settings match on ("s3" for the S3 shape of answers).
        self.log_protocol = {"rest-xml": "s3" if self.service == "s3" else "query", "ec2": "query"}.get(self.protocol, self.protocol)

    def _read_body(self):
        """Reads a body of known, modest length and puts it back for moto."""
        length = int(self.environ.get("CONTENT_LENGTH") or 0)
        if not length or length > MAX_INSPECTED_BODY:
            return b"" if not length else None
        body = self.environ["wsgi.input"].read(length)
        self.environ["wsgi.input"] = io.BytesIO(body)
        return body

    def header(self, name):
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))

    def path_segments(self):
        return [unquote(segment) for segment in self.path.split("/")[1:]]


def error_response(start_response, request, code, message, status=400, sender="Sender"):
    """An error answer in the protocol's own shape, with AWS's code and HTTP status, as the AWS
    SDKs parse it: EC2 `<Response><Errors><Error>`, query `<ErrorResponse><Error><Type>`, JSON
    `{"__type", "message"}` with x-amzn-ErrorType, S3 `<Error>`, CloudFront `<ErrorResponse>`."""
    request_id = str(uuid.uuid4())
    reason = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 412: "Precondition Failed",
              500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    message = _xml_escape(message) if request.protocol != "json" else message
    if request.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
        if request.service == "monitoring":
            # CloudWatch's JSON protocol is query-compatible: the SDKs read the query code here.
            headers.append(("x-amzn-query-error", f"{code};{sender}"))
    elif request.service == "s3":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>".encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    elif request.protocol == "ec2":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>".encode()
        headers = [("Content-Type", "text/xml")]
    else:
        namespace = ' xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"' if request.service == "cloudfront" else ""
        body = f"<?xml version='1.0' encoding='UTF-8'?><ErrorResponse{namespace}><Error><Type>{sender}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>".encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    start_response(f"{status} {reason}", headers + [("Content-Length", str(len(body)))])
    return [body]


def _xml_escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fault_response(kind, service, protocol, start_response):
    request_id = str(uuid.uuid4())
    if kind in ("500", "503"):
        status = "500 Internal Server Error" if kind == "500" else "503 Service Unavailable"
        code, message = ("InternalError", "We encountered an internal error.") if kind == "500" else ("ServiceUnavailable", "Service is unavailable.")
    elif protocol == "s3":
        status, code, message = "503 Slow Down", "SlowDown", "Please reduce your request rate."
    elif service in QUERY_THROTTLE:
        status, code, message = "503 Service Unavailable", QUERY_THROTTLE[service][0], "Request limit exceeded."
    elif protocol == "json":
        status, code, message = "400 Bad Request", "ThrottlingException", "Rate exceeded"
    else:
        status, code, message = "400 Bad Request", "Throttling", "Rate exceeded"
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
    elif protocol == "s3":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>".encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    elif service == "ec2":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>".encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>".encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def _drop_connection(environ, start_response):
    """Shuts the client's connection down mid-request, as a network failure or a killed proxy would."""
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    # Werkzeug's write to the shut socket fails with a broken pipe, which it ignores quietly.
    start_response("503 Service Unavailable", [("Content-Length", "0")])
    return [b""]


def _json(start_response, document, status="200 OK"):
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


# Further GET routes under /wl-api/ (path -> function answering a JSON document).
extra_routes = {}
# Further POST routes under /wl-api/ (path -> function of the request's JSON document).
extra_post_routes = {}

# Functions run before every AWS request (they settle what time has decided: held network
# interfaces released, deletions finished). A hook's error is logged, never answered.
before_hooks = []

# Layers that may answer a request before moto does (the strict request layer): each takes the
# Request and start_response and returns a WSGI body, or None to let the request through.
request_layers = []


class WlDispatcher(moto.server.DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/wl-api/"):
            return self._control(path, environ, start_response)
        if "HTTP_AUTHORIZATION" not in environ:
            return super().__call__(environ, start_response)
        request = Request(environ)
        service, action, access_key = request.service, request.action, request.access_key
        profiles.set_request_key(access_key)
        with _lock:
            _counts[f"{service}:{action}"] += 1
            faults = _faults.get(access_key) or _faults.get("*")
            inject = (
                faults is not None
                and (not faults["services"] or service in faults["services"])
                and (not faults["actions"] or action in faults["actions"])
                and faults.get("limit", None) != 0
                and (faults.get("limit_per_action") is None or faults["per_action"][action] < faults["limit_per_action"])
                and _random.random() < faults["rate"]
            )
            kind = _random.choice(faults["kinds"]) if inject else None
            if inject:
                _fault_counts[f"{service}:{action}"] += 1
                if faults.get("limit") is not None:
                    faults["limit"] -= 1
                faults["per_action"][action] += 1
        if inject and kind in ("drop", "drop-after"):
            # The connection breaks without an answer, before the request is carried out or after.
            if kind == "drop-after":
                for _ in self._carry_out(request, lambda *args, **kwargs: None):
                    pass
            return _drop_connection(environ, start_response)
        if inject and kind == "lost":
            # The request is carried out, then its answer is lost: the caller sees a 503 and must
            # not create the resource twice when it tries again.
            for _ in self._carry_out(request, lambda *args, **kwargs: None):
                pass
            return _fault_response("503", service, request.log_protocol, start_response)
        if inject:
            return _fault_response(kind, service, request.log_protocol, start_response)
        return self._carry_out(request, start_response)

    def _carry_out(self, request, start_response):
        """The emulator's own layers, then moto."""
        for hook in before_hooks:
            try:
                hook()
            except Exception as error:  # noqa: BLE001 - a settling bug must not take the emulator down
                sys.stderr.write(f"wl_emulator: {hook.__module__}.{hook.__name__} failed: {error!r}\n")
        for layer in request_layers:
            answer = layer(request, start_response)
            if answer is not None:
                return answer
        return super().__call__(request.environ, start_response)

    def _control(self, path, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if path == "/wl-api/requests" and method == "GET":
            with _lock:
                return _json(start_response, {"total": sum(_counts.values()), "counts": dict(_counts), "faults": dict(_fault_counts)})
        if path == "/wl-api/requests/mark" and method == "POST":
            with _lock:
                _counts.clear()
                _fault_counts.clear()
            return _json(start_response, {"marked": True})
        if path == "/wl-api/faults" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            key = document.get("access_key") or "*"
            with _lock:
                if float(document.get("rate", 0)) > 0:
                    _faults[key] = {
                        "rate": float(document["rate"]),
                        "kinds": document.get("kinds") or ["throttle"],
                        "services": document.get("services") or [],
                        "actions": document.get("actions") or [],
                        # At most this many faults for the key, then none (None: no limit).
                        "limit": document.get("limit"),
                        # At most this many faults per action for the key (None: no limit).
                        "limit_per_action": document.get("limit_per_action"),
                        "per_action": Counter(),
                    }
                else:
                    _faults.pop(key, None)
                if "seed" in document:
                    _random.seed(document["seed"])
                shown = {key: {name: value for name, value in settings.items() if name != "per_action"} for key, settings in _faults.items()}
                return _json(start_response, {"faults": shown})
        if path == "/wl-api/pending" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            key = document.get("access_key") or "*"
            if "seconds" in document:
                profiles.set_pending_seconds(key, document.get("seconds") or {})
            if "hold" in document:
                profiles.set_holds(key, document.get("hold") or [])
            return _json(start_response, {"pending": document.get("seconds") or {}, "hold": document.get("hold") or []})
        if path == "/wl-api/pending/release" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            released = profiles.release(document.get("access_key") or "*", document.get("kinds") or [])
            return _json(start_response, {"released": released})
        if path == "/wl-api/pending" and method == "GET":
            return _json(start_response, {"held": profiles.held()})
        if path == "/wl-api/denied" and method == "POST":
            # {"access_key": "K", "actions": ["s3:TagResource"]}: IAM actions that key's principal
            # is not allowed (rules that know an operation needs them answer AccessDenied).
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            key = document.get("access_key") or "*"
            with _lock:
                if document.get("actions"):
                    denied[key] = set(document["actions"])
                else:
                    denied.pop(key, None)
            return _json(start_response, {"denied": sorted(denied.get(key, ()))})
        if method == "GET" and path in extra_routes:
            return _json(start_response, extra_routes[path]())
        if method == "POST" and path in extra_post_routes:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = json.loads(environ["wsgi.input"].read(length) or b"{}")
            return _json(start_response, extra_post_routes[path](document))
        return _json(start_response, {"error": f"no such control route: {method} {path}"}, "404 Not Found")


moto.server.DomainDispatcherApplication = WlDispatcher

# State the emulator's own layers keep (client tokens, pending states, held network interfaces):
# each module registers a function that forgets it, run when moto forgets its resources
# (POST /moto-api/reset, localstack/reset).
reset_hooks = []

# IAM actions denied to an access key's principal (POST /wl-api/denied).
denied = {}
reset_hooks.append(denied.clear)

from moto.moto_api._internal.models import MotoAPIBackend  # noqa: E402

_original_reset = MotoAPIBackend.reset


def _reset(self):
    _original_reset(self)
    for hook in reset_hooks:
        hook()


MotoAPIBackend.reset = _reset
