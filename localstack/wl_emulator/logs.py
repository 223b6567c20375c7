"""CloudWatch Logs: the rules moto 5.2 does not enforce (the model carries the log group name's
pattern and length; the generic validator answers those)."""
from .strict import Refusal, check_tags, rule

# PutRetentionPolicy retentionInDays: "Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150,
# 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653." (botocore logs
# PutRetentionPolicy; https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]


@rule("logs", "PutRetentionPolicy", "CreateLogGroup")
def retention_in_days(call):
    """retentionInDays must be one of the values CloudWatch Logs offers (see RETENTION_DAYS); the
    answer is the Coral one, "Member must satisfy enum value set"."""
    days = call.get("retentionInDays")
    if days is not None and int(days) not in RETENTION_DAYS:
        raise Refusal(
            "InvalidParameterException",
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(str(d) for d in RETENTION_DAYS)}]",
        )


@rule("logs", "CreateLogGroup", "TagResource", "TagLogGroup")
def log_group_tags(call):
    """Tags: at most 50, keys 1 to 128 characters, values up to 256, keys not starting with aws:
    (botocore logs CreateLogGroup.tags; https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TagResource.html)."""
    tags = call.get("tags") or {}
    check_tags([{"Key": k, "Value": v} for k, v in tags.items()], "InvalidParameterException", key_max=128, value_max=256, count_max=50, reserved=("aws:",))
