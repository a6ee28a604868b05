"""Every benchmark, as `make bench` runs it: machine, MLP speed twice, memory, tiny network,
reading CSV files, the CLI's scores on scikit-learn's tables, gn.diagnose's recall, the CNNs and
the GRU against PyTorch, and (where Dask and MPI are installed) a grid search on a Dask cluster
and data-parallel training on two processes.

mlp.py runs once with the environment as it is and once under
`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`, which changes only that subprocess.
    .venv/bin/python bench/run_all.py [--quick] [--keep FOLDER]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from harness import Target, format_table, openblas_environment, targets_table
from mlp import REFERENCES

HERE = Path(__file__).resolve().parent
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
PACKAGES = ("numpy", "torch", "scikit-learn", "micrograd", "threadpoolctl", "glassnet")
SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def cpu_description() -> list[str]:
    fields: dict[str, str] = {}
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    import psutil

    return [
        f"CPU: {fields.get('model name', platform.processor() or 'unknown')}, "
        f"{fields.get('cpu MHz', '?')} MHz, cache {fields.get('cache size', '?')}",
        f"cores: {os.cpu_count()} logical, {psutil.cpu_count(logical=False)} physical; "
        f"memory {psutil.virtual_memory().total / 2**30:.1f} GiB",
        "SIMD: " + " ".join(flag for flag in SIMD_FLAGS if flag in flags),
        f"Python {platform.python_version()} on {platform.platform()}",
        "packages: " + ", ".join(f"{name} {_version(name)}" for name in PACKAGES),
        "OpenBLAS environment: " + openblas_environment(),
    ]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_script(
    title: str, arguments: list[str], json_path: Path, prefix: Sequence[str] = ()
) -> dict:
    """Run a bench script with --json, its output shown as it comes; return its JSON."""
    script, *options = arguments
    command = [*prefix, sys.executable, str(HERE / script), *options, "--json", str(json_path)]
    print(f"\n=== {title}\n$ {' '.join(command)}", flush=True)
    subprocess.run(command, check=True)
    return json.loads(json_path.read_text())


def summary(mlp_runs: dict[str, dict], tiny: dict, memory: dict) -> None:
    labels = list(mlp_runs)
    rows = []
    for kind, unit in (("train", "samples/s"), ("infer", "samples/s"), ("latency", "us/sample")):
        medians = [
            {name: entry["median"] for name, entry in run["samples_per_second"][kind].items()}
            for run in mlp_runs.values()
        ]
        for name in medians[0]:
            rows.append([f"{kind}: {name}", *(_format(m.get(name), unit) for m in medians), unit])
        first, second = REFERENCES[kind]
        ratios = [f"{m[first] / m[second]:.2f}x" if {first, second} <= m.keys() else "-"
                  for m in medians]  # fmt: skip
        rows.append([f"{kind}: speed {first} / {second}", *ratios, "ratio"])
    print("\n=== Summary")
    print(format_table(["measurement", *labels, "unit"], rows))
    tiny_rows = [[name, f"{entry['median'] * 1e3:.0f}"] for name, entry in tiny["seconds"].items()]
    print("\n" + format_table(["tiny network (4000 updates)", "ms"], tiny_rows))
    memory_rows = [[key, f"{entry['added_mib']:.1f}"] for key, entry in memory["peak_rss"].items()]
    print("\n" + format_table(["peak RSS added by one pass", "MiB"], memory_rows))
    runs = [*mlp_runs.items(), ("", tiny)]
    targets = [(label, Target.from_json(entry)) for label, run in runs
               for entry in run.get("targets", [])]  # fmt: skip
    if targets:
        labels, found = zip(*targets, strict=True)
        print("\n" + targets_table(found, runs=labels))
    loads = [run["other_load_cores"] for run in [*mlp_runs.values(), tiny]]
    print(f"\nother processes' load during the timed scripts: {max(loads):.2f} cores at most")


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{1e6 / value:.1f}" if unit == "us/sample" else f"{value:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument(
        "--keep", metavar="FOLDER", help="keep each script's JSON (every round's numbers) there"
    )
    arguments = parser.parse_args()
    quick = ["--quick"] if arguments.quick else []
    print("=== Machine")
    print("\n".join(cpu_description()))
    set_here = [name for name in UNSET if name in os.environ]
    if not set_here:
        print(f"note: neither {' nor '.join(UNSET)} is set here, so the two mlp.py runs "
              "measure the same configuration")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        out = Path(arguments.keep or folder)
        out.mkdir(parents=True, exist_ok=True)
        mlp_runs = {
            "env as is": run_script(
                "mlp.py, environment as is", ["mlp.py", *quick], out / "a.json"
            ),
            "OpenBLAS vars unset": run_script(
                "mlp.py without " + ", ".join(UNSET), ["mlp.py", *quick], out / "b.json",
                prefix=["env", *(arg for name in UNSET for arg in ("-u", name))],
            ),
        }
        memory = run_script("memory.py", ["memory.py", *quick], out / "memory.json")
        tiny = run_script("tiny.py", ["tiny.py", *quick], out / "tiny.json")
        run_script("csv_read.py", ["csv_read.py", *quick], out / "csv_read.json")
        run_script("tabular_quality.py", ["tabular_quality.py", *(["--splits", "2"] if quick
                                                                 else [])],
                   out / "tabular_quality.json")
        run_script("diagnose_recall.py", ["diagnose_recall.py", *quick],
                   out / "diagnose_recall.json")
        run_script("cnn.py", ["cnn.py", *quick], out / "cnn.json")
        run_script("recurrent.py", ["recurrent.py", *quick], out / "recurrent.json")
        for script, module, extra in (("distributed_search.py", "distributed", "dask"),
                                      ("data_parallel.py", "mpi4py", "distributed")):
            if importlib.util.find_spec(module) is None:
                print(f"\n=== {script}: skipped, {module} is missing "
                      f"(pip install -e '.[{extra}]')")
                continue
            run_script(script, [script, *quick], out / script.replace(".py", ".json"))
    summary(mlp_runs, tiny, memory)


if __name__ == "__main__":
    main()
