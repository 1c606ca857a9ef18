"""The sandbox's kernel: a Jupyter kernel manager that starts the kernel behind the limits, in bubblewrap if it works.

The runner (:mod:`scalingml.sandbox.runner`) is its only user; it lives apart from :mod:`scalingml.sandbox` so that
importing the sandbox (the kernel guard does, inside the learner's kernel) does not import jupyter_client.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from scalingml.sandbox import Limits, bwrap_command, bwrap_path, limited_command


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs behind resource limits, inside bubblewrap when it works.

    With bubblewrap the kernel has no network, so it talks to us over unix sockets
    (``ipc`` transport) kept in the scratch folder.
    """

    def __init__(
        self,
        *,
        scratch: Path,
        limits: Limits,
        hide: Sequence[Path | str] = (),
        expose: Sequence[Path | str] = (),
        **kwargs,
    ):
        self.scratch, self.limits = Path(scratch), limits
        self.hidden, self.exposed = [Path(p) for p in hide], [Path(p) for p in expose]
        if bwrap_path():
            kwargs.setdefault("transport", "ipc")
            # relative to the scratch folder, the working directory of both ends: a unix
            # socket path must stay under 108 bytes, and temp paths can be longer
            kwargs.setdefault("ip", ".kernel-ipc")
            kwargs.setdefault("connection_file", str(self.scratch / ".kernel-connection.json"))
        super().__init__(**kwargs)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw):
        # cell outputs travel over the kernel's sockets; its own stdout only carries a banner
        kw.setdefault("stdout", subprocess.DEVNULL)
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def interrupt_kernel(self) -> None:  # type: ignore[override]  # jupyter_client types it sync
        # A signal sent from outside reaches bubblewrap, not the kernel inside it; ipykernel
        # also accepts an interrupt request on its control channel, which always arrives.
        self._connect_control_socket()
        self.session.send(self._control_socket, self.session.msg("interrupt_request", content={}))

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = limited_command(super().format_kernel_cmd(extra_arguments), self.limits)
        if bwrap_path():
            command = bwrap_command(command, self.scratch, hide=self.hidden, expose=self.exposed)
        return command
