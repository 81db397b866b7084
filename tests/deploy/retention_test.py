#!/usr/bin/env python3
"""The default retention covers the longest redelivery of the shipped deployment.

  retention_test.py TEMPLATE DEPLOY_SH EVENTBARRIER

Reads deploy/template.yaml (the failure queue's MessageRetentionPeriod, the
asynchronous invocation's MaximumEventAgeInSeconds, TombstoneExpiryDays and
every lifecycle rule) and the engine's default `state.retention` as
`eventbarrier validate` prints it for a configuration that does not set one,
and checks that they agree (docs/PROTOCOL.md, "Retention" and "What may
expire"):

  - retention >= failure queue retention + maximum event age + MARGIN: a replay
    from the queue's last day still finds the tombstone of the arrival it copies;
  - TombstoneExpiryDays (the template's default, and deploy.sh's) >= retention
    + 1 day: S3 expires at the midnight after, never before the retention;
  - every lifecycle rule of the template expires <StatePrefix>_consumed/ only.

Then proves the check can fail: mutated templates (a longer queue, a shorter
expiry, a rule on the whole state prefix) must each be reported.
Exit 0: passed; 1: failed; 77: skipped (no python3-yaml, outside CI).
"""
import copy
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_template as ct  # noqa: E402 (exits 77, or 1 under CI, without python3-yaml)

DAY = 24 * 3600
MARGIN = 12 * 3600  # the least slack beyond the longest redelivery


def parse_duration(text):
    """'15d', '1h30m', '500ms' (core/config.h FormatDuration) -> seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": DAY}
    parts = re.findall(r"(\d+)(ms|d|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError("not a duration: %r" % text)
    return sum(int(n) * units[u] for n, u in parts)


def default_retention(binary):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "config.json")
        with open(path, "w") as f:
            f.write('{"b": ["in/a.csv", "in/b.csv"]}')
        out = subprocess.run([binary, "validate", path], capture_output=True, text=True)
    m = re.search(r"^  state: .*retention (\S+)$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError("eventbarrier validate printed no retention (rc %d):\n%s%s"
                           % (out.returncode, out.stdout, out.stderr))
    return parse_duration(m.group(1))


def failure_redelivery(template):
    """Seconds from an event to the last replay of it from the failure queue."""
    res = template["Resources"]
    longest = None
    for name, r in res.items():
        if r["Type"] != "AWS::Lambda::EventInvokeConfig":
            continue
        props = r["Properties"]
        dest = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if ct.intrinsic(dest) != "Fn::GetAtt":
            raise ValueError("%s: the failure destination is not a resource of the template" % name)
        queue = res[dest["Fn::GetAtt"][0]]
        # SQS keeps a message 4 days unless told otherwise; Lambda retries for 6 hours.
        kept = int(queue.get("Properties", {}).get("MessageRetentionPeriod", 4 * DAY))
        age = int(props.get("MaximumEventAgeInSeconds", 6 * 3600))
        total = kept + age
        longest = total if longest is None else max(longest, total)
    if longest is None:
        raise ValueError("no AWS::Lambda::EventInvokeConfig: which redelivery does the template allow?")
    return longest


def lifecycle_prefixes(template):
    out = []
    for name, r in template["Resources"].items():
        if r["Type"] != "AWS::S3::Bucket":
            continue
        lc = r.get("Properties", {}).get("LifecycleConfiguration")
        if lc is None:
            continue
        for branch in ct.branches(lc):
            if not isinstance(branch, dict):
                continue
            for rule in ct.expand_list(branch.get("Rules", [])):
                p = rule.get("Prefix", rule.get("Filter", {}).get("Prefix"))
                out.append((name, ct.sub_text(p) if p is not None else ""))
    return out


def problems_of(template, retention, deploy_days):
    problems = []
    redelivery = failure_redelivery(template)
    if retention < redelivery + MARGIN:
        problems.append(
            "the default state.retention (%.2f days) does not cover the failure queue's retention plus "
            "the maximum event age (%.2f days) plus a margin of %.1f hours: a replay from the queue "
            "could be counted twice" % (retention / DAY, redelivery / DAY, MARGIN / 3600))
    expiry = template["Parameters"]["TombstoneExpiryDays"]
    days = int(expiry["Default"])
    for what, d in (("the template's TombstoneExpiryDays default", days), ("deploy.sh's --tombstone-days", deploy_days)):
        if d * DAY < retention + DAY:
            problems.append("%s (%d) is less than state.retention + 1 day (%.2f days): S3 would expire "
                            "tombstones inside the retention" % (what, d, retention / DAY + 1))
    if days != deploy_days:
        problems.append("TombstoneExpiryDays (%d) and deploy.sh's default (%d) differ" % (days, deploy_days))
    rules = lifecycle_prefixes(template)
    if not rules:
        problems.append("the template installs no lifecycle rule for the tombstones")
    for bucket, prefix in rules:
        if not prefix.endswith("_consumed/"):
            problems.append("%s: lifecycle rule on %r: only <StatePrefix>_consumed/ may expire (the newest "
                            "trip record of an instance holds its generation counter)" % (bucket, prefix))
    return problems


def deploy_default_days(deploy_sh):
    with open(deploy_sh) as f:
        m = re.search(r"^TOMBSTONE_DAYS=(\d+)$", f.read(), re.M)
    if not m:
        raise ValueError("deploy.sh sets no TOMBSTONE_DAYS default")
    return int(m.group(1))


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        return 2
    template = ct.load_template(argv[1])
    deploy_days = deploy_default_days(argv[2])
    retention = default_retention(argv[3])
    print("default state.retention %.2f days; failure queue + event age %.2f days; TombstoneExpiryDays %s; "
          "deploy.sh %d" % (retention / DAY, failure_redelivery(template) / DAY,
                            template["Parameters"]["TombstoneExpiryDays"]["Default"], deploy_days))
    problems = problems_of(template, retention, deploy_days)
    for p in problems:
        print("FAIL: " + p)

    def bucket(t):
        return t["Resources"]["DataBucket"]["Properties"]

    mutations = {
        "a failure queue kept 15 days": lambda t: t["Resources"]["FailureQueue"]["Properties"].update(
            MessageRetentionPeriod=15 * DAY),
        "no margin left after the event age": lambda t: t["Resources"]["FailureQueue"]["Properties"].update(
            MessageRetentionPeriod=int(retention) - 6 * 3600),
        "tombstones expired on the retention's day": lambda t: t["Parameters"]["TombstoneExpiryDays"].update(
            Default=int(retention // DAY)),
        "a rule on the whole state prefix": lambda t: bucket(t)["LifecycleConfiguration"]["Fn::If"][1][
            "Rules"][0].update(Prefix={"Fn::Sub": "${StatePrefix}"}),
        "no lifecycle rule": lambda t: bucket(t).pop("LifecycleConfiguration"),
    }
    for what, mutate in mutations.items():
        t = copy.deepcopy(template)
        mutate(t)
        if not problems_of(t, retention, deploy_days if "expired" not in what else int(retention // DAY)):
            problems.append("the check passed a template with %s" % what)
            print("FAIL: the check passed a template with " + what)
    if not problems:
        print("ok: the default retention covers the shipped deployment's redelivery; the lifecycle rule "
              "expires tombstones only, after retention + 1 day (%d mutations caught)" % len(mutations))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
