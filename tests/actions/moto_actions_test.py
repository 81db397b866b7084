"""The AWS actions against moto (an AWS emulator), read back with boto3.

    moto_actions_test.py EVENTBARRIER WORK_DIR     (the interpreter of scripts/aws-python.sh)

A moto bucket notifies a moto SQS queue (configured through the API, as deploy.sh
does for an existing bucket); boto3 uploads a barrier's two members; the test
turns what the queue holds into one SQS event, as Lambda's event source mapping
would, and hands it to `eventbarrier handle` with the state in moto's S3. The
barrier trips once and its actions deliver to moto:

  eventbridge    PutEvents to a custom bus whose rule targets an SQS queue
  sns            Publish to a topic with an SQS subscription
  sqs            SendMessage to a queue
  lambda         Invoke (asynchronous) of a moto function (moto's Lambda without
                 Docker keeps no record of an Event invocation: the test reads the
                 request moto recorded, MOTO_ENABLE_RECORDING)
  stepfunctions  StartExecution of a moto state machine
  manifest       PutObject to the data bucket

Each delivery is read back and must carry the trip's manifest and idempotency key
("barrier/instance/generation"). The same event handled again (a redelivery)
trips nothing and delivers nothing more.

Then https: a second moto serves TLS with a self-signed certificate; without
SSL_CERT_FILE the client refuses the server (nothing trips); with SSL_CERT_FILE
naming it, the state and a manifest go to its S3.
"""
import base64
import json
import os
import subprocess
import sys
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from checks import check, finish  # noqa: E402
from moto_server import ACCOUNT, REGION, MotoServer  # noqa: E402

EVENTBARRIER, WORK = sys.argv[1], sys.argv[2]
DATE = "2026-12-06"
BARRIER = "daily-sales"
# Documented in src/actions/aws_actions.h and the README: "barrier/instance/generation",
# the instance being the member variables' values (one variable here).
KEY = f"{BARRIER}/{DATE}/1"

def queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(sqs, url, want=10):
    """Every message the queue holds (a few polls: moto delivers synchronously)."""
    got = []
    for _ in range(3):
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=want, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"], AttributeNames=["All"])
        msgs = r.get("Messages", [])
        got += msgs
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if not msgs and got:
            break
    return got


def sqs_event(messages, arn):
    """The payload Lambda's SQS event source mapping passes for `messages`."""
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                         "body": m["Body"], "attributes": m.get("Attributes", {}),
                         "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                         "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION}
                        for m in messages]}


def setup(moto):
    s3, sqs, sns = moto.client("s3"), moto.client("sqs"), moto.client("sns")
    events, lam, sfn, iam = (moto.client("events"), moto.client("lambda"),
                             moto.client("stepfunctions"), moto.client("iam"))
    t = {}
    s3.create_bucket(Bucket="eb-data")
    t["s3_events_url"], t["s3_events_arn"] = queue(sqs, "s3-events")
    s3.put_bucket_notification_configuration(Bucket="eb-data", NotificationConfiguration={
        "QueueConfigurations": [{"Id": "eventbarrier", "QueueArn": t["s3_events_arn"],
                                 "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [
                                     {"Name": "prefix", "Value": "sales/"}]}}}]})
    t["from_events_url"], from_events_arn = queue(sqs, "from-eventbridge")
    events.create_event_bus(Name="eb-bus")
    events.put_rule(Name="trips", EventBusName="eb-bus",
                    EventPattern=json.dumps({"source": ["eventbarrier"]}))
    events.put_targets(Rule="trips", EventBusName="eb-bus",
                       Targets=[{"Id": "queue", "Arn": from_events_arn}])
    t["from_sns_url"], from_sns_arn = queue(sqs, "from-sns")
    t["topic"] = sns.create_topic(Name="ready")["TopicArn"]
    sns.subscribe(TopicArn=t["topic"], Protocol="sqs", Endpoint=from_sns_arn)
    t["direct_url"], _ = queue(sqs, "direct")
    role = iam.create_role(RoleName="target", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "lambda.amazonaws.com"}}]}
    ))["Role"]["Arn"]
    import io
    import zipfile
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    t["function"] = lam.create_function(FunctionName="target", Runtime="provided.al2023",
                                        Role=role, Handler="bootstrap",
                                        Code={"ZipFile": code.getvalue()})["FunctionArn"]
    t["machine"] = sfn.create_state_machine(
        name="load", roleArn=role,
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    )["stateMachineArn"]
    return t


def write_config(t):
    actions = [{"type": "manifest", "key": "ready/{date}/_SUCCESS.json"},
               {"type": "eventbridge", "event_bus": "eb-bus"},
               {"type": "sns", "topic_arn": t["topic"]},
               {"type": "sqs", "queue_url": t["direct_url"]},
               {"type": "lambda", "function": t["function"]},
               {"type": "stepfunctions", "state_machine_arn": t["machine"]}]
    config = {"barriers": {BARRIER: {
        "members": ["sales/{date}/east.csv", "sales/{date}/west €+ 1.csv"],
        "on_complete": actions}},
        "state": {"url": "s3://eb-data/", "prefix": ".eventbarrier/"}}
    path = os.path.join(WORK, "barriers.json")
    with open(path, "w") as f:
        json.dump(config, f, ensure_ascii=False)
    return path


