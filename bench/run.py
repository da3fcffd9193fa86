"""Benchmark the whole pipeline at 1M, 10M and 100M events against a bare DuckDB group by.

    .venv/bin/python bench/run.py [--sizes 1M:10k,10M:50k,100M:100k] [--days 91]
                                  [--workdir bench/.data/run] [--seed 7]

For each size (EVENTS:SUBSCRIPTIONS), on the same files:
1. `billing generate` writes the catalog (as many customers as give exactly SUBSCRIPTIONS
   subscriptions; 15 % of customers have two) and EVENTS events over --days days from
   2024-01-01, one Parquet file a day. An earlier identical generation is reused.
2. Each step below runs once, in its own process (bench/run_step.py), against its own
   warehouse under the work directory (never data/warehouse.duckdb):
   - floor: a bare DuckDB `group by external_subscription_id, code, period` with count(*)
     over the Parquet files;
   - ingestion: the catalog and event-landing runs of `billing run` into a new warehouse;
   - full re-bill: `billing run` over all history from the first day to the day before the
     last, new warehouse (its events: those of these days);
   - nightly: `billing run --from D --through D` for the last day D, on top of the
     re-bill's warehouse: the day's events are landed for the first time, as every night,
     and every invoice is recomputed.
   `billing run` is the real command with `--skip documents --skip payments`: invoice
   documents (HTML and PDF) and payment pushing are measured by bench/documents.py and
   bench/payments.py.
3. Prints the table: wall seconds, events/s, the ratio to the floor, the peak RSS of the
   process tree (the sum over the step's processes, sampled every 0.1 s from /proc), the
   largest single process (ru_maxrss) and CPU seconds; then where the time of the re-bill
   and the nightly run goes (each Dagster run and its steps, dbt's parse and execution,
   the slowest dbt models from the invocation's run_results.json). Results and logs are
   kept in the work directory (<size>/results.json, <size>/logs/).

The latest measurement, with how it got there and where the time goes, is in the README
(section Performance). 100M events were not run there (hours on the development VM).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dagster_project.lib.generator import MARKER, build_catalog, generate  # noqa: E402

PYTHON = sys.executable
STEP = Path(__file__).resolve().with_name("run_step.py")
DBT_TARGET = ROOT / "dbt_project" / "target"
START = date(2024, 1, 1)
PAGE = os.sysconf("SC_PAGE_SIZE")
UNITS = {"": 1, "k": 1_000, "m": 1_000_000}


@dataclass(frozen=True)
class Size:
    label: str
    events: int
    subscriptions: int


@dataclass
class Measurement:
    step: str
    events: int
    seconds: float
    peak_tree_rss: int  # bytes, summed over the process tree, sampled
    max_process_rss: int  # bytes, the largest single process (ru_maxrss)
    cpu_seconds: float  # user + system of the process and every child it waited for
    load: float  # the 1-minute load average when it started (other work on the machine)
    report: dict


def _count(text: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmM]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a count (like 10k or 1M): {text!r}")
    return int(match.group(1)) * UNITS[match.group(2).lower()]


def _sizes(text: str) -> list[Size]:
    sizes = []
    for item in text.split(","):
        events, _, subscriptions = item.partition(":")
        if not subscriptions:
            raise argparse.ArgumentTypeError(f"a size is EVENTS:SUBSCRIPTIONS, got {item!r}")
        sizes.append(Size(events, _count(events), _count(subscriptions)))
    return sizes


# --------------------------------------------------------------------------- data


def customers_for(subscriptions: int, seed: int) -> int:
    """The fewest customers whose catalog has `subscriptions` subscriptions. A customer's
    draws do not depend on how many follow, so n customers are a prefix of n + 1."""
    catalog = build_catalog(customers=subscriptions, seed=seed, start=START)
    per_customer = Counter(sub["external_customer_id"] for sub in catalog["subscriptions"])
    total = 0
    for number, customer in enumerate(catalog["customers"], start=1):
        total += per_customer[customer["external_id"]]
        if total >= subscriptions:
            return number
    return len(catalog["customers"])


def prepare_data(data_dir: Path, size: Size, days: int, seed: int) -> tuple[int, int]:
    """Generate (or reuse) the data directory; returns (customers, events per day)."""
    customers = customers_for(size.subscriptions, seed)
    per_day = round(size.events / days)
    wanted = (
        f"customers={customers} days={days} events_per_day={per_day} seed={seed} "
        f"start={START.isoformat()}"
    )
    marker = data_dir / MARKER
    if marker.exists() and wanted in marker.read_text() and (data_dir / "events").is_dir():
        print(f"[{size.label}] reusing {data_dir}", file=sys.stderr)
        return customers, per_day
    print(f"[{size.label}] generating {data_dir} ({wanted})", file=sys.stderr)
    stats = generate(
        data_dir, customers=customers, days=days, events_per_day=per_day, seed=seed, start=START
    )
    print(stats.summary(), file=sys.stderr)
    return customers, per_day


# --------------------------------------------------------------------------- measuring


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (shared pages counted per process)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, ()))
    return total


def measure(
    step: str, events: int, command: list[str], env: dict, log: Path, report: Path
) -> Measurement:
    """Run `command` once; wall time, sampled peak RSS of its tree, its rusage."""
    log.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    print(f"  {step}: {' '.join(command[2:])}", file=sys.stderr)
    load = os.getloadavg()[0]
    with log.open("w") as out:
        spawned_at = time.time()
        began = time.perf_counter()
        proc = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
        peak, done = 0, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text()[-6000:]
        hint = ""
        if "KeyError" in tail and "dagster" in tail:
            hint = "\n(a dagster-dbt KeyError: the dbt models changed; `make manifest`, then retry)"
        sys.exit(f"{step} failed (exit {proc.returncode}); log {log}:\n{tail}{hint}")
    data = json.loads(report.read_text())
    data["startup_seconds"] = data.pop("started_at") - spawned_at
    return Measurement(
        step=step,
        events=events,
        seconds=seconds,
        peak_tree_rss=peak,
        max_process_rss=usage.ru_maxrss * 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        load=load,
        report=data,
    )


def bench_size(size: Size, workdir: Path, days: int, seed: int) -> dict:
    base = workdir / size.label
    data_dir = base / "data"
    customers, per_day = prepare_data(data_dir, size, days, seed)
    last_day = START + timedelta(days=days - 1)
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    env.update(
        BILLING_DATA_DIR=str(data_dir),
        BILLING_OUTPUT_DIR=str(base / "out"),
        PYTHONUNBUFFERED="1",
        # what the README's 10M to 100M rows were measured with (DuckDB spills beyond it)
        RATEBOOK_DUCKDB_MEMORY_LIMIT=os.environ.get("RATEBOOK_DUCKDB_MEMORY_LIMIT") or "4GB",
    )

    def fresh(name: str) -> Path:
        warehouse = base / name
        for path in base.glob(f"{warehouse.stem}*.duckdb*"):
            path.unlink()
        return warehouse

    def run(step: str, slug: str, events: int, arguments: list[str], warehouse=None) -> Measurement:
        log, report = base / "logs" / f"{slug}.log", base / "logs" / f"{slug}.json"
        command = [PYTHON, str(STEP), arguments[0], "--report", str(report), *arguments[1:]]
        step_env = {**env, **({"BILLING_WAREHOUSE": str(warehouse)} if warehouse else {})}
        return measure(step, events, command, step_env, log, report)

    def billing_run(warehouse: Path, *flags: str, through_day: date = last_day) -> list[str]:
        through = ["--through", through_day.isoformat()]
        return ["billing", *flags, "--", *through, "--warehouse", str(warehouse)]

    print(f"[{size.label}] measuring in {base}", file=sys.stderr)
    floor = run("floor", "floor", 0, ["floor", "--data-dir", str(data_dir)])
    events = floor.events = floor.report["events"]
    ingest = fresh("ingest.duckdb")
    ingestion = run("ingestion", "ingestion", events, billing_run(ingest, "--ingest-only"), ingest)
    fresh("ingest.duckdb")  # the re-bill lands the same events again: free the disk now
    # The re-bill bills every day but the last; the nightly run then bills the last day on
    # top of it: its events are new to the warehouse, as they are every night.
    warehouse = fresh("warehouse.duckdb")
    day_before = last_day - timedelta(days=1)
    history = billing_run(warehouse, through_day=day_before)
    rebill = run("full re-bill", "rebill", events, history, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rebill.events = con.execute("select count(*) from raw.events").fetchone()[0]
    one_day = [*billing_run(warehouse), "--from", last_day.isoformat()]
    nightly = run("nightly day", "nightly", events, one_day, warehouse)

    result = {
        "size": size.label,
        "events": events,
        "subscriptions": size.subscriptions,
        "customers": customers,
        "days": days,
        "events_per_day": per_day,
        "floor_groups": floor.report["groups"],
        "measurements": [vars(m) for m in (floor, ingestion, rebill, nightly)],
        "dbt": {step.step: dbt_invocation(step.report) for step in (rebill, nightly)},
        "machine": machine(),
    }
    (base / "results.json").write_text(json.dumps(result, indent=2, default=str))
    return result


# --------------------------------------------------------------------------- dbt analysis


def _rotation(path: Path) -> int:
    """0 for dbt.log, n for dbt.log.n: dbt rotates its log at 10 MB, dbt.log.1 is older."""
    suffix = path.suffix[1:]
    return int(suffix) if suffix.isdigit() else 0


def _ts(line: dict) -> datetime:
    return datetime.fromisoformat(line["info"]["ts"].replace("Z", "+00:00"))


def dbt_invocation(report: dict) -> dict | None:
    """Parse and execution time of the billing run's dbt invocation, its slowest nodes."""
    billing = next((run for run in report["runs"] if run["run"] == "billing"), None)
    if billing is None:
        return None
    targets = sorted(DBT_TARGET.glob(f"*-{billing['run_id'][:7]}-*"))
    if not targets:
        return None
    target = targets[0]
    # dbt rotates its log at 10 MB: dbt.log.2, dbt.log.1, then dbt.log, oldest first.
    logs = sorted(target.glob("dbt.log*"), key=lambda path: -_rotation(path))
    lines = [
        json.loads(line)
        for log in logs
        for line in log.read_text().splitlines()
        if line.startswith("{")
    ]
    named = {}
    for line in lines:
        named.setdefault(line["info"]["name"], line)
    first, last = _ts(lines[0]), _ts(lines[-1])
    found = _ts(named["FoundStats"]) if "FoundStats" in named else first
    reparse = named.get("UnableToPartialParse", {}).get("info", {}).get("msg")
    threads = named.get("ConcurrencyLine", {}).get("data", {}).get("num_threads")
    results = json.loads((target / "run_results.json").read_text())
    nodes = [
        {"node": item["unique_id"].split(".", 1)[0], "name": item["unique_id"].split(".")[-1],
         "seconds": item["execution_time"]}
        for item in results["results"]
    ]  # fmt: skip
    by_type: dict[str, float] = {}
    for node in nodes:
        by_type[node["node"]] = by_type.get(node["node"], 0.0) + node["seconds"]
    models = sorted((n for n in nodes if n["node"] == "model"), key=lambda n: -n["seconds"])
    step_start, step_end = billing["steps"].get(
        "billing_models", [first.timestamp(), last.timestamp()]
    )
    return {
        "target": str(target),
        "step_seconds": step_end - step_start,
        # from the step's start to dbt's first log line: dagster-dbt's set-up and dbt's imports
        "before_dbt_seconds": first.timestamp() - step_start,
        # from dbt's last log line to the step's end: Dagster handling dbt's events and results
        "after_dbt_seconds": step_end - last.timestamp(),
        "dbt_log_seconds": (last - first).total_seconds(),
        "parse_seconds": (found - first).total_seconds(),
        "full_reparse_reason": reparse,
        "execution_seconds": results["elapsed_time"],
        "threads": threads,
        "node_seconds_by_type": by_type,
        "node_count": Counter(n["node"] for n in nodes),
        "slowest_models": models[:15],
    }


