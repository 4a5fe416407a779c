"""Opens dqm-export datasets with the Python readers people use, the way the README says to.

Run by test/interop/python.test.ts: `python readers.py SPEC.json` prints one JSON object per line,
one per (dataset, reader). SPEC.json is {"datasets": [...], "expected": {"1": [...], "2": [...]}}:
each dataset has name, path, format (parquet|arrow|arrows), layout (nested|flat|tensor|array),
dtype, dims and partitioned; each expected record has id, run and data as the server sent it.

Each reader returns the ids, the `run` column if the reader surfaced one, and the histograms as an
(N, y, x) (or (N, x)) NumPy array obtained with that reader's own recipe for the layout; the checks
(rows, run, shape, values against the server's, per id) are the same for every reader.
"""
import glob
import json
import os
import sys
import tempfile
import traceback
import warnings

# datasets must never reach the network; its cache goes to a temporary directory. Set before import.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="dqm-export-hf-"))
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402
import pyarrow.ipc as ipc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
import duckdb  # noqa: E402
import datasets  # noqa: E402

# polars does not know arrow.fixed_shape_tensor: load it as its storage, a flat Array (README).
pl.register_extension_type("arrow.fixed_shape_tensor", as_storage=True)


class Batch:
    """What a reader gave back: ids, the run column (None if the reader has none), the histograms."""

    def __init__(self, ids, runs, data):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.runs = None if runs is None else np.asarray(runs, dtype=np.int64)
        self.data = data


def shape_of(dataset, rows):
    y, x = dataset["shape"] if dataset["dims"] == 2 else (None, dataset["shape"][0])
    return (rows, x) if y is None else (rows, y, x)