def handle(moto, config, payload, name):
    return handle_env(moto.env, config, payload, name)


def handle_env(aws_env, config, payload, name):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        json.dump(payload, f)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.startswith("SSL_CERT")}
    r = subprocess.run([EVENTBARRIER, "handle", "--config", config, "--log-format", "text", path],
                       env={**env, **aws_env}, capture_output=True, text=True, timeout=120)
    print(f"  | handle {name}: exit {r.returncode}: {r.stdout.strip()}")
    if r.returncode != 0:
        print("  | " + "\n  | ".join(r.stderr.strip().splitlines()[-15:]))
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    return r.returncode, lines


def trips_of(lines):
    return [t for line in lines for t in line.get("trips", [])]


def check_manifest(text, where, uploaded):
    try:
        m = json.loads(text)
    except (TypeError, ValueError) as e:
        check(False, f"{where}: the manifest is JSON", f"{e}: {text!r}")
        return
    objects = sorted((o["key"], o["etag"].strip('"'), o["size"]) for o in m.get("objects", []))
    check(m.get("idempotency_key") == KEY and m.get("barrier") == BARRIER and
          m.get("generation") == 1 and m.get("status") == "complete" and
          m.get("vars") == {"date": DATE} and objects == uploaded,
          f"{where}: the trip's manifest (idempotency key {KEY}, both objects)", m)


def attribute(attrs, name):
    a = attrs.get(name, {})
    return a.get("StringValue") or a.get("Value")


def main():
    os.makedirs(WORK, exist_ok=True)
    recording = os.path.join(WORK, "moto-requests.jsonl")
    if os.path.exists(recording):
        os.remove(recording)
    with MotoServer(os.path.join(WORK, "moto.log"),
                    {"MOTO_ENABLE_RECORDING": "True", "MOTO_RECORDER_FILEPATH": recording}) as moto:
        print(f"moto_server on {moto.url}")
        moto.post("/moto-api/config", {"lambda": {"use_docker": False}})
        t = setup(moto)
        config = write_config(t)
        s3, sqs = moto.client("s3"), moto.client("sqs")

        uploaded = []
        for member in ("east.csv", "west €+ 1.csv"):
            key = f"sales/{DATE}/{member}"
            body = f"{member},{uuid.uuid4()}\n".encode()
            etag = s3.put_object(Bucket="eb-data", Key=key, Body=body)["ETag"].strip('"')
            uploaded.append((key, etag, len(body)))
        uploaded.sort()
        notes = drain(sqs, t["s3_events_url"])
        records = [r for m in notes for r in json.loads(m["Body"]).get("Records", [])]
        keys = sorted(urllib.parse.unquote_plus(r["s3"]["object"]["key"]) for r in records)
        check(keys == [k for k, _, _ in uploaded], "moto's bucket notified the queue of both uploads",
              keys)
        check(any("s3:TestEvent" in m["Body"] for m in notes),
              "and sent its s3:TestEvent (eventbarrier must ignore it)")

        rc, lines = handle(moto, config, sqs_event(notes, t["s3_events_arn"]), "batch.json")
        trips = trips_of(lines)
        check(rc == 0 and [(x["barrier"], x["instance"], x["generation"], x["status"])
                           for x in trips] == [(BARRIER, DATE, 1, "complete")],
              "one SQS event of both notifications trips the barrier once", lines)

        manifest = s3.get_object(Bucket="eb-data", Key=f"ready/{DATE}/_SUCCESS.json")
        check_manifest(manifest["Body"].read().decode(), "manifest in S3", uploaded)

        got = drain(sqs, t["from_events_url"])
        check(len(got) == 1, "eventbridge: one event reached the rule's queue", got)
        for m in got[:1]:
            ev = json.loads(m["Body"])
            check(ev.get("source") == "eventbarrier" and ev.get("detail-type") == "Barrier Tripped",
                  "eventbridge: source eventbarrier, detail-type Barrier Tripped", ev)
            check_manifest(json.dumps(ev.get("detail")), "eventbridge detail", uploaded)

        got = drain(sqs, t["from_sns_url"])
        check(len(got) == 1, "sns: one message reached the subscribed queue", got)
        for m in got[:1]:
            envelope = json.loads(m["Body"])
            check(envelope.get("TopicArn") == t["topic"], "sns: from the topic", envelope)
            check_manifest(envelope.get("Message"), "sns message", uploaded)
            check(attribute(envelope.get("MessageAttributes", {}), "idempotency_key") == KEY,
                  "sns: message attribute idempotency_key", envelope.get("MessageAttributes"))

        got = drain(sqs, t["direct_url"])
        check(len(got) == 1, "sqs: one message in the queue", got)
        for m in got[:1]:
            check_manifest(m["Body"], "sqs message", uploaded)
            check(attribute(m.get("MessageAttributes", {}), "idempotency_key") == KEY and
                  attribute(m.get("MessageAttributes", {}), "barrier") == BARRIER,
                  "sqs: message attributes idempotency_key and barrier", m.get("MessageAttributes"))

        sfn = moto.client("stepfunctions")
        execs = sfn.list_executions(stateMachineArn=t["machine"])["executions"]
        check(len(execs) == 1, "stepfunctions: one execution", execs)
        for e in execs[:1]:
            d = sfn.describe_execution(executionArn=e["executionArn"])
            name = e["name"]
            check(len(name) <= 80 and all(c.isalnum() or c in "-_" for c in name) and
                  name.startswith(KEY.replace("/", "-")[:20]),
                  "stepfunctions: an execution name (<= 80 of [0-9A-Za-z_-]) from the key", name)
            check_manifest(d.get("input"), "stepfunctions input", uploaded)

        invokes = lambda_invocations(recording)
        check(len(invokes) == 1, "lambda: one asynchronous Invoke of the function reached moto",
              invokes)
        for inv in invokes[:1]:
            check(inv["headers"].get("X-Amz-Invocation-Type") == "Event" and
                  urllib.parse.unquote(inv["url"]).endswith(
                      "/2015-03-31/functions/" + t["function"] + "/invocations"),
                  "lambda: Invoke of the function's ARN, InvocationType Event", inv["url"])
            check_manifest(inv["body"], "lambda payload", uploaded)

        # A redelivery of the same notifications: no second trip, no second delivery.
        rc, lines = handle(moto, config, sqs_event(notes, t["s3_events_arn"]), "redelivery.json")
        check(rc == 0 and not trips_of(lines), "the same event again trips nothing", lines)
        again = {q: len(drain(sqs, t[q])) for q in ("from_events_url", "from_sns_url", "direct_url")}
        check(again == {"from_events_url": 0, "from_sns_url": 0, "direct_url": 0} and
              len(sfn.list_executions(stateMachineArn=t["machine"])["executions"]) == 1 and
              len(lambda_invocations(recording)) == 1,
              "and delivers nothing more (exactly one delivery per generation)", again)
        tls_phase()
    sys.exit(finish())


