"""SNS: e-mail subscriptions wait for their recipient, and the rules of CreateTopic, Subscribe and
Unsubscribe AWS enforces."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of


def test_an_email_subscription_stays_pending_until_confirmed_and_a_repeat_sends_the_email_again(emulator, aws, name):
    sns = aws("sns")
    topic = sns.create_topic(Name=f"{name}-alerts", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    address = f"{name}@example.com"
    answer = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address, ReturnSubscriptionArn=True)
    assert answer["SubscriptionArn"].startswith(topic + ":")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["SubscriptionArn"], s["Endpoint"]) for s in listed] == [("PendingConfirmation", address)]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    assert emulator.control("GET", "/wl-api/sns/confirmations")["sent"][address] == 2
    with pytest.raises(ClientError) as refused:
        sns.unsubscribe(SubscriptionArn="PendingConfirmation")
    assert error_of(refused)[0] == "InvalidParameter"

    assert emulator.control("POST", "/wl-api/sns/confirm", {"endpoint": address}) == {"confirmed": 1}
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed[0]["SubscriptionArn"] == answer["SubscriptionArn"]
    # Confirmed: a Subscribe of the address answers it and sends nothing.
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    assert emulator.control("GET", "/wl-api/sns/confirmations")["sent"][address] == 2
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == "alias/aws/sns"
    sns.unsubscribe(SubscriptionArn=answer["SubscriptionArn"])
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    sns.delete_topic(TopicArn=topic)


@pytest.mark.parametrize(
    "protocol, endpoint",
    [("email", "not-an-address"), ("email", "ops@example"), ("carrier-pigeon", "ops@example.com")],
)
def test_subscribe_refuses_what_is_no_address_or_protocol(aws, name, protocol, endpoint):
    sns = aws("sns")
    topic = sns.create_topic(Name=f"{name}-alerts")["TopicArn"]
    with pytest.raises(ClientError) as refused:
        sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    assert error_of(refused)[0] == "InvalidParameter"
    sns.delete_topic(TopicArn=topic)


def test_topic_names_and_a_topic_of_the_name_with_other_tags_are_refused(aws, name):
    sns = aws("sns")
    for bad in ["has space", "x" * 257, "dot.ted"]:
        with pytest.raises(ClientError) as refused:
            sns.create_topic(Name=bad)
        assert error_of(refused)[0] == "InvalidParameter", bad
    tags = [{"Key": "wl:stack", "Value": name}]
    first = sns.create_topic(Name=f"{name}-alerts", Tags=tags)["TopicArn"]
    assert sns.create_topic(Name=f"{name}-alerts", Tags=tags)["TopicArn"] == first
    with pytest.raises(ClientError) as refused:
        sns.create_topic(Name=f"{name}-alerts", Tags=[{"Key": "wl:stack", "Value": "other"}])
    assert error_of(refused)[:2] == ("InvalidParameter", "Topic already exists with different tags")
    sns.delete_topic(TopicArn=first)
