"""The arm64 Lambda zip, cross-built on x86_64, run under qemu-user.

    arm64_package_test.py ZIP QEMU SOURCE_DIR WORK_DIR     (Debian's python3)

The zip (make package ARCH=arm64) is unpacked into WORK/root/var/task and checked:
bootstrap is an AArch64 executable whose interpreter is the bundled
/var/task/lib/ld-linux-aarch64.so.1, and scripts/check-lambda-package.sh accepts it
(every library bundled, one machine type, nothing needs a glibc newer than the
bundled one). Then qemu-aarch64 runs /var/task/bootstrap (with -L WORK/root: the
bundled loader and libraries, none of this machine's, checked in the process's
memory map) against a Runtime API
double that follows AWS's documented protocol (version 2018-06-01): the two
members of a barrier arrive in two invocations and the second trips it; an
s3:TestEvent is acknowledged and ignored.
"""
import json
import os
import subprocess
import sys
import threading
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from checks import check, finish  # noqa: E402
from runtime_api import RuntimeApi  # noqa: E402

ZIP, QEMU, SRC, WORK = sys.argv[1:5]

def s3_event(key, sequencer):
    return json.dumps({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-12-06T05:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "bkt"},
               "object": {"key": key, "size": 1, "eTag": "0123456789abcdef",
                          "sequencer": sequencer}}}]})


def main():
    root = os.path.join(WORK, "root")
    task = os.path.join(root, "var", "task")
    subprocess.run(["rm", "-rf", WORK], check=True)
    os.makedirs(task)
    with zipfile.ZipFile(ZIP) as z:
        z.extractall(task)
    for name in os.listdir(os.path.join(task, "lib")):
        os.chmod(os.path.join(task, "lib", name), 0o755)
    os.chmod(os.path.join(task, "bootstrap"), 0o755)

    header = subprocess.run(["readelf", "-hlW", os.path.join(task, "bootstrap")],
                            capture_output=True, text=True).stdout
    check("AArch64" in header, "bootstrap is an AArch64 binary",
          [line for line in header.splitlines() if "Machine" in line])
    check("[Requesting program interpreter: /var/task/lib/ld-linux-aarch64.so.1]" in header,
          "its interpreter is the bundled /var/task/lib/ld-linux-aarch64.so.1")
    rule = subprocess.run(["bash", os.path.join(SRC, "scripts", "check-lambda-package.sh"), ZIP],
                          capture_output=True, text=True)
    print("  | " + rule.stdout.strip().replace("\n", "\n  | "))
    check(rule.returncode == 0 and "AArch64" in rule.stdout, "the package rule holds",
          rule.stdout + rule.stderr)
    libs = sorted(os.listdir(os.path.join(task, "lib")))
    check(not any(n.startswith("libcurl") for n in libs), "no libcurl in lib/", libs)

    api = RuntimeApi()
    threading.Thread(target=api.serve_forever, daemon=True).start()
    endpoint = f"127.0.0.1:{api.server_address[1]}"
    state = os.path.join(WORK, "state")
    env = {"AWS_LAMBDA_RUNTIME_API": endpoint, "LAMBDA_TASK_ROOT": "/var/task",
           "AWS_LAMBDA_FUNCTION_NAME": "eventbarrier-arm64", "AWS_REGION": "us-east-1",
           "EVENTBARRIER_STATE": "file://" + state, "PATH": "/usr/bin:/bin"}
    first = api.enqueue(s3_event("0/0/a b.csv", "001"))
    second = api.enqueue(s3_event("0/1/c.csv", "002"))
    test = api.enqueue(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent",
                                   "Bucket": "bkt", "RequestId": "X", "HostId": "Y"}))
    log = open(os.path.join(WORK, "bootstrap.log"), "wb")
    start = time.monotonic()
    proc = subprocess.Popen([QEMU, "-L", root, os.path.join(task, "bootstrap")], env=env,
                            stdout=log, stderr=subprocess.STDOUT, cwd=WORK)
    deadline = time.monotonic() + 120
    while len(api.answers) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    took = time.monotonic() - start
    # qemu-user maps the guest's files into its own address space: every shared object
    # the runtime loaded must be the zip's (a library missing from it could otherwise
    # come from this machine's arm64 multiarch folder).
    try:
        with open(f"/proc/{proc.pid}/maps") as f:
            mapped = {line.split()[-1] for line in f if ".so" in line.split()[-1]}
    except OSError as e:
        mapped = {f"unreadable: {e}"}
    aarch64 = {m for m in mapped if "aarch64" in m or m.startswith(root)}
    check(aarch64 and all(m.startswith(os.path.join(task, "lib") + "/") for m in aarch64),
          f"all {len(aarch64)} shared objects it mapped are the zip's lib/", sorted(mapped))
    proc.kill()
    proc.wait()
    api.shutdown()
    log.close()
    output = open(os.path.join(WORK, "bootstrap.log"), errors="replace").read()
    check(len(api.answers) == 3, f"three invocations answered under qemu ({took:.1f} s)",
          output[-2000:])
    answers = {rid: api.answers.get(rid, ("missing", "")) for rid in (first, second, test)}
    check(all(kind == "response" for kind, _ in answers.values()), "all as responses, no /error",
          answers)
    try:
        tripped = json.loads(answers[second][1])
        check([(t["barrier"], t["objects"]) for t in tripped.get("trips", [])] ==
              [("event-barrier-0", 2)], "the second member trips event-barrier-0 once", tripped)
        check(json.loads(answers[test][1]).get("ignored") == 1, "the s3:TestEvent is ignored",
              answers[test])
    except ValueError as e:
        check(False, "the answers are JSON", f"{e}: {answers}")
    done = os.path.join(state, ".eventbarrier", "event-barrier-0", "_", "t", "0000000001.done")
    check(os.path.exists(done), "the trip record is in the state folder", done)
    check(not api.violations, "no Runtime API protocol violation", api.violations)
    sys.exit(finish())


if __name__ == "__main__":
    main()
