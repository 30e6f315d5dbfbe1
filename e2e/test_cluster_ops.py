"""The cluster as an operator meets it (issue 28, items 6 and 8): the shipped nginx config keeps /admin off the public
listener and serves it on its admin listener (loopback); each replica serves its metrics on a port of its own; a
port already taken is named before anything starts, and `--metrics-port` among the serve options is refused."""

import os
import subprocess
import tempfile

import requests

from conftest import ROOT, WORK, Cluster

ADMIN_TOKEN = "c" * 40


def test_admin_stays_off_the_public_listener_and_each_replica_has_its_metrics_port():
    cluster = Cluster(2, ["--admin-token", ADMIN_TOKEN])
    try:
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        public = requests.get(f"{cluster.base}/admin/v1/accounts", headers=auth, timeout=10)
        assert public.status_code == 404 and "imagegate" not in public.headers.get("content-type", ""), public.text
        assert requests.get(f"{cluster.base}/admin", timeout=10).status_code == 404
        admin = requests.get(f"http://127.0.0.1:{cluster.admin_port}/admin/v1/accounts", headers=auth, timeout=10)
        assert admin.status_code == 200 and any(a["name"] == "default" for a in admin.json()["data"]), admin.text
        # The public API itself is untouched.
        assert requests.get(f"{cluster.base}/v1/models", timeout=10).status_code == 200

        for replica in (1, 2):
            metrics = requests.get(f"http://127.0.0.1:{cluster.metrics_port + replica}/metrics", timeout=10).text
            assert "imagegate_build_info{" in metrics

        # A second cluster on the first one's public port: refused, naming the port, before it starts anything.
        env = {**cluster.env, "IMAGEGATE_CLUSTER_DIR": tempfile.mkdtemp(prefix="clash-", dir=WORK)}
        clash = subprocess.run([f"{ROOT}/scripts/cluster", "up", "1"], env=env, capture_output=True, text=True, timeout=120)
        port = env["IMAGEGATE_CLUSTER_PORT"]
        assert clash.returncode != 0 and f"port {port} (nginx, public) is in use" in clash.stderr, clash.stdout + clash.stderr
        assert not os.path.exists(os.path.join(env["IMAGEGATE_CLUSTER_DIR"], "postgres"))

        refused = subprocess.run([f"{ROOT}/scripts/cluster", "up", "1", "--", "--metrics-port", "9100"], env=env,
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2 and "metrics port of its own" in refused.stderr, refused.stderr
    finally:
        cluster.stop()
