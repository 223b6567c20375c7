"""CloudWatch: the rules of PutMetricAlarm that moto 5.2 does not enforce (the model carries the
name, description and dimension lengths and the dimension count; the generic validator answers
those)."""
from .strict import Refusal, rule


@rule("monitoring", "PutMetricAlarm")
def alarm_name_description_and_dimensions(call):
    """AlarmName "must contain only UTF-8 characters, and can't contain ASCII control characters";
    a dimension Name "must contain only ASCII characters, must include at least one non-whitespace
    character, and cannot start with a colon (:). ASCII control characters are not supported", a
    dimension Value the same but the colon (botocore cloudwatch PutMetricAlarm, Dimension;
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)."""
    name = call.get("AlarmName", default="")
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        raise Refusal("ValidationError", "The alarm name must contain only UTF-8 characters, and can't contain ASCII control characters.")
    for dimension in call.get("Dimensions", default=[]) or []:
        for field in ("Name", "Value"):
            text = str(dimension.get(field, ""))
            if not text.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in text) or not text.strip():
                raise Refusal("InvalidParameterValue", f"The dimension {field.lower()} '{text}' must contain only ASCII characters, at least one of them not whitespace, and no control characters.")
        if str(dimension.get("Name", "")).startswith(":"):
            raise Refusal("InvalidParameterValue", f"The dimension name '{dimension.get('Name')}' cannot start with a colon.")
    names = [dimension.get("Name") for dimension in call.get("Dimensions", default=[]) or []]
    if len(names) != len(set(names)):
        raise Refusal("InvalidParameterValue", "The collection Dimensions must not contain duplicate dimension names.")


@rule("monitoring", "PutMetricAlarm")
def alarm_period_and_evaluation(call):
    """Period: "Valid values are 10, 20, 30, and any multiple of 60."; "Period multiplied by
    EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of less than one
    hour (3,600 seconds), the total evaluation period can't be longer than one day (86,400
    seconds)." DatapointsToAlarm is at most EvaluationPeriods (botocore cloudwatch PutMetricAlarm)."""
    period = call.get("Period")
    if period is not None:
        period = int(period)
        if period not in (10, 20, 30) and (period <= 0 or period % 60):
            raise Refusal("InvalidParameterValue", f"The parameter Period must be 10, 20, 30 or a multiple of 60; {period} is not.")
        periods = int(call.get("EvaluationPeriods") or 1)
        if period * periods > 604800 or (period < 3600 and period * periods > 86400):
            raise Refusal("InvalidParameterCombination", "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400) for periods below an hour, nor across more than 7 days.")
    points = call.get("DatapointsToAlarm")
    if points is not None and call.get("EvaluationPeriods") is not None and int(points) > int(call.get("EvaluationPeriods")):
        raise Refusal("ValidationError", "DatapointsToAlarm must be less than or equal to EvaluationPeriods")


@rule("monitoring", "PutMetricAlarm", "TagResource")
def alarm_tags(call):
    """Tags: keys 1 to 128 characters, values up to 256, at most 50 per resource, keys not starting
    with aws: (botocore cloudwatch Tag; https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_TagResource.html)."""
    from .strict import check_tags

    check_tags(call.get("Tags"), "InvalidParameterValue", key_max=128, value_max=256, count_max=50, reserved=("aws:",))


# --- Dashboards -----------------------------------------------------------------------------------
#
# "All dashboards in your account are global, not region-specific" (API_PutDashboard): moto keeps
# them per region; here every region of an account shares one set. moto's TagResource knows alarms
# only, while "the only CloudWatch resources that can be tagged are alarms, dashboards, metric
# streams and Contributor Insights rules" (API_TagResource): a dashboard's tags are kept here, by
# ARN, and go with the dashboard.

import json  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402

from moto.cloudwatch.exceptions import ResourceNotFoundException  # noqa: E402
from moto.cloudwatch.models import CloudWatchBackend  # noqa: E402

from . import control  # noqa: E402

_lock = threading.Lock()
_dashboards = {}  # account -> {name: Dashboard}
_dashboard_tags = {}  # account -> {arn: {key: value}}


def _forget():
    with _lock:
        for dashboards in _dashboards.values():
            dashboards.clear()
        _dashboard_tags.clear()


control.reset_hooks.append(_forget)

_original_init = CloudWatchBackend.__init__


def _init(self, region_name, account_id):
    _original_init(self, region_name, account_id)
    with _lock:
        self.dashboards = _dashboards.setdefault(account_id, {})


def _is_dashboard(arn):
    return ":dashboard/" in (arn or "")


def _dashboard_exists(backend, arn):
    return any(dashboard.arn == arn for dashboard in backend.dashboards.values())


_original_tag = CloudWatchBackend.tag_resource
_original_untag = CloudWatchBackend.untag_resource
_original_list_tags = CloudWatchBackend.list_tags_for_resource
_original_delete_dashboards = CloudWatchBackend.delete_dashboards


def _tag_resource(self, arn, tags):
    if not _is_dashboard(arn):
        return _original_tag(self, arn, tags)
    if not _dashboard_exists(self, arn):
        raise ResourceNotFoundException
    with _lock:
        _dashboard_tags.setdefault(self.account_id, {}).setdefault(arn, {}).update(tags)


