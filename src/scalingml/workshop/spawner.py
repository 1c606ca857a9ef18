"""The hub's spawner: JupyterHub's local-process spawner (each server runs as its Unix user) under limits.

JupyterHub's ``LocalProcessSpawner`` only *advertises* ``mem_limit`` and ``cpu_limit`` (as the
``MEM_LIMIT`` and ``CPU_LIMIT`` variables the course's Dask cluster sizes itself by,
:func:`scalingml.cluster.available_cores`); this subclass enforces the memory limit and an equal CPU
weight on the server and everything it starts, with :mod:`scalingml.workshop.limits`.
"""

from __future__ import annotations

from typing import Any

from jupyterhub.spawner import LocalProcessSpawner

from scalingml.workshop import limits


class WorkshopSpawner(LocalProcessSpawner):
    """A ``LocalProcessSpawner`` whose server, kernels and workers share one memory limit and CPU weight."""

    def make_preexec_fn(self, name: str) -> Any:
        become_user = super().make_preexec_fn(name)
        memory = int(self.mem_limit or 0)

        def preexec() -> None:
            if memory:
                limits.enter(name, memory)
            become_user()

        return preexec
