"""Driver of scripts/bench-serve (standard library only): see that script for what is measured and checked."""
import argparse
import csv
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

TARGET_P99_MS = 5.0
TARGET_RPS = 2000.0


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, cwd, **kw):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"bench-serve: error: {' '.join(cmd[:3])}… exited {r.returncode}: {r.stderr.strip()[-800:]}")
    return r


class Server:
    """`kindred serve` on a free loopback port; the address is read from its 'listening on' line."""

    def __init__(self, kindred, model, cwd):
        self.log_path = os.path.join(cwd, "serve.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [kindred, "serve", "--model", model, "--demo-key", "--port", "0", "--reload-interval", "0.5"],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=self.log_file)
        deadline = time.time() + 120
        self.base = None
        while time.time() < deadline and self.proc.poll() is None:
            m = re.search(r"listening on (http://[0-9.:]+)", open(self.log_path).read())
            if m:
                self.base = m.group(1)
                break
            time.sleep(0.1)
        if not self.base:
            self.stop_hard()
            sys.exit("bench-serve: error: kindred serve did not start:\n" + open(self.log_path).read())

    def request(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, data=body, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop_hard(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wrk(url, script, clients, threads, duration):
    """wrk's latency percentiles (ms), requests/s, requests, and failed ones (non-2xx and socket errors)."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{duration}s", "--latency", "-s", script, url],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    def ms(text):
        v, unit = re.match(r"([0-9.]+)(us|ms|s)", text).groups()
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    p = {k: ms(v) for k, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    failed = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        failed += sum(int(x) for x in m.groups())
    return dict(p50=p.get("50"), p99=p.get("99"), rps=rps, requests=total, failed=failed, raw=out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kindred", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--people", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    w, k = a.work, a.kindred
    failures = []

    log("1/5 a run on the bundled people (kindred run)…")
    run([k, "run", "--input", a.people, "--output", "out", "--demo-key"], w)
    run([k, "synth", "--people", "300", "--seed", "99", "--catalog", os.path.join(os.path.dirname(a.people), "occupations.json"),
         "--output", "new.jsonl", "--truth", "new-truth.csv"], w)
    server = Server(k, os.path.join(w, "out"), w)
    try:
        log(f"2/5 answers over HTTP against kindred project ({server.base})…")
        run([k, "project", "--model", "out", "--demo-key", "new.jsonl", "--output", "projected.csv"], w)
        expected = list(csv.reader(open(os.path.join(w, "projected.csv"))))[1:]
        records = [l for l in open(os.path.join(w, "new.jsonl")) if l.strip()]
        same = 0
        for record, row in zip(records, expected):
            status, body = server.request("POST", "/assign", record.encode())
            if status != 200:
                continue
            j = json.loads(body)
            got = [j["id"], "unassigned" if j["cluster"] is None else str(j["cluster"]),
                   "" if j["confidence"] is None else f"{j['confidence']:.4f}",
                   "" if j["second_cluster"] is None else str(j["second_cluster"]), j["reason"] or ""]
            same += got == row
        identical = same == len(expected) == len(records)
        log(f"   {same} of {len(expected)} answers identical to kindred project")
        if not identical:
            failures.append(f"answers differ from kindred project ({same} of {len(expected)} identical)")

        log(f"3/5 latency and throughput (wrk, {a.duration} s × {a.repeats} rounds)…")
        one = os.path.join(w, "one.json")
        with open(one, "w") as f:
            f.write(records[0])
        script = os.path.join(w, "post.lua")
        with open(script, "w") as f:
            f.write(f'local f = io.open("{one}", "r")\nwrk.method = "POST"\nwrk.body = f:read("*a")\nf:close()\n'
                    'wrk.headers["Content-Type"] = "application/json"\n')
        url = server.base + "/assign"
        wrk(url, script, 1, 1, 1)  # warm-up
        single = [wrk(url, script, 1, 1, a.duration) for _ in range(a.repeats)]
        fifty = [wrk(url, script, 50, 2, a.duration) for _ in range(a.repeats)]
        for r in single + fifty:
            if r["failed"]:
                failures.append(f"{r['failed']} requests failed under load")
        project_seconds = []
        for _ in range(5):
            t = time.perf_counter()
            run([k, "project", "--model", "out", "--demo-key", one, "--output", "one.csv"], w)
            project_seconds.append(time.perf_counter() - t)

        log("4/5 a new run moves latest while 8 clients keep asking…")
        before = json.loads(server.request("GET", "/healthz")[1])["run"]
        with open(a.people) as f:
            changed = f.readlines()[100:]
        with open(os.path.join(w, "people-2.jsonl"), "w") as f:
            f.writelines(changed)
        load = {}
        loader = threading.Thread(target=lambda: load.update(wrk(url, script, 8, 1, max(a.duration, 20))))
        loader.start()
        swap_started = time.time()
        run([k, "run", "--input", "people-2.jsonl", "--output", "out", "--demo-key"], w)
        after, swapped_at = before, None
        while time.time() - swap_started < 60:
            after = json.loads(server.request("GET", "/healthz")[1])["run"]
            if after != before:
                swapped_at = time.time()
                break
            time.sleep(0.2)
        loader.join()
        if after == before:
            failures.append("the model was not swapped after latest moved")
        if load.get("failed"):
            failures.append(f"{load['failed']} of {load['requests']} requests failed while the model was swapped")
        log(f"   run {before} → {after}; {load.get('requests', 0)} requests during the swap, {load.get('failed', '?')} failed")
        status, _ = server.request("POST", "/assign", records[0].encode())
        if status != 200:
            failures.append(f"POST /assign after the swap answered {status}")

        log("5/5 SIGTERM…")
        t = time.perf_counter()
        server.proc.send_signal(signal.SIGTERM)
        try:
            code = server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        stop_seconds = time.perf_counter() - t
        if code != 0:
            failures.append(f"after SIGTERM kindred serve exited {code} (want 0 within 30 s)")
    finally:
        server.stop_hard()

    med = lambda rs, key: statistics.median(r[key] for r in rs)
    p99_1, p50_1, rps_1 = med(single, "p99"), med(single, "p50"), med(single, "rps")
    p99_50, p50_50, rps_50 = med(fifty, "p99"), med(fifty, "p50"), med(fifty, "rps")
    proj_ms = statistics.median(project_seconds) * 1000
    print(f"\n### kindred serve, single-person POST /assign on {os.cpu_count()} CPUs (medians of {a.repeats} rounds of {a.duration} s)\n")
    print("| clients | p50 ms | p99 ms | requests/s |")
    print("|---:|---:|---:|---:|")
    print(f"| 1 | {p50_1:.3f} | {p99_1:.3f} | {rps_1:,.0f} |")
    print(f"| 50 | {p50_50:.3f} | {p99_50:.3f} | {rps_50:,.0f} |")
    print(f"\none `kindred project` invocation for one person (model load included): {proj_ms:,.0f} ms (median of 5) — "
          f"{proj_ms / p50_1:,.0f}× the service's p50")
    print(f"answers identical to kindred project: {same} of {len(expected)}")
    print(f"model swapped under load: {before} → {after}, {load.get('requests', 0)} requests, {load.get('failed', '?')} failed")
    print(f"SIGTERM: exit {code} after {stop_seconds:.1f} s")
    word = {True: "PASS", False: "MISS"}
    print(f"\ntarget p99 < {TARGET_P99_MS:g} ms at 1 client: {p99_1:.3f} ms {word[p99_1 < TARGET_P99_MS]} · "
          f"≥ {TARGET_RPS:,.0f} requests/s at 50 clients: {rps_50:,.0f} {word[rps_50 >= TARGET_RPS]}")
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        sys.exit(1)
    print("checks passed (identical answers, swap without failed requests, graceful stop)")


if __name__ == "__main__":
    main()
