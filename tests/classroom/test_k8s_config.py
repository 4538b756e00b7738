"""The Kubernetes classroom (classroom/k8s): no cluster here, so what can be checked
offline: the Helm values parse, name only images the Dockerfile builds, and wire the
engine sidecar to the notebook (shared socket folder, DOCKER_HOST, the learner's volume);
and KubeSpawner (PyPI jupyterhub-kubespawner), given those values the way Zero to
JupyterHub gives them, builds a learner's pod with its own code: the engine sidecar,
DOCKER_HOST, the learner's volume claim and the limits are in the pod it makes."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
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


# --- the learner's pod, built by KubeSpawner itself ---------------------------------------
#
# Zero to JupyterHub turns `singleuser.*` of values.yaml into KubeSpawner settings in its
# hub's jupyterhub_config.py (jupyterhub/zero-to-jupyterhub-k8s, files/hub/
# jupyterhub_config.py, at 48ea50e of 2026-07: the trait table, `singleuser.image`, the
# `storage.type == "dynamic"` block and extraVolumes/extraVolumeMounts). `z2jh_settings`
# below repeats that translation for the keys our values use (a test fails when they use
# another); KubeSpawner's own `get_pod_manifest` / `get_pvc_manifest` then build the pod and
# its volume claim, as on a cluster, with no cluster (a kubeconfig naming no server that
# is ever contacted).

#: singleuser.<key> -> KubeSpawner trait, as z2jh's trait table maps them.
Z2JH_TRAITS = {
    "lifecycleHooks": "lifecycle_hooks",
    "extraContainers": "extra_containers",
    "extraEnv": "environment",
    "extraPodConfig": "extra_pod_config",
    "memory.limit": "mem_limit",
    "memory.guarantee": "mem_guarantee",
    "cpu.limit": "cpu_limit",
    "cpu.guarantee": "cpu_guarantee",
    "defaultUrl": "default_url",
}
#: What the chart's own values.yaml gives, for keys ours leaves out (chart 4.x).
CHART_DEFAULTS = {"uid": 1000, "fs_gid": 100, "cmd": ["jupyterhub-singleuser"]}
HANDLED = {"image", "storage", "cpu", "memory", *Z2JH_TRAITS}
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


def _get(tree: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def z2jh_settings(single: dict[str, Any]) -> dict[str, Any]:
    """KubeSpawner settings from ``singleuser``, as z2jh's jupyterhub_config.py makes them."""
    assert {k.split(".")[0] for k in single} <= HANDLED, set(single) - HANDLED
    settings: dict[str, Any] = dict(CHART_DEFAULTS)
    for key, trait in Z2JH_TRAITS.items():
        value = _get(single, key)
        if value is not None:
            settings[trait] = value
    settings["image"] = f"{single['image']['name']}:{single['image']['tag']}"
    storage = single["storage"]
    assert storage["type"] == "dynamic"
    name = storage["dynamic"]["volumeNameTemplate"]
    settings["storage_pvc_ensure"] = True
    settings["storage_capacity"] = storage["capacity"]
    volumes = {
        name: {"name": name, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}
    }
    mounts = {name: {"mountPath": storage["homeMountPath"], "name": name}}
    for volume in storage.get("extraVolumes", []):
        volumes[volume["name"]] = volume
    for i, mount in enumerate(storage.get("extraVolumeMounts", [])):
        mounts[f"{i}-{mount['name']}"] = mount
    settings["volumes"] = volumes
    settings["volume_mounts"] = mounts
    return settings