def tls_phase():
    with MotoServer(os.path.join(WORK, "moto-tls.log"), tls_dir=os.path.join(WORK, "tls")) as moto:
        print(f"moto_server on {moto.url}")
        s3 = moto.client("s3")
        s3.create_bucket(Bucket="eb-tls")
        records = []
        for member in ("a.csv", "b.csv"):
            key = f"in/{DATE}/{member}"
            etag = s3.put_object(Bucket="eb-tls", Key=key, Body=b"x")["ETag"].strip('"')
            records.append({"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
                            "eventTime": "2026-12-06T05:00:00.000Z",
                            "eventName": "ObjectCreated:Put",
                            "s3": {"bucket": {"name": "eb-tls"},
                                   "object": {"key": key, "size": 1, "eTag": etag,
                                              "sequencer": f"00{len(records)}"}}})
        config = os.path.join(WORK, "tls.json")
        with open(config, "w") as f:
            json.dump({"barriers": {"tls": {"members": ["in/{date}/a.csv", "in/{date}/b.csv"],
                                            "on_complete": [{"type": "manifest",
                                                             "key": "ready/{date}.json"}]}},
                       "state": {"url": "s3://eb-tls/"}}, f)
        rc, lines = handle_env(moto.env, config, {"Records": records}, "tls-untrusted.json")
        check(rc != 0 and not trips_of(lines) and "certificate" in json.dumps(lines),
              "https: without SSL_CERT_FILE the self-signed server is refused", lines)
        trusted = {**moto.env, "SSL_CERT_FILE": moto.ca_file}
        rc, lines = handle_env(trusted, config, {"Records": records}, "tls-trusted.json")
        check(rc == 0 and [x["barrier"] for x in trips_of(lines)] == ["tls"],
              "https: with SSL_CERT_FILE naming its CA the state lives in its S3", lines)
        body = s3.get_object(Bucket="eb-tls", Key=f"ready/{DATE}.json")["Body"].read()
        check(json.loads(body).get("idempotency_key") == f"tls/{DATE}/1",
              "https: the manifest was written", body)


def lambda_invocations(recording):
    out = []
    if not os.path.exists(recording):
        return out
    with open(recording) as f:
        for line in f:
            r = json.loads(line)
            if r["method"] == "POST" and "/invocations" in r["url"]:
                body = r.get("body") or ""
                if r.get("body_encoded"):
                    body = base64.b64decode(body).decode()
                out.append({"url": r["url"], "headers": r["headers"], "body": body})
    return out


if __name__ == "__main__":
    main()
