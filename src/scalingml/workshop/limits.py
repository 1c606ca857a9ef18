"""Each learner's share of the machine: memory and CPU, enforced on the learner's whole server.

Where the kernel's cgroups can be written (v2, or v1's ``memory`` and ``cpu`` hierarchies), each user
server and everything it starts (kernels, Dask workers, terminals) runs in a cgroup of its own, below
the hub's: a memory limit (swap included), so a runaway kernel is killed by the OOM killer inside that
group and nobody else's, and an equal CPU weight, so a busy learner gets their share and no more while
others want the CPU. Elsewhere each process gets an address-space limit (``RLIMIT_AS``) and a lower
priority: weaker (per process, not per learner), but a memory bomb still ends in that kernel.

>>> share(cores=16, memory_bytes=64 * 2**30, learners=20)
(0.8, 3328599654)
"""

from __future__ import annotations

import contextlib
import os
import resource
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "scalingml-workshop"
HUB_RESERVE_BYTES = 2 * 2**30  # the hub, the proxy and the system
MIN_MEMORY_BYTES = 512 * 2**20
CPU_WEIGHT = 100  # cgroup v2's default weight: every learner the same
CPU_SHARES = 1024  # cgroup v1's default shares: every learner the same


def share(cores: int, memory_bytes: int, learners: int) -> tuple[float, int]:
    """One learner's CPU (cores, may be fractional) and memory (bytes) when ``learners`` share the machine."""
    learners = max(1, learners)
    cpus = round(max(cores / learners, 0.1), 2)
    memory = max((memory_bytes - HUB_RESERVE_BYTES) // learners, MIN_MEMORY_BYTES)
    return cpus, int(memory)


def _own_group(controller: str) -> str:
    """This process's cgroup path for ``controller`` (v1) or the unified one (``""``), from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path.lstrip("/")
    return ""


def mechanism() -> str:
    """``cgroup2``, ``cgroup1`` or ``rlimit``: how limits are enforced on this machine."""
    if (CGROUP_ROOT / "cgroup.controllers").exists() and os.access(CGROUP_ROOT / _own_group(""), os.W_OK):
        return "cgroup2"
    if all(os.access(CGROUP_ROOT / ctl / _own_group(ctl), os.W_OK) for ctl in ("memory", "cpu")):
        return "cgroup1"
    return "rlimit"


def group_dirs(name: str, how: str) -> dict[str, Path]:
    """The cgroup folders of learner ``name`` per controller (``{"unified": ...}`` for v2), below the hub's."""
    if how == "cgroup2":
        return {"unified": CGROUP_ROOT / _own_group("") / GROUP / name}
    if how == "cgroup1":
        return {ctl: CGROUP_ROOT / ctl / _own_group(ctl) / GROUP / name for ctl in ("memory", "cpu")}
    return {}


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def enter(name: str, memory_bytes: int, how: str | None = None) -> None:
    """Put the calling process (about to become ``name``'s server) under its limits; children inherit them.

    Called as root between fork and exec (the spawner's ``preexec_fn``).
    """
    how = how or mechanism()
    pid = str(os.getpid())
    folders = group_dirs(name, how)
    if how == "cgroup2":
        group = folders["unified"]
        for level in (group.parent.parent, group.parent):
            level.mkdir(exist_ok=True)
            _write(level / "cgroup.subtree_control", "+memory +cpu")
        group.mkdir(exist_ok=True)
        _write(group / "memory.max", str(memory_bytes))
        if (group / "memory.swap.max").exists():
            _write(group / "memory.swap.max", "0")
        _write(group / "cpu.weight", str(CPU_WEIGHT))
        _write(group / "cgroup.procs", pid)
    elif how == "cgroup1":
        memory, cpu = folders["memory"], folders["cpu"]
        memory.mkdir(parents=True, exist_ok=True)
        _write(memory / "memory.limit_in_bytes", str(memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():
            _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
        cpu.mkdir(parents=True, exist_ok=True)
        _write(cpu / "cpu.shares", str(CPU_SHARES))
        _write(memory / "cgroup.procs", pid)
        _write(cpu / "cgroup.procs", pid)
    else:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        os.nice(5)


def usage_bytes(name: str, how: str | None = None) -> int | None:
    """Memory the learner's server uses now, where cgroups account it (else None)."""
    how = how or mechanism()
    folders = group_dirs(name, how)
    path = {
        "cgroup2": folders.get("unified", Path()) / "memory.current",
        "cgroup1": folders.get("memory", Path()) / "memory.usage_in_bytes",
    }.get(how)
    try:
        return int(path.read_text()) if path else None
    except OSError:
        return None


def _peak_file(name: str, how: str) -> Path | None:
    folders = group_dirs(name, how)
    return {
        "cgroup2": folders.get("unified", Path()) / "memory.peak",
        "cgroup1": folders.get("memory", Path()) / "memory.max_usage_in_bytes",
    }.get(how)


def peak_bytes(name: str, how: str | None = None) -> int | None:
    """The most memory the learner's server has used at once (since :func:`reset_peak`), where cgroups keep it."""
    path = _peak_file(name, how or mechanism())
    try:
        return int(path.read_text()) if path else None
    except (OSError, ValueError):
        return None


def reset_peak(name: str, how: str | None = None) -> bool:
    """Start :func:`peak_bytes` again from the current use; False where the kernel cannot (old cgroup v2)."""
    path = _peak_file(name, how or mechanism())
    try:
        if path:
            path.write_text("0")
            return True
    except OSError:
        pass
    return False


def oom_kills(name: str, how: str | None = None) -> int | None:
    """How many times the learner's group hit its memory limit and a process was killed (cgroups only)."""
    how = how or mechanism()
    folders = group_dirs(name, how)
    try:
        if how == "cgroup2":
            events = (folders["unified"] / "memory.events").read_text().split()
            return int(events[events.index("oom_kill") + 1])
        if how == "cgroup1":
            control = (folders["memory"] / "memory.oom_control").read_text().split()
            return int(control[control.index("oom_kill") + 1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def release(name: str, how: str | None = None) -> None:
    """Remove the learner's (empty) cgroups, and the workshop's group once no learner's is left in it."""
    for folder in group_dirs(name, how or mechanism()).values():
        for empty in (folder, folder.parent):  # a group that still holds processes or groups stays
            with contextlib.suppress(OSError):
                empty.rmdir()
