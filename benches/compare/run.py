#!/usr/bin/env python3
"""Tessera against Dask / polars / xarray on the same files with the same thread count.

    python3 benches/compare/run.py [--rounds N] [--threads N] [--size small|medium] [--only W,...]

Every measurement is its own process, timed from the outside (wall time from spawn to exit, imports
and interpreter start included) with its peak RSS from wait4(2). Tools alternate within a round
(A B A B ...). Each runner prints its answer as JSON on its last line; the answers must agree (floats
within a relative 1e-4) before a time is reported: a fast wrong answer is printed as WRONG.
Run setup.sh first (it builds Tessera, the venv and the data).
"""

import argparse
import ast
import datetime
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VENV_PY = os.path.join(HERE, ".venv", "bin", "python")
PYRUN = os.path.join(HERE, "pyrun.py")
RAIN = "Rainfall amount (millimetres)"
CSV_GLOB = "Weather_Stations_ACT/IDCJAC0009_*_*/IDCJAC0009*.csv"
NC_GLOB = "pr_day_GFDL-CM4_ssp585_*.nc"

# Rounds are capped for the slowest (tool, workload) pairs so the default run stays near 10 minutes.
MAX_ROUNDS = {
    ("sched-10k", "dask-localcluster"): 2,
    ("sched-100k", "dask-localcluster"): 1,
    ("sched-1M", "dask-threads"): 1,
}

# Tessera session scripts, run from the data directory. {out} is the output directory, {threads} the
# thread count. The last statement's value is the answer.
TESS = {
    "csv_groupby": f"""
ddf = read_csv("{CSV_GLOB}")
ddf.groupby("Product code")["{RAIN}"].max().compute()
""",
    "csv_to_parquet": f"""
ddf = read_csv("{CSV_GLOB}")
ddf.to_parquet("{{out}}/tessera.parquet", overwrite=True)
df = read_parquet("{{out}}/tessera.parquet")
(df["{RAIN}"].max().compute(), len(df))
""",
    "parquet_max": f"""
df = read_parquet("{{out}}/tessera.parquet")
df["{RAIN}"].max().compute()
""",
    "persist": f"""
client = Client(n_workers=1, threads_per_worker={{threads}})
ddf = read_csv("{CSV_GLOB}")
wet = ddf[ddf["{RAIN}"] > 20].persist()
(wet["{RAIN}"].sum().compute(), len(wet))
""",
    "nc_reduce": f"""
ds = open_mfdataset("{NC_GLOB}", chunks={{{{"time": 730}}}}, parallel=True)
m = ds.pr.mean("time")
s = ds.pr.max(["lat", "lon"])
compute(m.sum(), m.max(), m.min(), s.sum(), s.max(), s.min())
""",
    "nc_write": f"""
ds = open_mfdataset("{NC_GLOB}", chunks={{{{"time": 730}}}}, parallel=True)
ds.to_netcdf("{{out}}/tessera-copy.nc")
""",
    "nc_open_many": f"""
ds = open_mfdataset("many/{NC_GLOB}")
ds.sizes
""",
    # Workload 8, run with --memory-limit (BIG_LIMIT): the data is 10x the limit.
    "big_nc_mean": """
ds = open_mfdataset("big/netcdf/pr_day_*.nc", chunks={{"time": 30}})
m = ds.pr.mean("time")
compute(m.sum(), m.max(), m.min())
""",
    "big_csv_groupby": f"""
ddf = read_csv("big/csv/Weather_Stations_ACT/*/IDCJAC0009_*_Data.csv")
wet = ddf[ddf["{RAIN}"] > 1]
r = wet.groupby("Bureau of Meteorology station number")["{RAIN}"].mean().compute()
(r.sum(), r.max(), len(r))
""",
}

# Tessera's memory limit for workload 8 (setup.sh writes data 10x this size into DATA/big).
BIG_LIMIT = os.environ.get("BENCH_BIG_LIMIT", "256MB")

