"""deploy/template.yaml in moto's CloudFormation, and deploy/deploy.sh against moto.

    moto_stack_test.py SOURCE_DIR WORK_DIR     (the interpreter of scripts/aws-python.sh)

1. create-stack reaches CREATE_COMPLETE and what it made is read back through each
   service's own API: the function (runtime, architecture, handler, memory, timeout,
   environment, role), the role's statements, the sweeper rule and its target, the
   failure queue, the log group, the alarms; then an update with changed parameters
   (a created data bucket, a second watched prefix, an SNS action, memory, schedule),
   then delete. Where moto does not model something the test says so and checks
   it another way.
2. deploy/deploy.sh with the AWS CLI (AWS_ENDPOINT_URL) and a stand-in `make` that
   writes a zip: the code bucket, the upload and `cloudformation deploy` happen for
   real; then either the stack has its outputs and the bucket gets its notification,
   or it has none (moto's change sets leave them out) and deploy.sh must stop naming
   the missing output instead of passing "None" on.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from checks import check, finish  # noqa: E402
from moto_server import ACCOUNT, REGION, MotoServer  # noqa: E402

SRC, WORK = sys.argv[1], sys.argv[2]
TEMPLATE = os.path.join(SRC, "deploy", "template.yaml")

NOTED = set()


def note(text):
    if text not in NOTED:
        NOTED.add(text)
        print(f"note (moto): {text}")


def wait(cf, stack, want):
    deadline = time.monotonic() + 120
    while True:
        try:
            s = cf.describe_stacks(StackName=stack)["Stacks"][0]
        except cf.exceptions.ClientError as e:  # a deleted stack is gone
            return "DELETE_COMPLETE" if "does not exist" in str(e) else str(e)
        if not s["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return s["StackStatus"]
        time.sleep(0.3)


def params(d):
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in d.items()]


def physical(cf, stack):
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in cf.describe_stack_resources(StackName=stack)["StackResources"]
            if "LogicalResourceId" in r}


def role_statements(iam, role):
    doc = iam.get_role_policy(RoleName=role, PolicyName="eventbarrier")["PolicyDocument"]
    if isinstance(doc, str):  # moto stores a template's inline policy as a Python repr
        import ast
        note("returns a template's inline role policy as a Python repr, not JSON")
        doc = ast.literal_eval(doc)
    if None in doc["Statement"]:
        note("keeps an !If's AWS::NoValue as a null statement (CloudFormation drops it)")
    return {s.get("Sid"): s for s in doc["Statement"] if s is not None}


def template_resources():
    """The logical ids under Resources: (two-space indented keys)."""
    import re
    body = open(TEMPLATE).read().split("\nResources:\n", 1)[1].split("\nOutputs:\n", 1)[0]
    return re.findall(r"^  ([A-Za-z0-9]+):$", body, re.M)


def zip_bytes():
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    return buf.getvalue()


def stack_lifecycle(moto):
    cf, lam, iam = moto.client("cloudformation"), moto.client("lambda"), moto.client("iam")
    events, sqs, s3 = moto.client("events"), moto.client("sqs"), moto.client("s3")
    logs, cw = moto.client("logs"), moto.client("cloudwatch")
    s3.create_bucket(Bucket="eb-code")
    s3.put_object(Bucket="eb-code", Key="eventbarrier/eb.zip", Body=zip_bytes())
    base = {"CodeBucket": "eb-code", "CodeKey": "eventbarrier/eb.zip", "Architecture": "x86_64",
            "DataBucketName": "eb-data", "WatchedPrefix1": "sales/"}
    body = open(TEMPLATE).read()
    cf.create_stack(StackName="eb", TemplateBody=body, Parameters=params(base),
                    Capabilities=["CAPABILITY_IAM"])
    status = wait(cf, "eb", "CREATE_COMPLETE")
    check(status == "CREATE_COMPLETE", "create-stack reaches CREATE_COMPLETE", status)
    if status != "CREATE_COMPLETE":
        return
    res = physical(cf, "eb")
    for logical in ("Function", "Role", "FailureQueue", "LogGroup", "SweepRule",
                    "S3InvokePermission", "SweepInvokePermission"):
        check(logical in res, f"the stack has {logical}", sorted(res))
    check("DataBucket" not in res, "no data bucket without CreateDataBucket=true", sorted(res))
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cf.describe_stacks(StackName="eb")["Stacks"][0].get("Outputs", [])}

    fn = lam.get_function_configuration(FunctionName=res["Function"])
    role_arn = iam.get_role(RoleName=res["Role"])["Role"]["Arn"]
    check(fn["Runtime"] == "provided.al2023", "function runtime provided.al2023", fn["Runtime"])
    check(fn.get("Architectures") == ["x86_64"], "function architecture x86_64 (the parameter)",
          fn.get("Architectures"))
    check(fn["Handler"] == "bootstrap", "function handler bootstrap", fn["Handler"])
    check(fn["MemorySize"] == 256 and fn["Timeout"] == 60, "memory 256 MB, timeout 60 s (defaults)",
          (fn["MemorySize"], fn["Timeout"]))
    check(fn["Role"] == role_arn, "function runs as the stack's role", (fn["Role"], role_arn))
    env = fn.get("Environment", {}).get("Variables", {})
    check(env == {"EVENTBARRIER_STATE": "s3://eb-data", "EVENTBARRIER_OPERATOR_PAYLOADS": "false"},
          "EVENTBARRIER_STATE is the data bucket; operator payloads off by default", env)
    check(outputs.get("FunctionArn") == fn["FunctionArn"], "output FunctionArn is the function",
          outputs)
    check(outputs.get("StateLocation") == "s3://eb-data/.eventbarrier/", "output StateLocation",
          outputs.get("StateLocation"))

    st = role_statements(iam, res["Role"])
    check(sorted(st) == ["Logs", "OnFailureDestination", "StateList", "StateObjects"],
          "the role grants state, logs and the failure queue, no action target", sorted(st))
    check(st.get("StateObjects", {}).get("Resource") == "arn:aws:s3:::eb-data/.eventbarrier/*",
          "state objects: the state prefix only", st.get("StateObjects"))
    check(st.get("StateList", {}).get("Condition") ==
          {"StringLike": {"s3:prefix": ".eventbarrier/*"}}, "list: the state prefix only",
          st.get("StateList"))

    rule = events.describe_rule(Name=res["SweepRule"])
    check(rule["ScheduleExpression"] == "rate(5 minutes)" and rule["State"] == "ENABLED",
          "sweeper rule: rate(5 minutes), enabled", rule)
    targets = events.list_targets_by_rule(Rule=res["SweepRule"])["Targets"]
    check([t["Arn"] for t in targets] == [fn["FunctionArn"]], "sweeper rule targets the function",
          targets)

    q = sqs.get_queue_attributes(QueueUrl=res["FailureQueue"], AttributeNames=["All"])["Attributes"]
    check(q.get("MessageRetentionPeriod") == "1209600", "failure queue keeps messages 14 days", q)
    check(outputs.get("FailureQueueUrl") == res["FailureQueue"], "output FailureQueueUrl", outputs)
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/eb-eventbarrier")["logGroups"]
    check([(g["logGroupName"], g.get("retentionInDays")) for g in groups] ==
          [("/aws/lambda/eb-eventbarrier", 30)], "log group with 30 days' retention", groups)
    unmodelled = sorted(set(template_resources()) - set(res) - {"DataBucket"})
    if unmodelled:
        note("reports no stack resource for " + ", ".join(unmodelled) +
             " (deploy_spec checks them against the CloudFormation specification)")
    alarms = sorted(a["MetricName"] for a in cw.describe_alarms()["MetricAlarms"])
    if alarms or not any(r.endswith("Alarm") for r in unmodelled):
        check(alarms == ["ApproximateNumberOfMessagesVisible", "Errors", "Timeouts", "TripFailures"],
              "four alarms: errors, timeouts, failed events, trip failures", alarms)
    try:
        cfg = lam.get_function_event_invoke_config(FunctionName=res["Function"])
        check(cfg.get("MaximumRetryAttempts") == 2, "async invoke: two retries", cfg)
    except Exception as e:  # noqa: BLE001
        note(f"no AWS::Lambda::EventInvokeConfig ({type(e).__name__}); tests/deploy's spec and "
             "iam checks cover its properties and the queue permission")

    # Update: a created data bucket, a second prefix, an SNS action, other memory and schedule.
    topic = moto.client("sns").create_topic(Name="ready")["TopicArn"]
    changed = {**base, "CreateDataBucket": "true", "WatchedPrefix2": "stock/", "SnsTopicArn": topic,
               "MemorySize": "512", "SweepSchedule": "rate(10 minutes)"}
    cf.update_stack(StackName="eb", TemplateBody=body, Parameters=params(changed),
                    Capabilities=["CAPABILITY_IAM"])
    status = wait(cf, "eb", "UPDATE_COMPLETE")
    check(status == "UPDATE_COMPLETE", "update-stack reaches UPDATE_COMPLETE", status)
    res2 = physical(cf, "eb")
    fn2 = lam.get_function_configuration(FunctionName=res2["Function"])
    check(fn2["MemorySize"] == 512, "update: memory 512 MB", fn2["MemorySize"])
    st2 = role_statements(iam, res2["Role"])
    if sorted(st2) == sorted(st):
        note("does not apply a changed inline role policy on update; checked on a new stack "
             "created with the changed parameters")
        cf.create_stack(StackName="eb-sns", TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                        Parameters=params({**changed, "CreateDataBucket": "false"}))
        check(wait(cf, "eb-sns", "CREATE_COMPLETE") == "CREATE_COMPLETE", "eb-sns is created")
        st2 = role_statements(iam, physical(cf, "eb-sns")["Role"])
        cf.delete_stack(StackName="eb-sns")
        wait(cf, "eb-sns", "DELETE_COMPLETE")
    check(sorted(st2) == sorted([*st, "SnsAction"]) and
          st2["SnsAction"].get("Resource") == topic and
          st2["SnsAction"].get("Action") == "sns:Publish",
          "with SnsTopicArn the role may also publish to that topic, nothing more", st2)
    check(events.describe_rule(Name=res2["SweepRule"])["ScheduleExpression"] == "rate(10 minutes)",
          "update: sweeper every 10 minutes")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check("eb-data" in buckets and "DataBucket" in res2, "update: the data bucket is created",
          buckets)
    if "eb-data" in buckets:
        conf = s3.get_bucket_notification_configuration(Bucket="eb-data")
        conf.pop("ResponseMetadata", None)
        lambdas = conf.get("LambdaFunctionConfigurations", [])
        if not lambdas:
            note("ignores the bucket's NotificationConfiguration from a template; checked "
                 "statically by deploy_notification, and here through the API as deploy.sh "
                 "writes it for an existing bucket")
            new = subprocess.run(
                [sys.executable, os.path.join(SRC, "deploy", "notification.py"), "--function-arn",
                 fn2["FunctionArn"], "--state-prefix", ".eventbarrier/", "--prefix", "sales/",
                 "--prefix", "stock/"], input=json.dumps(conf), capture_output=True, text=True)
            check(new.returncode == 0, "notification.py merges", new.stderr)
            s3.put_bucket_notification_configuration(
                Bucket="eb-data", NotificationConfiguration=json.loads(new.stdout))
            lambdas = s3.get_bucket_notification_configuration(
                Bucket="eb-data").get("LambdaFunctionConfigurations", [])
        prefixes = sorted(r["Value"] for c in lambdas
                          for r in c["Filter"]["Key"]["FilterRules"] if r["Name"].lower() == "prefix")
        check(prefixes == ["sales/", "stock/"] and
              all(c["LambdaFunctionArn"] == fn2["FunctionArn"] for c in lambdas),
              "the bucket notifies the function for the watched prefixes only", lambdas)
        # The tombstones' lifecycle rule (the state lives in the created bucket).
        try:
            rules = s3.get_bucket_lifecycle_configuration(Bucket="eb-data").get("Rules", [])
        except s3.exceptions.ClientError as e:
            note("ignores the bucket's LifecycleConfiguration from a template (%s); checked "
                 "statically by cfn-lint, and here through the API as deploy.sh writes it for "
                 "an existing bucket" % e.response["Error"]["Code"])
            new = subprocess.run(
                [sys.executable, os.path.join(SRC, "deploy", "lifecycle.py"), "--state-prefix",
                 ".eventbarrier/", "--days", "16"], input="", capture_output=True, text=True)
            check(new.returncode == 0, "lifecycle.py writes the rule", new.stderr)
            s3.put_bucket_lifecycle_configuration(
                Bucket="eb-data", LifecycleConfiguration=json.loads(new.stdout))
            rules = s3.get_bucket_lifecycle_configuration(Bucket="eb-data").get("Rules", [])
        if rules:
            prefix = [r.get("Filter", {}).get("Prefix", r.get("Prefix")) for r in rules]
            check(len(rules) == 1 and prefix == [".eventbarrier/_consumed/"] and
                  rules[0]["Expiration"]["Days"] == 16 and rules[0]["Status"] == "Enabled",
                  "the created bucket expires the tombstones after 16 days, and nothing else", rules)

    cf.delete_stack(StackName="eb")
    status = wait(cf, "eb", "DELETE_COMPLETE")
    check(status == "DELETE_COMPLETE", "delete-stack completes", status)
    fns = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    check(res2["Function"] not in fns, "delete: the function is gone", fns)
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    check(res2["Role"] not in roles, "delete: the role is gone", roles)
    queues = sqs.list_queues().get("QueueUrls", [])
    check(res2["FailureQueue"] not in queues, "delete: the failure queue is gone", queues)
    rules = [r["Name"] for r in events.list_rules()["Rules"]]
    check(res2["SweepRule"] not in rules, "delete: the sweeper rule is gone", rules)
    if "eb-data" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        note("deletes a bucket whose DeletionPolicy is Retain (AWS keeps it; "
             "deploy_spec checks the policy)")
    else:
        check(True, "delete: the data bucket is retained (DeletionPolicy: Retain)")


def deploy_sh(moto):
    """deploy/deploy.sh, its AWS CLI calls all against moto; `make` writes a small zip."""
    aws_bin = os.path.dirname(sys.executable)
    if not os.access(os.path.join(aws_bin, "aws"), os.X_OK):
        check(False, "the AWS CLI v1 (honours AWS_ENDPOINT_URL) beside " + sys.executable)
        return
    root, bindir = os.path.join(WORK, "root"), os.path.join(WORK, "bin")
    os.makedirs(os.path.join(root, "deploy"), exist_ok=True)
    os.makedirs(bindir, exist_ok=True)
    for f in ("deploy.sh", "template.yaml", "notification.py"):
        with open(os.path.join(SRC, "deploy", f), "rb") as src, \
                open(os.path.join(root, "deploy", f), "wb") as dst:
            dst.write(src.read())
    # The zip's bootstrap: this interpreter's own ELF file (this machine's architecture).
    with open(os.path.join(bindir, "make"), "w") as f:
        f.write("#!/usr/bin/env python3\nimport os, sys, zipfile\n"
                "if sys.argv[1:2] == ['package']:\n"
                "    os.makedirs('dist', exist_ok=True)\n"
                "    with zipfile.ZipFile(f'dist/eventbarrier-lambda-{os.uname().machine}.zip', 'w')"
                f" as z:\n        z.write({os.path.realpath(sys.executable)!r}, 'bootstrap')\n")
    os.chmod(os.path.join(bindir, "make"), 0o755)
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="eb-existing")
    s3.put_bucket_notification_configuration(Bucket="eb-existing", NotificationConfiguration={
        "QueueConfigurations": [{"Id": "audit", "Events": ["s3:ObjectRemoved:*"],
                                 "QueueArn": moto.client("sqs").get_queue_attributes(
                                     QueueUrl=moto.client("sqs").create_queue(
                                         QueueName="audit")["QueueUrl"],
                                     AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]}]})
    env = {**os.environ, **moto.env, "PATH": f"{bindir}:{aws_bin}:{os.environ['PATH']}"}
    run = subprocess.run(["bash", os.path.join(root, "deploy", "deploy.sh"), "--stack", "ebsh",
                          "--bucket", "eb-existing", "--watch", "sales/"],
                         env=env, capture_output=True, text=True, timeout=300, cwd=root)
    out = run.stdout + run.stderr
    print("  | " + "\n  | ".join(out.strip().splitlines()[-8:]))
    machine = os.uname().machine
    arch = "arm64" if machine in ("aarch64", "arm64") else "x86_64"
    code_bucket = f"eventbarrier-code-{ACCOUNT}-{REGION}"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=code_bucket).get("Contents", [])] \
        if code_bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]] else []
    check(len(keys) == 1 and keys[0].startswith(f"eventbarrier/eventbarrier-lambda-{arch}-"),
          f"deploy.sh created the code bucket and uploaded the zip under its {arch} key", keys)
    cf = moto.client("cloudformation")
    try:
        stack = cf.describe_stacks(StackName="ebsh")["Stacks"][0]
    except Exception as e:  # noqa: BLE001
        check(False, "deploy.sh deployed the stack", e)
        return
    check(stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"),
          "deploy.sh's `cloudformation deploy` completed", stack["StackStatus"])
    p = {x["ParameterKey"]: x["ParameterValue"] for x in stack["Parameters"]}
    check(p.get("Architecture") == arch and p.get("CodeKey") == (keys or [""])[0] and
          p.get("WatchedPrefix1") == "sales/" and p.get("CreateDataBucket") == "false",
          "the stack got the zip's architecture, key, prefix", p)
    conf = s3.get_bucket_notification_configuration(Bucket="eb-existing")
    conf.pop("ResponseMetadata", None)
    if stack.get("Outputs"):
        check(run.returncode == 0, "deploy.sh succeeds", out[-2000:])
        check([c["Id"] for c in conf.get("QueueConfigurations", [])] == ["audit"] and
              len(conf.get("LambdaFunctionConfigurations", [])) == 1,
              "the existing bucket keeps its notification and gains the function's", conf)
    else:
        note("`cloudformation deploy` (a change set) leaves the stack without Outputs")
        check(run.returncode != 0 and "has no output 'FunctionArn'" in out,
              "deploy.sh stops naming the missing output FunctionArn", out[-2000:])
        check("None" not in json.dumps(conf) and
              [c["Id"] for c in conf.get("QueueConfigurations", [])] == ["audit"] and
              not conf.get("LambdaFunctionConfigurations"),
              "the bucket's notification is left as it was", conf)


def main():
    os.makedirs(WORK, exist_ok=True)
    with MotoServer(os.path.join(WORK, "moto.log")) as moto:
        print(f"moto_server on {moto.url}")
        stack_lifecycle(moto)
        deploy_sh(moto)
    sys.exit(finish())


if __name__ == "__main__":
    main()
