"""minigrad against hand-written NumPy and PyTorch, side by side in one process (issue 6).

Run from the repository root::

    python benchmarks/bench.py                     # full run, a few minutes
    python benchmarks/bench.py --quick             # smoke test, a few seconds
    python benchmarks/bench.py --docs              # also refresh docs/benchmarks.rst and its plot
    python benchmarks/bench.py --only B2,B3 --frameworks numpy,minigrad
    python benchmarks/bench.py --threads default   # leave the libraries' thread pools alone
    python benchmarks/bench.py --from-json benchmarks/results.json --docs   # render only

The workloads are in ``cases.py``, the measuring in ``harness.py``, the tables and plot in
``report.py``; ``README.md`` describes the method. Every library is pinned to one thread
unless ``--threads default`` is given: the thread variables must be set before NumPy or
PyTorch is first imported, which is why this module imports them only inside ``main``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results.json"
DOCS_PAGE = ROOT / "docs" / "benchmarks.rst"
DOCS_IMAGE = "_static/benchmarks.png"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
ALL_FRAMEWORKS = ("numpy", "minigrad", "torch", "mygrad", "autograd")
REQUIRED = ("numpy", "minigrad", "torch")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny workloads and one round each: checks that everything runs")
    parser.add_argument("--threads", choices=("1", "default"), default="1",
                        help="pin BLAS, OpenMP and PyTorch to one thread (default) or leave "
                             "them at the libraries' defaults")
    parser.add_argument("--repeat", type=int, default=None,
                        help="interleaved timing rounds per case (default 7; 1 with --quick)")
    parser.add_argument("--round-seconds", type=float, default=None,
                        help="target duration of one timing round (default 0.1; 0.002 with "
                             "--quick)")
    parser.add_argument("--only", default=None,
                        help="comma-separated case prefixes to run, e.g. B1,B5,import,memory")
    parser.add_argument("--frameworks", default=",".join(ALL_FRAMEWORKS),
                        help="comma-separated frameworks to time besides hand-written NumPy "
                             "(MyGrad and HIPS autograd run only if installed)")
    parser.add_argument("--json", type=Path, default=None,
                        help=f"where to write the results (default {DEFAULT_JSON.relative_to(ROOT)}"
                             "; a --quick run writes none unless asked)")
    parser.add_argument("--docs", action="store_true",
                        help=f"rewrite the results section of {DOCS_PAGE.relative_to(ROOT)} and "
                             f"its plot docs/{DOCS_IMAGE}")
    parser.add_argument("--plot", type=Path, default=None, help="also save the plot here")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="render a saved record instead of measuring")
    parser.add_argument("--memory-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 7
    if args.round_seconds is None:
        args.round_seconds = 0.002 if args.quick else 0.1
    if args.json is None and not args.quick:
        args.json = DEFAULT_JSON
    args.frameworks = [name.strip() for name in args.frameworks.split(",") if name.strip()]
    unknown = set(args.frameworks) - set(ALL_FRAMEWORKS)
    if unknown:
        parser.error(f"unknown frameworks {sorted(unknown)}; choose from {ALL_FRAMEWORKS}")
    return args


def pin_threads(setting: str) -> None:
    """Set the thread variables (before any numerical library is imported)."""
    if setting == "1":
        for variable in THREAD_VARIABLES:
            os.environ[variable] = "1"


def pin_torch(setting: str) -> None:
    """PyTorch reads OMP_NUM_THREADS, but set its pools explicitly as well."""
    import torch

    if setting == "1":
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)


def describe_threads(setting: str, torch_used: bool) -> str:
    """The setting and what the libraries actually use (via threadpoolctl if installed)."""
    parts = ["pinned to 1 (" + "/".join(v.removesuffix("_NUM_THREADS") for v in
                                        THREAD_VARIABLES[:3]) + "_NUM_THREADS=1)"
             if setting == "1" else "library defaults"]
    try:
        from threadpoolctl import threadpool_info

        parts += [f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info()]
    except ImportError:
        pass
    if torch_used:
        import torch

        parts.append(f"torch {torch.get_num_threads()}")
    return ", ".join(parts)


def metadata(args: argparse.Namespace, torch_used: bool) -> dict[str, Any]:
    import numpy

    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "threads": describe_threads(args.threads, torch_used),
        "thread_setting": args.threads,
        "quick": args.quick,
        "repeats": args.repeat,
        "round_seconds": args.round_seconds,
        "minigrad_commit": _commit(),
    }
    if torch_used:
        import torch

        meta["torch"] = torch.__version__
    return meta


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    """The checked-out commit, ``+changes`` if minigrad/ has uncommitted edits."""
    def git(*words: str) -> str:
        return subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        return commit + ("+changes" if git("status", "--porcelain", "minigrad") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def selected(key: str, only: list[str] | None) -> bool:
    return only is None or any(key.lower().startswith(prefix.lower()) for prefix in only)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the selected benchmarks; return the JSON record."""
    import cases
    import harness
    import report

    only = args.only.split(",") if args.only else None
    sizes = cases.QUICK if args.quick else cases.Sizes()
    excluded = set(cases.AUTOGRAD_LIBS + cases.OPTIONAL_LIBS) - set(args.frameworks)
    torch_used = "torch" in args.frameworks and cases.installed("torch")
    if torch_used:
        pin_torch(args.threads)
    record: dict[str, Any] = {"meta": metadata(args, torch_used), "cases": []}
    print("threads:", record["meta"]["threads"], flush=True)
    for key, build in cases.build_cases(sizes):
        if not selected(key, only):
            continue
        case = build()
        case.factories = {n: f for n, f in case.factories.items() if n not in excluded}
        print(f"timing {case.key}: {case.title} ...", end=" ", flush=True)
        start = time.perf_counter()
        results = harness.time_case(case, args.repeat, args.round_seconds)
        print(f"{time.perf_counter() - start:.1f} s", flush=True)
        record["cases"].append({
            "key": case.key, "title": case.title, "unit": case.unit,
            "baseline": case.baseline, "target": case.target, "target_stat": case.target_stat,
            "beat_torch": case.beat_torch, "tolerance": case.tolerance, "flops": case.flops,
            "frameworks": {name: harness.summary(r) for name, r in results.items()}})
    record["gflops"] = {
        ("numpy matmul" if case["key"] == "B5-matmul" else name): case["flops"] / r["min_s"] / 1e9
        for case in record["cases"] if case["flops"]
        for name, r in case["frameworks"].items() if "min_s" in r}
    env = dict(os.environ)
    libs = [n for n in ("numpy", "minigrad", "torch") if n in args.frameworks or n == "numpy"]
    if selected("import", only):
        print("timing imports ...", flush=True)
        record["import_ms"] = harness.import_times(libs, args.repeat, ROOT, env)
    if selected("memory", only):
        print("measuring B5's peak memory ...", flush=True)
        record["memory"] = harness.peak_memory(
            [n for n in libs if n == "numpy" or cases.installed(n)],
            lambda name, trace: _worker_command(args, name, trace), ROOT, env)
    record["targets"] = report.evaluate_targets(record)
    return record