# (workload name, pyrun workload, Python tools, description). Tessera runs every workload.
# Dask's distributed scheduler costs milliseconds per task here: LocalCluster runs 10k and 100k leaves
# (one round, about 7 minutes), not 1M (over an hour).
WORKLOADS = [
    ("sched-10k", "sched", ["dask-threads", "dask-localcluster"], "10k no-op tasks (fan-in tree of 8)"),
    ("sched-100k", "sched", ["dask-threads", "dask-localcluster"], "100k no-op tasks (fan-in tree of 8)"),
    ("sched-1M", "sched", ["dask-threads"], "1M no-op tasks (fan-in tree of 8)"),
    ("csv_groupby", "csv_groupby", ["dask", "polars"], 'CSV glob -> groupby("Product code") max'),
    ("csv_to_parquet", "csv_to_parquet", ["dask", "polars"], "CSV glob -> to_parquet -> read back max, len"),
    ("parquet_max", "parquet_max", ["dask", "polars"], "read_parquet -> max of a column"),
    ("persist", "persist", ["dask-client"], "filter, persist, sum + len (local client)"),
    ("nc_reduce", "nc_reduce", ["xarray"], 'netCDF mfdataset mean("time"), max(["lat","lon"])'),
    ("nc_write", "nc_write", ["xarray"], "netCDF mfdataset -> to_netcdf (one file)"),
    ("nc_open_many", "nc_open_many", ["xarray"], "open_mfdataset of 1,000 small files (metadata)"),
    ("big_nc_mean", "big_nc_mean", ["xarray"], 'netCDF 10x the memory limit: mean("time") (Tessera under the limit)'),
    ("big_csv_groupby", "big_csv_groupby", ["dask", "polars"], "CSV 10x the memory limit: filter + groupby mean (Tessera under the limit)"),
]


