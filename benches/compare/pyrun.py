"""One measurement of one workload with one Python tool (Dask, polars, xarray), run as its own process.

Usage: pyrun.py WORKLOAD TOOL --data DIR --out DIR --threads N [--tasks N]

Prints, as its last line, one JSON object: {"answer": ..., "work_s": seconds spent after the imports}.
run.py compares the answers across tools and times the whole process from the outside (imports
included, as a user's script pays them); work_s is reported alongside so the import cost is visible.
"""

import argparse
import glob
import json
import os
import shutil
import sys
import time

CSV_GLOB = "Weather_Stations_ACT/IDCJAC0009_*_*/IDCJAC0009*.csv"
NC_GLOB = "pr_day_GFDL-CM4_ssp585_*.nc"
RAIN = "Rainfall amount (millimetres)"
PRODUCT = "Product code"


def fan_in_graph(leaves, noop):
    """The graph `tessera bench` measures: `leaves` no-op tasks reduced by a tree of fan-in 8."""
    dsk = {("noop", i): (noop,) for i in range(leaves)}
    prev, n, level = "noop", leaves, 0
    while n > 1:
        level += 1
        name = f"noop-combine-{level}"
        m = (n + 7) // 8
        for j in range(m):
            dsk[(name, j)] = (noop, *[(prev, k) for k in range(8 * j, min(8 * j + 8, n))])
        prev, n = name, m
    return dsk, (prev, 0)


def noop(*_args):
    return None


def sched_threads(a):
    import dask.threaded

    dsk, key = fan_in_graph(a.tasks, noop)
    t0 = time.perf_counter()
    dask.threaded.get(dsk, key, num_workers=a.threads)
    run = time.perf_counter() - t0
    return {"tasks": len(dsk)}, {"us_per_task": run * 1e6 / len(dsk)}


def sched_local_cluster(a):
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=a.threads, dashboard_address=None) as lc:
        with Client(lc) as client:
            dsk, key = fan_in_graph(a.tasks, noop)
            client.get({("warm", 0): (noop,)}, ("warm", 0))
            t0 = time.perf_counter()
            client.get(dsk, key)
            run = time.perf_counter() - t0
    return {"tasks": len(dsk)}, {"us_per_task": run * 1e6 / len(dsk)}


def dask_threads(a):
    import dask

    dask.config.set(scheduler="threads", num_workers=a.threads)


def csv_groupby(a):
    if a.tool == "dask":
        import dask.dataframe as dd

        dask_threads(a)
        ddf = dd.read_csv(os.path.join(a.data, CSV_GLOB), dtype={RAIN: "float64"})
        r = ddf.groupby(PRODUCT)[RAIN].max().compute()
        return {str(k): float(v) for k, v in r.items()}, {}
    import polars as pl

    lf = pl.scan_csv(os.path.join(a.data, CSV_GLOB), schema_overrides={RAIN: pl.Float64})
    r = lf.group_by(PRODUCT).agg(pl.col(RAIN).max()).collect()
    return {str(k): float(v) for k, v in zip(r[PRODUCT], r[RAIN])}, {}


def parquet_path(a):
    return os.path.join(a.out, f"{a.tool}.parquet")


def csv_to_parquet(a):
    out = parquet_path(a)
    shutil.rmtree(out, ignore_errors=True)
    if os.path.isfile(out):
        os.remove(out)
    if a.tool == "dask":
        import dask.dataframe as dd

        dask_threads(a)
        ddf = dd.read_csv(os.path.join(a.data, CSV_GLOB), dtype={RAIN: "float64"})
        ddf.to_parquet(out)
        df = dd.read_parquet(out)
        return [float(df[RAIN].max().compute()), int(len(df))], {}
    import polars as pl

    lf = pl.scan_csv(os.path.join(a.data, CSV_GLOB), schema_overrides={RAIN: pl.Float64})
    lf.sink_parquet(out)
    r = pl.scan_parquet(out).select(pl.col(RAIN).max(), pl.len()).collect()
    return [float(r[RAIN][0]), int(r["len"][0])], {}


def parquet_max(a):
    out = parquet_path(a)
    if a.tool == "dask":
        import dask.dataframe as dd

        dask_threads(a)
        return float(dd.read_parquet(out, columns=[RAIN])[RAIN].max().compute()), {}
    import polars as pl

    return float(pl.scan_parquet(out).select(pl.col(RAIN).max()).collect()[RAIN][0]), {}


def persist_sum_len(a):
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=a.threads, dashboard_address=None) as lc:
        with Client(lc):
            t0 = time.perf_counter()
            ddf = dd.read_csv(os.path.join(a.data, CSV_GLOB), dtype={RAIN: "float64"})
            wet = ddf[ddf[RAIN] > 20].persist()
            s = float(wet[RAIN].sum().compute())
            n = int(len(wet))
            work = time.perf_counter() - t0
    return [s, n], {"cluster_excluded_s": work}


def open_nc(a, pattern=NC_GLOB, **kw):
    # parallel=True (opening the files in Dask's threads) segfaults now and then with netCDF4 1.7 /
    # HDF5 on this machine: the files are opened serially, the chunks still read in N threads.
    import xarray as xr

    dask_threads(a)
    return xr.open_mfdataset(os.path.join(a.data, pattern), **kw)


