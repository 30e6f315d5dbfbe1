"""`GET /metrics` lives on its own loopback listener (`--metrics-port`), never on the public API port."""

import urllib.error
import urllib.request

from conftest import free_port, wait_for


def test_metrics_are_served_apart_from_the_api(server_factory):
    metrics_port = free_port()
    base, key, _ = server_factory("--metrics-port", str(metrics_port))
    wait_for(f"http://127.0.0.1:{metrics_port}/metrics")
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    assert "hb_requests" in text and "# TYPE" in text
    try:
        urllib.request.urlopen(f"{base}/metrics", timeout=10)
        raise AssertionError("the public port serves /metrics")
    except urllib.error.HTTPError as error:
        assert error.code == 404