def machine() -> dict:
    import duckdb

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    model = names[0] if names else "?"
    memory = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    return {"cpus": os.cpu_count(), "cpu": model, "memory": memory, "duckdb": duckdb.__version__}


# --------------------------------------------------------------------------- printing


def _gib(value: int) -> str:
    return f"{value / 2**30:.2f} GiB"


def table(results: list[dict]) -> list[str]:
    """The Markdown table: each step of each size, the ratio to that size's floor."""
    lines = [
        "| events | subscriptions | step | wall s | events/s | x floor | peak RSS (tree) "
        "| largest process | CPU s | load |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        floor = result["measurements"][0]["seconds"]
        for m in result["measurements"]:
            cells = [
                f"{m['events']:,}",
                f"{result['subscriptions']:,}",
                m["step"],
                f"{m['seconds']:.1f}",
                f"{m['events'] / m['seconds']:,.0f}",
                f"{m['seconds'] / floor:,.0f}",
                _gib(m["peak_tree_rss"]),
                _gib(m["max_process_rss"]),
                f"{m['cpu_seconds']:.1f}",
                f"{m['load']:.1f}",
            ]
            lines.append(f"| {' | '.join(cells)} |")
    return lines


def _seconds(items: dict[str, float], top: int | None = None) -> str:
    ranked = sorted(items.items(), key=lambda item: -item[1]) if top else items.items()
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in list(ranked)[:top])


