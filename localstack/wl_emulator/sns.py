"""SNS: e-mail subscriptions that wait for their recipient's confirmation, and the rules of
CreateTopic and Subscribe AWS enforces that moto 5.2 does not.

moto confirms every subscription at once. AWS does not: "If the endpoint type is HTTP/S or email
... the endpoint owner must run the ConfirmSubscription action" (API_Subscribe); until then
ListSubscriptionsByTopic and ListSubscriptions answer `PendingConfirmation` in place of the
subscription's ARN, and a Subscribe of the same address sends the confirmation e-mail again. Here
an e-mail subscription stays pending until a test confirms it:

POST /wl-api/sns/confirm        {"endpoint": "ops@example.com"}: its pending subscriptions are confirmed
GET  /wl-api/sns/confirmations  {"sent": {"ops@example.com": 2}}: confirmation e-mails sent per address
"""
import re
import threading
from collections import Counter

from moto.sns.models import SNSBackend

from . import control
from .strict import Refusal, check_tags, rule

_lock = threading.Lock()
_sent = Counter()
control.reset_hooks.append(_sent.clear)

_EMAIL_PROTOCOLS = ("email", "email-json")
_original_subscribe = SNSBackend.subscribe


def _subscribe(self, topic_arn, endpoint, protocol):
    existing = self._find_subscription(topic_arn, endpoint, protocol)
    subscription = _original_subscribe(self, topic_arn, endpoint, protocol)
    if protocol in _EMAIL_PROTOCOLS:
        if existing is None:
            subscription.confirmed = False
            subscription.attributes["PendingConfirmation"] = "true"
            subscription.attributes["ConfirmationWasAuthenticated"] = "false"
        if not subscription.confirmed:
            # A new subscription, or one still pending: AWS sends the e-mail (again).
            with _lock:
                _sent[endpoint] += 1
    return subscription


def _shown(subscription):
    """A subscription as the listings answer it: a pending one without its ARN."""
    pending = subscription.protocol in _EMAIL_PROTOCOLS and not subscription.confirmed
    return {
        "SubscriptionArn": "PendingConfirmation" if pending else subscription.arn,
        "Owner": subscription.owner,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": subscription.topic.arn,
    }


_original_by_topic = SNSBackend.list_subscriptions_by_topic
_original_list = SNSBackend.list_subscriptions


def _list_subscriptions_by_topic(self, topic_arn, next_token=None):
    subscriptions, token = _original_by_topic(self, topic_arn, next_token=next_token)
    return [_shown(subscription) for subscription in subscriptions], token


def _list_subscriptions(self, next_token=None):
    subscriptions, token = _original_list(self, next_token=next_token)
    return [_shown(subscription) for subscription in subscriptions], token


SNSBackend.subscribe = _subscribe
SNSBackend.list_subscriptions_by_topic = _list_subscriptions_by_topic
SNSBackend.list_subscriptions = _list_subscriptions


def _confirm(document):
    from moto.sns.models import sns_backends

    endpoint = document.get("endpoint", "")
    confirmed = 0
    for account in list(sns_backends.keys()):
        for region in list(sns_backends[account].keys()):
            for subscription in sns_backends[account][region].subscriptions.values():
                if subscription.endpoint == endpoint and not subscription.confirmed:
                    subscription.confirmed = True
                    subscription.attributes["PendingConfirmation"] = "false"
                    confirmed += 1
    return {"confirmed": confirmed}


def _confirmations():
    with _lock:
        return {"sent": dict(_sent)}


control.extra_post_routes["/wl-api/sns/confirm"] = _confirm
control.extra_routes["/wl-api/sns/confirmations"] = _confirmations

# --- Request rules (strict layer) ---------------------------------------------------------------

_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@rule("sns", "CreateTopic")
def topic_name_and_tags(call):
    """Name: "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers,
    underscores, and hyphens, and must be between 1 and 256 characters long"; a FIFO topic's ends in
    .fifo (botocore sns CreateTopic). Tags: keys 1 to 128 characters, values up to 256, at most 50
    (API_Tag, "Amazon SNS tags")."""
    name = call.get("Name", default="")
    fifo = str((call.get("Attributes", default={}) or {}).get("FifoTopic", "")).lower() == "true"
    body = name[: -len(".fifo")] if fifo and name.endswith(".fifo") else name
    if not _TOPIC_NAME.fullmatch(body) or len(name) > 256:
        raise Refusal("InvalidParameter", "Invalid parameter: Topic Name")
    check_tags(call.get("Tags"), "InvalidParameter", key_max=128, value_max=256, count_max=50, reserved=("aws:",))


@rule("sns", "CreateTopic", kind="state")
def topic_exists_with_other_tags(call):
    """CreateTopic of a name that exists answers its ARN only when the request's tags match; other
    tags are refused with InvalidParameter "Topic already exists with different tags" (the answer
    AWS gives, as localstack/localstack#3928 quotes it)."""
    tags = call.get("Tags")
    if tags is None:
        return
    backend = call.backend("sns")
    for topic in backend.topics.values():
        if topic.name == call.get("Name", default=""):
            asked = {tag.get("Key"): tag.get("Value") for tag in tags}
            if asked != dict(getattr(topic, "_tags", {}) or {}):
                raise Refusal("InvalidParameter", "Topic already exists with different tags")


@rule("sns", "Subscribe")
def subscribe_protocol_and_endpoint(call):
    """Protocol is one of http, https, email, email-json, sms, sqs, application, lambda, firehose;
    "For the email protocol, the endpoint is an email address" (botocore sns Subscribe). AWS answers
    a malformed address with InvalidParameter "Invalid parameter: Email address"."""
    protocol = call.get("Protocol", default="")
    if protocol not in _PROTOCOLS:
        raise Refusal("InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: " + str(protocol))
    if protocol in _EMAIL_PROTOCOLS and not _EMAIL.fullmatch(call.get("Endpoint", default="") or ""):
        raise Refusal("InvalidParameter", "Invalid parameter: Email address")


@rule("sns", "Unsubscribe")
def unsubscribe_needs_an_arn(call):
    """A pending subscription is listed as `PendingConfirmation` (mozilla/frost#428), which is no
    ARN: Unsubscribe of it is refused ("Invalid parameter: SubscriptionArn Reason: pending
    confirmation does not start with arn", hashicorp/terraform#2776)."""
    arn = call.get("SubscriptionArn", default="") or ""
    if not arn.startswith("arn:"):
        raise Refusal("InvalidParameter", f"Invalid parameter: SubscriptionArn Reason: {arn} does not start with arn")
