"""The short-lived, labelled helper container that reads or writes a volume's files
(so it works when the volume lives inside a VM, as on Docker Desktop);
``resources.run`` removes it however the call ends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..resources import (
    ContainerTimeout,
    run,
)
from ..text import t
from .model import (
    HelperFailed,
    _api_error_text,
)

if TYPE_CHECKING:
    import docker


def _helper(
    client: docker.DockerClient,
    image_ref: str,
    argv: list[str],
    mounts: Mapping[str, str],
    *,
    timeout_s: float,
    chapter: str,
    workdir: str | None = None,
) -> tuple[int, str]:
    """Run a helper container to completion: (exit code, output). Always removed."""
    import docker.errors

    binds = {
        vol: {
            "bind": target.removesuffix(":ro"),
            "mode": "ro" if target.endswith(":ro") else "rw",
        }
        for vol, target in mounts.items()
    }
    try:
        result = run(
            client,
            image_ref,
            argv,
            chapter=chapter,
            timeout_s=timeout_s,
            volumes=binds,
            network_disabled=True,
            working_dir=workdir,
        )
    except ContainerTimeout as exc:
        raise HelperFailed(t("volumes.err.timeout", seconds=f"{timeout_s:g}")) from exc
    except docker.errors.APIError as exc:
        raise HelperFailed(
            t("volumes.err.engine_refused", error=_api_error_text(exc))
        ) from exc
    return result.exit_code, result.output
