#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run SysGenID's benchmarks in QEMU guests and write the results.

Builds nothing: `make bench` (bench/bench.mk) builds the kernel, the bench
initramfs and the demo's, then calls this.  It

  1. boots the guest with job=bench (bench/job-bench): per-call costs,
     kernel memory per watcher, watcher scale, hyperfine around whole
     processes; all printed on the serial console between markers;
  2. runs the per-call methods that need no SysGenID kernel on the host too,
     to show what the emulation does to each kind of instruction;
  3. boots the demo guest once, snapshots it and restores it into clones
     (qemu/vm.py, the rig that demo/demo.py uses too), collecting the time
     from QMP `cont` to the new generation being visible;
  4. writes results.json, results.md and results.png to --out and prints
     the per-call table and the targets.

Exit status: 0, or 1 when a guest failed, a step reported an error, or the
guest kernel log shows a splat (the numbers are still written).
"""

import argparse
import datetime
import json
import math
import operator
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BOOT = os.path.join(TOP, "qemu", "boot.sh")
sys.path.insert(0, os.path.join(TOP, "qemu"))
import vm  # noqa: E402  (qemu/vm.py: the rig's guests, snapshot, restore)

# What the guest kernel log must not contain: make check's list (qemu/splats).
with open(os.path.join(TOP, "qemu", "splats")) as f:
    SPLATS = re.compile("|".join(ln.strip() for ln in f if ln.strip() and not ln.startswith("#")))

# How each per-call method is grouped (and coloured in the chart).
GROUPS = {
    "raw_load": "baseline", "ool_load": "baseline",
    "mmap_load": "sysgenid, no syscall", "libfast_changed": "sysgenid, no syscall",
    "vdso_raw": "sysgenid, no syscall", "libfast_get": "sysgenid, no syscall",
    "ioctl": "sysgenid, syscall", "read_eagain": "sysgenid, syscall",
    "clock_gettime": "reference", "vdso_getrandom": "reference", "getppid": "reference",
    "vdso_getrandom_16": "generators", "vdso_getrandom_64": "generators",
    "rng_4": "generators", "rng_nocheck_4": "generators", "rng_16": "generators",
    "rng_64": "generators", "rng_nocheck_16": "generators", "rng_nocheck_64": "generators",
    "getrandom_4": "generators", "getrandom_16": "generators", "getrandom_64": "generators",
}
COLOURS = {"baseline": "#9e9e9e", "sysgenid, no syscall": "#2e7d32", "generators": "#6a1b9a",
           "sysgenid, syscall": "#c62828", "reference": "#1565c0"}

# Per-call methods the host can run: the last three on a stand-in page (-S).
HOST_METHODS = ["raw_load", "ool_load", "clock_gettime", "vdso_getrandom", "getppid",
                "mmap_load", "libfast_changed", "libfast_get", "vdso_getrandom_16",
                "vdso_getrandom_64", "rng_4", "rng_nocheck_4", "rng_16", "rng_64",
                "rng_nocheck_16", "rng_nocheck_64", "getrandom_4", "getrandom_16",
                "getrandom_64"]

HYPERFINE_WARMUP = 3
HYPERFINE_RUNS = 10
MEMORY_REPS = 3


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def first_line(text):
    return text.splitlines()[0] if text else "?"


def host_cpu():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def between(text, begin, end):
    """The text between two marker lines.  Markers are matched anywhere in a
    line: the firmware leaves escape codes in front of the first one."""
    i = text.find(begin)
    j = text.find(end, i + 1)
    if i < 0 or j < 0:
        return None
    return text[text.index("\n", i) + 1:j]


# ---- running --------------------------------------------------------------

class HostLoad:
    """CPU time the rest of the host used while a phase ran: on a shared
    2-core machine another build skews every figure, so the results say so.
    Counts /proc/stat busy time minus this script's and its waited-for
    children's (QEMU, the host bench); steal is time the hypervisor under
    this host took away."""

    def __init__(self, name):
        self.name = name

    @staticmethod
    def _sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        hz = os.sysconf("SC_CLK_TCK")
        busy = (v[0] + v[1] + v[2] + v[5] + v[6]) / hz     # user nice system irq softirq
        steal = v[7] / hz if len(v) > 7 else 0.0
        t = os.times()
        return busy, steal, t.user + t.system + t.children_user + t.children_system

    def __enter__(self):
        self.t0 = time.monotonic()
        self.s0 = self._sample()
        return self

    def __exit__(self, *exc):
        busy, steal, mine = self._sample()
        self.result = {"phase": self.name, "seconds": round(time.monotonic() - self.t0, 1),
                       "other_cpu_s": round(max(0.0, busy - self.s0[0] - (mine - self.s0[2])), 1),
                       "steal_s": round(steal - self.s0[1], 1)}
        return False

    def busy(self):
        r = self.result
        return r["other_cpu_s"] > 0.1 * r["seconds"] or r["steal_s"] > 0.05 * r["seconds"]

def boot_bench(args, log_path):
    append = (f"job=bench quiet bench_ms={args.ms} bench_reps={args.reps} "
              f"bench_checks={args.checks} bench_watchers={args.watchers} "
              f"bench_mem_fds={args.mem_fds} bench_mem_reps={MEMORY_REPS}")
    t0 = time.monotonic()
    with open(log_path, "w") as log:
        try:
            subprocess.run([BOOT, args.kernel, args.initrd, append], stdin=subprocess.DEVNULL,
                           stdout=log, stderr=subprocess.STDOUT, timeout=args.timeout,
                           check=False)
        except subprocess.TimeoutExpired:
            pass        # the missing end marker says so
    with open(log_path, errors="replace") as f:
        text = f.read().replace("\r", "")
    return text, time.monotonic() - t0


def parse_guest(text):
    out = {"lines": [], "hyperfine": None, "errors": [], "splats": []}
    body = between(text, "SYSGENID-BENCH-BEGIN", "SYSGENID-BENCH-END")
    if body is None:
        out["errors"].append("no SYSGENID-BENCH-END from the guest (crashed or timed out)")
        body = text.split("SYSGENID-BENCH-BEGIN", 1)[-1]
    for line in body.splitlines():
        i = line.find('{"bench"')
        if i < 0:
            continue
        try:
            obj = json.loads(line[i:])
        except json.JSONDecodeError:
            out["errors"].append("unparsable line: " + line[i:i + 120])
            continue
        out["lines"].append(obj)
        if obj["bench"] == "error":
            out["errors"].append(f"guest step failed: {obj['step']} (status {obj['status']})")
        if obj["bench"] == "check" and not obj["ok"]:
            out["errors"].append("the access paths disagree on the generation: "
                                 + json.dumps(obj))
    hf = between(text, "SYSGENID-HYPERFINE-BEGIN", "SYSGENID-HYPERFINE-END")
    try:
        out["hyperfine"] = json.loads(hf) if hf and hf.strip() else None
    except json.JSONDecodeError:
        pass
    if out["hyperfine"] is None:
        out["errors"].append("no hyperfine results from the guest")
    dmesg = between(text, "SYSGENID-DMESG-BEGIN", "SYSGENID-DMESG-END")
    if dmesg is None:
        out["errors"].append("no kernel log from the guest")
    else:
        out["splats"] = [ln for ln in dmesg.splitlines() if SPLATS.search(ln)]
    if "SYSGENID-GUEST-DONE" not in text:
        out["errors"].append("the bench guest did not finish")
    return out


def host_calls(args):
    """The same binary on the host, without emulation."""
    if not args.host_bench:
        return {}
    cmd = [args.host_bench, "-S", "-t", str(args.ms), "-r", str(args.reps)] + HOST_METHODS
    out = {}
    for line in sh(cmd).splitlines():
        try:
            o = json.loads(line)
        except json.JSONDecodeError:
            continue
        if o.get("bench") == "call" and "median" in o:
            out[o["method"]] = o
    return out


def run_restores(args, outdir, errors):
    """One snapshot of the demo guest, restored into args.clones clones."""
    os.makedirs(outdir, exist_ok=True)
    ns = argparse.Namespace(kernel=args.kernel, initrd=args.demo_initrd, out=outdir)
    snap = os.path.join(outdir, "snapshot.bin")
    clones = []
    try:
        parent = vm.Guest("parent", ns, outdir)
        try:
            vm.snapshot(parent, snap)
        finally:
            parent.kill()       # what the parent does next is of no interest here
        for i in range(1, args.clones + 1):
            r = vm.restore(ns, f"clone{i}", snap)
            ms, ns_ = r.get("cont_to_visible_ms"), r.get("resume_to_visible_ns")
            clones.append({"name": f"clone{i}",
                           "cont_to_visible_ms": float(ms) if ms else None,
                           "resume_to_visible_ns": int(ns_) if ns_ else None,
                           "generation": r.get("gen_vdso"), "guid": r.get("guid")})
    except Exception as e:      # a hung guest is a result to report, not a crash
        errors.append(f"restore series stopped after {len(clones)} clones: {e}")
    finally:
        if os.path.exists(snap):
            os.unlink(snap)     # tens of MB that nothing reads afterwards
    return clones


def run_windows(args, outdir, errors):
    """The restore window from the guest's own view: clones whose VM
    Generation ID notification is held back (vm.window_run), with the
    ID's page mapped into the vDSO and without (sysgenid.map_guid=0)."""
    os.makedirs(outdir, exist_ok=True)
    ns = argparse.Namespace(kernel=args.kernel, initrd=args.demo_initrd, out=outdir)
    rows = []
    for tag, extra, n in (("mapped", "", 2), ("nomap", "sysgenid.map_guid=0", 1)):
        try:
            before, parent, clones = vm.window_run(ns, tag, extra, n)
        except Exception as e:  # a hung guest is a result to report, not a crash
            errors.append(f"window run '{tag}' failed: {e}")
            continue
        gen = int(before.get("gen_before", -1))
        for i, c in enumerate(clones, 1):
            rows.append({
                "name": f"{tag} clone{i}", "flags": before.get("flags_before"),
                "vdso_old_reads": int(c.get("spin_old_after_go", -1)),
                "vdso_new_at_go": c.get("vdso_at_go") == str(gen + 1),
                "page_old_until_commit": c.get("held_page_gen") == str(gen),
                "read_old_until_commit": c.get("held_read_gen") == "unchanged",
                "getrandom_differs": c.get("getrandom_bytes") != parent.get("getrandom_bytes"),
                "vgetrandom_differs": c.get("vgetrandom_bytes") != parent.get("vgetrandom_bytes"),
                "reseeds": c.get("after_reseeds")})
        for f in os.listdir(outdir):
            if f.endswith(".bin"):
                os.unlink(os.path.join(outdir, f))
    return rows


