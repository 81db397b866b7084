#!/usr/bin/python3
"""The chaos test: eventbarrier's five promises against a real Ceph RGW behind
a fault-injecting proxy, with worker processes killed at random.

What one run does (the seed decides every random choice it can; the timing of
processes and kills cannot be fully reproduced, so a seed reproduces the
workload, the fault plan and the kill schedule, not the interleaving):

  1. starts its own Ceph cluster (scripts/ceph-s3.sh, its own S3_DIR), so a
     restart of the RGW cannot disturb other tests;
  2. starts the chaos proxy (chaos_proxy.py) in this process in front of it;
  3. writes a configuration of B barriers: cyclic barriers of 2-4 members,
     count latches of 2-4 keys (cyclic), once-mode barriers with a {day}
     variable (a new instance per generation); every trip runs an `exec` action
     that appends its idempotency key and a hash of its manifest to a witness
     file, and a `manifest` action that writes to the bucket;
  4. delivers the S3 notifications generation by generation (a producer uploads
     generation g+1 once its job for g started): each event 1-3 times, some
     copies held back to a later generation (stale duplicates), once-mode
     objects re-uploaded after their instance tripped, shuffled and cut into
     payloads of 1-4 records; W `eventbarrier handle` processes at a time run
     the payloads through the proxy; some are killed with SIGKILL at a random
     moment; a payload counts as delivered only when handle exited 0 (the
     Lambda / SQS retry contract), otherwise it is delivered again later;
  5. optionally stops the RGW mid-way and starts it again on the same data;
  6. waits for the lease, then runs `eventbarrier sweep` (faults still on)
     until one sweep succeeds with nothing to do;
  7. reads the bucket directly (not through the proxy) and checks: exactly one
     trip record and one .done per expected (barrier, instance, generation),
     no other trip records; every object consumed by exactly the trip of its
     own generation; markers left in a/ only for consumed ids or once-mode
     re-uploads; every expected idempotency key in the witness, no other key,
     every run of one key with the same manifest; one manifest object per trip.

Prints the report; exits 0 if every check held, 1 on any violation, 77 when
Ceph is not installed (outside CI), 2 on a usage or setup error.
"""

import argparse
import collections
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_proxy  # noqa: E402

BUCKET = "chaos"


def log(msg):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- Ceph

class Ceph:
    """A private cluster of scripts/ceph-s3.sh, stopped by stop()."""

    def __init__(self, script, s3_dir):
        self.script, self.dir = script, s3_dir
        self.env = {}

    def _run(self, *args):
        env = dict(os.environ, S3_DIR=self.dir, S3_BUCKET=BUCKET)
        return subprocess.run(["bash", self.script, *args], env=env).returncode

    def start(self):
        rc = self._run("start")
        if rc != 0:
            return rc
        with open(os.path.join(self.dir, "env")) as f:
            for word in f.read().split():
                if "=" in word:
                    k, _, v = word.partition("=")
                    self.env[k] = v
        return 0

    def stop(self):
        self._run("stop")

    def restart_rgw(self, down_s):
        log(f"stopping the RGW for {down_s:.0f} s")
        self._run("stop-rgw")
        time.sleep(down_s)
        rc = self._run("start-rgw")
        log(f"RGW started again (rc {rc})")
        return rc

    @property
    def endpoint(self):
        return self.env["AWS_ENDPOINT_URL"]


