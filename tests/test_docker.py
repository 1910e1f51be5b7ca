"""Checks of docker/compose.yaml and docker/Dockerfile that need no Docker engine.

`docker compose config` only parses, interpolates and validates the file, so it
runs with the client and the compose plugin alone; without them the test is
skipped, not failed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO_ROOT / "docker" / "compose.yaml"
DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"


def _require_docker_compose() -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker client not installed (shutil.which('docker') is None)")
    try:
        probe = subprocess.run(
            [docker, "compose", "version"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"`docker compose version` could not run: {exc}")
    if probe.returncode != 0:
        detail = (probe.stderr or probe.stdout).strip().splitlines()
        pytest.skip(
            "docker compose plugin missing: `docker compose version` exited "
            f"{probe.returncode}" + (f" ({detail[0]})" if detail else "")
        )
    return docker


def test_compose_config_is_valid() -> None:
    docker = _require_docker_compose()
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr or result.stdout


def test_compose_file_structure() -> None:
    yaml = pytest.importorskip("yaml", reason="pyyaml is not installed")
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    services = data["services"]
    for name in (
        "postgres",
        "valkey",
        "minio",
        "minio-init",
        "migrate",
        "api",
        "worker",
        "sandbox",
    ):
        assert name in services, name

    for name in ("migrate", "api", "worker", "sandbox"):
        build = services[name]["build"]
        assert build["context"] == ".."
        assert build["dockerfile"] == "docker/Dockerfile"
        assert (
            COMPOSE_FILE.parent / build["context"] / build["dockerfile"]
        ).resolve() == DOCKERFILE
        env = services[name]["environment"]
        assert env is data["x-handheld-env"] or env == data["x-handheld-env"]

    assert services["migrate"]["command"] == ["migrate"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["api"]["depends_on"]["valkey"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_dockerfile_basics() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "FROM ${PYTHON_IMAGE} AS builder" in text and "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert "pip install uv==0.13.9" in text
    assert "uv sync --frozen --no-dev" in text
    assert 'ENTRYPOINT ["handheld"]' in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "\nUSER " in text
    # every path the Dockerfile copies from the context exists in the repo
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not any(p.startswith("--from") for p in parts):
            for src in parts[1:-1]:
                assert (REPO_ROOT / src).exists(), src
