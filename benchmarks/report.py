"""Reporting: the targets, the tables (terminal and reStructuredText), the plot.

Everything here works from the JSON record that ``bench.py`` writes, so a saved record can
be rendered again (``bench.py --from-json results.json --docs``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Record = dict[str, Any]

IMPORT_BUDGET_MS = 20.0
MEMORY_TARGET = 1.1
DOCS_START = ".. results-start"
DOCS_END = ".. results-end"


# ---------------------------------------------------------------------- numbers
def format_time(seconds: float) -> str:
    """Three significant digits in the unit that suits: ``12.3 µs``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f"{ratio:.3g}x" if ratio < 100 else f"{ratio:,.0f}x"


def ratios(case: Record, name: str) -> tuple[float | None, float | None]:
    """The framework's median and minimum over the baseline's, or None if either failed."""
    results = case["frameworks"]
    mine, base = results.get(name, {}), results.get(case["baseline"], {})
    if "median_s" not in mine or "median_s" not in base:
        return None, None
    return mine["median_s"] / base["median_s"], mine["min_s"] / base["min_s"]


# ---------------------------------------------------------------------- targets
def evaluate_targets(record: Record) -> list[Record]:
    """Every target of the issue, measured: ``name``, ``measured``, ``goal``, ``met``.

    ``met`` is None where minigrad (or what it is compared with) did not run.
    """
    targets = []
    for case in record["cases"]:
        if case.get("target") is not None:
            median, minimum = ratios(case, "minigrad")
            measured = minimum if case["target_stat"] == "min" else median
            targets.append({
                "name": f"{case['key']} minigrad / numpy ({case['target_stat']})",
                "measured": format_ratio(measured), "goal": f"<= {case['target']}x",
                "met": None if measured is None else measured <= case["target"]})
        if case.get("beat_torch"):
            results = case["frameworks"]
            mine, theirs = results.get("minigrad", {}), results.get("torch", {})
            ratio = (mine["median_s"] / theirs["median_s"]
                     if "median_s" in mine and "median_s" in theirs else None)
            targets.append({"name": f"{case['key']} minigrad / torch (median)",
                            "measured": format_ratio(ratio), "goal": "< 1x",
                            "met": None if ratio is None else ratio < 1})
    imports = record.get("import_ms", {})
    if "minigrad" in imports and "numpy" in imports:
        extra = imports["minigrad"]["median_ms"] - imports["numpy"]["median_ms"]
        targets.append({"name": "import minigrad - import numpy", "measured": f"{extra:+.1f} ms",
                        "goal": f"<= +{IMPORT_BUDGET_MS:.0f} ms",
                        "met": extra <= IMPORT_BUDGET_MS})
    memory = record.get("memory", {})
    for key, label in (("peak_rss_mib", "peak RSS"), ("traced_peak_mib", "traced peak")):
        mine, base = memory.get("minigrad", {}).get(key), memory.get("numpy", {}).get(key)
        if mine is not None and base:
            targets.append({"name": f"B5 memory minigrad / numpy ({label})",
                            "measured": format_ratio(mine / base),
                            "goal": f"<= {MEMORY_TARGET}x", "met": mine / base <= MEMORY_TARGET})
    return targets


