"""Helpers for scripts/bench/engine_pipelining.sh (Python standard library only).

  engine_bench.py make-items DIR COUNT BYTES SEED     deterministic item files itemNN.bin
  engine_bench.py sample WORKSPACE OUT.jsonl MS       sample the workspace every MS ms until SIGTERM
  engine_bench.py analyze SETTINGS.json OUT.json      every number, a table on stdout, JSON to OUT.json

Sizes are those of regular files (st_size; folders and links count nothing), the unit Sluice's
budget counts in (DiskUsage.swift), so a sample can be compared with the budget directly.
"""

import json
import os
import random
import signal
import statistics
import sys
import time


def item_name(index):
    return f"item{index:02d}.bin"


def make_items(folder, count, size, seed):
    os.makedirs(folder, exist_ok=True)
    for index in range(count):
        path = os.path.join(folder, item_name(index))
        if os.path.exists(path) and os.path.getsize(path) == size:
            continue
        data = random.Random(seed * 1000 + index).randbytes(size)
        with open(path + ".tmp", "wb") as handle:
            handle.write(data)
        os.replace(path + ".tmp", path)


AREAS = ("raw", "interim", "output", "cache")


def regular_bytes(root):
    """(total bytes of regular files under root, bytes outside the areas (ledger, logs),
    {item: bytes} of raw/<item>.partial folders)."""
    total = 0
    outside = 0
    partials = {}
    for folder, _, files in os.walk(root):
        partial = None
        relative = os.path.relpath(folder, root).split(os.sep)
        in_area = relative[0] in AREAS
        if len(relative) >= 2 and relative[0] == "raw" and relative[1].endswith(".partial"):
            partial = relative[1][: -len(".partial")]
            partials.setdefault(partial, 0)
        for name in files:
            try:
                info = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:
                continue
            if (info.st_mode & 0o170000) == 0o100000:
                total += info.st_size
                if not in_area:
                    outside += info.st_size
                if partial is not None:
                    partials[partial] += info.st_size
    # A partial folder that is still empty (the request is under way) is found by listing raw/.
    try:
        for name in os.listdir(os.path.join(root, "raw")):
            if name.endswith(".partial"):
                partials.setdefault(name[: -len(".partial")], 0)
    except FileNotFoundError:
        pass
    return total, outside, partials


def sample(root, out, milliseconds):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    interval = milliseconds / 1000
    with open(out, "w") as handle:
        next_time = time.time()
        while not stop:
            now = time.time()
            total, outside, partials = regular_bytes(root)
            handle.write(json.dumps({"t": now, "bytes": total, "overhead": outside, "partials": partials}) + "\n")
            handle.flush()
            next_time += interval
            delay = next_time - time.time()
            if delay > 0:
                time.sleep(delay)
            else:
                next_time = time.time()


# ---------------------------------------------------------------------------------------------
# Analysis


