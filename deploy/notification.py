#!/usr/bin/env python3
"""Adds eventbarrier's notification to an existing bucket's configuration.

CloudFormation cannot add a notification to a bucket it did not create, and
`aws s3api put-bucket-notification-configuration` replaces the whole
configuration; so deploy.sh reads the current one, passes it through this
script, and writes the result back. Every other configuration is kept; ours
(Ids starting with "eventbarrier-") are replaced, so re-running is harmless.

  notification.py --function-arn ARN --state-prefix .eventbarrier/ \\
                  --prefix sales/ [--prefix other/ ...] < current.json > new.json

Refuses a watched prefix that is empty, starts with "." or could cover the
state prefix: the function must never be triggered by its own state.
"""
import argparse
import json
import sys

OURS = "eventbarrier-"


def covers(a, b):
    """True if a key under prefix `a` can lie under prefix `b` or the other way round."""
    return a.startswith(b) or b.startswith(a)


def merge(current, function_arn, prefixes, state_prefix):
    for p in prefixes:
        if not p or p.startswith(".") or covers(p, state_prefix):
            raise ValueError("watched prefix %r could cover the state prefix %r (a watched "
                             "prefix must be non-empty and must not start with '.')"
                             % (p, state_prefix))
    for i, a in enumerate(prefixes):
        for b in prefixes[i + 1:]:
            if covers(a, b):
                raise ValueError("watched prefixes %r and %r overlap (S3 refuses overlapping "
                                 "notifications): keep the shorter one" % (a, b))
    out = dict(current)
    kept = [c for c in current.get("LambdaFunctionConfigurations", [])
            if not c.get("Id", "").startswith(OURS)]
    for n, p in enumerate(prefixes, 1):
        kept.append({"Id": "%s%d" % (OURS, n),
                     "LambdaFunctionArn": function_arn,
                     "Events": ["s3:ObjectCreated:*"],
                     "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": p}]}}})
    out["LambdaFunctionConfigurations"] = kept
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--function-arn", required=True)
    ap.add_argument("--state-prefix", required=True)
    ap.add_argument("--prefix", action="append", required=True)
    args = ap.parse_args()
    text = sys.stdin.read().strip()
    current = json.loads(text) if text else {}
    try:
        merged = merge(current, args.function_arn, args.prefix, args.state_prefix)
    except ValueError as e:
        print("notification.py: %s" % e, file=sys.stderr)
        return 1
    json.dump(merged, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