def nc_reduce(a):
    import dask

    ds = open_nc(a, chunks={"time": 730})
    m = ds.pr.mean("time")
    s = ds.pr.max(["lat", "lon"])
    vals = dask.compute(m.sum(), m.max(), m.min(), s.sum(), s.max(), s.min())
    return [float(v) for v in vals], {}


def nc_write(a):
    out = os.path.join(a.out, "xarray-copy.nc")
    if os.path.exists(out):
        os.remove(out)
    ds = open_nc(a, chunks={"time": 730})
    ds.to_netcdf(out)
    return {"path": out}, {}


def nc_open_many(a):
    ds = open_nc(a, pattern="many/" + NC_GLOB)
    return {k: int(v) for k, v in ds.sizes.items()}, {}


# Workload 8: data 10x Tessera's memory limit (written by `tessera bench memory --data-dir DATA/big`).
# The Python tools run without a limit (Dask's threaded scheduler streams these reductions); the table
# shows every tool's peak RSS next to the limit Tessera ran under.
BIG_NC = "big/netcdf/pr_day_*.nc"
BIG_CSV = "big/csv/Weather_Stations_ACT/*/IDCJAC0009_*_Data.csv"
STATION = "Bureau of Meteorology station number"


def big_nc_mean(a):
    import dask

    ds = open_nc(a, pattern=BIG_NC, chunks={"time": 30})
    m = ds.pr.mean("time")
    return [float(v) for v in dask.compute(m.sum(), m.max(), m.min())], {}


def big_csv_groupby(a):
    if a.tool == "dask":
        import dask.dataframe as dd

        dask_threads(a)
        ddf = dd.read_csv(os.path.join(a.data, BIG_CSV), dtype={RAIN: "float64"})
        wet = ddf[ddf[RAIN] > 1]
        r = wet.groupby(STATION)[RAIN].mean().compute()
        return [float(r.sum()), float(r.max()), int(len(r))], {}
    import polars as pl

    lf = pl.scan_csv(os.path.join(a.data, BIG_CSV), schema_overrides={RAIN: pl.Float64})
    r = lf.filter(pl.col(RAIN) > 1).group_by(STATION).agg(pl.col(RAIN).mean()).collect(engine="streaming")
    return [float(r[RAIN].sum()), float(r[RAIN].max()), int(r.height)], {}


WORKLOADS = {
    "big_nc_mean": {"xarray": big_nc_mean},
    "big_csv_groupby": {"dask": big_csv_groupby, "polars": big_csv_groupby},
    "sched": {"dask-threads": sched_threads, "dask-localcluster": sched_local_cluster},
    "csv_groupby": {"dask": csv_groupby, "polars": csv_groupby},
    "csv_to_parquet": {"dask": csv_to_parquet, "polars": csv_to_parquet},
    "parquet_max": {"dask": parquet_max, "polars": parquet_max},
    "persist": {"dask-client": persist_sum_len},
    "nc_reduce": {"xarray": nc_reduce},
    "nc_write": {"xarray": nc_write},
    "nc_open_many": {"xarray": nc_open_many},
}


def preimport(tool):
    """Import the tool's modules before the clock starts, so work_s is the work alone."""
    if tool == "polars":
        import polars  # noqa: F401
    else:
        import dask  # noqa: F401
        import dask.dataframe  # noqa: F401
        import dask.threaded  # noqa: F401
        if tool in ("dask-localcluster", "dask-client"):
            import dask.distributed  # noqa: F401
        if tool == "xarray":
            import netCDF4  # noqa: F401
            import xarray  # noqa: F401


def verify_nc(path):
    """Summary of a written netCDF file (not timed): shape, sum and extrema of pr, in float64."""
    import numpy as np
    import netCDF4

    with netCDF4.Dataset(path) as nc:
        v = nc.variables["pr"]
        v.set_auto_mask(True)  # _FillValue / missing_value cells become NaN
        pr = np.ma.asarray(v[:]).astype("float64").filled(np.nan)
        filt = v.filters() or {}
        return {
            "shape": list(pr.shape),
            "sum": float(np.nansum(pr)),
            "max": float(np.nanmax(pr)),
            "min": float(np.nanmin(pr)),
            "zlib": bool(filt.get("zlib")),
            "dims": list(v.dimensions),
            "missing": int(np.isnan(pr).sum()),
        }


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "verify_nc":
        print(json.dumps({"answer": verify_nc(sys.argv[2])}))
        return
    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("tool")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--tasks", type=int, default=100_000)
    a = p.parse_args()
    a.data = os.path.abspath(a.data)
    a.out = os.path.abspath(a.out)
    os.makedirs(a.out, exist_ok=True)
    if a.tool not in WORKLOADS[a.workload]:
        sys.exit(f"no tool {a.tool!r} for {a.workload}")
    preimport(a.tool)
    t0 = time.perf_counter()
    answer, extra = WORKLOADS[a.workload][a.tool](a)
    work = time.perf_counter() - t0
    print(json.dumps({"answer": answer, "work_s": work, **extra}))


if __name__ == "__main__":
    main()
