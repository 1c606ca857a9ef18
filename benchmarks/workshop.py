"""The workshop server's footprint: hub start, spawn time, idle memory per learner, one learner running a lesson.

    sudo .venv/bin/python benchmarks/workshop.py                       # 2 learners; lesson 01 at `small`
    sudo .venv/bin/python benchmarks/workshop.py --scale ci --json out.json

It starts a real workshop (``scalingml workshop start`` from the environment ``deploy/install-workshop.sh``
makes) for throw-away accounts, logs each learner in through the hub's page in headless Chromium, and reads
each learner's cgroup (:mod:`scalingml.workshop.limits`): the memory of a learner's server with JupyterLab open
and idle, then the peak memory and the CPU time of the first learner running a lesson in that same group, with
the server's ``CPU_LIMIT``/``MEM_LIMIT``, while the other learner's server is asked for its status every 2 s.
Everything it made is removed after.

From those figures it projects the class a bigger machine holds (:func:`projection`): all servers idle, and
all learners running the lesson at once. The projection assumes learners' footprints add up, which is what
separate processes in separate cgroups do; it names the machine it was measured on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from scalingml.workshop import limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests/
from tests.test_browser import free_port, launched_chromium  # noqa: E402
from tests.test_workshop import WORKSHOP_ENV, Workshop, ensure_workshop_env, log_in, private_checkout  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GiB = 2**30


def projection(idle_bytes: int, peak_bytes: int, busy_cores: float, cores: int = 16, memory: int = 64 * GiB) -> dict:
    """How many learners a machine of ``cores`` and ``memory`` holds, from one learner's measured footprint.

    ``memory_per_learner`` is the peak rounded up to 256 MiB: the smallest ``--memory`` that held the run.

    >>> p = projection(idle_bytes=200 * 2**20, peak_bytes=900 * 2**20, busy_cores=0.8)
    >>> p["idle_servers"], p["memory_per_learner_gib"], p["running_at_once_memory"], p["running_at_once_cpu"]
    (317, 1.0, 62, 20)
    """
    usable = memory - limits.HUB_RESERVE_BYTES
    step = 256 * 2**20
    per_learner = math.ceil(peak_bytes / step) * step
    return {
        "machine": f"{cores} cores, {memory / GiB:g} GiB",
        "idle_servers": int(usable // idle_bytes),
        "memory_per_learner_gib": per_learner / GiB,
        "running_at_once_memory": int(usable // per_learner),
        "running_at_once_cpu": math.floor(round(cores / busy_cores, 6)) if busy_cores > 0 else None,
    }


def cpu_meter_start(name: str, how: str) -> tuple[str, Path | None, int]:
    """Where the run's CPU time is counted: the learner's v2 group, a v1 ``cpuacct`` group, else ``rusage``."""
    if how == "cgroup2":
        stat = limits.group_dirs(name, how)["unified"] / "cpu.stat"
        return "cgroup2 cpu.stat", stat, _usage_usec(stat)
    cpuacct = limits.CGROUP_ROOT / "cpuacct"
    if how == "cgroup1" and os.access(cpuacct, os.W_OK):
        group = cpuacct / f"scalingml-benchmark-{name}"
        with suppress(OSError):
            group.mkdir(exist_ok=True)
            return "cgroup1 cpuacct.usage", group, 0
    return "getrusage(RUSAGE_CHILDREN)", None, 0


def _usage_usec(stat: Path) -> int:
    fields = dict(line.split() for line in stat.read_text().splitlines())
    return int(fields["usage_usec"])


def cpu_seconds(meter: tuple[str, Path | None, int], rusage_s: float) -> float:
    kind, path, start = meter
    if kind.startswith("cgroup2") and path:
        return (_usage_usec(path) - start) / 1e6
    if kind.startswith("cgroup1") and path:
        seconds = int((path / "cpuacct.usage").read_text()) / 1e9
        with suppress(OSError):
            path.rmdir()
        return seconds
    return rusage_s


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def refuse_unless_ready() -> None:
    problems = []
    if os.geteuid() != 0:
        problems.append("run it as root (it creates Unix users)")
    if shutil.which("configurable-http-proxy") is None or not (WORKSHOP_ENV / "bin" / "jupyterhub").exists():
        problems.append("install the workshop first: sudo bash deploy/install-workshop.sh")
    if problems:
        sys.exit("benchmarks/workshop.py: " + "; ".join(problems))


def run_lesson(shop: Workshop, name: str, lesson: str, scale: str, other_page, other: str | None) -> dict:
    """``lesson`` executed as learner ``name`` inside their cgroup, with their server's limits in the environment."""
    settings = json.loads((shop.directory / "hub" / "settings.json").read_text())
    how = limits.mechanism()
    home = Path(f"~{name}").expanduser()
    notebook = home / "scalingml" / "course" / f"{lesson}.ipynb"
    env = {
        "HOME": str(home),
        "USER": name,
        "PATH": f"{shop.env / 'bin'}:/usr/bin:/bin",
        "SCALINGML_SCALE": scale,
        "CPU_LIMIT": str(settings["cpus"]),
        "MEM_LIMIT": str(settings["memory_bytes"]),
    }
    command = ["runuser", "-u", name, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items())]
    command += ["jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=1800"]
    command += ["--output-dir", str(home / "benchmark-run"), str(notebook)]
    meter = cpu_meter_start(name, how)

    def enter_groups() -> None:
        limits.enter(name, settings["memory_bytes"], how)
        if meter[0].startswith("cgroup1") and meter[1]:
            (meter[1] / "cgroup.procs").write_text(str(os.getpid()))

    limits.reset_peak(name, how)
    children_before = _children_cpu_s()
    began = time.monotonic()
    run = subprocess.Popen(command, preexec_fn=enter_groups, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    latencies, failures = [], 0
    while run.poll() is None:
        if other_page is not None:
            asked = time.monotonic()
            status = other_page.request.get(f"{shop.url}/user/{other}/api/status", timeout=30_000).status
            latencies.append(time.monotonic() - asked)
            failures += status != 200
        time.sleep(2)
    wall = time.monotonic() - began
    output = run.stdout.read().decode(errors="replace") if run.stdout else ""
    if run.returncode:
        if meter[0].startswith("cgroup1") and meter[1]:
            with suppress(OSError):
                meter[1].rmdir()  # the benchmark's own cpuacct group, empty once the run has ended
        sys.exit(f"the lesson failed as {name} ({run.returncode}):\n{output[-3000:]}")
    cpu = cpu_seconds(meter, _children_cpu_s() - children_before)
    return {
        "lesson": lesson,
        "scale": scale,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_counted_by": meter[0],
        "busy_cores": round(cpu / wall, 2),
        "peak_bytes": limits.peak_bytes(name, how),
        "oom_kills": limits.oom_kills(name, how),
        "share": {"cpus": settings["cpus"], "memory_bytes": settings["memory_bytes"]},
        "other_learner_status_s": {
            "median": round(statistics.median(latencies), 3) if latencies else None,
            "max": round(max(latencies), 3) if latencies else None,
            "failed": failures,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2, help="throw-away learner accounts (%(default)s)")
    parser.add_argument("--memory", default="3G", help="each learner's --memory (%(default)s)")
    parser.add_argument("--lesson", default="01_data_management", help="the lesson the first learner runs")
    parser.add_argument("--scale", default="small", help="its scale profile (%(default)s)")
    parser.add_argument("--idle-s", type=float, default=30, help="how long the servers idle before reading them")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    refuse_unless_ready()
    ensure_workshop_env()  # this checkout's package in the workshop environment
    load_before = os.getloadavg()
    tag = secrets.token_hex(2)
    learners = [f"wbl{tag}{i}" for i in range(args.learners)]
    scratch = Path(tempfile.mkdtemp(prefix="scalingml-workshop-benchmark-"))
    roster = scratch / "roster.txt"
    roster.write_text("\n".join(learners) + "\n")
    directory = scratch / "workshop"
    shop = Workshop(WORKSHOP_ENV, private_checkout(scratch / "course"), directory, free_port(), f"wbi{tag}", roster)
    figures: dict = {"measured_on": f"{os.cpu_count()} cores, {_memory_gib():.0f} GiB, {limits.mechanism()}"}
    try:
        began = time.monotonic()
        shop.cli("start", str(roster), "--port", str(shop.port), "--ip", "127.0.0.1", "--instructor", shop.instructor,
                 "--memory", args.memory)  # fmt: skip
        figures["hub_start_s"] = round(time.monotonic() - began, 1)
        passwords = shop.passwords()
        with launched_chromium() as browser:
            pages, spawn = {}, {}
            for name in learners:
                began = time.monotonic()
                pages[name] = log_in(browser, shop, name, passwords[name])
                spawn[name] = time.monotonic() - began
            figures["login_to_lab_s"] = [round(s, 1) for s in spawn.values()]
            time.sleep(args.idle_s)
            idle = [limits.usage_bytes(name) for name in learners]
            figures["idle_server_bytes"] = idle
            other = learners[1] if len(learners) > 1 else None
            figures["run"] = run_lesson(shop, learners[0], args.lesson, args.scale, pages.get(other), other)
    finally:
        shop.cli("remove", "--delete-learners-work", check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    figures["load_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    run = figures["run"]
    known_idle = [b for b in figures["idle_server_bytes"] if b]
    if known_idle and run["peak_bytes"]:
        figures["projection"] = projection(int(statistics.mean(known_idle)), run["peak_bytes"], run["busy_cores"])
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


def _memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB


def report(f: dict) -> None:
    run = f["run"]
    mib = 2**20
    print(f"machine: {f['measured_on']}, load {f['load_before_after']} (before, after)")
    print(f"workshop start: {f['hub_start_s']} s; login to a ready JupyterLab: {f['login_to_lab_s']} s")
    idle = ", ".join(f"{b / mib:.0f}" if b else "not accounted" for b in f["idle_server_bytes"])
    print(f"idle server with JupyterLab open (cgroup memory, page cache included): {idle} MiB")
    print(
        f"{run['lesson']} at {run['scale']}: {run['wall_s']} s wall, {run['cpu_s']} s CPU ({run['busy_cores']} cores "
        f"busy, {run['cpu_counted_by']}), peak {(run['peak_bytes'] or 0) / mib:.0f} MiB with the server, "
        f"OOM kills {run['oom_kills']}; share {run['share']['cpus']} CPU, {run['share']['memory_bytes'] / mib:.0f} MiB"
    )
    other = run["other_learner_status_s"]
    if other["median"] is not None:
        print(f"the other learner's server meanwhile: status in {other['median']} s median, {other['max']} s max, "
              f"{other['failed']} failed")  # fmt: skip
    if p := f.get("projection"):
        print(
            f"projection for {p['machine']}: {p['idle_servers']} idle servers; with --memory "
            f"{p['memory_per_learner_gib']:g}G each, {p['running_at_once_memory']} learners fit in memory, and "
            f"{p['running_at_once_cpu']} run the lesson at once at full speed (more share the cores and run slower)"
        )


if __name__ == "__main__":
    main()