def _met(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[met]


# ---------------------------------------------------------------------- tables
def timing_rows(record: Record) -> list[list[str]]:
    """One row per case and framework, plus a ``minigrad / torch`` row where it is a target."""
    targets = {t["name"]: t for t in record["targets"]}
    rows = [["case", "framework", "median", "min", "max", "ratio", "min ratio", "target",
             "met", "agrees"]]
    for case in record["cases"]:
        for name, result in case["frameworks"].items():
            if "median_s" not in result:
                rows.append([case["key"], name, result.get("error", ""), "", "", "", "", "",
                             "", ""])
                continue
            median, minimum = ratios(case, name)
            goal = met = ""
            if name == "minigrad" and case.get("target") is not None:
                target = targets[f"{case['key']} minigrad / numpy ({case['target_stat']})"]
                goal, met = f"{target['goal']} ({case['target_stat']})", _met(target["met"])
            difference = result.get("max_relative_difference")
            agrees = "" if difference is None else (
                "yes" if difference <= case["tolerance"] else f"NO ({difference:.1e})")
            rows.append([case["key"], name, format_time(result["median_s"]),
                         format_time(result["min_s"]), format_time(result["max_s"]),
                         format_ratio(median), format_ratio(minimum), goal, met, agrees])
        torch_target = targets.get(f"{case['key']} minigrad / torch (median)")
        if torch_target is not None:
            rows.append([case["key"], "minigrad / torch", "", "", "", torch_target["measured"],
                         "", torch_target["goal"], _met(torch_target["met"]), ""])
    return rows


def case_rows(record: Record) -> list[list[str]]:
    return [["case", "what", "unit"]] + [[c["key"], c["title"], c["unit"]]
                                         for c in record["cases"]]


def target_rows(record: Record) -> list[list[str]]:
    return [["target", "measured", "goal", "met"]] + [
        [t["name"], t["measured"], t["goal"], _met(t["met"])] for t in record["targets"]]


def extra_rows(record: Record) -> list[list[str]]:
    """Import times, peak memory and B5's GFLOP/s, one row per framework."""
    rows = [["framework", "import (ms, median)", "B5 peak RSS (MiB)", "B5 traced peak (MiB)",
             "B5 GFLOP/s (min time)"]]
    gflops = record.get("gflops", {})
    imports, memory = record.get("import_ms", {}), record.get("memory", {})
    names = list(dict.fromkeys([*imports, *memory, *gflops]))
    for name in names:
        traced = memory.get(name, {}).get("traced_peak_mib")
        rss = memory.get(name, {}).get("peak_rss_mib")
        rows.append([name,
                     f"{imports[name]['median_ms']:.1f}" if name in imports else "",
                     f"{rss:.1f}" if rss is not None else "",
                     f"{traced:.2f}" if traced is not None else "",
                     f"{gflops[name]:.1f}" if name in gflops else ""])
    return rows


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """A plain table; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def rst_table(rows: Sequence[Sequence[str]]) -> str:
    """A reStructuredText simple table (every first cell is filled, as the format needs)."""
    widths = [max(max(len(row[i]) for row in rows), 1) for i in range(len(rows[0]))]
    border = "  ".join("=" * width for width in widths)
    body = ["  ".join((cell or "-").ljust(width) if i == 0 else cell.ljust(width)
                      for i, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in rows]
    return "\n".join([border, body[0], border, *body[1:], border])


def settings_line(record: Record) -> str:
    meta = record["meta"]
    return (f"threads: {meta['threads']}; {meta['repeats']} interleaved rounds per case; "
            f"Python {meta['python']}, NumPy {meta['numpy']}, torch {meta.get('torch', '-')}, "
            f"minigrad {meta.get('minigrad_commit', '?')}; {meta['cpu']}; {meta['date']}"
            + ("; QUICK RUN (smoke test, numbers meaningless)" if meta["quick"] else ""))


def terminal_report(record: Record) -> str:
    return "\n\n".join([
        "minigrad benchmarks: " + settings_line(record),
        "Times are per unit (see the cases); ratio = median / NumPy's median, min ratio = "
        "min / NumPy's min.",
        text_table(case_rows(record)),
        text_table(timing_rows(record)),
        text_table(extra_rows(record)),
        text_table(target_rows(record)),
        f"Targets met: {sum(t['met'] is True for t in record['targets'])} of "
        f"{len(record['targets'])}.",
    ])


# ---------------------------------------------------------------------- docs
def rst_results(record: Record, image: str) -> str:
    """The generated part of ``docs/benchmarks.rst``."""
    return "\n\n".join([
        DOCS_START,
        f"Latest run: {settings_line(record)}.",
        "Cases and units\n^^^^^^^^^^^^^^^", rst_table(case_rows(record)),
        "Times and ratios\n^^^^^^^^^^^^^^^^", rst_table(timing_rows(record)),
        "Import time, memory and throughput\n^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        rst_table(extra_rows(record)),
        "Targets\n^^^^^^^", rst_table(target_rows(record)),
        f".. image:: {image}\n   :alt: minigrad's and PyTorch's times as ratios to "
        "hand-written NumPy, with the targets",
        DOCS_END,
    ])


def update_docs(record: Record, page: Path, image: str) -> None:
    """Replace the text between the result markers of ``page`` with the latest tables."""
    text = page.read_text()
    pattern = re.compile(re.escape(DOCS_START) + r".*?" + re.escape(DOCS_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{page} has no '{DOCS_START}' ... '{DOCS_END}' section to replace")
    page.write_text(pattern.sub(lambda _: rst_results(record, image), text))


def plot(record: Record, path: Path) -> None:
    """Horizontal bars of each framework's ratio to NumPy, targets marked, log scale.

    The ratio is taken on the statistic the case's target uses (the minimum for B5).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = [c for c in record["cases"] if len(c["frameworks"]) > 1]
    names = list(dict.fromkeys(n for c in cases for n in c["frameworks"]
                               if n != c["baseline"]))
    height = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(9, 0.22 * len(cases) * len(names) + 1.8),
                           layout="constrained")
    largest = 1.0
    for j, name in enumerate(names):
        ys, values = [], []
        for i, case in enumerate(cases):
            median, minimum = ratios(case, name)
            value = minimum if case["target_stat"] == "min" else median
            if value is not None:
                ys.append(i + (j - (len(names) - 1) / 2) * height)
                values.append(value)
        bars = ax.barh(ys, values, height=height, label=name)
        ax.bar_label(bars, labels=[format_ratio(v) for v in values], fontsize=7, padding=2)
        largest = max([largest, *values])
    for i, case in enumerate(cases):
        if case.get("target") is not None:
            ax.plot([case["target"]] * 2, [i - 0.45, i + 0.45], color="black", linewidth=2)
    ax.plot([], [], color="black", linewidth=2, label="minigrad's target")
    ax.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    ax.set_xlim(right=largest * 2.5)
    ax.set_yticks(range(len(cases)), [c["key"] for c in cases])
    ax.invert_yaxis()
    ax.set_xlabel("time / hand-written NumPy's time (median; minimum for B5), lower is better")
    ax.set_title("minigrad and PyTorch against hand-written NumPy, one thread"
                 + (" (QUICK RUN)" if record["meta"]["quick"] else ""))
    fig.legend(loc="outside lower center", ncols=len(names) + 1, fontsize=8)
    ax.grid(axis="x", alpha=0.3, which="both")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
