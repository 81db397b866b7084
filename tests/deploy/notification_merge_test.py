#!/usr/bin/env python3
"""deploy/notification.py: keeps other notifications, replaces its own, never
covers the state prefix. Run: notification_merge_test.py PATH/TO/notification.py"""
import json
import subprocess
import sys

SCRIPT = sys.argv[1]
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:eb"


def run(current, *prefixes, state=".eventbarrier/"):
    args = [sys.executable, SCRIPT, "--function-arn", ARN, "--state-prefix", state]
    for p in prefixes:
        args += ["--prefix", p]
    r = subprocess.run(args, input=json.dumps(current) if current is not None else "",
                       capture_output=True, text=True)
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else r.stderr)


failures = []


def expect(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


other = {"Id": "audit", "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:1:function:audit",
         "Events": ["s3:ObjectRemoved:*"]}
current = {"QueueConfigurations": [{"Id": "q", "QueueArn": "arn:aws:sqs:eu-west-1:1:q",
                                    "Events": ["s3:ObjectCreated:*"],
                                    "Filter": {"Key": {"FilterRules": [{"Name": "Prefix",
                                                                        "Value": "logs/"}]}}}],
           "LambdaFunctionConfigurations": [other],
           "EventBridgeConfiguration": {}}
rc, merged = run(current, "sales/", "stock/")
expect(rc == 0, "merges into an existing configuration")
expect(merged["QueueConfigurations"] == current["QueueConfigurations"], "keeps queue configurations")
expect(merged["EventBridgeConfiguration"] == {}, "keeps EventBridge delivery")
lambdas = merged["LambdaFunctionConfigurations"]
expect(lambdas[0] == other, "keeps other functions' configurations")
ours = [c for c in lambdas if c["Id"].startswith("eventbarrier-")]
expect([c["Filter"]["Key"]["FilterRules"] for c in ours] ==
       [[{"Name": "prefix", "Value": "sales/"}], [{"Name": "prefix", "Value": "stock/"}]],
       "one prefix-filtered configuration per watched prefix (FilterRuleName's values are "
       "prefix and suffix)")
expect(all(c["LambdaFunctionArn"] == ARN and c["Events"] == ["s3:ObjectCreated:*"] for c in ours),
       "ObjectCreated events to the function")

rc, again = run(merged, "sales/")
expect(rc == 0 and len(again["LambdaFunctionConfigurations"]) == 2,
       "re-running replaces its own configurations (one left for one prefix)")

rc, fresh = run(None, "sales/")
expect(rc == 0 and len(fresh["LambdaFunctionConfigurations"]) == 1, "an empty bucket configuration")

for bad in ["", ".eventbarrier/", ".", ".e", ".eventbarrier/x/"]:
    rc, err = run(current, bad)
    expect(rc != 0 and "state prefix" in err, "refuses watched prefix %r" % bad)
rc, err = run(current, "data/", state="data/.eb/")
expect(rc != 0, "refuses a watched prefix that holds the state prefix")
rc, err = run(current, "sales/", "sales/east/")
expect(rc != 0 and "overlap" in err, "refuses overlapping watched prefixes")
sys.exit(1 if failures else 0)