def load_events(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_samples(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def task_times(events):
    """{(item, stage): {"claimed": t, "done": t}} from the event log (last attempt wins)."""
    tasks = {}
    for event in events:
        if event.get("item") is None or event.get("stage") is None:
            continue
        key = (event["item"], event["stage"])
        if event["kind"] in ("claimed", "done", "failed"):
            tasks.setdefault(key, {})[event["kind"]] = event["time"]
    return tasks


def stage_summary(tasks, stage):
    durations = [t["done"] - t["claimed"] for (item, s), t in sorted(tasks.items()) if s == stage and "done" in t and "claimed" in t]
    return {
        "tasks": len(durations),
        "total_seconds": sum(durations),
        "mean_seconds": statistics.mean(durations) if durations else 0,
        "min_seconds": min(durations) if durations else 0,
        "max_seconds": max(durations) if durations else 0,
    }


def timeline(tasks, items, stage_names, origin):
    """Rows per item: claimed/done of every stage, seconds since `origin`."""
    rows = []
    for item in items:
        row = {"item": item}
        for stage, name in enumerate(stage_names):
            times = tasks.get((item, stage), {})
            row[name] = [round(times[k] - origin, 3) if k in times else None for k in ("claimed", "done")]
        rows.append(row)
    return rows


def handoffs(tasks, items):
    """How long the command worker sat idle with work available, per command task: its claim
    minus the later of (the item's fetch done, the previous command done). Fetch gaps: a fetch's
    claim minus the previous fetch's done."""
    command_idle = []
    fetch_gaps = []
    previous_command_done = None
    previous_fetch_done = None
    ordered = sorted(items, key=lambda i: tasks.get((i, 1), {}).get("claimed", float("inf")))
    for item in ordered:
        fetch = tasks.get((item, 0), {})
        command = tasks.get((item, 1), {})
        if "claimed" in command and "done" in fetch:
            ready = fetch["done"] if previous_command_done is None else max(fetch["done"], previous_command_done)
            command_idle.append(command["claimed"] - ready)
        if "done" in command:
            previous_command_done = command["done"]
    for item in sorted(items, key=lambda i: tasks.get((i, 0), {}).get("claimed", float("inf"))):
        fetch = tasks.get((item, 0), {})
        if previous_fetch_done is not None and "claimed" in fetch:
            fetch_gaps.append(fetch["claimed"] - previous_fetch_done)
        if "done" in fetch:
            previous_fetch_done = fetch["done"]
    summary = lambda values: {"count": len(values), "mean_ms": 1000 * statistics.mean(values) if values else 0,
                              "max_ms": 1000 * max(values) if values else 0}
    return {"command_idle_with_input_ready": summary(command_idle), "fetch_claim_after_previous_fetch": summary(fetch_gaps)}


def overlap_seconds(tasks, items):
    """Seconds during which a fetch and a command ran at the same time (claimed→done intervals)."""
    fetches = [(tasks[(i, 0)]["claimed"], tasks[(i, 0)]["done"]) for i in items if "done" in tasks.get((i, 0), {})]
    commands = [(tasks[(i, 1)]["claimed"], tasks[(i, 1)]["done"]) for i in items if "done" in tasks.get((i, 1), {})]
    total = 0.0
    for a0, a1 in fetches:
        for b0, b1 in commands:
            total += max(0.0, min(a1, b1) - max(a0, b0))
    return total


def analyze_run(run, items, budget=None, item_bytes=0):
    events = load_events(run["events"])
    tasks = task_times(events)
    stage_names = ["fetch", "process", "cleanup"]
    fetch = stage_summary(tasks, 0)
    process = stage_summary(tasks, 1)
    cleanup = stage_summary(tasks, 2)
    makespan = run["end"] - run["start"]
    bound = max(fetch["total_seconds"], process["total_seconds"])
    result = {
        "makespan_seconds": makespan,
        "fetch": fetch,
        "process": process,
        "cleanup": cleanup,
        "ratio_makespan_over_bottleneck": makespan / bound if bound else None,
        "stages_overlap_seconds": overlap_seconds(tasks, items),
        "handoffs": handoffs(tasks, items),
        "exit_status": run["status"],
        "done_items": sum(1 for i in items if "done" in tasks.get((i, 2), {})),
        "timeline": timeline(tasks, items, stage_names, run["start"]),
    }
    run_events = [e for e in events if e["kind"] in ("run-started", "run-finished")]
    if len(run_events) >= 2:
        result["ledger_run_seconds"] = run_events[-1]["time"] - run_events[0]["time"]
        result["startup_seconds"] = run_events[0]["time"] - run["start"]
        result["shutdown_seconds"] = run["end"] - run_events[-1]["time"]
    if run.get("samples"):
        samples = load_samples(run["samples"])
        began = download_began(samples)
        # claimed -> done of a fetch includes the time it waited for disk space (the engine claims,
        # then reserves); began -> done is the download itself (plus its commit).
        transfers = [tasks[(i, 0)]["done"] - began[i] for i in items if i in began and "done" in tasks.get((i, 0), {})]
        result["fetch"]["total_seconds_after_space_granted"] = sum(transfers)
        bound = max(sum(transfers), process["total_seconds"])
        result["ratio_makespan_over_bottleneck_without_space_waits"] = makespan / bound if bound else None
        if budget is not None:
            result["disk"] = analyze_disk(samples, tasks, items, budget, run["start"], item_bytes)
    return result


def download_began(samples):
    """{item: time its raw/<item>.partial folder was first seen}: the engine makes it right after
    the budget granted the fetch's reservation (within one sampling interval)."""
    began = {}
    for s in samples:
        for item in s["partials"]:
            began.setdefault(item, s["t"])
    return began


def analyze_disk(samples, tasks, items, budget, origin, item_bytes):
    peak = max(s["bytes"] for s in samples)
    # When each item's download began: its raw/<item>.partial folder appears only after the
    # budget granted the fetch's reservation, so (first sample showing it) - (claimed) is the
    # time the item waited for space (to within one sampling interval).
    began = download_began(samples)
    waits = []
    for item in items:
        claimed = tasks.get((item, 0), {}).get("claimed")
        if claimed is not None and item in began:
            waits.append(max(0.0, began[item] - claimed))
    last_fetch_start = max((began[i] for i in items if i in began), default=None)
    threshold = 0.5 * budget
    first_half = next((s["t"] for s in samples if s["bytes"] >= threshold), None)
    window = [s for s in samples if first_half is not None and last_fetch_start is not None and first_half <= s["t"] <= last_fetch_start]
    # "While items are waiting": samples taken while some item's fetch was claimed but not yet
    # granted space (its download had not begun) — the budget, not the network, held it back.
    waiting_spans = []
    for item in items:
        claimed = tasks.get((item, 0), {}).get("claimed")
        if claimed is not None and item in began and began[item] - claimed > 0.1:
            waiting_spans.append((claimed, began[item]))
    waiting = [s for s in samples if any(start <= s["t"] < end for start, end in waiting_spans)]
    # Reserved-but-unwritten bytes of downloads in flight: the budget holds an item's whole size
    # from the moment its download begins, while the disk holds only what has arrived so far.
    held = lambda s: s["bytes"] + sum(max(0, item_bytes - b) for b in s["partials"].values())
    result = {
        "budget_bytes": budget,
        "samples": len(samples),
        "max_bytes": peak,
        "max_fraction_of_budget": peak / budget,
        "max_within_budget": peak <= budget,
        "window_definition": "samples from the first one at >= 50% of the budget until the last item's download began "
                             "(its raw/<item>.partial folder first seen, i.e. the budget had granted its reservation)",
        "window_start_s": None if first_half is None else first_half - origin,
        "window_end_s": None if last_fetch_start is None else last_fetch_start - origin,
        "window_samples": len(window),
        "ledger_and_logs_max_bytes": max(s["overhead"] for s in samples),
        "ledger_and_logs_mean_bytes_in_window": statistics.mean(s["overhead"] for s in window) if window else None,
        "mean_fraction_in_window": statistics.mean(s["bytes"] for s in window) / budget if window else None,
        "min_fraction_in_window": min(s["bytes"] for s in window) / budget if window else None,
        "mean_fraction_in_window_with_download_reservations": statistics.mean(held(s) for s in window) / budget if window else None,
        "waiting_definition": "samples taken while an item's fetch was claimed but waiting for budget space "
                              "(claimed, its raw/<item>.partial folder not yet made; waits over 0.1 s)",
        "waiting_samples": len(waiting),
        "mean_fraction_while_waiting": statistics.mean(s["bytes"] for s in waiting) / budget if waiting else None,
        "min_fraction_while_waiting": min(s["bytes"] for s in waiting) / budget if waiting else None,
        "fetch_waits_for_space": {
            "items_waiting_over_100ms": sum(1 for w in waits if w > 0.1),
            "total_seconds": sum(waits),
            "max_seconds": max(waits) if waits else 0,
        },
    }
    return result


def fmt(value, digits=2, unit=""):
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{unit}"


def analyze(settings_path, out_path):
    with open(settings_path) as handle:
        settings = json.load(handle)
    items = [item_name(i) for i in range(settings["items"])]
    roomy = analyze_run(settings["runs"]["roomy"], items)
    tight = analyze_run(settings["runs"]["tight"], items, budget=settings["tight_budget_bytes"], item_bytes=settings["item_bytes"])
    with open(settings["baseline"]["times"]) as handle:
        baseline_times = json.load(handle)
    baseline = {
        "makespan_seconds": settings["baseline"]["end"] - settings["baseline"]["start"],
        "batch": settings["batch"],
        "download_seconds_total": sum(x["download"] for x in baseline_times),
        "process_seconds_total": sum(x["process"] for x in baseline_times),
        "outputs_match_sluice": settings["baseline"].get("outputs_match"),
    }
    baseline["speedup_sluice_roomy"] = baseline["makespan_seconds"] / roomy["makespan_seconds"]
    baseline["speedup_sluice_tight"] = baseline["makespan_seconds"] / tight["makespan_seconds"]
    result = {
        "benchmark": "engine_pipelining",
        "settings": {k: v for k, v in settings.items() if k not in ("runs", "baseline")},
        "roomy": roomy,
        "tight": tight,
        "batch_sequential": baseline,
        "targets": {
            "ratio_makespan_over_bottleneck_max": 1.15,
            "ratio_met_roomy": roomy["ratio_makespan_over_bottleneck"] is not None and roomy["ratio_makespan_over_bottleneck"] <= 1.15,
            "ratio_met_tight": tight["ratio_makespan_over_bottleneck"] is not None and tight["ratio_makespan_over_bottleneck"] <= 1.15,
            "ratio_met_tight_without_space_waits": (tight.get("ratio_makespan_over_bottleneck_without_space_waits") or 99) <= 1.15,
            "mean_fraction_in_window_min": 0.85,
            "disk_met": (tight["disk"]["mean_fraction_in_window"] or 0) >= 0.85 and tight["disk"]["max_within_budget"],
            "disk_met_while_waiting": (tight["disk"]["mean_fraction_while_waiting"] or 0) >= 0.85 and tight["disk"]["max_within_budget"],
        },
    }
    with open(out_path, "w") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
        handle.write("\n")

    s = settings
    print()
    print(f"engine pipelining: {s['items']} items x {s['item_bytes']} B via /slow/{s['slow_ms']}/ "
          f"(~{s['item_bytes'] / 65536 * s['slow_ms'] / 1000:.2f} s of pauses per fetch), "
          f"process = sha256sum x {s['sha_passes']} per item; concurrency 1 per stage")
    print(f"{'':34} {'roomy budget':>14} {'tight budget':>14}")
    rows = [
        ("budget", fmt(s["roomy_budget_bytes"] / 1e6, 1, " MB"), fmt(s["tight_budget_bytes"] / 1e6, 2, " MB")),
        ("makespan (sluice run wall time)", fmt(roomy["makespan_seconds"], 2, " s"), fmt(tight["makespan_seconds"], 2, " s")),
        ("  of which before run-started", fmt(roomy.get("startup_seconds"), 2, " s"), fmt(tight.get("startup_seconds"), 2, " s")),
        ("total fetch (sum claimed->done)", fmt(roomy["fetch"]["total_seconds"], 2, " s"), fmt(tight["fetch"]["total_seconds"], 2, " s")),
        ("total process (sum claimed->done)", fmt(roomy["process"]["total_seconds"], 2, " s"), fmt(tight["process"]["total_seconds"], 2, " s")),
        ("makespan / max(fetch, process)", fmt(roomy["ratio_makespan_over_bottleneck"], 3), fmt(tight["ratio_makespan_over_bottleneck"], 3)),
        ("total fetch, space waits excluded", fmt(roomy["fetch"].get("total_seconds_after_space_granted"), 2, " s"),
         fmt(tight["fetch"].get("total_seconds_after_space_granted"), 2, " s")),
        ("  ratio with that fetch total", fmt(roomy.get("ratio_makespan_over_bottleneck_without_space_waits"), 3),
         fmt(tight.get("ratio_makespan_over_bottleneck_without_space_waits"), 3)),
        ("fetch/process overlap", fmt(roomy["stages_overlap_seconds"], 2, " s"), fmt(tight["stages_overlap_seconds"], 2, " s")),
        ("process idle w/ input ready (mean)", fmt(roomy["handoffs"]["command_idle_with_input_ready"]["mean_ms"], 0, " ms"),
         fmt(tight["handoffs"]["command_idle_with_input_ready"]["mean_ms"], 0, " ms")),
        ("process idle w/ input ready (max)", fmt(roomy["handoffs"]["command_idle_with_input_ready"]["max_ms"], 0, " ms"),
         fmt(tight["handoffs"]["command_idle_with_input_ready"]["max_ms"], 0, " ms")),
        ("speed-up over batch-sequential", fmt(baseline["speedup_sluice_roomy"], 2, "x"), fmt(baseline["speedup_sluice_tight"], 2, "x")),
        ("items done", str(roomy["done_items"]), str(tight["done_items"])),
    ]
    for name, a, b in rows:
        print(f"{name:34} {a:>14} {b:>14}")
    print(f"batch-sequential bash loop (batch of {s['batch']}, curl then process then rm): "
          f"{baseline['makespan_seconds']:.2f} s (downloads {baseline['download_seconds_total']:.2f} s, "
          f"processing {baseline['process_seconds_total']:.2f} s); outputs identical to sluice's: {baseline['outputs_match_sluice']}")
    d = tight["disk"]
    print(f"disk, tight budget {d['budget_bytes']} B, {d['samples']} samples every {s['sample_ms']} ms:")
    print(f"  max {d['max_bytes']} B = {d['max_fraction_of_budget'] * 100:.1f}% of the budget (within: {d['max_within_budget']})")
    print(f"  mean {fmt(None if d['mean_fraction_in_window'] is None else d['mean_fraction_in_window'] * 100, 1, '%')} "
          f"(min {fmt(None if d['min_fraction_in_window'] is None else d['min_fraction_in_window'] * 100, 1, '%')}) of the budget over "
          f"{d['window_samples']} samples, {fmt(d['window_start_s'], 2)} s .. {fmt(d['window_end_s'], 2)} s after start")
    print(f"  same window counting the unwritten part of each download's reservation as in use: "
          f"{fmt(None if d['mean_fraction_in_window_with_download_reservations'] is None else d['mean_fraction_in_window_with_download_reservations'] * 100, 1, '%')}")
    print(f"  window: {d['window_definition']}")
    print(f"  while items waited for space: mean {fmt(None if d['mean_fraction_while_waiting'] is None else d['mean_fraction_while_waiting'] * 100, 1, '%')} "
          f"(min {fmt(None if d['min_fraction_while_waiting'] is None else d['min_fraction_while_waiting'] * 100, 1, '%')}) over {d['waiting_samples']} samples: "
          f"{d['waiting_definition']}")
    print(f"  ledger + logs (outside the areas; the engine adds 2 MiB of slack to them): max {d['ledger_and_logs_max_bytes']} B")
    w = d["fetch_waits_for_space"]
    print(f"  fetches that waited for space > 100 ms: {w['items_waiting_over_100ms']} (total {w['total_seconds']:.2f} s, max {w['max_seconds']:.2f} s)")
    print(f"targets: ratio <= 1.15 roomy {result['targets']['ratio_met_roomy']}, tight {result['targets']['ratio_met_tight']} "
          f"(space waits excluded: {result['targets']['ratio_met_tight_without_space_waits']}); "
          f"disk mean >= 85% and max <= budget {result['targets']['disk_met']} (while items waited for space: "
          f"{result['targets']['disk_met_while_waiting']})")
    print(f"timelines (seconds since start of sluice run; [claimed, done]) are in {out_path}")


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "make-items":
        make_items(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif command == "sample":
        sample(argv[2], argv[3], float(argv[4]))
    elif command == "analyze":
        analyze(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