def _untag_resource(self, arn, tag_keys):
    if not _is_dashboard(arn):
        return _original_untag(self, arn, tag_keys)
    if not _dashboard_exists(self, arn):
        raise ResourceNotFoundException
    with _lock:
        kept = _dashboard_tags.setdefault(self.account_id, {}).setdefault(arn, {})
        for key in tag_keys:
            kept.pop(key, None)


def _list_tags_for_resource(self, arn):
    if not _is_dashboard(arn):
        return _original_list_tags(self, arn)
    if not _dashboard_exists(self, arn):
        raise ResourceNotFoundException
    with _lock:
        return dict(_dashboard_tags.get(self.account_id, {}).get(arn, {}))


def _delete_dashboards(self, dashboards):
    arns = [self.dashboards[name].arn for name in dashboards if name in self.dashboards]
    error = _original_delete_dashboards(self, dashboards)
    if error is None:
        with _lock:
            for arn in arns:
                _dashboard_tags.get(self.account_id, {}).pop(arn, None)
    return error


CloudWatchBackend.__init__ = _init
CloudWatchBackend.tag_resource = _tag_resource
CloudWatchBackend.untag_resource = _untag_resource
CloudWatchBackend.list_tags_for_resource = _list_tags_for_resource
CloudWatchBackend.delete_dashboards = _delete_dashboards

_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")


@rule("monitoring", "PutDashboard")
def dashboard_name_and_body(call):
    """DashboardName: "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and
    "_"" (botocore cloudwatch PutDashboard). DashboardBody (Dashboard Body Structure and Syntax): a
    JSON object whose `widgets` array (required) holds 0 to 500 widgets; each has a `type`, `x`
    0–23, `y` 0 or more, `width` 1–24, `height` 1–1000 and a `properties` object; a metric widget's
    properties carry `metrics` and `region`, a log widget's `query` and `region`. AWS answers
    DashboardInvalidInputError (InvalidParameterInput) "The dashboard body is invalid, there are N
    validation errors: ..." with each message's data path."""
    name = call.get("DashboardName", default="") or ""
    if not _DASHBOARD_NAME.fullmatch(name):
        raise Refusal("InvalidParameterInput", "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).")
    try:
        body = json.loads(call.get("DashboardBody", default="") or "")
    except ValueError:
        raise Refusal("InvalidParameterInput", "The field DashboardBody must be a valid JSON object")
    problems = []
    widgets = body.get("widgets") if isinstance(body, dict) else None
    if not isinstance(widgets, list):
        problems.append(("", "Should have required property 'widgets'"))
        widgets = []
    elif len(widgets) > 500:
        problems.append(("/widgets", "Should NOT have more than 500 items"))
    for index, widget in enumerate(widgets):
        path = f"/widgets/{index}"
        if not isinstance(widget, dict):
            problems.append((path, "Should be object"))
            continue
        if widget.get("type") not in _WIDGET_TYPES:
            problems.append((f"{path}/type", "Should be equal to one of the allowed values"))
        for field, low, high in (("x", 0, 23), ("y", 0, None), ("width", 1, 24), ("height", 1, 1000)):
            value = widget.get(field)
            if value is None:
                continue
            if not isinstance(value, int) or value < low or (high is not None and value > high):
                problems.append((f"{path}/{field}", f"Should be an integer from {low}" + (f" to {high}" if high is not None else " up")))
        properties = widget.get("properties")
        if not isinstance(properties, dict):
            problems.append((path, "Should have required property 'properties'"))
            continue
        needed = {"metric": ("metrics", "region"), "log": ("query", "region")}.get(widget.get("type"), ())
        for field in needed:
            if field not in properties:
                problems.append((f"{path}/properties", f"Should have required property '{field}'"))
    if problems:
        listed = ", ".join(f'{{"dataPath": "{path}", "message": "{message}"}}' for path, message in problems)
        raise Refusal("InvalidParameterInput", f"The dashboard body is invalid, there are {len(problems)} validation errors: [{listed}]")


# --- DescribeAlarms -------------------------------------------------------------------------------
#
# AWS applies DescribeAlarms' filters together (AlarmNamePrefix and StateValue: the stack's alarms
# in ALARM); moto uses the first one given and ignores the rest. A new alarm starts in
# INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") until its first evaluation; moto says OK.

from moto.cloudwatch.models import Alarm  # noqa: E402
from moto.cloudwatch.responses import CloudWatchResponse  # noqa: E402

_original_alarm_init = Alarm.__init__


def _alarm_init(self, *args, **kwargs):
    _original_alarm_init(self, *args, **kwargs)
    self.state_value = "INSUFFICIENT_DATA"


_original_describe_alarms = CloudWatchResponse.describe_alarms


def _describe_alarms(self):
    answer = _original_describe_alarms(self)
    state_value = self._get_param("StateValue")
    if state_value and (self._get_param("AlarmNamePrefix") or self._get_param("AlarmNames") or self._get_param("ActionPrefix")):
        answer.result["MetricAlarms"] = [a for a in answer.result["MetricAlarms"] if a.state_value == state_value]
        answer.result["CompositeAlarms"] = [a for a in answer.result["CompositeAlarms"] if a.state_value == state_value]
    return answer


Alarm.__init__ = _alarm_init
CloudWatchResponse.describe_alarms = _describe_alarms
