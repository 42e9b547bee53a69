"""Measuring: interleaved timing rounds, import time in subprocesses, peak memory.

Timing. Each framework's workload is first run once untimed: that warms caches and lazy
imports, and its resulting state is compared with the baseline's. Then, as ``timeit``
does, the number of calls per round is chosen so that one round lasts about
``round_seconds``. The rounds are interleaved: round r runs every framework once, in an
order rotated by r, each on freshly built state, so that a slow patch of the shared
machine hits all of them alike. The garbage collector runs before each round and stays
enabled during it, as in a user's program; objects that exist before the rounds start are
frozen out of collection (``gc.freeze``).
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
from cases import Case, Workload


@dataclass
class Result:
    """One framework's timings on one case: seconds per call, one sample per round."""

    samples: list[float] = field(default_factory=list)
    calls: int = 0
    difference: float | None = None  # largest relative difference from the baseline's state
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)


def relative_difference(got: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> float:
    """Largest ``max|got - expected| / max|expected|`` over a list of arrays."""
    if len(got) != len(expected):
        return float("inf")
    worst = 0.0
    for a, b in zip(got, expected, strict=True):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            return float("inf")
        scale = float(np.max(np.abs(b), initial=0.0)) or 1.0
        worst = max(worst, float(np.max(np.abs(a - b), initial=0.0)) / scale)
    return worst


def _calls_per_round(workload: Workload, round_seconds: float) -> int:
    """Calls of ``workload.run`` that take about ``round_seconds`` (like timeit's autorange)."""
    calls = 1
    while True:
        start = perf_counter()
        for _ in range(calls):
            workload.run()
        elapsed = perf_counter() - start
        if elapsed >= round_seconds / 4 or calls >= 1_000_000:
            return max(1, round(calls * round_seconds / elapsed))
        calls *= 10


def _failure(error: BaseException) -> str:
    if isinstance(error, ModuleNotFoundError):
        return f"unavailable ({error})"
    return f"error: {''.join(traceback.format_exception_only(error)).strip()}"


def time_case(case: Case, repeats: int, round_seconds: float) -> dict[str, Result]:
    """Time every framework of ``case``; failures are recorded, not raised."""
    results = {name: Result() for name in case.factories}
    expected: list[np.ndarray] | None = None
    for name, factory in case.factories.items():
        try:
            workload = factory()
            workload.run()
            state = workload.state()
            results[name].calls = _calls_per_round(workload, round_seconds)
        except Exception as error:  # one broken framework must not stop the others
            results[name].error = _failure(error)
            continue
        if name == case.baseline:
            expected = state
        elif expected is not None:
            results[name].difference = relative_difference(state, expected)
    # Everything alive now (libraries, data) is left out of later collections, as if each
    # framework ran in a process of its own: otherwise PyTorch's and scikit-learn's many
    # objects would make every collection, and so every framework, slower.
    gc.collect()
    gc.freeze()
    running = [name for name, result in results.items() if result.error is None]
    for round_index in range(repeats):
        shift = round_index % max(1, len(running))
        for name in running[shift:] + running[:shift]:
            workload = case.factories[name]()
            run, calls = workload.run, results[name].calls
            gc.collect()
            start = perf_counter()
            for _ in range(calls):
                run()
            results[name].samples.append((perf_counter() - start) / calls)
    return results


def import_times(modules: Sequence[str], repeats: int, cwd: Path,
                 env: dict[str, str]) -> dict[str, dict[str, float]]:
    """Milliseconds to ``import`` each module in a fresh interpreter, startup subtracted.

    ``python -c "import X"`` is timed, interleaved with ``python -c "pass"``. Bytecode is
    cached, as for any installed package, in a temporary ``PYTHONPYCACHEPREFIX`` (even if
    ``PYTHONDONTWRITEBYTECODE`` is set here): a first, untimed round fills it, so that no
    module is timed compiling its source. Returns median, min and max per module.
    """
    commands = {"(startup)": "pass", **{name: f"import {name}" for name in modules}}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    with tempfile.TemporaryDirectory() as cache:
        env = {**env, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for round_index in range(-1, repeats):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                start = perf_counter()
                subprocess.run([sys.executable, "-c", commands[name]], cwd=cwd, env=env,
                               check=True, capture_output=True)
                if round_index >= 0:
                    samples[name].append(perf_counter() - start)
    startup = samples.pop("(startup)")
    base_median, base_min = statistics.median(startup), min(startup)
    return {name: {"median_ms": 1e3 * (statistics.median(times) - base_median),
                   "min_ms": 1e3 * (min(times) - base_min),
                   "max_ms": 1e3 * (max(times) - base_min)}
            for name, times in samples.items()}


def peak_memory(frameworks: Sequence[str], worker: Callable[[str, bool], list[str]],
                cwd: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Peak memory of B5 per framework, each in a fresh process (``worker`` builds the command).

    ``peak_rss_mib``: the process's peak resident set size (``ru_maxrss``): interpreter,
    libraries, data and training together, what the operating system sees.
    ``traced_peak_mib``: in a second process, with ``tracemalloc`` started after the setup,
    the peak of Python and NumPy allocations during the training loop: the memory the engine
    itself adds. NumPy reports its buffers to ``tracemalloc``; PyTorch allocates outside it,
    so it has no traced figure.
    """
    memory: dict[str, dict[str, Any]] = {}
    for name in frameworks:
        entry: dict[str, Any] = {}
        for trace in (False, True) if name != "torch" else (False,):
            done = subprocess.run(worker(name, trace), cwd=cwd, env=env, capture_output=True,
                                  text=True)
            if done.returncode:
                lines = done.stderr.strip().splitlines() or ["no output"]
                entry["error"] = (f"unavailable ({lines[-1]})" if "ModuleNotFoundError" in
                                  lines[-1] else f"error: {lines[-1]}")
                break
            entry.update(json.loads(done.stdout.strip().splitlines()[-1]))
        memory[name] = entry
    return memory


def measure_memory(workload: Workload, trace: bool) -> dict[str, float]:
    """Run ``workload`` once in this process; the figures :func:`peak_memory` reports."""
    import tracemalloc

    if trace:
        tracemalloc.start()
        workload.run()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"traced_peak_mib": peak / 2**20}
    workload.run()
    return {"peak_rss_mib": peak_rss() / 2**20}


def peak_rss() -> int:
    """This process's peak resident set size in bytes.

    Linux's ``ru_maxrss`` survives ``exec``: a child started from a large parent reports
    the parent's size. ``VmHWM`` in ``/proc/self/status`` is reset by ``exec``, so it is
    read where it exists.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    # ru_maxrss is in bytes on macOS, in KiB elsewhere
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def summary(result: Result) -> dict[str, Any]:
    """The JSON record of one result."""
    if result.error is not None or not result.samples:
        return {"error": result.error or "not timed"}
    return {"median_s": result.median, "min_s": result.min, "max_s": result.max,
            "samples_s": result.samples, "calls_per_round": result.calls,
            "max_relative_difference": result.difference}
