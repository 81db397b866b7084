"""`eventbarrier doctor` against moto's S3 server (an emulator users point S3
tools at). The test does not decide what moto should pass: it checks that the
doctor runs to a well-formed verdict, exits 0 exactly when no check failed,
and leaves nothing behind; it prints what moto does and does not keep (the
record of it is in docs/DOCTOR.md).

    doctor_moto_test.py EVENTBARRIER SOURCE_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(sys.argv[2], "tests", "fakes"))
from moto_server import MotoServer  # noqa: E402

CHECKS = ["put-if-absent", "racers", "list-after-write", "list-order", "list-pagination",
          "list-start-after", "list-after-delete", "bulk-delete", "clock", "permissions", "cleanup"]


def main():
    eventbarrier = sys.argv[1]
    with MotoServer() as moto:
        s3 = moto.client("s3")
        s3.create_bucket(Bucket="eb-doctor")
        env = {**os.environ, **moto.env}
        run = subprocess.run([eventbarrier, "doctor", "--state", "s3://eb-doctor/state/", "--json"],
                             env=env, capture_output=True, text=True, timeout=240)
        print(run.stderr, file=sys.stderr)
        report = json.loads(run.stdout)
        outcomes = {c["name"]: c["outcome"] for c in report["checks"]}
        for c in report["checks"]:
            print(f'{c["outcome"].upper():5} {c["name"]:18} {c["evidence"]} [{c["elapsed_ms"]} ms]')
        print(f'verdict (exit {run.returncode}, {report["elapsed_ms"]} ms): {report["verdict"]}')

        problems = []
        if [n for n in CHECKS if n not in outcomes]:
            problems.append(f"checks missing from the report: {[n for n in CHECKS if n not in outcomes]}")
        if any(o not in ("pass", "warn", "fail", "skip") for o in outcomes.values()):
            problems.append(f"unknown outcome in {outcomes}")
        failed = any(o == "fail" for o in outcomes.values())
        if report["ok"] == failed or run.returncode != (1 if failed else 0):
            problems.append(f"exit {run.returncode} and ok={report['ok']} disagree with the checks {outcomes}")
        if failed and "do not trust" not in report["verdict"]:
            problems.append("a failed check without a verdict naming the broken promise")
        left = s3.list_objects_v2(Bucket="eb-doctor", Prefix="state/").get("KeyCount", 0)
        if left or outcomes.get("cleanup") != "pass":
            problems.append(f"{left} keys left under the scratch prefix (cleanup: {outcomes.get('cleanup')})")
        for p in problems:
            print("FAIL:", p)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
