"""AWS-shaped end to end: moto S3 -> SQS -> the packaged bootstrap -> moto EventBridge/SNS.

    aws_e2e_test.py STAGE WORK_DIR     (the interpreter of scripts/aws-python.sh)

STAGE is the unpacked Lambda zip of `lambda_package` (bootstrap, lib/). A moto bucket
notifies a moto SQS queue (configured through the API, as deploy.sh does for an existing
bucket; moto also sends its s3:TestEvent). Producers upload with boto3 — keys with spaces,
'+' and UTF-8 — and every notification is injected into the queue a second time (a
duplicate). A small event source mapping, as Lambda's: receive up to 10 messages, pass
them as one SQS event to the packaged bootstrap through a Runtime API double
(tests/fakes/runtime_api.py), delete the messages not listed in batchItemFailures, let
the others come back. The bootstrap runs through its bundled loader (not in an empty
root: tests/lambda/lambda_package_test does that), its state in moto S3 with one worker
(moto's If-None-Match is checked but not atomic under concurrency). Actions go to moto
EventBridge (a bus rule to a queue) and SNS (a topic with a queue subscription); each
generation must trip exactly once and its deliveries be read back.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from moto_server import MotoServer  # noqa: E402
from runtime_api import RuntimeApi  # noqa: E402

STAGE, WORK = sys.argv[1], sys.argv[2]
DATES = ["2026-12-01", "2026-12-02", "2026-12-03"]
MEMBERS = ["east side.csv", "west+north.csv", "süd €.csv"]
passed = failed = 0


def check(cond, what, detail=None):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok: {what}")
    else:
        failed += 1
        print(f"FAIL: {what}" + (f": {detail!r}" if detail is not None else ""))


def queue(sqs, name, **attrs):
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(sqs, url):
    got = []
    for _ in range(3):
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                   MessageAttributeNames=["All"]).get("Messages", [])
        got += msgs
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if not msgs and got:
            break
    return got


def main():
    os.makedirs(WORK, exist_ok=True)
    with MotoServer(os.path.join(WORK, "moto.log")) as moto:
        print(f"moto_server on {moto.url}")
        s3, sqs, sns, events = (moto.client(n) for n in ("s3", "sqs", "sns", "events"))
        s3.create_bucket(Bucket="eb-e2e")
        events_url, events_arn = queue(sqs, "s3-events", VisibilityTimeout="2")
        s3.put_bucket_notification_configuration(Bucket="eb-e2e", NotificationConfiguration={
            "QueueConfigurations": [{"Id": "eventbarrier", "QueueArn": events_arn,
                                     "Events": ["s3:ObjectCreated:*"],
                                     "Filter": {"Key": {"FilterRules": [
                                         {"Name": "prefix", "Value": "sales/"}]}}}]})
        bridge_url, bridge_arn = queue(sqs, "from-eventbridge")
        events.create_event_bus(Name="eb-bus")
        events.put_rule(Name="trips", EventBusName="eb-bus",
                        EventPattern=json.dumps({"source": ["eventbarrier"]}))
        events.put_targets(Rule="trips", EventBusName="eb-bus",
                           Targets=[{"Id": "q", "Arn": bridge_arn}])
        sns_url, sns_arn = queue(sqs, "from-sns")
        topic = sns.create_topic(Name="ready")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sns_arn)
        config = os.path.join(WORK, "barriers.json")
        with open(config, "w") as f:
            json.dump({"barriers": {"daily": {
                "members": [f"sales/{{date}}/{m}" for m in MEMBERS],
                "on_complete": [{"type": "eventbridge", "event_bus": "eb-bus"},
                                {"type": "sns", "topic_arn": topic}]}},
                "state": {"url": "s3://eb-e2e/"}}, f, ensure_ascii=False)

        # Producers, then every notification once more (a duplicate delivery).
        for date in DATES:
            for m in MEMBERS:
                s3.put_object(Bucket="eb-e2e", Key=f"sales/{date}/{m}", Body=m.encode())
        originals = drain(sqs, events_url)
        for msg in originals:
            sqs.send_message(QueueUrl=events_url, MessageBody=msg["Body"])
            sqs.send_message(QueueUrl=events_url, MessageBody=msg["Body"])
        check(len(originals) == len(DATES) * len(MEMBERS) + 1,
              "moto notified every upload (and its s3:TestEvent)", len(originals))

        api = RuntimeApi()
        import threading
        threading.Thread(target=api.serve_forever, daemon=True).start()
        loader = next(n for n in os.listdir(os.path.join(STAGE, "lib")) if n.startswith("ld-"))
        env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API":
               f"127.0.0.1:{api.server_address[1]}", "LAMBDA_TASK_ROOT": STAGE,
               "AWS_LAMBDA_FUNCTION_NAME": "eventbarrier-e2e", "EVENTBARRIER_CONFIG": config,
               "EVENTBARRIER_STATE": "s3://eb-e2e/", **moto.env}
        log = open(os.path.join(WORK, "bootstrap.log"), "wb")
        proc = subprocess.Popen([os.path.join(STAGE, "lib", loader),
                                 os.path.join(STAGE, "bootstrap")],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        # The event source mapping.
        failures, batches, deadline = 0, 0, time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            msgs = sqs.receive_message(QueueUrl=events_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1,
                                       AttributeNames=["All"]).get("Messages", [])
            if not msgs:
                if sqs.get_queue_attributes(
                        QueueUrl=events_url, AttributeNames=["All"])["Attributes"].get(
                        "ApproximateNumberOfMessagesNotVisible") == "0":
                    break
                continue
            event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                                  "body": m["Body"], "attributes": m.get("Attributes", {}),
                                  "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                                  "eventSource": "aws:sqs", "eventSourceARN": events_arn,
                                  "awsRegion": "us-east-1"} for m in msgs]}
            answer = api.wait(api.enqueue(json.dumps(event)), 60)
            batches += 1
            if answer is None or answer[0] != "response":
                failures += len(msgs)  # the whole batch comes back after the visibility timeout
                continue
            body = json.loads(answer[1])  # an SQS batch answers batchItemFailures only
            failed_ids = {f["itemIdentifier"] for f in body.get("batchItemFailures", [])}
            failures += len(failed_ids)
            for m in msgs:
                if m["MessageId"] not in failed_ids:
                    sqs.delete_message(QueueUrl=events_url, ReceiptHandle=m["ReceiptHandle"])
        proc.kill()
        proc.wait()
        api.shutdown()
        log.close()
        # The trips, from the bootstrap's JSON log ("barrier tripped" lines) and its EMF metrics.
        trips, emf_trips = [], 0
        with open(os.path.join(WORK, "bootstrap.log")) as f:
            for line in f:
                entry = json.loads(line)
                if entry.get("message") == "barrier tripped":
                    trips.append({"instance": entry["instance"],
                                  "generation": int(entry["generation"])})
                emf_trips += entry.get("Trips", 0) if "_aws" in entry else 0
        check(emf_trips == len(trips), "the EMF Trips metric counts the same trips", emf_trips)
        print(f"  | {batches} batches, {failures} messages redelivered, "
              f"{len(trips)} trips; bootstrap exit {proc.returncode}")
        per_generation = sorted((t["instance"], t["generation"]) for t in trips)
        check(per_generation == [(d, 1) for d in DATES],
              "every day's generation tripped exactly once", trips)
        check(not api.violations, "no Runtime API protocol violation", api.violations)
        keys = sorted(json.loads(m["Body"])["detail"]["idempotency_key"]
                      for m in drain(sqs, bridge_url))
        check(keys == [f"daily/{d}/1" for d in DATES],
              "EventBridge delivered one event per trip, with its idempotency key", keys)
        manifests = [json.loads(json.loads(m["Body"])["Message"]) for m in drain(sqs, sns_url)]
        check(sorted(m["idempotency_key"] for m in manifests) == [f"daily/{d}/1" for d in DATES]
              and all(sorted(o["key"] for o in m["objects"]) ==
                      sorted(f"sales/{m['vars']['date']}/{x}" for x in MEMBERS)
                      for m in manifests),
              "SNS delivered one manifest per trip listing its three objects (keys as uploaded)",
              manifests)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
