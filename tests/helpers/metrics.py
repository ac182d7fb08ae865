"""The service's /metrics as a test reads them: every sample by name and labels."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from verifier.server.app import METRICS_TOKEN_FILE


def scrape(
    client: TestClient | httpx.Client, headers: dict[str, str] | None = None
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, sorted labels), parsed by prometheus_client's parser.

    A test client's app is asked with the metrics token it generated, unless ``headers`` say otherwise.
    """
    if headers is None and isinstance(client, TestClient):
        generated = (client.app.state.services.settings.data_dir / METRICS_TOKEN_FILE).read_text().strip()  # type: ignore[attr-defined]
        headers = {"Authorization": f"Bearer {generated}"}
    answer = client.get("/metrics", headers=headers or {})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