def run_measured(cmd, cwd, env):
    """Spawn `cmd`, wait with wait4 for its rusage: (wall s, peak RSS bytes, rc, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in KiB on Linux: the largest of the process and its waited-for descendants.
        return wall, ru.ru_maxrss * 1024, p.returncode, out.read().decode(), err.read().decode()


def parse_py_value(text):
    """A Python literal as Tessera prints it (nan/inf allowed)."""
    text = re.sub(r"\bnan\b", "float('nan')", text)
    text = re.sub(r"\binf\b", "float('inf')", text)
    if "float(" in text:
        return eval(text, {"__builtins__": {"float": float}})  # noqa: S307 - our own output
    return ast.literal_eval(text)


def parse_series(lines):
    """A pandas-style series table as Tessera prints it: index-name line, `key value` rows, Name: line."""
    out = {}
    for ln in lines[1:]:
        if ln.startswith("Name:") or not ln.strip():
            break
        key, val = ln.rsplit(None, 1)
        out[key.strip()] = float(val)
    return out


def parse_tessera(workload, stdout, out_dir):
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    if workload == "sched":
        # "    leaves        tasks  build µs/task  run ms  run µs/task"
        row = lines[-1].split()
        return {"tasks": int(row[1])}, {"us_per_task": float(row[4])}
    if workload == "nc_write":
        return {"path": os.path.join(out_dir, "tessera-copy.nc")}, {}
    if workload == "csv_groupby":
        return parse_series(lines), {}
    return parse_py_value(lines[-1]), {}


def agree(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(agree(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(agree(a[k], b[k]) for k in a)
    return a == b


def machine():
    cpu = "unknown"
    try:
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
        mem = int(open("/proc/meminfo").readline().split()[1]) * 1024
    except OSError:
        mem = 0
    return {"nproc": os.cpu_count(), "mem_gib": round(mem / 2**30, 1), "cpu": cpu,
            "kernel": platform.release(), "date": datetime.datetime.now().isoformat(timespec="minutes")}


def fmt_rss(b):
    return f"{b / 2**20:.0f} MiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--size", default=os.environ.get("BENCH_SIZE", "small"))
    ap.add_argument("--data", help="data directory (default benches/compare/data/SIZE)")
    ap.add_argument("--tessera", help="tessera binary (default: $CARGO_TARGET_DIR or target /release/tessera)")
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--json", help="also write every measurement to this JSON file")
    ap.add_argument("--markdown", help="also write the table as Markdown to this file")
    a = ap.parse_args()

    data = os.path.abspath(a.data or os.path.join(HERE, "data", a.size))
    tessera = a.tessera or os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "tessera")
    for path, what in [(VENV_PY, "the venv (run benches/compare/setup.sh)"), (tessera, "the tessera release binary (setup.sh, or --tessera)"),
                       (os.path.join(data, ".tessera-demo-complete"), f"the data in {data} (setup.sh)")]:
        if not os.path.exists(path):
            sys.exit(f"missing {what}: {path}")
    out_dir = tempfile.mkdtemp(prefix="tessera-bench-out-")
    tess_dir = tempfile.mkdtemp(prefix="tessera-bench-tess-")
    env = dict(os.environ, POLARS_MAX_THREADS=str(a.threads), OMP_NUM_THREADS="1", RAYON_NUM_THREADS=str(a.threads),
               PYTHONWARNINGS="ignore")
    only = set(a.only.split(",")) if a.only else None
    m = machine()
    print(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gib']} GiB RAM; {m['date']}")
    print(f"data: {data}; threads: {a.threads}; rounds: {a.rounds}; tessera: {tessera}")
    print("(wall = whole process incl. interpreter start and imports; work = time after imports, as reported by the runner)\n")

    rows, failures, log = [], [], []
    for name, pyw, pytools, desc in WORKLOADS:
        if only and name not in only:
            continue
        tasks = {"sched-10k": 10_000, "sched-100k": 100_000, "sched-1M": 1_000_000}.get(name)
        cmds = {}
        for t in pytools:
            c = [VENV_PY, PYRUN, pyw, t, "--data", data, "--out", out_dir, "--threads", str(a.threads)]
            cmds[t] = c + (["--tasks", str(tasks)] if tasks else [])
        if pyw == "sched":
            cmds["tessera"] = [tessera, "bench", "--threads", str(a.threads), "--tasks", str(tasks)]
        else:
            f = os.path.join(tess_dir, f"{name}.tess")
            with open(f, "w") as fh:
                fh.write(TESS[pyw].format(out=out_dir, threads=a.threads))
            cmds["tessera"] = [tessera, "run", "--threads", str(a.threads), f]
            if name.startswith("big_"):
                if not os.path.exists(os.path.join(data, "big", "csv", ".done")):
                    print(f"  {name}: no data in {data}/big (setup.sh writes it), skipped", flush=True)
                    continue
                cmds["tessera"][2:2] = ["--memory-limit", BIG_LIMIT]
        order = ["tessera"] + pytools
        meas = {t: [] for t in order}
        answers, extras = {}, {t: [] for t in order}
        for r in range(a.rounds):
            for t in (order if r % 2 == 0 else order[::-1]):
                if meas[t] is None or r >= MAX_ROUNDS.get((name, t), a.rounds):
                    continue
                wall, rss, rc, so, se = run_measured(cmds[t], data, env)
                log.append({"workload": name, "tool": t, "round": r, "wall_s": wall, "rss": rss, "rc": rc})
                if rc != 0:
                    failures.append(f"{name}/{t}: exit {rc}\n  $ {shlex.join(cmds[t])}\n  " + (se or so).strip()[-1500:].replace("\n", "\n  "))
                    print(f"  {name:<15} {t:<18} FAILED (exit {rc})", flush=True)
                    meas[t] = None
                    break
                try:
                    if t == "tessera":
                        ans, extra = parse_tessera(pyw, so, out_dir)
                    else:
                        obj = json.loads(so.strip().splitlines()[-1])
                        ans, extra = obj.pop("answer"), obj
                    if pyw == "nc_write":
                        v = subprocess.run([VENV_PY, PYRUN, "verify_nc", ans["path"]], capture_output=True, text=True, check=True)
                        ans = json.loads(v.stdout.strip().splitlines()[-1])["answer"]
                        extra["file_bytes"] = os.path.getsize(os.path.join(out_dir, "tessera-copy.nc" if t == "tessera" else "xarray-copy.nc"))
                except Exception as e:  # noqa: BLE001 - reported as a failure of this tool
                    failures.append(f"{name}/{t}: cannot parse the answer ({e!r}); stdout tail:\n  " + so.strip()[-800:])
                    meas[t] = None
                    break
                answers.setdefault(t, ans)
                if meas[t] is not None:
                    meas[t].append((wall, rss))
                    extras[t].append(extra)
                print(f"  {name:<15} {t:<18} round {r + 1}: {wall:7.2f} s {fmt_rss(rss):>9}  {json.dumps(ans)[:90]}", flush=True)
        # Agreement: the Python tools are the reference; Tessera must match them.
        refs = [t for t in pytools if t in answers]
        ref = answers[refs[0]] if refs else None
        verdict = {}
        for t in order:
            if t not in answers or meas[t] is None:
                verdict[t] = "FAILED"
            elif ref is None or agree(answers[t], ref):
                verdict[t] = "ok"
            else:
                verdict[t] = "WRONG"
                failures.append(f"{name}: {t} answered {json.dumps(answers[t])} but {refs[0]} answered {json.dumps(ref)}")
        if len(refs) > 1 and not all(agree(answers[t], ref) for t in refs):
            failures.append(f"{name}: the reference tools disagree: " + "; ".join(f"{t}={json.dumps(answers[t])}" for t in refs))
        tmed = statistics.median(w for w, _ in meas["tessera"]) if meas.get("tessera") else None
        for t in order:
            ms = meas[t]
            row = {"workload": name, "desc": desc, "tool": t, "verdict": verdict[t]}
            if ms:
                row["wall"] = statistics.median(w for w, _ in ms)
                row["rss"] = max(r for _, r in ms)
                works = [e["work_s"] for e in extras[t] if "work_s" in e]
                row["work"] = statistics.median(works) if works else None
                us = [e["us_per_task"] for e in extras[t] if "us_per_task" in e]
                row["us_per_task"] = statistics.median(us) if us else None
                fb = [e["file_bytes"] for e in extras[t] if "file_bytes" in e]
                row["file_bytes"] = fb[0] if fb else None
                row["ratio"] = row["wall"] / tmed if tmed else None
            rows.append(row)

    print_table(rows, a, m, data)
    if a.markdown:
        with open(a.markdown, "w") as fh:
            fh.write(markdown(rows))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"machine": m, "args": vars(a), "rows": rows, "log": log, "failures": failures}, fh, indent=1)
    if failures:
        print("\n" + "!" * 78 + "\nFAILURES / DISAGREEMENTS (a fast wrong answer is a failure):")
        for f in failures:
            print(" - " + f)
        print("!" * 78)
        sys.exit(1)


def cells(r):
    if r["verdict"] != "ok":
        return [r["workload"], r["tool"], f"**{r['verdict']}**", "", "", "", ""]
    extra = []
    if r.get("us_per_task") is not None:
        extra.append(f"{r['us_per_task']:.2f} µs/task")
    if r.get("work") is not None:
        extra.append(f"work {r['work']:.2f} s")
    if r.get("file_bytes") is not None:
        extra.append(f"file {r['file_bytes'] / 2**20:.1f} MiB")
    ratio = f"{r['ratio']:.2f}×" if r.get("ratio") else ""
    return [r["workload"], r["tool"], f"{r['wall']:.2f} s", fmt_rss(r["rss"]), ratio, "; ".join(extra)]


HEAD = ["workload", "tool", "median wall", "peak RSS", "wall / Tessera", "notes"]


def print_table(rows, a, m, data):
    table = [HEAD] + [cells(r)[:6] for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(6)]
    print()
    for i, row in enumerate(table):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def markdown(rows):
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in cells(r)[:6]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
