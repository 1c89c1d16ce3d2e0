"""The upload watchers against moto's S3/SQS server: which objects become events, once each."""

from __future__ import annotations

import json
import logging
import urllib.parse

import httpx
import pytest

from deployments.watchers import PrefixPoller, SqsConsumer
from tasks.intake.uploads import item_id, s3_records, upload_request


@pytest.fixture
def aws(moto_server, monkeypatch):
    import boto3

    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "RETOUCH_S3_ENDPOINT_URL": moto_server,
    }.items():
        monkeypatch.setenv(key, value)
    return lambda service: boto3.client(service, endpoint_url=moto_server, region_name="us-east-1")


def test_prefix_poller_emits_each_new_image_once(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="poll")
    s3.put_object(Bucket="poll", Key="old/a.jpg", Body=b"x")
    events = []
    poller = PrefixPoller("s3://poll/new/", emit=lambda **e: events.append(e))
    assert poller.poll_once() == 0
    s3.put_object(Bucket="poll", Key="new/b.jpg", Body=b"1")
    s3.put_object(Bucket="poll", Key="new/b.jpg.json", Body=b"{}")  # a sidecar, not an image
    s3.put_object(Bucket="poll", Key="new/c.png", Body=b"2")
    assert poller.poll_once() == 2 and poller.poll_once() == 0
    assert sorted(e["key"] for e in events) == ["new/b.jpg", "new/c.png"]
    s3.put_object(Bucket="poll", Key="new/b.jpg", Body=b"changed")  # a new version: new ETag
    assert poller.poll_once() == 1


def test_sqs_consumer_skips_test_events_and_decodes_keys(aws):
    s3, sqs = aws("s3"), aws("sqs")
    s3.create_bucket(Bucket="notify")
    queue = sqs.create_queue(QueueName="n")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="notify",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(
        Bucket="notify",
        Key="in/红色 T恤.jpg",
        Body=b"1",
        Metadata={"instruction": urllib.parse.quote("把T恤换成蓝色")},
    )
    events = []
    consumer = SqsConsumer(queue, emit=lambda **e: events.append(e))
    while consumer.poll_once(wait_seconds=1):
        pass
    assert [e["key"] for e in events] == ["in/红色 T恤.jpg"]  # the s3:TestEvent was skipped
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages") is None
    assert upload_request("notify", "in/红色 T恤.jpg") == ("把T恤换成蓝色", None)
    assert item_id("in/红色 T恤.jpg").startswith("in--红色_T恤.jpg--")


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_send_the_prefect_api_did_not_take_is_a_failure_and_is_tried_again(aws):
    """The real sender against a Prefect API that is down: logged as FAILED, never "sent"; the
    poller does not mark the object seen and the SQS message stays, so both come back."""
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    from deployments.watchers import emit_created
    from tests.helpers import free_port

    s3, sqs = aws("s3"), aws("sqs")
    s3.create_bucket(Bucket="down")
    queue = sqs.create_queue(QueueName="down", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    s3.put_object(Bucket="down", Key="new/a.jpg", Body=b"1")
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(
            {
                "Records": [
                    {
                        "eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": "down"}, "object": {"key": "new/a.jpg", "eTag": "e"}},
                    }
                ]
            }
        ),
    )
    down = f"http://127.0.0.1:{free_port()}/api"
    poller, consumer = PrefixPoller("s3://down/new/"), SqsConsumer(queue)
    said = _Said()  # on the watchers' logger: Prefect's logging set-up replaces the root's handlers
    logging.getLogger("retouch.watch").addHandler(said)
    with temporary_settings(updates={PREFECT_API_URL: down, PREFECT_CLIENT_MAX_RETRIES: 0}):
        with pytest.raises(httpx.ConnectError):
            emit_created("down", "new/a.jpg", "e")
        assert poller.poll_once() == 0 and consumer.poll_once(wait_seconds=0) == 0
    failed = [r.getMessage() for r in said.records]
    assert len(failed) == 2 and all(m.startswith("FAILED to send") for m in failed), failed
    sent = []
    poller.emit = consumer.emit = lambda **e: sent.append(e["key"])  # the API is back
    assert poller.poll_once() == 1 and consumer.poll_once(wait_seconds=1) == 1
    assert sent == ["new/a.jpg", "new/a.jpg"]
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages") is None
    logging.getLogger("retouch.watch").removeHandler(said)


def test_upload_ids_are_unique_safe_and_stable():
    from tasks.infra.storage import safe_name

    keys = [
        "incoming/sku 1.png",
        "incoming/sku_1.png",
        "incoming--sku_1.png",
        "incoming/a..b.png",
        "incoming/../x.png",
        "x" * 300 + ".png",
        "incoming/红色 T恤.jpg",
    ]
    ids = [item_id(key) for key in keys]
    assert len(set(ids)) == len(keys)  # no two keys share a folder
    assert all(safe_name(i) for i in ids)  # every one is a single safe path segment
    assert ids == [item_id(key) for key in keys]  # the same key, the same id, every time


def test_sidecar_instruction(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="side")
    s3.put_object(Bucket="side", Key="a.jpg", Body=b"1")
    assert upload_request("side", "a.jpg") == (None, None)
    s3.put_object(
        Bucket="side",
        Key="a.jpg.json",
        Body=json.dumps({"instruction": "裁剪为1:1"}, ensure_ascii=False).encode(),
    )
    assert upload_request("side", "a.jpg")[0] == "裁剪为1:1"
    s3.put_object(
        Bucket="side",
        Key="b.jpg",
        Body=b"1",
        Metadata={"instruction": "flip", "requested-by": "ops%40shop.example"},
    )
    assert upload_request("side", "b.jpg") == ("flip", "ops@shop.example")  # the audit's who


def test_s3_records_parsing():
    body = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "b"}, "object": {"key": "a%2Fb+c.jpg", "eTag": "e"}},
                },
                {
                    "eventName": "ObjectRemoved:Delete",
                    "s3": {"bucket": {"name": "b"}, "object": {"key": "gone.jpg"}},
                },
            ]
        }
    )
    assert s3_records(body) == [{"bucket": "b", "key": "a/b c.jpg", "etag": "e", "size": ""}]
    assert s3_records(json.dumps({"Event": "s3:TestEvent"})) == []
    assert s3_records(json.dumps({"Message": body})) == s3_records(body)  # through SNS
    assert s3_records("not json") == []
