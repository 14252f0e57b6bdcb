#!/usr/bin/env python3
"""Process-level measurements for scripts/bench.sh, and its final table.

  bench_run.py e2e   BIN POOL OUT WORKERS SLOTS RUNS    end-to-end `gradsieve select`
  bench_run.py scale BIN POOL OUT SIMS EPOCHS METHOD [FLAGS...]   coordinator + simulated workers
  bench_run.py table RESULTS                            the table, with ratios

Measurements print tab-separated `result` lines like `gradsieve bench`: result, name, best,
median, unit, note. Phase times come from the coordinator's log lines, stamped as they
arrive; memory from /proc/<pid>/status, sampled every 20 ms (VmHWM at exit where the process
is ours to wait for); CPU time from /proc/<pid>/stat.
"""
import os
import re
import statistics
import subprocess
import sys
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_status(pid):
    """VmRSS, VmHWM, RssAnon, RssFile in MB, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    out = {}
    for key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
        m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
        out[key] = int(m.group(1)) / 1024 if m else 0.0
    return out


def proc_cpu(pid):
    """user + system CPU seconds of a live process (its threads included)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except OSError:
        return None


def children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


class Sampler(threading.Thread):
    """Peak memory and last CPU time of a process and its children, every 20 ms."""

    def __init__(self, pid, follow_children=True):
        super().__init__(daemon=True)
        self.pid, self.follow = pid, follow_children
        self.peak = {}  # pid -> dict of peaks
        self.cpu = {}
        self.stop = False

    def run(self):
        while not self.stop:
            pids = [self.pid] + (children(self.pid) if self.follow else [])
            for pid in pids:
                status = proc_status(pid)
                if status is None:
                    continue
                peak = self.peak.setdefault(pid, {k: 0.0 for k in status})
                for k, v in status.items():
                    peak[k] = max(peak[k], v)
                cpu = proc_cpu(pid)
                if cpu is not None:
                    self.cpu[pid] = cpu
            time.sleep(0.02)


def result(name, best, median, unit, note=""):
    print(f"result\t{name}\t{best:.4g}\t{median:.4g}\t{unit}\t{note}", flush=True)


def stamp_lines(stream, events, start):
    """Reads log lines, keeping (seconds since start, line)."""
    for raw in iter(stream.readline, b""):
        events.append((time.monotonic() - start, raw.decode(errors="replace").rstrip()))


def first(events, pattern, after=0.0):
    for t, line in events:
        if t >= after and re.search(pattern, line):
            return t
    return None


def last(events, pattern):
    found = None
    for t, line in events:
        if re.search(pattern, line):
            found = t
    return found