def learner_pod(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod and the volume claim KubeSpawner makes for learner ``name``."""
    import kubespawner  # the test extra jupyterhub-kubespawner
    from traitlets.config import Config

    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    # Read when kubernetes_asyncio is imported, so set where KubeSpawner looks for it.
    monkeypatch.setattr(
        "kubernetes_asyncio.config.kube_config.KUBE_CONFIG_DEFAULT_LOCATION",
        str(tmp_path / "kubeconfig"),
    )
    config = Config()
    for trait, value in z2jh_settings(values()["singleuser"]).items():
        setattr(config.KubeSpawner, trait, value)
    user = SimpleNamespace(name=name, id=7, url=f"/user/{name}/")

    async def build() -> tuple[dict[str, Any], dict[str, Any]]:
        spawner = kubespawner.KubeSpawner(config=config, user=user, _mock=True)
        serialize = spawner.api.api_client.sanitize_for_serialization
        pod = serialize(await spawner.get_pod_manifest())
        pvc = serialize(spawner.get_pvc_manifest())
        return pod, pvc

    return asyncio.run(build())


def test_kubespawner_builds_the_learners_pod_with_its_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod, pvc = learner_pod("ada", tmp_path, monkeypatch)
    spec = pod["spec"]
    containers = {c["name"]: c for c in spec["containers"]}
    assert set(containers) == {"notebook", "engine"}
    notebook, engine = containers["notebook"], containers["engine"]
    volumes = {v["name"]: v for v in spec["volumes"]}

    # The notebook's DOCKER_HOST is the socket the engine sidecar serves, in a folder the
    # two containers (and no one else) share.
    env = {e["name"]: e.get("value") for e in notebook["env"]}
    socket = env["DOCKER_HOST"].removeprefix("unix://")
    assert env["DOCKER_HOST"].startswith("unix://")
    assert f"--host=unix://{socket}" in engine["args"]
    socket_dir = str(Path(socket).parent)
    shared = [
        {m["name"] for m in c["volumeMounts"] if m["mountPath"] == socket_dir}
        for c in (notebook, engine)
    ]
    assert shared[0] == shared[1] and len(shared[0]) == 1
    assert "emptyDir" in volumes[shared[0].pop()]

    # The learner's own persistent volume: the home of the notebook, and the engine's
    # data (images, containers, volumes) on it, kept between logins.
    claim = pvc["metadata"]["name"]
    (home,) = [v for v in volumes.values() if "persistentVolumeClaim" in v]
    assert home["persistentVolumeClaim"]["claimName"] == claim
    assert "ada" in claim and "ada" in home["name"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"
    on_volume = {
        c["name"]: [m for m in c["volumeMounts"] if m["name"] == home["name"]]
        for c in (notebook, engine)
    }
    assert on_volume["notebook"][0]["mountPath"] == "/home/jovyan"
    assert on_volume["engine"][0]["subPath"] == ".docker-engine"
    assert on_volume["engine"][0]["mountPath"].endswith("/.local/share/docker")
    # Every mount names a volume the pod has (the templates were expanded).
    for container in spec["containers"]:
        for mount in container["volumeMounts"]:
            assert mount["name"] in volumes, (container["name"], mount)

    # Limits: the notebook's from singleuser.cpu/memory, the engine's of its own.
    # (KubeSpawner writes bytes and cores: 1G -> 2**30, as its ByteSpecification reads.)
    assert notebook["resources"]["limits"] == {"cpu": 1, "memory": 2**30}
    assert notebook["resources"]["requests"] == {"cpu": 0.1, "memory": 256 * 2**20}
    assert {"cpu", "memory"} <= set(engine["resources"]["limits"])
    assert set(engine["resources"]["requests"]) == {"cpu", "memory"}
    # The privileged sidecar is the documented trade-off (classroom/k8s/README.md);
    # the notebook itself is not privileged and cannot escalate.
    assert engine["securityContext"]["privileged"] is True
    assert not notebook["securityContext"].get("privileged")
    assert notebook["securityContext"]["allowPrivilegeEscalation"] is False

    # Only the images the Dockerfile builds.
    images = [c["image"] for c in spec["containers"] + spec.get("initContainers", [])]
    assert set(images) <= set(built_images()), images


def test_two_learners_get_two_volumes_and_two_engines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pods = [learner_pod(n, tmp_path, monkeypatch) for n in ("ada", "grace")]
    claims = {pvc["metadata"]["name"] for _, pvc in pods}
    assert len(claims) == 2
    for (pod, pvc), other in zip(pods, reversed([p for _, p in pods]), strict=True):
        named = {
            v["persistentVolumeClaim"]["claimName"]
            for v in pod["spec"]["volumes"]
            if "persistentVolumeClaim" in v
        }
        assert named == {pvc["metadata"]["name"]}
        assert other["metadata"]["name"] not in named
