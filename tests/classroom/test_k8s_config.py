"""The Kubernetes classroom (classroom/k8s): no cluster here, so what can be checked
offline: the Helm values parse, name only images the Dockerfile builds, and wire the
engine sidecar to the notebook (shared socket folder, DOCKER_HOST, the learner's volume)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parents[2] / "classroom" / "k8s"


def values() -> dict[str, Any]:
    loaded = yaml.safe_load((K8S / "values.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def built_images() -> dict[str, str]:
    """tag -> Dockerfile target, from the build commands the Dockerfile documents."""
    text = (K8S / "Dockerfile").read_text().replace("\\\n#", "")
    targets = set(re.findall(r"^FROM \S+ AS (\S+)$", text, re.MULTILINE))
    builds = re.findall(r"--target (\S+)\s+-t (\S+)", text)
    assert builds, "the Dockerfile documents no build command"
    for target, _ in builds:
        assert target in targets, f"no stage {target} in the Dockerfile"
    return {tag: target for target, tag in builds}


def test_values_name_only_images_the_dockerfile_builds() -> None:
    single = values()["singleuser"]
    named = [f"{single['image']['name']}:{single['image']['tag']}"]
    named += [c["image"] for c in single.get("extraContainers", [])]
    built = built_images()
    assert named and all(image in built for image in named), (named, built)


def test_the_engine_sidecar_serves_the_notebooks_docker_host() -> None:
    single = values()["singleuser"]
    (engine,) = [c for c in single["extraContainers"] if c["name"] == "engine"]
    host = single["extraEnv"]["DOCKER_HOST"]
    assert host.startswith("unix://")
    socket_dir = str(Path(host.removeprefix("unix://")).parent)
    notebook_mounts = {
        m["mountPath"]: m["name"] for m in single["storage"]["extraVolumeMounts"]
    }
    engine_mounts = {m["mountPath"]: m["name"] for m in engine["volumeMounts"]}
    assert notebook_mounts[socket_dir] == engine_mounts[socket_dir]
    assert any(host.removeprefix("unix://") in a for a in engine["args"])
    # The engine's data is on the learner's persistent volume, by the name KubeSpawner
    # gives it, and the engine has limits of its own.
    volume = single["storage"]["dynamic"]["volumeNameTemplate"]
    assert volume in engine_mounts.values()
    assert {"cpu", "memory"} <= set(engine["resources"]["limits"])
