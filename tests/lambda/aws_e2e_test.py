"""AWS-shaped end to end: moto S3 -> SQS -> the packaged bootstrap -> moto EventBridge/SNS.

    aws_e2e_test.py STAGE WORK_DIR                                  state in moto S3, one worker
    aws_e2e_test.py STAGE WORK_DIR --ceph ENV_FILE --workers N      state in Ceph RGW, N workers
    (the interpreter of scripts/aws-python.sh; ENV_FILE is what scripts/ceph-s3.sh start writes)

STAGE is the unpacked Lambda zip of `lambda_package` (bootstrap, lib/). A moto bucket
notifies a moto SQS queue (configured through the API, as deploy.sh does for an existing
bucket; moto also sends its s3:TestEvent). Producers upload with boto3 — keys with spaces,
'+' and UTF-8 — and every notification is injected into the queue a second time (a
duplicate). A small event source mapping, as Lambda's: receive up to BatchSize messages,
pass them as one SQS event to a packaged bootstrap through its Runtime API double
(tests/fakes/runtime_api.py), delete the messages not listed in batchItemFailures, let
the others come back after the visibility timeout; with several workers, one such poller
per bootstrap, concurrently. The bootstraps run through their bundled loader (not in an
empty root: tests/lambda/lambda_package_test does that). Their state goes through a fault
proxy (tests/chaos/chaos_proxy.py) that, during the first deliveries of one day's messages,
answers every state request of that day 503 SlowDown: those records fail after the client's
retries, are listed in batchItemFailures and come back, so the redelivery branch of the loop
runs. State in moto S3 with one worker (moto's If-None-Match is checked but not atomic under
concurrency), or in Ceph RGW with several. Actions go to moto EventBridge (a bus rule to a
queue) and SNS (a topic with a queue subscription); each generation must trip exactly once
and its deliveries be read back.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
sys.path.insert(0, os.path.join(HERE, "..", "chaos"))
from chaos_proxy import ChaosProxy  # noqa: E402
from checks import check, finish  # noqa: E402
from moto_server import MotoServer  # noqa: E402
from runtime_api import RuntimeApi  # noqa: E402

DATES = ["2026-12-01", "2026-12-02", "2026-12-03"]
MEMBERS = ["east side.csv", "west+north.csv", "süd €.csv"]
FAULT_DATE = DATES[1]   # its state requests fail during its first deliveries
FAULTY_DELIVERIES = 2   # how many deliveries carrying FAULT_DATE meet the faults

class DeliveryFaults:
    """chaos_proxy's fault plan, switched by the event source mapping: while a delivery
    is armed, every request whose target names FAULT_DATE is answered 503 SlowDown."""

    def __init__(self):
        self.seed = 0
        self.enabled = True
        self._lock = threading.Lock()
        self.armed = 0
        self.deliveries_left = FAULTY_DELIVERIES

    def arm_for(self, bodies):
        with self._lock:
            if self.deliveries_left > 0 and any(FAULT_DATE in b for b in bodies):
                self.deliveries_left -= 1
                self.armed += 1
                return True
            return False

    def disarm(self):
        with self._lock:
            self.armed -= 1

    def decide(self, method, target):
        with self._lock:
            return "slowdown" if self.armed > 0 and FAULT_DATE in target else None


def read_env_file(path):
    env = {}
    with open(path) as f:
        for line in f:
            for word in line.split():
                if word != "export" and "=" in word:
                    k, _, v = word.partition("=")
                    env[k] = v
    return env


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


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.batches = self.redelivered = self.partial = self.faulty_batches = 0
        self.by_worker = {}


def poller(worker, moto, events_url, events_arn, api, faults, batch_size, stats, proc, deadline):
    """One event source mapping poller feeding one bootstrap."""
    sqs = moto.client("sqs")
    while time.monotonic() < deadline and proc.poll() is None:
        msgs = sqs.receive_message(QueueUrl=events_url, MaxNumberOfMessages=batch_size,
                                   WaitTimeSeconds=1,
                                   AttributeNames=["All"]).get("Messages", [])
        if not msgs:
            attrs = sqs.get_queue_attributes(QueueUrl=events_url,
                                             AttributeNames=["All"])["Attributes"]
            if attrs.get("ApproximateNumberOfMessagesNotVisible") == "0" and \
                    attrs.get("ApproximateNumberOfMessages") == "0":
                return
            continue
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                              "body": m["Body"], "attributes": m.get("Attributes", {}),
                              "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                              "eventSource": "aws:sqs", "eventSourceARN": events_arn,
                              "awsRegion": "us-east-1"} for m in msgs]}
        armed = faults.arm_for([m["Body"] for m in msgs])
        try:
            answer = api.wait(api.enqueue(json.dumps(event)), 60)
        finally:
            if armed:
                faults.disarm()
        with stats.lock:
            stats.batches += 1
            stats.faulty_batches += armed
            stats.by_worker[worker] = stats.by_worker.get(worker, 0) + 1
        if answer is None or answer[0] != "response":
            with stats.lock:
                stats.redelivered += len(msgs)  # the whole batch comes back
            continue
        body = json.loads(answer[1])  # an SQS batch answers batchItemFailures only
        failed_ids = {f["itemIdentifier"] for f in body.get("batchItemFailures", [])}
        with stats.lock:
            stats.redelivered += len(failed_ids)
            stats.partial += 0 < len(failed_ids) < len(msgs)
        for m in msgs:
            if m["MessageId"] not in failed_ids:
                sqs.delete_message(QueueUrl=events_url, ReceiptHandle=m["ReceiptHandle"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("stage")
    parser.add_argument("work")
    parser.add_argument("--ceph", metavar="ENV_FILE",
                        help="state in this Ceph RGW (scripts/ceph-s3.sh's env file)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    stage, work = args.stage, args.work
    if args.workers > 1 and not args.ceph:
        parser.error("--workers > 1 needs --ceph: moto's If-None-Match is not atomic")
    os.makedirs(work, exist_ok=True)
    with MotoServer(os.path.join(work, "moto.log")) as moto:
        print(f"moto_server on {moto.url}; state in "
              f"{'Ceph RGW' if args.ceph else 'moto S3'}, {args.workers} worker(s)")
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

        # The state store, behind the fault proxy; the actions go to moto directly.
        credentials = {}
        if args.ceph:
            ceph = read_env_file(args.ceph)
            upstream = ceph["AWS_ENDPOINT_URL"]
            # moto takes any credentials; Ceph checks its own.
            credentials = {k: ceph[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
            bucket = ceph["S3_BUCKET"]
            prefix = f"aws-e2e-{os.getpid()}-{int(time.time())}/"
        else:
            upstream, bucket, prefix = moto.url, "eb-e2e", "state/"
        faults = DeliveryFaults()
        proxy = ChaosProxy(upstream.split("://", 1)[1].rstrip("/"), rate=1.0)
        proxy.plan = faults
        proxy.start()
        state = f"s3://{bucket}/{prefix}?endpoint=http://127.0.0.1:{proxy.port}"
        config = os.path.join(work, "barriers.json")
        with open(config, "w") as f:
            json.dump({"barriers": {"daily": {
                "members": [f"sales/{{date}}/{m}" for m in MEMBERS],
                "on_complete": [{"type": "eventbridge", "event_bus": "eb-bus"},
                                {"type": "sns", "topic_arn": topic}]}},
                "state": {"url": state}}, f, ensure_ascii=False)

        # Producers, then every notification once more (a duplicate delivery).
        for date in DATES:
            for m in MEMBERS:
                s3.put_object(Bucket="eb-e2e", Key=f"sales/{date}/{m}", Body=m.encode())
        originals = drain(sqs, events_url)
        for _ in range(2):  # all in upload order, then all again: batches mix the days
            for msg in originals:
                sqs.send_message(QueueUrl=events_url, MessageBody=msg["Body"])
        check(len(originals) == len(DATES) * len(MEMBERS) + 1,
              "moto notified every upload (and its s3:TestEvent)", len(originals))

        # The workers: one bootstrap and one Runtime API double each.
        loader = next(n for n in os.listdir(os.path.join(stage, "lib")) if n.startswith("ld-"))
        workers = []
        for w in range(args.workers):
            api = RuntimeApi()
            threading.Thread(target=api.serve_forever, daemon=True).start()
            env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API":
                   f"127.0.0.1:{api.server_address[1]}", "LAMBDA_TASK_ROOT": stage,
                   "AWS_LAMBDA_FUNCTION_NAME": "eventbarrier-e2e",
                   "AWS_LAMBDA_LOG_STREAM_NAME": f"worker-{w}", "EVENTBARRIER_CONFIG": config,
                   "EVENTBARRIER_STATE": state, **moto.env, **credentials}
            log_path = os.path.join(work, f"bootstrap-{w}.log")
            log = open(log_path, "wb")
            proc = subprocess.Popen([os.path.join(stage, "lib", loader),
                                     os.path.join(stage, "bootstrap")],
                                    env=env, stdout=log, stderr=subprocess.STDOUT)
            workers.append((api, proc, log, log_path))
        # The event source mapping: batches of 10 for one worker; of 4 for several, so
        # that the 19 messages spread over the workers and they race.
        stats = Stats()
        batch_size = 10 if args.workers == 1 else 4
        deadline = time.monotonic() + 150
        pollers = [threading.Thread(target=poller, args=(w, moto, events_url, events_arn, api,
                                                         faults, batch_size, stats, proc,
                                                         deadline))
                   for w, (api, proc, _, _) in enumerate(workers)]
        for t in pollers:
            t.start()
        for t in pollers:
            t.join()
        left = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["All"])["Attributes"]
        for api, proc, log, _ in workers:
            proc.kill()
            proc.wait()
            api.shutdown()
            log.close()
        proxy.stop()
        faults_sent = proxy.stats()["slowdown"]
        print(f"  | {stats.batches} batches ({stats.faulty_batches} with faults, "
              f"{faults_sent} state requests answered 503), {stats.redelivered} messages "
              f"redelivered, {stats.partial} partial batch responses; batches per worker "
              f"{dict(sorted(stats.by_worker.items()))}")
        if args.workers > 1:
            check(len(stats.by_worker) > 1, "several workers handled batches concurrently",
                  stats.by_worker)
        check(stats.faulty_batches == FAULTY_DELIVERIES and faults_sent > 0,
              f"the fault proxy failed {FAULT_DATE}'s state requests in its first "
              f"{FAULTY_DELIVERIES} deliveries", (stats.faulty_batches, faults_sent))
        check(stats.redelivered > 0 and stats.partial > 0,
              "failed records were listed in batchItemFailures (the others of their batch "
              "deleted) and redelivered", (stats.redelivered, stats.partial))
        check(left.get("ApproximateNumberOfMessages") == "0" and
              left.get("ApproximateNumberOfMessagesNotVisible") == "0",
              "every message was handled in the end (the queue is empty)", left)

        # The trips, from the bootstraps' JSON logs ("barrier tripped" lines) and EMF metrics.
        trips, emf_trips = [], 0
        for w, (_, proc, _, log_path) in enumerate(workers):
            with open(log_path) as f:
                for line in f:
                    entry = json.loads(line)
                    if entry.get("message") == "barrier tripped":
                        trips.append({"instance": entry["instance"],
                                      "generation": int(entry["generation"]), "worker": w})
                    emf_trips += entry.get("Trips", 0) if "_aws" in entry else 0
        check(emf_trips == len(trips), "the EMF Trips metric counts the same trips", emf_trips)
        print(f"  | {len(trips)} trips by workers {sorted(t['worker'] for t in trips)}")
        per_generation = sorted((t["instance"], t["generation"]) for t in trips)
        check(per_generation == [(d, 1) for d in DATES],
              "every day's generation tripped exactly once", trips)
        violations = [v for api, _, _, _ in workers for v in api.violations]
        check(not violations, "no Runtime API protocol violation", violations)
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
    sys.exit(finish())


if __name__ == "__main__":
    main()