# ---- analysis -------------------------------------------------------------

def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def fit_line(xs, ys):
    """Least squares y = a + b x; returns a, b, r^2."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    return a, b, (1 - ss_res / ss_tot) if ss_tot else 1.0


def analyse_calls(lines, host):
    by = lambda kind: [o for o in lines if o["bench"] == kind]  # noqa: E731
    cfg = (by("config") or [{}])[0]
    calls = {o["method"]: o for o in by("call")}
    base = {k: calls[k]["median"] for k in ("raw_load", "ool_load", "ioctl")
            if "median" in calls.get(k, {})}
    methods = []
    for name, o in calls.items():
        m = {k: v for k, v in o.items() if k != "bench"}
        if "median" in o:
            if "raw_load" in base:
                m["x_raw_load"] = o["median"] / base["raw_load"]
            if "ool_load" in base:
                m["x_out_of_line"] = o["median"] / base["ool_load"]
            if "ioctl" in base:
                m["ioctl_over_this"] = base["ioctl"] / o["median"]
        if name in host:
            for k in ("median", "min", "max"):
                m["host_" + k] = host[name][k]
            m["host_what"] = host[name]["what"]
        methods.append(m)
    return {"unit": "ns/call", "rep_min_ms": cfg.get("rep_min_ms"), "reps": cfg.get("reps"),
            "warmup_ms": cfg.get("warmup_ms"), "pinned_cpu": cfg.get("cpu"),
            "check": (by("check") or [None])[0], "methods": methods}


def analyse_hyperfine(hf, checks):
    none = next((r for r in hf["results"] if r["command"].split()[1] == "none"), None)
    rows = []
    for r in hf["results"]:
        row = {"command": r["command"], "method": r["command"].split()[1],
               "runs": len(r.get("times", []))}
        for k in ("mean", "stddev", "median", "min", "max", "user", "system"):
            if r.get(k) is not None:
                row[k + "_ms"] = r[k] * 1e3
        if none and r is not none:
            row["per_check_ns"] = (r["mean"] - none["mean"]) / checks * 1e9
        rows.append(row)
    return {"checks_per_process": checks, "warmup": HYPERFINE_WARMUP, "runs": HYPERFINE_RUNS,
            "results": rows, "raw": hf}


def analyse_watchers(scale):
    fits = {}
    for t in sorted({o["threads"] for o in scale}):
        pts = sorted((o["watchers"], o["total_us"]["median"])
                     for o in scale if o["threads"] == t)
        if len(pts) < 3:
            continue
        a, b, r2 = fit_line([p[0] for p in pts], [p[1] for p in pts])
        # Marginal cost per watcher over the two largest steps of N: at small
        # N the total is mostly wake-up latency, whose jitter (a millisecond
        # or more under TCG) swamps a step of a few hundred watchers.
        (n1, t1), (n2, t2), (n3, t3) = pts[-3:]
        fits[str(t)] = {"intercept_us": a, "slope_us_per_watcher": b, "r2": r2,
                        "marginal_us_low": (t2 - t1) / (n2 - n1),
                        "marginal_us_high": (t3 - t2) / (n3 - n2),
                        "n_low": [n1, n2], "n_high": [n2, n3]}
    return {"series": [{k: v for k, v in o.items() if k != "bench"} for o in scale],
            "fit": fits}


def analyse(guest, clones, windows, host, args, env, errors):
    lines = guest["lines"]
    res = {"environment": env, "errors": errors, "kernel_splats": guest["splats"]}
    res["per_call"] = analyse_calls(lines, host)
    if guest["hyperfine"]:
        res["hyperfine"] = analyse_hyperfine(guest["hyperfine"], args.checks)
    res["watchers"] = analyse_watchers([o for o in lines if o["bench"] == "scale"])
    res["memory"] = [{k: v for k, v in o.items() if k != "bench"}
                     for o in lines if o["bench"] == "memory"]
    res["restore"] = {
        "clones": clones,
        "cont_to_visible_ms": spread([c["cont_to_visible_ms"] for c in clones]),
        "resume_to_visible_ns": spread([c["resume_to_visible_ns"] for c in clones]),
    }
    if any(c["cont_to_visible_ms"] is None for c in clones):
        errors.append("a clone never printed DEMO-VISIBLE")
    res["window"] = windows
    res["targets"] = judge(res, env["accel"])
    return res


# ---- targets --------------------------------------------------------------

# The targets, as data; why each is met or missed is bench/README.md#targets.
# A figure is a metric (a function in METRICS) of its arguments `of`, on each
# side in `on`: "guest" or "host" picks the per-call medians; for the other
# metrics it only labels the figure.  A figure with a `limit` is judged, one
# without is context.  A target is NOT MEASURED when a judged figure was
# measured on no side, else MET when every measured value passes.  `variants`
# fill the {placeholders} of id, goal and `of`; a limit given per accelerator
# is {"tcg": ..., "kvm": ...} (anything but TCG takes "kvm").  The table lives
# here, not in a targets.json, because the metrics it names are code in this
# file: one place to edit, no loader.
TARGETS = [
    {"id": "getter-vs-call", "goal": "sysgenid_vdso_get() <= 1.3x one out-of-line call+load",
     "figures": [{"metric": "ratio", "of": ["libfast_get", "ool_load"], "on": ["guest"],
                  "op": "<=", "limit": 1.3},
                 {"metric": "ratio", "of": ["vdso_raw", "ool_load"], "on": ["guest"]},
                 {"metric": "ratio", "of": ["libfast_get", "ool_load"], "on": ["host"]}]},
    {"id": "changed-vs-load", "goal": "sysgenid_changed(&cookie) <= 1.5x one load, natively",
     "figures": [{"metric": "ratio", "of": ["libfast_changed", "raw_load"], "on": ["host"],
                  "op": "<=", "limit": 1.5},
                 {"metric": "ratio", "of": ["libfast_changed", "raw_load"], "on": ["guest"]},
                 {"metric": "ns", "of": ["libfast_get"], "on": ["guest"]}]},
    {"id": "vdso-vs-ioctl",
     "goal": "__vdso_sysgenid_get() >= {limit}x faster than the ioctl ({accel} threshold)",
     "figures": [{"metric": "ratio", "of": ["ioctl", "vdso_raw"], "on": ["guest"],
                  "op": ">=", "limit": {"tcg": 25, "kvm": 100}},
                 {"metric": "ratio", "of": ["ioctl", "libfast_get"], "on": ["guest"]},
                 {"metric": "guest_over_host", "of": ["raw_load"]},
                 {"metric": "guest_over_host", "of": ["ool_load"]},
                 {"metric": "guest_over_host", "of": ["getppid"]}]},
    {"id": "watcher-scale", "goal": "linear in N and <= 2 us per watcher (TCG threshold)",
     "figures": [{"metric": "marginal_growth", "of": [1], "op": "<=", "limit": 2.0},
                 {"metric": "us_per_watcher", "of": [1], "op": "<=", "limit": 2.0},
                 {"metric": "us_per_watcher", "of": [2]}]},
    {"id": "restore-visible", "goal": "QMP cont -> new generation visible <= 10 ms (TCG threshold)",
     "figures": [{"metric": "cont_to_visible_ms", "on": ["host"], "op": "<=", "limit": 10.0}]},
    {"id": "race-free-vdso",
     "goal": "vDSO getter: 0 reads of the old generation after a restore (mapping active)",
     "figures": [{"metric": "old_vdso_reads", "op": "==", "limit": 0},
                 {"metric": "old_vdso_at_go", "op": "==", "limit": 0}]},
    {"id": "rng-vs-vgetrandom-{n}", "doc": "rng-vs-vgetrandom",
     "goal": "sysgenid_rng_bytes() of {n} bytes <= 0.5x __vdso_getrandom() of {n} bytes",
     "variants": [{"n": 4, "vgr": "vdso_getrandom"}, {"n": 16, "vgr": "vdso_getrandom_16"},
                  {"n": 64, "vgr": "vdso_getrandom_64"}],
     "figures": [{"metric": "ratio", "of": ["rng_{n}", "{vgr}"], "on": ["guest", "host"],
                  "op": "<=", "limit": 0.5}]},
    {"id": "rng-check-share",
     "goal": "the generation check <= 10% of a 4-byte sysgenid_rng_bytes()",
     "figures": [{"metric": "share", "of": ["rng_4", "rng_nocheck_4"], "on": ["guest", "host"],
                  "op": "<=", "limit": 0.10}]},
]
OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}


def medians(res, side):
    key = "median" if side == "guest" else "host_median"
    return {m["method"]: m.get(key) for m in res["per_call"]["methods"]}


# Each metric returns (value, text) or None when not measured.
def m_ns(res, side, a):
    d = medians(res, side)
    if d.get(a):
        return d[a], f"{a} {fmt(d[a])} ns"


def m_ratio(res, side, a, b):
    d = medians(res, side)
    if d.get(a) and d.get(b):
        # Four significant digits: 0.4997x and 0.5004x must not read the same.
        return d[a] / d[b], f"{a} {fmt(d[a])} ns / {b} {fmt(d[b])} ns = {d[a] / d[b]:#.4g}x"


def m_share(res, side, a, b):
    d = medians(res, side)
    if d.get(a) and d.get(b):
        v = (d[a] - d[b]) / d[a]
        return v, f"({a} {fmt(d[a])} ns - {b} {fmt(d[b])} ns) / {a} = {100 * v:.0f}%"


def m_guest_over_host(res, side, a):
    g, h = medians(res, "guest").get(a), medians(res, "host").get(a)
    if g and h:
        return g / h, f"{a} guest/host {fmt(g / h)}x"


def m_us_per_watcher(res, side, threads):
    s = [s for s in res["watchers"]["series"] if s["threads"] == threads]
    if s:
        big = max(s, key=lambda s: s["watchers"])
        v = big["total_us"]["median"] / big["watchers"]
        return v, f"{threads} event loop(s): {v:.2f} us/watcher at N={big['watchers']}"


def m_marginal_growth(res, side, threads):
    f = res["watchers"]["fit"].get(str(threads))
    if f:
        lo, hi = f["marginal_us_low"], f["marginal_us_high"]
        v = hi / lo if lo > 0 else float("inf")
        return v, (f"{threads} event loop(s): marginal {hi:.2f} us/watcher (N {f['n_high'][0]}->"
                   f"{f['n_high'][1]}) / {lo:.2f} (N {f['n_low'][0]}->{f['n_low'][1]})"
                   f" = {fmt(v)}x")


def m_cont_to_visible_ms(res, side):
    r = res["restore"]["cont_to_visible_ms"]
    if r:
        return r["median"], (f"cont -> visible median {fmt(r['median'], 1)} ms (min"
                             f" {fmt(r['min'], 1)}, max {fmt(r['max'], 1)}, {r['n']} clones)")


def mapped_clones(res):
    return [w for w in res["window"] if w["name"].startswith("mapped")]


def m_old_vdso_reads(res, side):
    w = mapped_clones(res)
    if w:
        # A clone that never reported its count (-1) cannot pass.
        counts = [x["vdso_old_reads"] for x in w]
        v = float("inf") if min(counts) < 0 else max(counts)
        return v, f"{v} old vDSO reads at most over {len(w)} mapped clones"


def m_old_vdso_at_go(res, side):
    w = mapped_clones(res)
    if w:
        v = sum(not x["vdso_new_at_go"] for x in w)
        return v, f"{v} of {len(w)} mapped clones without the new generation at go"


METRICS = {"ns": m_ns, "ratio": m_ratio, "share": m_share, "guest_over_host": m_guest_over_host,
           "us_per_watcher": m_us_per_watcher, "marginal_growth": m_marginal_growth,
           "cont_to_visible_ms": m_cont_to_visible_ms, "old_vdso_reads": m_old_vdso_reads,
           "old_vdso_at_go": m_old_vdso_at_go}


def judge(res, accel):
    """TARGETS against res: per target its id, goal, status, figures and README section."""
    kind = "tcg" if accel == "tcg" else "kvm"
    out = []
    for t in TARGETS:
        for var in t.get("variants", [{}]):
            judged, context, numbers, oks, limits, unmeasured = [], [], {}, [], [], False
            for f in t["figures"]:
                of = [a.format(**var) if isinstance(a, str) else a for a in f.get("of", [])]
                lim = f.get("limit")
                lim = lim[kind] if isinstance(lim, dict) else lim
                name = f"{f['metric']}({', '.join(map(str, of))})"
                got = [(side, METRICS[f["metric"]](res, side, *of)) for side in f.get("on", [None])]
                for side, (value, text) in [(s, r) for s, r in got if r is not None]:
                    numbers[" ".join(filter(None, [side, name]))] = \
                        value if math.isfinite(value) else None     # strict JSON
                    text = " ".join(filter(None, [side, text]))
                    (context if lim is None else judged).append(text)
                    if lim is not None:
                        oks.append(OPS[f["op"]](value, lim))
                if lim is not None:
                    limits.append(lim)
                    unmeasured |= all(r is None for _, r in got)
            measured = "; ".join(judged) or "-"
            if context:
                measured += "; also " + "; ".join(context)
            out.append({"id": t["id"].format(**var),
                        "goal": t["goal"].format(limit=limits[0], accel=kind.upper(), **var),
                        "status": "NOT MEASURED" if unmeasured else "MET" if all(oks) else "MISSED",
                        "measured": measured, "numbers": numbers,
                        "see": "bench/README.md#" + t.get("doc", t["id"])})
    return out

# ---- output ---------------------------------------------------------------

def fmt(v, nd=2):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.{nd}f}"


def table(columns, rows):
    """Markdown table lines: columns are "heading" or ">heading" (right-aligned)."""
    return (["| " + " | ".join(c.lstrip(">") for c in columns) + " |",
             "|" + "|".join("---:" if c.startswith(">") else "---" for c in columns) + "|"]
            + ["| " + " | ".join(str(x) for x in row) + " |" for row in rows])


def call_table(res):
    rows = []
    for m in sorted(res["per_call"]["methods"], key=lambda m: m.get("median", float("inf"))):
        if "median" not in m:
            rows.append([m["method"], m["what"], f"skipped: {m.get('skipped', '?')}"]
                        + [""] * 6)
            continue
        host = fmt(m.get("host_median"))
        if "stand-in" in m.get("host_what", ""):
            host += " (stand-in)"
        rows.append([m["method"], m["what"], fmt(m["median"]),
                     f"{fmt(m['min'])} - {fmt(m['max'])}", fmt(m["stddev"]),
                     fmt(m.get("x_raw_load")), fmt(m.get("x_out_of_line")),
                     fmt(m.get("ioctl_over_this")), host])
    return "\n".join(table(["method", "what", ">ns/call median", ">min - max", ">stddev",
                            ">x raw load", ">x out-of-line", ">ioctl / this",
                            ">host, no emulation"], rows))


def target_lines(res):
    out = []
    for t in res["targets"]:
        out.append(f"- **{t['status']}** {t['id']} ({t['goal']}): {t['measured']}."
                   f" See {t['see']}.")
    return "\n".join(out)


def md_environment(res):
    e = res["environment"]
    pc = res["per_call"]
    it = e["iterations"]
    return [
        "## Environment", "",
        "| | |", "|---|---|",
        f"| accelerator | {e['accel']} |",
        f"| host | {e['host_cpu']} ({e['host_cpus']} CPUs), kernel {e['host_kernel']} |",
        f"| QEMU | {e['qemu']} |",
        f"| guest | kernel {e['guest_kernel']}, CPU '{e['guest_cpu']}', {e['guest_cpus']} vCPUs,"
        f" {e['guest_mem_mb']} MiB, clocksource {e['guest_clocksource']} |",
        f"| compiler | {e['compiler']} (-O2, static) |",
        f"| per call | {pc['reps']} repetitions of >= {pc['rep_min_ms']} ms per method,"
        f" interleaved, after {pc['warmup_ms']} ms warm-up; pinned to vCPU {pc['pinned_cpu']} |",
        f"| hyperfine | {it['hyperfine_checks_per_process']} checks per process,"
        f" --warmup {it['hyperfine_warmup']} --runs {it['hyperfine_runs']} |",
        f"| watchers | N = {it['watchers']}, {it['watcher_reps']} timed rounds each |",
        f"| memory | {it['memory_fds']} descriptors per step, {it['memory_reps']} repetitions |",
        f"| restore | {it['restore_clones']} clones of one snapshot |",
        "| host load | " + "; ".join(f"{x['phase']}: {x['other_cpu_s']} CPU-s by other"
                                      f" processes, {x['steal_s']} s stolen in {x['seconds']} s"
                                      for x in e["host_load"]) + " |",
        f"| date | {e['date']}; bench guest {e['bench_guest_seconds']} s,"
        f" whole run {e['total_seconds']} s |", ""]


def md_calls(res):
    return [
        "## Per call, in one process", "",
        call_table(res), "", "![ns per call](results.png)", ""]


def md_hyperfine(hf):
    rows = [[f"`{r['command']}`", fmt(r["mean_ms"]), fmt(r["stddev_ms"]),
             f"{fmt(r['min_ms'])} - {fmt(r['max_ms'])}", fmt(r.get("user_ms")),
             fmt(r.get("system_ms")), fmt(r.get("per_check_ns"))] for r in hf["results"]]
    return (["## Whole processes (hyperfine in the guest)", ""]
            + table(["command", ">mean ms", ">stddev", ">min - max", ">user ms", ">system ms",
                     ">ns/check"], rows) + [""])


def md_watchers(w):
    series = [[s["threads"], s["watchers"], fmt(s["total_us"]["median"]),
               f"{fmt(s['total_us']['min'])} - {fmt(s['total_us']['max'])}",
               fmt(s["per_watcher_us"]["median"], 3), fmt(s["setup_us"])]
              for s in sorted(w["series"], key=lambda s: (s["threads"], s["watchers"]))]
    fits = [[t, f"{f['intercept_us']:.0f}", f"{f['slope_us_per_watcher']:.3f}", f"{f['r2']:.4f}",
             f"{f['marginal_us_low']:.3f} (N {f['n_low'][0]}->{f['n_low'][1]})",
             f"{f['marginal_us_high']:.3f} (N {f['n_high'][0]}->{f['n_high'][1]})"]
            for t, f in sorted(w["fit"].items())]
    return (["## Watchers: trigger until every tracked watcher acknowledged", ""]
            + table([">event loops", ">N", ">total us", ">min - max", ">us per watcher",
                     ">setup us"], series) + [""]
            + table([">event loops", ">fit: intercept us", ">slope us/watcher", ">r^2",
                     ">marginal us/watcher, lower step", ">marginal, largest step"], fits)
            + [""])


def md_memory(memory):
    rows = [[m["phase"], m["what"], m["fds"], fmt(m["memfree_bytes_per_fd"], 1),
             fmt(m["slab_bytes_per_fd"], 1)] for m in memory]
    md = (["## Kernel memory per watcher", ""]
          + table(["step", "what it allocates", ">fds", ">free memory drop, bytes/fd",
                   ">Slab growth, bytes/fd"], rows))
    mem = {m["phase"]: m for m in memory}
    if "sysgenid_tracked_files" in mem and "devnull_files" in mem:
        d = (mem["sysgenid_tracked_files"]["slab_bytes_per_fd"]
             - mem["devnull_files"]["slab_bytes_per_fd"])
        md += ["", f"The driver's own share (/dev/sysgenid minus /dev/null): {d:.1f} bytes/fd"
               " of Slab."]
    return md + [""]


def md_restore(r):
    rows = [[c["name"], fmt(c["cont_to_visible_ms"], 1),
             "-" if c["resume_to_visible_ns"] is None else c["resume_to_visible_ns"],
             c["generation"]] for c in r["clones"]]
    md = (["## Restore: snapshot once, restore into clones (qemu/vm.py)", ""]
          + table(["clone", ">cont -> visible, ms (host)", ">resume -> visible, ns (guest)",
                   ">generation"], rows))
    for key, unit in (("cont_to_visible_ms", "ms"), ("resume_to_visible_ns", "ns")):
        s = r[key]
        if s:
            md.append(f"\n{key}: median {fmt(s['median'], 1)} {unit}, min {fmt(s['min'], 1)},"
                      f" max {fmt(s['max'], 1)} ({s['n']} clones).")
    return md + [""]


def md_window(rows):
    yn = {True: "yes", False: "no"}
    cells = [[w["name"], w["flags"], w["vdso_old_reads"], yn[w["page_old_until_commit"]],
              yn[w["read_old_until_commit"]], yn[w["getrandom_differs"]],
              yn[w["vgetrandom_differs"]], w["reseeds"]] for w in rows]
    return (["## Restore window, from the guest's view (vm.window_run)", ""]
            + table(["clone", ">flags", ">old vDSO reads", "page old", "read() old",
                     "getrandom differs", "vDSO getrandom differs", ">reseeds"], cells) + [""])


def write_md(res, path):
    e = res["environment"]
    md = [f"# SysGenID benchmarks ({e['accel'].upper()}, {e['date']})", "",
          "Generated by `make bench` (bench/run.py); what is measured and how, and why each"
          " target is met or missed: bench/README.md.", ""]
    md += md_environment(res)
    if res["errors"] or res["kernel_splats"] or res["warnings"]:
        md += ["## Problems", ""] + [f"- {x}" for x in res["errors"]]
        md += [f"- kernel log: `{x}`" for x in res["kernel_splats"]]
        md += [f"- warning: {x}" for x in res["warnings"]] + [""]
    md += md_calls(res)
    if res.get("hyperfine"):
        md += md_hyperfine(res["hyperfine"])
    if res["watchers"]["series"]:
        md += md_watchers(res["watchers"])
    if res["memory"]:
        md += md_memory(res["memory"])
    if res["restore"]["clones"]:
        md += md_restore(res["restore"])
    if res["window"]:
        md += md_window(res["window"])
    md += ["## Targets", "", target_lines(res), ""]
    with open(path, "w") as f:
        f.write("\n".join(md))


def write_png(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        res["errors"].append("python3-matplotlib missing: no chart")
        return
    ms = sorted((m for m in res["per_call"]["methods"] if "median" in m),
                key=lambda m: m["median"])
    if not ms:
        return
    e = res["environment"]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(ms) + 1.8), dpi=120)
    y = list(range(len(ms)))
    med = [m["median"] for m in ms]
    err = [[m["median"] - m["min"] for m in ms], [m["max"] - m["median"] for m in ms]]
    ax.barh(y, med, xerr=err, capsize=3,
            color=[COLOURS[GROUPS.get(m["method"], "reference")] for m in ms])
    ax.set_yticks(y)
    ax.set_yticklabels([m["method"] for m in ms])
    ax.set_xscale("log")
    ax.set_xlim(min(med) / 2, max(m["max"] for m in ms) * 4)
    for i, m in enumerate(ms):
        ax.text(m["max"] * 1.1, i, f"{fmt(m['median'])} ns", va="center", fontsize=9)
    ax.set_xlabel("ns per call (log scale; bar = median, whisker = min..max)")
    ax.set_title(f"SysGenID read paths, per call: {e['accel'].upper()} on {e['host_cpu']},"
                 f" guest {e['guest_kernel']}", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    ax.legend(handles, COLOURS.keys(), loc="lower right", fontsize=8)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(res, out):
    """Write results.{png,json,md} and print the per-call table and the targets."""
    e = res["environment"]
    write_png(res, os.path.join(out, "results.png"))
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    write_md(res, os.path.join(out, "results.md"))
    print(f"\nSysGenID, ns per call: {e['accel'].upper()}, host {e['host_cpu']},"
          f" guest {e['guest_kernel']}\n")
    print(call_table(res))
    print("\nTargets:\n" + target_lines(res))
    for x in res["warnings"]:
        print("bench: WARNING: " + x)
    if res["warnings"]:
        print("bench: WARNING: the figures above are not reliable; rerun on a quiet machine")
    for x in res["errors"] + res["kernel_splats"]:
        print("bench: PROBLEM: " + x)
    print(f"\nresults: {out}/results.md, .json, .png ({e['total_seconds']:.0f} s)")
    return 1 if res["errors"] or res["kernel_splats"] else 0


def rerender(out):
    with open(os.path.join(out, "results.json")) as f:
        res = json.load(f)
    res["targets"] = judge(res, res["environment"]["accel"])
    return report(res, out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel")
    p.add_argument("--initrd", help="the bench initramfs (job=bench)")
    p.add_argument("--demo-initrd", help="the demo initramfs (job=demo)")
    p.add_argument("--out", required=True)
    p.add_argument("--ms", type=int, default=200, help="minimum ms per repetition, per call")
    p.add_argument("--reps", type=int, default=7, help="repetitions per call, timed rounds")
    p.add_argument("--checks", type=int, default=200000, help="checks per hyperfine process")
    p.add_argument("--watchers", default="1,100,1000,3000,10000", help="values of N, comma-separated")
    p.add_argument("--mem-fds", type=int, default=10000, help="descriptors per memory step")
    p.add_argument("--clones", type=int, default=5)
    p.add_argument("--timeout", type=int, default=420, help="seconds for the bench guest")
    p.add_argument("--host-bench", help="sysgenid-bench to run on the host as well")
    p.add_argument("--rerender", action="store_true",
                   help="run nothing: judge the targets again and rewrite the report from"
                   " OUT/results.json")
    args = p.parse_args()
    if args.rerender:
        return rerender(args.out)
    if not (args.kernel and args.initrd and args.demo_initrd):
        p.error("--kernel, --initrd and --demo-initrd are required")

    os.makedirs(args.out, exist_ok=True)
    accel = os.environ.get("QEMU_ACCEL", "tcg")
    t0 = time.monotonic()
    print(f"bench: guest benchmarks ({accel}; about a minute under TCG)...", flush=True)
    with HostLoad("bench guest") as load_guest:
        text, guest_s = boot_bench(args, os.path.join(args.out, "guest.log"))
    guest = parse_guest(text)
    errors = list(guest["errors"])
    ginfo = next((o for o in guest["lines"] if o["bench"] == "guest"), {})

    print("bench: the methods that need no SysGenID kernel, on the host...", flush=True)
    with HostLoad("host per-call") as load_host:
        host = host_calls(args)

    print(f"bench: one snapshot, {args.clones} restores...", flush=True)
    restore_dir = os.path.join(args.out, "restore")
    if os.path.isdir(restore_dir):
        shutil.rmtree(restore_dir)
    with HostLoad("restores") as load_restore:
        clones = run_restores(args, restore_dir, errors)
        print("bench: restores with the notification held back...", flush=True)
        windows = run_windows(args, os.path.join(restore_dir, "window"), errors)
    loads = [load_guest, load_host, load_restore]
    warnings = [f"the host was busy during '{x.name}': other processes used"
                f" {x.result['other_cpu_s']} CPU-s and the hypervisor stole"
                f" {x.result['steal_s']} s in {x.result['seconds']} s; its figures may be skewed"
                for x in loads if x.busy()]

    env = {
        "accel": accel,
        "host_cpu": host_cpu(),
        "host_cpus": os.cpu_count(),
        "host_kernel": platform.release(),
        "qemu": first_line(sh(["qemu-system-x86_64", "--version"])),
        "compiler": first_line(sh(["gcc", "--version"])),
        "guest_kernel": ginfo.get("kernel", "?"),
        "guest_cpu": ginfo.get("cpu", "?"),
        "guest_cpus": ginfo.get("cpus", "?"),
        "guest_mem_mb": ginfo["mem_total_kb"] // 1024 if "mem_total_kb" in ginfo else "?",
        "guest_clocksource": ginfo.get("clocksource", "?"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "iterations": {"per_call_rep_min_ms": args.ms, "per_call_reps": args.reps,
                       "hyperfine_checks_per_process": args.checks,
                       "hyperfine_warmup": HYPERFINE_WARMUP, "hyperfine_runs": HYPERFINE_RUNS,
                       "watchers": args.watchers, "watcher_reps": args.reps,
                       "memory_fds": args.mem_fds, "memory_reps": MEMORY_REPS,
                       "restore_clones": args.clones},
        "bench_guest_seconds": round(guest_s, 1),
        "host_load": [x.result for x in loads],
    }
    res = analyse(guest, clones, windows, host, args, env, errors)
    res["warnings"] = warnings
    env["total_seconds"] = round(time.monotonic() - t0, 1)
    return report(res, args.out)


if __name__ == "__main__":
    sys.exit(main())