def breakdown(result: dict) -> list[str]:
    """Where the time of ingestion, the re-bill and the nightly run goes."""
    lines = [
        f"### {result['size']}: {result['events']:,} events, "
        f"{result['subscriptions']:,} subscriptions",
        "",
    ]
    for m in result["measurements"][1:]:
        report = m["report"]
        in_runs = sum(run["seconds"] for run in report["runs"])
        # report["seconds"] is from cli.main on; "import dagster" came before it
        before = report["seconds"] - in_runs + report["before_runs"].get("import dagster", 0.0)
        lines.append(
            f"**{m['step']}** {m['seconds']:.1f} s: interpreter start "
            f"{report['startup_seconds']:.1f} s; before the first run {before:.1f} s "
            f"({_seconds(report['before_runs'])}); Dagster runs {in_runs:.1f} s"
        )
        for run in report["runs"]:
            steps = {key: end - start for key, (start, end) in run["steps"].items()}
            in_steps = sum(steps.values())
            lines.append(
                f"- run `{run['run']}` ({run['assets']} assets): {run['seconds']:.1f} s, steps "
                f"{in_steps:.1f} s (outside steps {run['seconds'] - in_steps:.1f} s); "
                f"{_seconds(steps, top=4)}"
            )
        dbt = result["dbt"].get(m["step"])
        if dbt:
            nodes = ", ".join(
                f"{count} {kind}s {dbt['node_seconds_by_type'][kind]:.1f}"
                for kind, count in dbt["node_count"].items()
            )
            parse = "full reparse" if dbt["full_reparse_reason"] else "partial"
            lines.append(
                f"- dbt step {dbt['step_seconds']:.1f} s: before dbt's first log line "
                f"{dbt['before_dbt_seconds']:.1f} s, parse {dbt['parse_seconds']:.1f} s ({parse}), "
                f"execution {dbt['execution_seconds']:.1f} s, after dbt's last line "
                f"{dbt['after_dbt_seconds']:.1f} s; node seconds ({dbt['threads']} threads): "
                f"{nodes}"
            )
            slowest = {n["name"]: n["seconds"] for n in dbt["slowest_models"][:10]}
            lines.append(f"- slowest models (s): {_seconds(slowest)}")
        lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes("1M:10k,10M:50k,100M:100k"),
        help="EVENTS:SUBSCRIPTIONS, comma-separated (default 1M:10k,10M:50k,100M:100k)",
    )
    parser.add_argument("--days", type=int, default=91, help="days of events from 2024-01-01")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".data" / "run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    workdir = args.workdir.resolve()
    results = [bench_size(size, workdir, args.days, args.seed) for size in args.sizes]
    host = results[0]["machine"]
    print(
        f"{host['cpus']} CPUs ({host['cpu']}), {host['memory'] / 2**30:.0f} GiB, "
        f"DuckDB {host['duckdb']}; {args.days} days from {START}; "
        "`billing run --skip documents --skip payments`.\n"
    )
    print("\n".join(table(results)))
    print()
    for result in results:
        print("\n".join(breakdown(result)))


if __name__ == "__main__":
    main()