def _worker_command(args: argparse.Namespace, name: str, trace: bool) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-worker", name,
               "--threads", args.threads]
    return command + ["--quick"] * args.quick + ["--trace"] * trace


def memory_worker(args: argparse.Namespace) -> int:
    """In a fresh process: build B5 for one framework, run it, print the memory as JSON."""
    import cases
    import harness

    if args.memory_worker == "torch":
        pin_torch(args.threads)
    workload = cases.b5_workload(args.memory_worker, cases.QUICK if args.quick else cases.Sizes())
    print(json.dumps(harness.measure_memory(workload, args.trace)))
    return 0


def problems(record: dict[str, Any]) -> list[str]:
    """Failures that make the run unsound: a required framework broke or computed otherwise.

    A missing module (minigrad.nn before it exists, say) is reported in the table only.
    """
    found = []
    for case in record["cases"]:
        for name, result in case["frameworks"].items():
            error = result.get("error", "")
            if name in REQUIRED and error.startswith("error"):
                found.append(f"{case['key']} {name}: {error}")
            difference = result.get("max_relative_difference")
            if difference is not None and difference > case["tolerance"]:
                found.append(f"{case['key']} {name}: differs from NumPy by {difference:.2e} "
                             f"(tolerance {case['tolerance']:.0e})")
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pin_threads(args.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.memory_worker:
        return memory_worker(args)
    import report

    record = json.loads(args.from_json.read_text()) if args.from_json else measure(args)
    print()
    print(report.terminal_report(record))
    if args.json and not args.from_json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=1) + "\n")
        print(f"\nwrote {args.json}")
    if args.docs:
        report.plot(record, DOCS_PAGE.parent / DOCS_IMAGE)
        report.update_docs(record, DOCS_PAGE, DOCS_IMAGE)
        print(f"updated {DOCS_PAGE} and docs/{DOCS_IMAGE}")
    if args.plot:
        report.plot(record, args.plot)
        print(f"wrote {args.plot}")
    found = problems(record)
    for problem in found:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