def from_arrow(col, dataset):
    """(N, ...) from a pyarrow column, by layout: the README's pyarrow recipes."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(col)
    shape = shape_of(dataset, n)
    layout = dataset["layout"]
    if layout == "tensor":
        if not isinstance(col.type, pa.FixedShapeTensorType):
            raise AssertionError(f"tensor layout read as {col.type}, not arrow.fixed_shape_tensor")
        return col.to_numpy_ndarray()
    if layout == "array":
        values = col.flatten().flatten() if dataset["dims"] == 2 else col.flatten()
        return values.to_numpy().reshape(shape)
    return np.array(col.to_pylist(), dtype=dataset["dtype"]).reshape(shape)


def from_cells(cells, dataset):
    """(N, ...) from a sequence of per-row cells (NumPy arrays, possibly of arrays, or lists)."""
    rows = [np.stack(c) if isinstance(c, np.ndarray) and c.dtype == object else np.asarray(c) for c in cells]
    return np.stack(rows).reshape(shape_of(dataset, len(rows)))


def read_pandas(d):
    df = pd.read_parquet(d["path"])
    return Batch(df["id"], df["run"].astype("int64") if "run" in df else None, from_cells(df["data"], d))


def read_pq_table(d):
    t = pq.read_table(d["path"])
    return Batch(t["id"].to_numpy(), t["run"].to_numpy() if "run" in t.column_names else None, from_arrow(t["data"], d))


def read_pa_dataset(d):
    fmt = "parquet" if d["format"] == "parquet" else "ipc"
    t = ds.dataset(d["path"], format=fmt, partitioning="hive").to_table()
    return Batch(t["id"].to_numpy(), t["run"].to_numpy() if "run" in t.column_names else None, from_arrow(t["data"], d))


def read_pa_streams(d):
    """Arrow IPC streams have no footer, so pyarrow.dataset cannot open them: one open_stream per file."""
    tables = []
    for f in sorted(glob.glob(os.path.join(d["path"], "**", "*.arrows"), recursive=True)):
        with ipc.open_stream(f) as reader:
            tables.append(reader.read_all())
    t = pa.concat_tables(tables)
    return Batch(t["id"].to_numpy(), t["run"].to_numpy() if "run" in t.column_names else None, from_arrow(t["data"], d))


def polars_data(df, d):
    s = df["data"]
    if d["layout"] == "tensor":  # loaded as its storage: a flat Array of y*x; reshape gives (y, x)
        s = s.reshape(shape_of(d, -1))
    if d["layout"] in ("tensor", "array"):
        return s.to_numpy()
    return np.array(s.to_list(), dtype=d["dtype"]).reshape(shape_of(d, len(s)))


def read_polars(d):
    if d["format"] == "parquet":
        df = pl.scan_parquet(os.path.join(d["path"], "**", "*.parquet"), hive_partitioning=True).collect()
    elif d["format"] == "arrow":
        df = pl.scan_ipc(os.path.join(d["path"], "**", "*.arrow"), hive_partitioning=True).collect()
    else:
        files = sorted(glob.glob(os.path.join(d["path"], "**", "*.arrows"), recursive=True))
        df = pl.concat([pl.read_ipc_stream(f) for f in files])
    return Batch(df["id"].to_numpy(), df["run"].to_numpy() if "run" in df.columns else None, polars_data(df, d))


def read_duckdb(d):
    glob_path = os.path.join(d["path"], "**", "*.parquet").replace("'", "''")
    hive = "true" if d["partitioned"] else "false"
    t = duckdb.sql(f"SELECT * FROM read_parquet('{glob_path}', hive_partitioning = {hive})").to_arrow_table()
    data = np.array(t["data"].to_pylist(), dtype=d["dtype"]).reshape(shape_of(d, t.num_rows))
    return Batch(t["id"].to_numpy(), t["run"].to_numpy() if "run" in t.column_names else None, data)


def read_hf(d):
    builder = "parquet" if d["format"] == "parquet" else "arrow"
    hf = datasets.load_dataset(builder, data_dir=d["path"], split="train")
    # The numpy format casts floats to float32 unless told the dtype (README).
    data = np.asarray(hf.with_format("numpy", dtype=d["dtype"])["data"]).reshape(shape_of(d, hf.num_rows))
    return Batch(hf["id"], hf["run"] if "run" in hf.column_names else None, data)


READERS = {
    "parquet": {
        "pandas.read_parquet": read_pandas,
        "pyarrow.parquet.read_table": read_pq_table,
        "pyarrow.dataset": read_pa_dataset,
        "duckdb.read_parquet": read_duckdb,
        "datasets.load_dataset": read_hf,
        "polars.scan_parquet": read_polars,
    },
    "arrow": {
        "pyarrow.dataset": read_pa_dataset,
        "polars.scan_ipc": read_polars,
        "datasets.load_dataset": read_hf,
    },
    "arrows": {
        "pyarrow.ipc.open_stream": read_pa_streams,
        "polars.read_ipc_stream": read_polars,
        "datasets.load_dataset": read_hf,
    },
}


def check(d, batch, expected):
    """Compares a reader's rows with the server's records, by id. Returns the result fields."""
    want = {r["id"]: r for r in expected}
    order = np.argsort(batch.ids)
    ids = batch.ids[order].tolist()
    values = batch.data[order]
    problems = []
    if sorted(want) != ids:
        problems.append(f"ids {ids} != expected {sorted(want)}")
    else:
        ref = np.array([want[i]["data"] for i in ids], dtype=d["dtype"])
        if values.shape != ref.shape:
            problems.append(f"shape {values.shape} != {ref.shape}")
        elif values.dtype != ref.dtype:
            problems.append(f"dtype {values.dtype} != {ref.dtype}")
        elif not np.array_equal(values, ref):
            problems.append("values differ from the server's data[iy][ix]")
        if batch.runs is not None and batch.runs[order].tolist() != [want[i]["run"] for i in ids]:
            problems.append("run column differs from the records' runs")
    return {
        "rows": int(len(batch.ids)),
        "run": batch.runs is not None,
        "shape": list(batch.data.shape),
        "problems": problems,
    }


def main():
    spec = json.load(open(sys.argv[1]))
    for d in spec["datasets"]:
        expected = spec["expected"][str(d["dims"])]
        for reader, read in READERS[d["format"]].items():
            out = {"dataset": d["name"], "reader": reader}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    out.update(check(d, read(d), expected))
                    out["ok"] = not out["problems"]
                except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
                    out["ok"] = False
                    out["error"] = f"{type(e).__name__}: {e}"
                    out["trace"] = traceback.format_exc(limit=3)
            out["warnings"] = [str(w.message).splitlines()[0] for w in caught]
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
