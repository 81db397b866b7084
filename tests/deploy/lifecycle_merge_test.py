#!/usr/bin/env python3
"""deploy/lifecycle.py: our tombstone rule added, the bucket's other rules
kept, re-running harmless, a rule that would expire trip records named."""
import json
import subprocess
import sys

SCRIPT = sys.argv[1]
failed = False


def run(current, *args):
    p = subprocess.run([sys.executable, SCRIPT, *args], input=current, capture_output=True, text=True)
    return p.returncode, (json.loads(p.stdout) if p.returncode == 0 else None), p.stderr


def check(cond, what):
    global failed
    print(("ok: " if cond else "FAIL: ") + what)
    failed |= not cond


rc, new, err = run("", "--state-prefix", ".eventbarrier/", "--days", "15")
check(rc == 0 and new == {"Rules": [{"ID": "eventbarrier-tombstones:.eventbarrier/",
                                       "Filter": {"Prefix": ".eventbarrier/_consumed/"},
                                       "Status": "Enabled", "Expiration": {"Days": 15}}]},
      "no configuration yet: one rule expiring .eventbarrier/_consumed/ after 15 days")

theirs = {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}}
rc, new, err = run(json.dumps({"Rules": [theirs]}), "--state-prefix", ".eventbarrier/", "--days", "15")
check(rc == 0 and new["Rules"][0] == theirs and len(new["Rules"]) == 2, "the bucket's other rule is kept")
check(err == "", "an unrelated rule is no warning")

rc, again, err = run(json.dumps(new), "--state-prefix", ".eventbarrier/", "--days", "20")
check(rc == 0 and len(again["Rules"]) == 2 and again["Rules"][1]["Expiration"] == {"Days": 20},
      "re-running replaces our rule, never adds a second")

rc, two, err = run(json.dumps(again), "--state-prefix", ".other/", "--days", "15")
check(rc == 0 and len(two["Rules"]) == 3, "a second deployment's state prefix gets its own rule")

greedy = {"ID": "clean-everything", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 7}}
rc, new, err = run(json.dumps({"Rules": [greedy]}), "--state-prefix", ".eventbarrier/", "--days", "15")
check(rc == 0 and "clean-everything" in err and "trip records" in err,
      "a rule expiring every key is named: it would delete trip records")
state = {"ID": "state", "Prefix": ".eventbarrier/", "Status": "Enabled", "Expiration": {"Days": 14}}
rc, new, err = run(json.dumps({"Rules": [state]}), "--state-prefix", ".eventbarrier/", "--days", "15")
check(rc == 0 and "'state'" in err, "a (legacy Prefix) rule on the state prefix is named")

rc, new, err = run("", "--state-prefix", ".eventbarrier/", "--days", "0")
check(rc != 0 and "--days" in err, "0 days is refused, naming the flag")
rc, new, err = run("{not json", "--state-prefix", ".eventbarrier/", "--days", "15")
check(rc != 0 and "not JSON" in err, "a broken current configuration is refused")
sys.exit(1 if failed else 0)