def s3_client(ceph):
    import botocore.config
    import botocore.session
    return botocore.session.get_session().create_client(
        "s3", endpoint_url=ceph.endpoint, region_name="us-east-1",
        aws_access_key_id=ceph.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=ceph.env["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 10}))


def list_all(s3, prefix):
    keys, token = [], None
    while True:
        kw = {"Bucket": BUCKET, "Prefix": prefix}
        if token:
            kw["ContinuationToken"] = token
        page = s3.list_objects_v2(**kw)
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return keys
        token = page["NextContinuationToken"]


# ---------------------------------------------------------------- workload

class Workload:
    """Barriers, the events of every generation, and what must come of them."""

    def __init__(self, rng, barriers, generations, witness):
        self.generations = generations
        self.config = {"barriers": {}, "state": {"lease": "3s"}}
        self.events = {}  # event id -> S3 record
        self.by_generation = collections.defaultdict(list)  # g -> [event ids]
        self.reuploads = collections.defaultdict(list)  # g -> once-mode re-uploads after trip g-1
        # (barrier, instance, generation) -> the object keys it must consume
        self.expected = {}
        self.never_consumed = set()  # event ids that must never be in a trip
        witness_cmd = ["sh", "-c", 'printf "%s %s\\n" "$0" "$(md5sum | cut -c1-16)" >> "$1"',
                       "{idempotency_key}", witness]
        actions = [{"type": "exec", "command": witness_cmd},
                   {"type": "manifest", "key": "ready/{barrier}/{instance}/{generation}.json"}]
        seq = 0

        def event(key):
            nonlocal seq
            seq += 1
            eid = f"e{seq}"
            self.events[eid] = record(key, seq)
            return eid

        n_latch, n_once = max(1, barriers // 5), max(1, barriers // 10)
        for b in range(barriers):
            if b < barriers - n_latch - n_once:
                name, size = f"c{b:03d}", rng.randint(2, 4)
                self.config["barriers"][name] = {
                    "members": [f"in/{name}/m{m}" for m in range(size)], "mode": "cyclic",
                    "on_complete": actions}
                for g in range(1, generations + 1):
                    ids = [event(f"in/{name}/m{m}/g{g}.csv") for m in range(size)]
                    self.by_generation[g] += ids
                    self.expected[(name, "_", g)] = {self.events[i]["s3"]["object"]["key"]
                                                     for i in ids}
            elif b < barriers - n_once:
                name, count = f"l{b:03d}", rng.randint(2, 4)
                self.config["barriers"][name] = {"count": count, "prefix": f"latch/{name}",
                                                 "on_complete": actions}
                for g in range(1, generations + 1):
                    ids = [event(f"latch/{name}/g{g}-k{k}.dat") for k in range(count)]
                    self.by_generation[g] += ids
                    self.expected[(name, "_", g)] = {self.events[i]["s3"]["object"]["key"]
                                                     for i in ids}
            else:
                name = f"o{b:03d}"
                self.config["barriers"][name] = {
                    "members": [f"once/{name}/{{day}}/a", f"once/{name}/{{day}}/b"],
                    "mode": "once", "on_complete": actions}
                for g in range(1, generations + 1):
                    day = f"d{g}"
                    ids = [event(f"once/{name}/{day}/{m}/part.csv") for m in "ab"]
                    self.by_generation[g] += ids
                    self.expected[(name, day, 1)] = {self.events[i]["s3"]["object"]["key"]
                                                     for i in ids}
                    # A new version of a member after the instance tripped: once
                    # mode never trips again, and this arrival is never consumed.
                    again = event(f"once/{name}/{day}/a/part.csv")
                    self.reuploads[g + 1].append(again)
                    self.never_consumed.add(again)

    def deliveries(self, rng, hold_back=0.3):
        """Per phase (1..G+1) the list of event ids to deliver, duplicates included."""
        phases = collections.defaultdict(list)
        for g in range(1, self.generations + 1):
            for eid in self.by_generation[g]:
                phases[g].append(eid)
                for _ in range(rng.randint(0, 2)):  # 1-3 copies in all
                    phases[g + 1 if rng.random() < hold_back else g].append(eid)
        for g, ids in self.reuploads.items():
            phases[g] += ids
        for ids in phases.values():
            rng.shuffle(ids)
        return [phases[g] for g in range(1, self.generations + 2)]


def record(key, seq):
    """An S3 notification record as AWS sends it (keys form-URL-encoded; ours need none)."""
    return {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-28T06:00:00.000Z", "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0",
                   "bucket": {"name": BUCKET, "arn": "arn:aws:s3:::" + BUCKET},
                   "object": {"key": key, "size": 100 + seq, "eTag": f"{seq:032x}",
                              "sequencer": f"{0x5F00000 + seq:016X}"}}}


# ---------------------------------------------------------------- delivery

class Counters:
    def __init__(self):
        self.c = collections.Counter()
        self.lock = threading.Lock()

    def add(self, what, n=1):
        with self.lock:
            self.c[what] += n


class Deliverer:
    """Runs payloads through `eventbarrier handle` processes, killing some."""

    def __init__(self, args, rng, workdir, state_url, config_path, counters):
        self.args, self.rng, self.workdir = args, rng, workdir
        self.state_url, self.config_path, self.counters = state_url, config_path, counters
        self.payload_seq = 0
        self.env = None
        self.hung = []  # invocations that outlived --hang-after

    def run_phase(self, workload, event_ids, on_progress=None):
        tasks = collections.deque()
        i = 0
        while i < len(event_ids):
            n = self.rng.randint(1, 4)
            self.payload_seq += 1
            path = os.path.join(self.workdir, "payloads", f"p{self.payload_seq:05d}.json")
            with open(path, "w") as f:
                json.dump({"Records": [workload.events[e] for e in event_ids[i:i + n]]}, f)
            # Kill decisions drawn now, from the seeded generator, one per attempt.
            kills = [self.rng.random() < self.args.kill_rate for _ in range(64)]
            delays = [self.rng.uniform(0.002, self.args.kill_within) for _ in range(64)]
            tasks.append({"path": path, "attempt": 0, "kills": kills, "delays": delays,
                          "not_before": 0.0})
            self.counters.add("payloads")
            self.counters.add("records_delivered", len(event_ids[i:i + n]))
            i += n
        total, done, running = len(tasks), 0, {}
        while tasks or running:
            now = time.monotonic()
            while len(running) < self.args.workers:
                ready = next((k for k, t in enumerate(tasks) if t["not_before"] <= now), None)
                if ready is None:
                    break
                t = tasks[ready]
                del tasks[ready]
                a = t["attempt"]
                out = open(t["path"] + f".out{a}", "w")
                p = subprocess.Popen(
                    [self.args.eventbarrier, "handle", "--config", self.config_path,
                     "--state", self.state_url, t["path"]],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
                out.close()
                kill_at = now + t["delays"][a % 64] if t["kills"][a % 64] else None
                running[p.pid] = (p, t, kill_at)
                t["started"] = now
                self.counters.add("invocations")
            for pid, (p, t, kill_at) in list(running.items()):
                rc = p.poll()
                if rc is None and kill_at is not None and time.monotonic() >= kill_at:
                    os.kill(pid, signal.SIGKILL)
                    rc = p.wait()
                elif rc is None and time.monotonic() - t["started"] > self.args.hang_after:
                    # Retries are bounded (6 attempts of at most timeout_ms each, plus
                    # back-off): an invocation this slow is stuck, which is a finding.
                    os.kill(pid, signal.SIGKILL)
                    p.wait()
                    self.hung.append(f"{t['path']} attempt {t['attempt']} ran over "
                                     f"{self.args.hang_after:g} s (killed)")
                    rc = -signal.SIGKILL
                if rc is None:
                    continue
                del running[pid]
                if rc == 0:
                    self._acknowledge(t)
                    done += 1
                    if on_progress:
                        on_progress(done, total)
                    continue
                self.counters.add("crashes" if rc == -signal.SIGKILL else "failed_invocations")
                t["attempt"] += 1
                if t["attempt"] > self.args.max_attempts:
                    raise RuntimeError(f"{t['path']} failed {t['attempt']} times; see its .out files")
                # Redelivered later, as a queue would: after a back-off, behind other work.
                t["not_before"] = time.monotonic() + min(2.0, 0.05 * 2 ** min(t["attempt"], 6))
                tasks.append(t)
            time.sleep(0.003)

    def _acknowledge(self, t):
        with open(t["path"] + f".out{t['attempt']}") as f:
            for line in f:
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if "file" not in j:
                    continue
                self.counters.add("arrivals_counted", j.get("arrivals", 0))
                self.counters.add("duplicates_seen", j.get("duplicates", 0))
                for trip in j.get("trips", []):
                    self.counters.add("redrives" if trip.get("redriven") else "claims_reported")

    def sweep_until_quiet(self, max_sweeps=30):
        """Sweeps until one succeeds having tripped and re-driven nothing; returns the count."""
        for n in range(1, max_sweeps + 1):
            r = subprocess.run([self.args.eventbarrier, "sweep", "--config", self.config_path,
                                "--state", self.state_url], capture_output=True, text=True,
                               env=self.env)
            self.counters.add("sweeps")
            line = next((json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")), {})
            trips = line.get("trips", [])
            for trip in trips:
                self.counters.add("sweep_redrives" if trip.get("redriven") else "sweep_trips")
            if r.returncode == 0 and line.get("ok") and not trips:
                return n
            if r.returncode != 0:
                self.counters.add("failed_sweeps")
            time.sleep(0.3)
        raise RuntimeError(f"the sweeper was not quiet after {max_sweeps} sweeps")


# ---------------------------------------------------------------- checks

def check(s3, workload, state_prefix, witness, counters):
    """Every promise, from the bucket and the witness file. Returns (violations, facts)."""
    violations, facts = [], collections.Counter()
    keys = list_all(s3, state_prefix)
    trips, dones, markers = {}, set(), collections.defaultdict(set)
    stale, void = {}, set()  # t/<gen>.stale: ids a record listed but did not consume; void generations
    for key in keys:
        rest = key[len(state_prefix):].split("/")
        # <barrier>/<instance>/t/<gen>[.done|.attempt-n] or .../a/<tag>.<id>
        if len(rest) != 4 or rest[0].startswith("_"):
            continue
        barrier, instance, kind, name = rest
        if kind == "t" and name.isdigit():
            body = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            trips[(barrier, instance, int(name))] = body
        elif kind == "t" and name.endswith(".done"):
            dones.add((barrier, instance, int(name[:-5])))
        elif kind == "t" and name.endswith(".stale"):
            verdict = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            stale[(barrier, instance, int(name[:-6]))] = set(verdict.get("ids", []))
            if verdict.get("void"):
                void.add((barrier, instance, int(name[:-6])))
        elif kind == "a":
            # <tag>.<id>[.<details>]: the id is the second dot-separated field.
            markers[(barrier, instance)].add(name.split(".")[1])
    # A void generation consumed nothing and ran no action (docs/PROTOCOL.md):
    # it is no trip. A record's stale ids were consumed by an earlier one.
    facts["void_generations"] = len(void)
    for tid in void:
        trips.pop(tid, None)
    for tid, ids in stale.items():
        if tid in trips:
            trips[tid] = dict(trips[tid], arrivals=[a for a in trips[tid].get("arrivals", []) if a["id"] not in ids])
    # A void generation takes a number but is no trip: an instance's k-th trip
    # is the workload's generation k. Trips, .done markers, witness keys and
    # manifests are compared under that logical number.
    by_instance = collections.defaultdict(list)
    for (b, i, g) in trips:
        by_instance[(b, i)].append(g)
    renumber = {}
    for (b, i), gens in by_instance.items():
        for k, g in enumerate(sorted(gens), 1):
            renumber[(b, i, g)] = (b, i, k)
    trips = {renumber[t]: body for t, body in trips.items()}
    dones = {renumber[d] for d in dones if d in renumber}
    logical_key = {f"{b}/{i}/{g}": f"{b}/{i}/{k}" for (b, i, g), (_, _, k) in renumber.items()}

    facts["trips_expected"] = len(workload.expected)
    facts["trips_observed"] = len(trips)
    consumed_by = collections.defaultdict(list)  # object key -> trips consuming it
    consumed_ids = collections.defaultdict(set)  # (barrier, instance) -> ids
    for tid, body in sorted(trips.items()):
        got = set()
        for a in body.get("arrivals", []):
            k = a.get("key") or a.get("arrival", {}).get("key")
            got.add(k)
            consumed_by[k].append(tid)
            consumed_ids[tid[:2]].add(a["id"])
        if tid not in workload.expected:
            violations.append(f"unexpected trip record {tid} (a double trip)")
            facts["double_trips"] += 1
            continue
        if body.get("status") != "complete":
            violations.append(f"trip {tid} has status {body.get('status')}")
        if tid not in dones:
            violations.append(f"trip {tid} has no .done after the sweeper was quiet")
        if got != workload.expected[tid]:
            violations.append(f"trip {tid} consumed {sorted(got)}, expected "
                              f"{sorted(workload.expected[tid])}")
    for tid in workload.expected:
        if tid not in trips:
            violations.append(f"missing trip {tid}")
    for k, tids in consumed_by.items():
        if len(tids) > 1:
            violations.append(f"{k} consumed by {len(tids)} trips: {tids} (a double count)")
            facts["double_counted"] += 1
    expected_keys = set().union(*workload.expected.values())
    facts["arrivals_expected"] = len(expected_keys)
    facts["lost_arrivals"] = len(expected_keys - set(consumed_by))
    for k in sorted(expected_keys - set(consumed_by))[:20]:
        violations.append(f"lost arrival: {k} is in no trip record")
    reupload_keys = {workload.events[e]["s3"]["object"]["key"] for e in workload.never_consumed}
    # Markers still present: stale duplicates of consumed arrivals (dropped at the
    # next claim), or once-mode re-uploads after the trip (never consumed).
    for (barrier, instance), ids in markers.items():
        leftover = ids - consumed_ids[(barrier, instance)]
        if barrier.startswith("o"):
            facts["once_markers_left"] += len(leftover)
        elif leftover:
            violations.append(f"{barrier}/{instance}: unconsumed markers {sorted(leftover)[:5]}")
    facts["once_reuploads"] = len(reupload_keys)

    runs = collections.defaultdict(list)
    if os.path.exists(witness):
        with open(witness) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    runs[logical_key.get(parts[0], parts[0])].append(parts[1])
    expected_keys_idem = {f"{b}/{i}/{g}" for (b, i, g) in workload.expected}
    facts["actions_run"] = sum(len(v) for v in runs.values())
    facts["action_reruns"] = facts["actions_run"] - len(runs)
    for key, hashes in runs.items():
        if key not in expected_keys_idem:
            violations.append(f"an action ran for {key}, which is no expected trip (a double trip)")
            facts["double_trips"] += 1
        if len(set(hashes)) > 1:
            violations.append(f"runs of {key} saw {len(set(hashes))} different manifests")
    for key in sorted(expected_keys_idem - set(runs)):
        violations.append(f"the action never ran for {key}")

    manifests = []
    for m in list_all(s3, "ready/"):
        stem = m[len("ready/"):-len(".json")] if m.endswith(".json") else None
        manifests.append(f"ready/{logical_key[stem]}.json" if stem in logical_key else m)
    facts["manifests"] = len(manifests)
    want = {f"ready/{b}/{i}/{g}.json" for (b, i, g) in workload.expected}
    for m in sorted(want - set(manifests))[:20]:
        violations.append(f"manifest {m} missing")
    for m in sorted(set(manifests) - want)[:20]:
        violations.append(f"unexpected manifest {m}")
    return violations, facts


def sabotage(s3, workload, state_prefix, witness):
    """Plants one violation of each kind the checker must see; returns the phrases
    its messages must contain. Proves the check is not vacuous (--sabotage)."""
    trips = sorted(t for t in workload.expected if t[0].startswith("c"))
    (b1, i1, g1), (b2, i2, g2) = trips[0], trips[-1]
    # A second trip record for an already consumed set: a double trip.
    body = s3.get_object(Bucket=BUCKET, Key=f"{state_prefix}{b1}/{i1}/t/{g1:010d}")["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=f"{state_prefix}{b1}/{i1}/t/{g1 + 100:010d}", Body=body)
    # A trip record gone: its arrivals are lost and its generation never tripped.
    s3.delete_object(Bucket=BUCKET, Key=f"{state_prefix}{b2}/{i2}/t/{g2:010d}")
    # An action run for a generation that never was.
    with open(witness, "a") as f:
        f.write(f"{b2}/{i2}/{g2 + 100} 0000000000000000\n")
    return ["unexpected trip record", "a double count", "missing trip", "lost arrival",
            "which is no expected trip"]


# ---------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    source = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description="eventbarrier chaos test (docs/CHAOS.md)")
    p.add_argument("--eventbarrier", required=True, help="path of the eventbarrier binary")
    p.add_argument("--workdir", required=True, help="scratch folder (emptied first)")
    p.add_argument("--barriers", type=int, default=100)
    p.add_argument("--generations", type=int, default=6)
    p.add_argument("--workers", type=int, default=6, help="handle processes at a time")
    p.add_argument("--fault-rate", type=float, default=0.12, help="share of requests with a fault")
    p.add_argument("--kill-rate", type=float, default=0.12, help="share of invocations killed")
    p.add_argument("--kill-within", type=float, default=0.4, help="seconds after start")
    p.add_argument("--timeout-ms", type=int, default=3000, help="the S3 client's request timeout")
    p.add_argument("--hang-after", type=float, default=120.0,
                   help="seconds after which an invocation counts as hung (a violation)")
    p.add_argument("--max-attempts", type=int, default=60, help="deliveries of one payload")
    p.add_argument("--restart-ceph", action="store_true", help="stop and start the RGW mid-run")
    p.add_argument("--ceph-down", type=float, default=10.0, help="seconds the RGW stays down")
    p.add_argument("--sabotage", action="store_true",
                   help="plant violations after the run; pass only if the checker sees them all")
    p.add_argument("--seed", type=int, default=None, help="default: $CHAOS_SEED or random")
    p.add_argument("--ceph-script", default=os.path.join(source, "scripts", "ceph-s3.sh"))
    args = p.parse_args()

    seed = args.seed if args.seed is not None else int(os.environ.get("CHAOS_SEED") or
                                                      random.SystemRandom().randrange(1, 10**9))
    mode = "ceph-restart" if args.restart_ceph else "faults"
    log(f"seed {seed} (reproduce the workload, faults and kills with CHAOS_SEED={seed}); mode {mode}")
    rng = random.Random(seed)
    workdir = os.path.abspath(args.workdir)
    subprocess.run(["rm", "-rf", workdir], check=True)
    os.makedirs(os.path.join(workdir, "payloads"))

    ceph = Ceph(args.ceph_script, os.path.join(workdir, "ceph"))
    rc = ceph.start()
    if rc == 77:
        log("Ceph is not installed: skipped")
        return 77
    if rc != 0:
        log("Ceph did not start")
        return 2
    proxy = None
    try:
        up = ceph.endpoint.split("://", 1)[1]
        long_delay = args.timeout_ms / 1000 + 0.5
        proxy = chaos_proxy.ChaosProxy(up, seed=seed, rate=args.fault_rate,
                                       long_delay_s=long_delay,
                                       delay_s=(0.05, min(0.8, args.timeout_ms / 2000))).start()
        state_prefix = f"run-{seed}/"
        state_url = (f"s3://{BUCKET}/{state_prefix}?endpoint=http://127.0.0.1:{proxy.port}"
                     f"&timeout_ms={args.timeout_ms}")
        witness = os.path.join(workdir, "actions.log")
        workload = Workload(rng, args.barriers, args.generations, witness)
        config_path = os.path.join(workdir, "barriers.json")
        with open(config_path, "w") as f:
            json.dump(workload.config, f, indent=1)
        check_config = subprocess.run([args.eventbarrier, "validate", config_path],
                                      capture_output=True, text=True)
        if check_config.returncode != 0:
            log("the generated configuration is invalid:\n" + check_config.stdout +
                check_config.stderr)
            return 2
        phases = workload.deliveries(rng)
        counters = Counters()
        deliverer = Deliverer(args, rng, workdir, state_url, config_path, counters)
        deliverer.env = dict(os.environ, **{k: v for k, v in ceph.env.items()
                                            if k.startswith("AWS_")})
        total_events = len(workload.events)
        total_deliveries = sum(len(ph) for ph in phases)
        log(f"{args.barriers} barriers, {args.generations} generations, {len(workload.expected)} "
            f"trips expected, {total_events} events, {total_deliveries} deliveries, "
            f"{args.workers} workers")

        restart = {"thread": None, "rc": 0}
        restart_phase = (len(phases) + 1) // 2

        def maybe_restart(done, total, phase):
            if args.restart_ceph and phase == restart_phase and restart["thread"] is None \
                    and done >= total // 3:
                def go():
                    restart["rc"] = ceph.restart_rgw(args.ceph_down)
                restart["thread"] = threading.Thread(target=go, daemon=True)
                restart["thread"].start()

        started = time.monotonic()
        for n, ids in enumerate(phases, 1):
            t0 = time.monotonic()
            deliverer.run_phase(workload, ids,
                                on_progress=lambda d, t, n=n: maybe_restart(d, t, n))
            log(f"phase {n}/{len(phases)}: {len(ids)} deliveries in "
                f"{time.monotonic() - t0:.1f} s; {dict(proxy.stats())}")
        if restart["thread"] is not None:
            restart["thread"].join()
            if restart["rc"] != 0:
                log("the RGW did not come back")
                return 2
        # Unfinished trips (a claimant killed between claim and .done whose event
        # was then acknowledged by a duplicate's redrive) wait for the lease.
        time.sleep(3.5)
        sweeps = deliverer.sweep_until_quiet()
        elapsed = time.monotonic() - started
        faults = proxy.stats()
        s3 = s3_client(ceph)
        if args.sabotage:
            expected_kinds = sabotage(s3, workload, state_prefix + ".eventbarrier/", witness)
        violations, facts = check(s3, workload, state_prefix + ".eventbarrier/", witness,
                                  counters)
        violations += [f"hung invocation: {h}" for h in deliverer.hung]
        c = counters.c
        duplicates = total_deliveries - total_events
        load = open("/proc/loadavg").read().split()[:3]
        report = [
            f"chaos report (seed {seed}, mode {mode}, {args.barriers} barriers x "
            f"{args.generations} generations, {args.workers} workers, {elapsed:.0f} s, "
            f"load average {' '.join(load)})",
            f"events              {total_events} ({facts['arrivals_expected']} to be consumed, "
            f"{facts['once_reuploads']} once-mode re-uploads after the trip)",
            f"deliveries          {total_deliveries} records in {c['payloads']} payloads, "
            f"{c['invocations']} handle invocations",
            f"duplicates          {duplicates} copies beyond the first; {c['duplicates_seen']} "
            f"found their marker present (a copy after the trip re-creates the marker, which "
            f"the consumed window then ignores)",
            "faults injected     " + ", ".join(f"{k} {faults[k]}" for k in chaos_proxy.FAULT_KINDS)
            + f" = {sum(faults[k] for k in chaos_proxy.FAULT_KINDS)} of {faults['requests']} "
            f"requests; upstream errors {faults['upstream_errors']}",
            f"crashes             {c['crashes']} kill -9, {c['failed_invocations']} invocations "
            f"exited non-zero" + (f", RGW restarted once ({args.ceph_down:.0f} s down)"
                                  if args.restart_ceph else ""),
            f"trips expected      {facts['trips_expected']}",
            f"trips observed      {facts['trips_observed']}",
            f"double trips        {facts['double_trips']}",
            f"lost arrivals       {facts['lost_arrivals']}",
            f"double counted      {facts['double_counted']}",
            f"actions run         {facts['actions_run']} ({facts['action_reruns']} re-runs of "
            f"an action whose trip was not yet done); manifests {facts['manifests']}",
            f"re-drives           {c['redrives']} by redelivered events, {c['sweep_redrives']} by "
            f"the sweeper; sweeper trips {c['sweep_trips']}; {sweeps} sweeps until quiet "
            f"({c['failed_sweeps']} failed), faults on",
            f"violations          {len(violations)}",
        ]
        print("\n".join(report), flush=True)
        for v in violations[:50]:
            print("VIOLATION: " + v, flush=True)
        if args.sabotage:
            missed = [k for k in expected_kinds if not any(k in v for v in violations)]
            print(f"sabotage: the checker caught {len(expected_kinds) - len(missed)} of "
                  f"{len(expected_kinds)} planted violations" +
                  (f"; missed: {missed}" if missed else ""), flush=True)
            return 1 if missed else 0
        if violations:
            print(f"reproduce: CHAOS_SEED={seed}; state kept in {workdir}", flush=True)
        return 1 if violations else 0
    finally:
        if proxy is not None:
            proxy.stop()
        if os.environ.get("CHAOS_KEEP_CEPH") != "1":
            ceph.stop()


if __name__ == "__main__":
    sys.exit(main())
