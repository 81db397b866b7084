#!/usr/bin/env python3
"""Proves check_template.py can fail: each mutation of deploy/template.yaml
below breaks one rule, and the matching check must report it (the unmutated
template must pass). Run: check_template_selftest.py TEMPLATE CALLS_HEADER [SPEC_DB]
Without SPEC_DB the spec mutations are not tried."""
import copy
import sys

import check_template as ct


def role(t):
    return t["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def sid(t, name):
    for s in role(t):
        if isinstance(s, dict) and s.get("Sid") == name:
            return s
        if ct.intrinsic(s) == "Fn::If" and s["Fn::If"][1].get("Sid") == name:
            return s["Fn::If"][1]
    raise KeyError(name)


def lambda_config(t, i):
    return t["Resources"]["DataBucket"]["Properties"]["NotificationConfiguration"][
        "LambdaConfigurations"][i]


SPEC_MUTATIONS = {
    "unknown resource type": lambda t: t["Resources"]["Function"].update(
        Type="AWS::Lambda::Functio"),
    "unknown property": lambda t: t["Resources"]["Function"]["Properties"].update(
        Runtim="provided.al2023"),
    "missing required property": lambda t: t["Resources"]["Function"]["Properties"].pop("Code"),
    "nested unknown property": lambda t: t["Resources"]["AsyncConfig"]["Properties"][
        "DestinationConfig"]["OnFailure"].update(Destinaton="x"),
    "nested missing required": lambda t: t["Resources"]["AsyncConfig"]["Properties"][
        "DestinationConfig"]["OnFailure"].pop("Destination"),
    "property in a list item": lambda t: lambda_config(t, 0)["Filter"]["S3Key"]["Rules"][0].update(
        Nme="prefix"),
    "property inside Fn::If": lambda t: lambda_config(t, 1)["Fn::If"][1].update(Evnt="x"),
    "wrong scalar type": lambda t: t["Resources"]["Function"]["Properties"].update(
        Architectures="arm64"),
    "unknown GetAtt attribute": lambda t: t["Resources"]["Function"]["Properties"].update(
        Role={"Fn::GetAtt": ["Role", "Arnn"]}),
    "unknown Ref": lambda t: t["Resources"]["Function"]["Properties"].update(
        MemorySize={"Ref": "Memory"}),
    "unknown Sub variable": lambda t: t["Resources"]["LogGroup"]["Properties"].update(
        LogGroupName={"Fn::Sub": "/aws/lambda/${Stack}"}),
    "unknown condition": lambda t: t["Resources"]["DataBucket"].update(Condition="Nope"),
    "a transform": lambda t: t.update(Transform="AWS::Serverless-2016-10-31"),
}

IAM_MUTATIONS = {
    "an action the code never calls": lambda t: sid(t, "StateObjects")["Action"].append(
        "s3:GetBucketLocation"),
    "an action the code calls is missing": lambda t: role(t).remove(
        next(s for s in role(t) if ct.intrinsic(s) == "Fn::If"
             and s["Fn::If"][1].get("Sid") == "StepFunctionsAction")),
    "a wildcard action": lambda t: sid(t, "SnsAction").update(Action="sns:*"),
}

S3_MUTATIONS = {
    "Resource *": lambda t: sid(t, "StateObjects").update(Resource="*"),
    "the whole bucket": lambda t: sid(t, "StateObjects").update(
        Resource={"Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/*"}),
    "ListBucket without a condition": lambda t: sid(t, "StateList").pop("Condition"),
    "ListBucket with prefix *": lambda t: sid(t, "StateList")["Condition"]["StringLike"].update(
        {"s3:prefix": "*"}),
    "a manifest prefix that may be empty": lambda t: role(t).append(
        copy.deepcopy(sid(t, "Manifests"))),
}

NOTIFICATION_MUTATIONS = {
    "a watched prefix without a pattern": lambda t: t["Parameters"]["WatchedPrefix2"].pop(
        "AllowedPattern"),
    "a watched prefix that may start with '.'": lambda t: t["Parameters"]["WatchedPrefix1"].update(
        AllowedPattern="^[^*?]+$"),
    "a required watched prefix that may be empty": lambda t: t["Parameters"][
        "WatchedPrefix1"].update(AllowedPattern="^([A-Za-z0-9_-][^*?]*)?$"),
    "a notification without a filter": lambda t: lambda_config(t, 0).pop("Filter"),
    "a literal prefix covering the state": lambda t: lambda_config(t, 0)["Filter"]["S3Key"][
        "Rules"][0].update(Value=".event"),
    "a queue notification": lambda t: t["Resources"]["DataBucket"]["Properties"][
        "NotificationConfiguration"].update(QueueConfigurations=[]),
}


def main(argv):
    template = ct.load_template(argv[1])
    header = argv[2]
    spec = argv[3] if len(argv) > 3 else None
    runs = [("iam", IAM_MUTATIONS, lambda t: ct.check_iam(t, header)),
            ("s3", S3_MUTATIONS, ct.check_s3),
            ("notification", NOTIFICATION_MUTATIONS, ct.check_notification)]
    if spec:
        runs.append(("spec", SPEC_MUTATIONS, lambda t: ct.check_spec(t, spec)))
    failed = 0
    for name, mutations, check in runs:
        base = check(copy.deepcopy(template))
        if base:
            print("FAIL: the %s check fails on the template itself: %s" % (name, base))
            failed += 1
        for what, mutate in mutations.items():
            t = copy.deepcopy(template)
            mutate(t)
            problems = check(t)
            if problems:
                print("ok: %s check catches %s: %s" % (name, what, problems[0]))
            else:
                print("FAIL: the %s check misses %s" % (name, what))
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
