#!/usr/bin/env python3
"""Adds the expiry of eventbarrier's tombstones to a bucket's lifecycle rules.

A trip writes one small tombstone per consumed arrival under
<state prefix>_consumed/ (docs/PROTOCOL.md); they are needed for the retention
(state.retention, 15 days by default) and then only cost storage. S3 expires
them with one lifecycle rule. `aws s3api put-bucket-lifecycle-configuration`
replaces every rule of the bucket, so deploy.sh reads the current rules,
passes them through this script, and writes the result back: every other rule
is kept; ours (ID "eventbarrier-tombstones:<state prefix>") is replaced, so
re-running is harmless.

  lifecycle.py --state-prefix .eventbarrier/ --days 16 < current.json > new.json

An empty input means the bucket has no lifecycle configuration. Refuses fewer
days than the retention needs (1). Warns about another enabled rule that
expires objects under the state prefix outside _consumed/: it would delete
trip records, whose newest holds the generation counter.
"""
import argparse
import json
import sys

OURS = "eventbarrier-tombstones:"


def rule_prefix(rule):
    f = rule.get("Filter")
    if isinstance(f, dict):
        if "Prefix" in f:
            return f["Prefix"]
        if isinstance(f.get("And"), dict):
            return f["And"].get("Prefix", "")
        return ""  # a tag or size filter alone: every key may match
    return rule.get("Prefix", "")


def merge(current, state_prefix, days):
    if days < 1:
        raise ValueError("--days must be at least 1 (state.retention + 1 day)")
    if not state_prefix.endswith("/"):
        raise ValueError("--state-prefix must end with '/' (e.g. .eventbarrier/)")
    tombstones = state_prefix + "_consumed/"
    rule_id = OURS + state_prefix
    rules = [r for r in current.get("Rules", []) if r.get("ID") != rule_id]
    warnings = []
    for r in rules:
        if r.get("Status") != "Enabled" or "Expiration" not in r:
            continue
        p = rule_prefix(r)
        overlaps = state_prefix.startswith(p) or p.startswith(state_prefix)
        if overlaps and not p.startswith(tombstones):
            warnings.append(
                "lifecycle rule %r expires objects under %r, which covers the state prefix %r: it will "
                "delete trip records (the newest holds the generation counter); limit it to %r"
                % (r.get("ID", "(no ID)"), p, state_prefix, tombstones))
    rules.append({
        "ID": rule_id,
        "Filter": {"Prefix": tombstones},
        "Status": "Enabled",
        "Expiration": {"Days": days},
    })
    return {"Rules": rules}, warnings


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state-prefix", required=True)
    ap.add_argument("--days", type=int, required=True)
    args = ap.parse_args()
    text = sys.stdin.read().strip()
    try:
        current = json.loads(text) if text else {}
    except json.JSONDecodeError as e:
        sys.exit("lifecycle.py: the current configuration is not JSON: %s" % e)
    try:
        new, warnings = merge(current, args.state_prefix, args.days)
    except ValueError as e:
        sys.exit("lifecycle.py: %s" % e)
    for w in warnings:
        print("lifecycle.py: warning: " + w, file=sys.stderr)
    json.dump(new, sys.stdout)


if __name__ == "__main__":
    main()
