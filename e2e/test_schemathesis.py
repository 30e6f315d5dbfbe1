"""Fuzzing against the contract: schemathesis generates requests from openapi.json and checks every response
against the document (status codes, content types, bodies, headers) and for server errors.

Two runs: the public API with a funded key, and the admin API with the operator's token. Together they must make
at least 1,000 cases (5,000 in the fuzzing stage of scripts/test, against the release binary) with zero failures. The `positive_data_acceptance` check is left out: it expects every
schema-valid request to be accepted, but a schema cannot say that an `image_urls` entry must decode to a real image
of at least 14 px, so those requests are rightly refused with a documented 400.
"""

import os
import re
import subprocess

from conftest import operator

SCHEMATHESIS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "bin", "schemathesis")
EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50")
# The fuzzing stage of scripts/test asks for 5,000 against the release binary; the e2e stage for 1,000.
MIN_CASES = int(os.environ.get("SCHEMATHESIS_MIN_CASES", "1000"))


# Against a cluster, nginx answers TRACE itself (405 without `Allow`) before any replica sees the request: the
# replicas' own answer to undeclared methods is checked by the single-process run.
EXCLUDED_CHECKS = "positive_data_acceptance" + (",unsupported_method" if os.environ.get("IMAGEGATE_E2E_CLUSTER") else "")


def run(base: str, token: str, *extra: str, cwd: str) -> tuple[int, str]:
    # One worker: hypothesis parses source text (ast.parse) when it describes a recursive strategy, and CPython 3.11's
    # ast module keeps its recursion counter in interpreter-wide state, so two threads parsing at once can fail with
    # "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905) — a crash of the fuzzer, not a
    # finding about the server.
    result = subprocess.run(
        [SCHEMATHESIS, "run", f"{base}/openapi.json", "-H", f"Authorization: Bearer {token}", "--checks", "all",
         "--exclude-checks", EXCLUDED_CHECKS, "-n", EXAMPLES, "--seed", "20261126", "--generation-database", "none",
         "--workers", "1", *extra],
        capture_output=True, text=True, cwd=cwd, timeout=1800,
    )
    print(result.stdout[-6000:])
    match = re.search(r"(\d+) generated", result.stdout)
    return result.returncode, (match.group(1) if match else "0")


def test_schemathesis_finds_no_violations(server_factory, tmp_path):
    base, key, server = server_factory("--admin-token", "fuzz-admin-token-0123456789abcdef")
    operator("credits", "add", "--account", "default", "--usd", "100000", data_dir=server.data_dir)

    # The long run leaves out the multipart route: with hundreds of examples, schemathesis 4.32's fuzzing phase stops
    # with its own error on a binary form field ("ValueError: Unsupported type: 'Binary'"), before any request. The
    # e2e run (50 examples) covers that route.
    excluded = "^/admin/|^/v1/images/edits$" if MIN_CASES > 1000 else "^/admin/"
    public_code, public_cases = run(base, key, "--exclude-path-regex", excluded, cwd=str(tmp_path))
    # Behind the shipped nginx config the admin API is served on its own listener only (the public one answers 404).
    admin_base = f"http://127.0.0.1:{server.admin_port}" if hasattr(server, "admin_port") else base
    admin_code, admin_cases = run(base, "fuzz-admin-token-0123456789abcdef", "--include-path-regex", "^/admin/",
                                  "--url", admin_base, cwd=str(tmp_path))
    assert public_code == 0, "schemathesis found failures on the public API (see output above)"
    assert admin_code == 0, "schemathesis found failures on the admin API (see output above)"
    total = int(public_cases) + int(admin_cases)
    print(f"schemathesis cases: {total}")
    assert total >= MIN_CASES, f"only {total} cases were generated"
