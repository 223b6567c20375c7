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
