"""bench/fanout.py runs the worker at the priority the deployment gives it against the API."""

from __future__ import annotations

from pathlib import Path

from bench.fanout import DEPLOYMENT, cpu_request, worker_nice


def test_cpu_requests_are_read_from_the_manifests(tmp_path: Path) -> None:
    assert cpu_request(DEPLOYMENT / "api-deployment.yaml") == 1.0
    assert cpu_request(DEPLOYMENT / "worker-deployment.yaml") == 0.5
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(
        "kind: Service\n---\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - resources: {requests: {cpu: 250m}}\n"
    )
    assert cpu_request(manifest) == 0.25


def test_the_worker_runs_three_steps_below_the_api_for_requests_of_two_to_one() -> None:
    # 1.25 ** 3 = 1.95: the kernel's weights for nice 0 and nice 3 (1024 and 526).
    assert worker_nice() == 3
