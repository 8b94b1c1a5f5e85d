#!/usr/bin/env bash
# Prepares the comparison benchmarks: builds Tessera in release mode, creates the Python venv
# (benches/compare/.venv) with Dask, distributed, xarray, netCDF4, pyarrow and polars from PyPI, and
# writes the data with `tessera demo` into benches/compare/data/$BENCH_SIZE.
#
#   bash benches/compare/setup.sh [small|medium]
#
# Sizes can be overridden with environment variables (defaults are those of the chosen size):
#   BENCH_STATIONS BENCH_FIRST_YEAR BENCH_LAST_YEAR      station CSVs (one file per station)
#   BENCH_NC_FILES BENCH_YEARS_PER_FILE BENCH_NLAT BENCH_NLON   netCDF pr (time, lat, lon) float32 zlib
#   BENCH_MANY_FILES                                      small netCDF files for the metadata test
#   BENCH_BIG_LIMIT (256MB)  BENCH_SKIP_BIG=1              workload 8: data 10x this memory limit
#   BENCH_SKIP_BUILD=1  BENCH_SKIP_VENV=1                  reuse what is there
#   CARGO_TARGET_DIR   where cargo builds (the binary is $CARGO_TARGET_DIR/release/tessera)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SIZE="${1:-${BENCH_SIZE:-small}}"

case "$SIZE" in
small)
    : "${BENCH_STATIONS:=40}" "${BENCH_FIRST_YEAR:=1950}" "${BENCH_LAST_YEAR:=2024}"
    : "${BENCH_NC_FILES:=6}" "${BENCH_YEARS_PER_FILE:=2}" "${BENCH_NLAT:=64}" "${BENCH_NLON:=128}"
    ;;
medium)
    : "${BENCH_STATIONS:=100}" "${BENCH_FIRST_YEAR:=1900}" "${BENCH_LAST_YEAR:=2024}"
    : "${BENCH_NC_FILES:=12}" "${BENCH_YEARS_PER_FILE:=2}" "${BENCH_NLAT:=90}" "${BENCH_NLON:=180}"
    ;;
*)
    echo "usage: setup.sh [small|medium]" >&2
    exit 2
    ;;
esac
: "${BENCH_MANY_FILES:=1000}"
: "${BENCH_BIG_LIMIT:=256MB}"
export BENCH_BIG_LIMIT

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
TESSERA="$TARGET/release/tessera"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    echo "== building tessera (release) into $TARGET"
    (cd "$ROOT" && cargo build --release --bin tessera)
fi
[[ -x "$TESSERA" ]] || { echo "no release binary at $TESSERA" >&2; exit 1; }

VENV="$HERE/.venv"
if [[ "${BENCH_SKIP_VENV:-0}" != 1 ]]; then
    echo "== python venv in $VENV"
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "dask[dataframe]" distributed xarray netCDF4 pyarrow polars
    "$VENV/bin/python" -c 'import dask, distributed, xarray, netCDF4, pyarrow, polars; print("dask", dask.__version__, "| distributed", distributed.__version__, "| xarray", xarray.__version__, "| netCDF4", netCDF4.__version__, "| pyarrow", pyarrow.__version__, "| polars", polars.__version__)'
fi

DATA="$HERE/data/$SIZE"
STAMP="$DATA/.bench-params"
PARAMS="$BENCH_STATIONS $BENCH_FIRST_YEAR $BENCH_LAST_YEAR $BENCH_NC_FILES $BENCH_YEARS_PER_FILE $BENCH_NLAT $BENCH_NLON $BENCH_MANY_FILES"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$PARAMS" && -f "$DATA/.tessera-demo-complete" && -f "$DATA/many/.tessera-demo-complete" ]]; then
    echo "== data in $DATA is up to date ($PARAMS)"
else
    echo "== data in $DATA"
    rm -rf "$DATA"
    mkdir -p "$DATA"
    "$TESSERA" demo "$DATA" --stations "$BENCH_STATIONS" --first-year "$BENCH_FIRST_YEAR" \
        --last-year "$BENCH_LAST_YEAR" --nc-files "$BENCH_NC_FILES" \
        --years-per-file "$BENCH_YEARS_PER_FILE" --nlat "$BENCH_NLAT" --nlon "$BENCH_NLON"
    "$TESSERA" demo "$DATA/many" --netcdf-only --nc-files "$BENCH_MANY_FILES" --years-per-file 1 \
        --nlat 4 --nlon 4
    echo "$PARAMS" >"$STAMP"
fi
# Workload 8: netCDF and CSV data 10x the memory limit Tessera runs under (`tessera bench memory`
# writes it, then runs its own larger-than-memory checks once). BENCH_SKIP_BIG=1 leaves it out.
if [[ "${BENCH_SKIP_BIG:-0}" != 1 ]]; then
    BIG="$DATA/big"
    if [[ -f "$BIG/netcdf/.done" && -f "$BIG/csv/.done" && "$(cat "$BIG/.limit" 2>/dev/null)" == "$BENCH_BIG_LIMIT" ]]; then
        echo "== data 10x $BENCH_BIG_LIMIT in $BIG is up to date"
    else
        echo "== data 10x $BENCH_BIG_LIMIT in $BIG (a few minutes)"
        rm -rf "$BIG"
        "$TESSERA" bench memory --data-dir "$BIG" --memory-limit "$BENCH_BIG_LIMIT" --factor 10
        echo "$BENCH_BIG_LIMIT" >"$BIG/.limit"
    fi
fi
du -sh "$DATA" "$DATA/many"
echo "== ready: python3 benches/compare/run.py --size $SIZE"