def e2e(bin_path, pool, out, workers, slots, runs):
    label = f"select workers={workers} slots={slots}"
    phases = {k: [] for k in ("open", "join", "validation", "score", "select", "write", "total")}
    rows = None
    peaks_coord, peaks_worker, cpu_coord, cpu_workers = [], [], [], []
    for _ in range(runs):
        cmd = [bin_path, "select", "--data", pool, "--method", "gradalign", "--budget", "1000",
               "--workers", str(workers), "--slots", str(slots), "--out", out, "--force"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sampler = Sampler(proc.pid)
        sampler.start()
        events = []
        reader = threading.Thread(target=stamp_lines, args=(proc.stderr, events, start), daemon=True)
        reader.start()
        code = proc.wait()
        total = time.monotonic() - start
        reader.join()
        sampler.stop = True
        sampler.join()
        if code != 0:
            sys.stderr.write("\n".join(line for _, line in events[-20:]) + "\n")
            raise SystemExit(f"{label} failed with {code}")
        listening = first(events, r"listening on")
        validation_start = first(events, r"validation sum over")
        scoring = first(events, r"scoring \d+ rows")
        scored = first(events, r"score: \d+/\d+ shards")
        selected = first(events, r"selected \d+ of")
        m = re.search(r"scoring (\d+) rows", next(l for _, l in events if "scoring" in l))
        rows = int(m.group(1))
        phases["open"].append(listening)
        phases["join"].append((validation_start or scoring) - listening)
        phases["validation"].append(scoring - (validation_start or scoring))
        phases["score"].append(scored - scoring)
        phases["select"].append(selected - scored)
        phases["write"].append(total - selected)
        phases["total"].append(total)
        coord = sampler.peak.get(proc.pid, {})
        peaks_coord.append(coord.get("VmHWM", 0))
        cpu_coord.append(sampler.cpu.get(proc.pid, 0))
        worker_pids = [p for p in sampler.peak if p != proc.pid]
        peaks_worker.append(max((sampler.peak[p]["VmHWM"] for p in worker_pids), default=0))
        cpu_workers.append(sum(sampler.cpu.get(p, 0) for p in worker_pids))
    notes = {
        "open": "coordinator opens and validates the pool, reads the ids",
        "join": "workers start, open and fingerprint the pool, say ready",
        "validation": "phase 1: validation sum and reduction",
        "score": "phase 2: fused dot+norm over every row",
        "select": "ranking, after the last shard",
        "write": "curriculum.jsonl + scores.jsonl + run.json, exit",
        "total": "whole command",
    }
    for key, values in phases.items():
        result(f"{label} phase {key}", min(values), statistics.median(values), "s", notes[key])
    score = phases["score"]
    result(f"{label} score rows/s", rows / min(score), rows / statistics.median(score), "rows/s",
           f"{rows} rows")
    result(f"{label} coordinator peak RSS", min(peaks_coord), statistics.median(peaks_coord), "MB")
    result(f"{label} worker peak RSS (largest)", min(peaks_worker), statistics.median(peaks_worker), "MB",
           "file pages of the shards in flight included")
    result(f"{label} CPU time coordinator", min(cpu_coord), statistics.median(cpu_coord), "s")
    result(f"{label} CPU time workers (all)", min(cpu_workers), statistics.median(cpu_workers), "s",
           "user + system, whole run")


def scale(bin_path, pool, out, sims, epochs, method, flags=()):
    port = 7400 + os.getpid() % 500
    extra = ["--low", "0.05", "--high", "0.95"] if method == "accuracy-band" else []
    cmd = [bin_path, "coordinator", "--listen", f"127.0.0.1:{port}", "--data", pool, "--method", method,
           "--budget", "10000", "--expect-workers", str(sims), "--max-connections", str(sims + 16),
           "--epochs", str(epochs), "--out", out, "--force"] + extra + list(flags)
    start = time.monotonic()
    coord = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = Sampler(coord.pid, follow_children=False)
    sampler.start()
    events = []
    reader = threading.Thread(target=stamp_lines, args=(coord.stderr, events, start), daemon=True)
    reader.start()
    while first(events, r"listening on") is None:
        if coord.poll() is not None:
            raise SystemExit("the coordinator exited before listening:\n" + "\n".join(l for _, l in events))
        time.sleep(0.05)
    listening = first(events, r"listening on")
    at_listen = dict(sampler.peak.get(coord.pid, {}))
    cpu_at_listen = sampler.cpu.get(coord.pid, 0)
    sim = subprocess.run([bin_path, "bench", "sim-workers", "--connect", f"127.0.0.1:{port}",
                          "--workers", str(sims), "--data", pool], capture_output=True, text=True)
    code = coord.wait()
    total = time.monotonic() - start
    reader.join()
    sampler.stop = True
    sampler.join()
    if code != 0 or sim.returncode != 0:
        sys.stderr.write(sim.stdout + sim.stderr + "\n".join(l for _, l in events[-20:]))
        raise SystemExit("scale test failed")
    rows = int(re.search(r"(\d+) rows, d = ", next(l for _, l in events if "listening on" in l)).group(1))
    dim = int(re.search(r"d = (\d+)", next(l for _, l in events if "listening on" in l)).group(1))
    label = f"coordinator N={rows} d={dim} {method} sims={sims}"
    peak = sampler.peak.get(coord.pid, {})
    cpu_total = sampler.cpu.get(coord.pid, 0)
    result(f"{label} open pool + ids (to listening)", listening, listening, "s",
           f"RSS {at_listen.get('VmRSS', 0):.0f} MB, CPU {cpu_at_listen:.2f} s")
    result(f"{label} peak RSS", peak.get("VmHWM", 0), peak.get("VmRSS", 0), "MB",
           f"best column: VmHWM; median column: peak VmRSS; anon {peak.get('RssAnon', 0):.0f} MB")
    result(f"{label} CPU time total", cpu_total, cpu_total, "s",
           f"{cpu_total - cpu_at_listen:.2f} s after listening, {total:.1f} s wall")
    joined = last(events, r"joined from")
    result(f"{label} {sims} workers joined (after listening)", joined - listening, joined - listening, "s")
    latencies = []
    for epoch in range(1, epochs + 1):
        begin = first(events, rf"epoch {epoch}: (scoring|validation sum over)")
        scored = first(events, rf"epoch {epoch} score: ")
        picked = first(events, rf"epoch {epoch}: selected")
        written = first(events, rf"epoch {epoch}: written")
        if None in (begin, scored, picked, written):
            continue
        latencies.append(written - begin)
        result(f"{label} epoch {epoch} latency (start -> curriculum sent)", written - begin, written - begin, "s",
               f"scoring {scored - begin:.2f} s, ranking {picked - scored:.2f} s, writing files {written - picked:.2f} s")
    if latencies:
        result(f"{label} epoch latency", min(latencies), statistics.median(latencies), "s",
               f"{rows / min(latencies):.3g} rows/s through the coordinator")
    for line in sim.stdout.splitlines():
        if line.startswith("#"):
            print(line, flush=True)


def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "result" and len(parts) >= 5:
                rows.append((parts[1], float(parts[2]), float(parts[3]), parts[4], parts[5] if len(parts) > 5 else ""))
    # Several rounds of the same figure (kernels and numpy alternate): best of bests, median of medians.
    merged = {}
    for name, best, median, unit, note in rows:
        entry = merged.setdefault(name, {"best": [], "median": [], "unit": unit, "note": note})
        entry["best"].append(best)
        entry["median"].append(median)
    def pick(entry):
        higher = entry["unit"] not in ("s",)
        best = max(entry["best"]) if higher else min(entry["best"])
        return best, statistics.median(entry["median"]), len(entry["best"])
    width = max(len(n) for n in merged) + 2
    print(f"{'measurement':<{width}} {'best':>12} {'median':>12}  unit      rounds  note")
    for name, entry in merged.items():
        best, median, rounds = pick(entry)
        print(f"{name:<{width}} {best:>12.4g} {median:>12.4g}  {entry['unit']:<9} {rounds:>6}  {entry['note']}")
    # Ratios: ours against numpy and the STREAM read, same dtype and data, same run.
    print()
    print("ratios (best / best, median / median)")
    for dtype in ("f32", "f16", "bf16"):
        ours = next((e for n, e in merged.items() if n.startswith(f"kernel {dtype} ") and "threads=2" in n), None)
        stream = next((e for n, e in merged.items() if n.startswith(f"stream-read {dtype} ") and "threads=2" in n), None)
        bare = next((e for n, e in merged.items() if n.startswith("numpy X@g ") and f" {dtype} " in n + " "), None)
        cosine = next((e for n, e in merged.items() if n.startswith("numpy X@g/norm") and f" {dtype} " in n + " "), None)
        if not ours:
            continue
        o_best, o_med, _ = pick(ours)
        for other_name, other in (("STREAM read", stream), ("numpy X@g", bare), ("numpy X@g/norm(X)", cosine)):
            if other:
                b, m, _ = pick(other)
                print(f"  {dtype} fused kernel (2 threads) / {other_name:<18} {o_best / b:6.2f}x  {o_med / m:6.2f}x")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "e2e":
        e2e(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
    elif mode == "scale":
        scale(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8:])
    elif mode == "table":
        table(sys.argv[2])
    else:
        raise SystemExit(__doc__)
