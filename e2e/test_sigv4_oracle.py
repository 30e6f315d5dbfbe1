"""Proof B for ImageGate's hand-written AWS Signature V4 signer: botocore (the signer inside boto3 and the AWS CLI) as
an oracle.

A few hundred requests are made up from a fixed seed: paths with odd characters, dot segments and repeated slashes;
queries with reserved characters, repeated and empty names and values; headers with extra spaces, tabs, mixed case,
empty values and repeated names; bodies; S3 and other services; header signing and presigned URLs; with and without
a session token; at random dates. Each is signed by botocore (`SigV4Auth`, `S3SigV4Auth`, `SigV4QueryAuth`,
`S3SigV4QueryAuth`) at the same date and by `imagegate s3-sign` (all in one run of the binary), and the
Authorization header, the headers signing sets, and the presigned URL must be identical.

Left out, because botocore does something no signer should copy: a `Date` header (botocore rewrites it), presigned
requests with a body (botocore moves a JSON body into the query) or with a repeated query name (botocore keeps only
the first), and the `Content-Type` value botocore drops from presigned requests.
"""

import datetime
import json
import random
import subprocess
from unittest import mock
from urllib.parse import quote

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import BINARY

SEED = 20260817
COUNT = 400

# Characters for path segments, query names/values and header values: unreserved, reserved, space, '%', non-ASCII.
UNRESERVED = "abcXYZ019-_.~"
RESERVED = "!$&'()*+,;=:@/?#[]"
ODD = " %\"<>\\^`{|}é€ሴ😀"
ALPHABET = UNRESERVED * 3 + RESERVED + ODD


def text(rng: random.Random, low: int, high: int, alphabet: str = ALPHABET) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def make_case(rng: random.Random, index: int) -> dict:
    s3 = rng.random() < 0.6
    presign = rng.random() < 0.4
    service = "s3" if s3 else rng.choice(["service", "execute-api", "sqs", "es"])
    scheme = rng.choice(["http", "https"])
    host = rng.choice(
        ["127.0.0.1:8333", "localhost", "Example.COM", "bucket.s3.eu-west-1.amazonaws.com", "[::1]:9000", "host.example:443", "host.example:80"]
    )
    # Path segments, encoded as a client sends them (AWS's rule), with dot segments and repeated slashes thrown in.
    segments = []
    for _ in range(rng.randint(0, 5)):
        roll = rng.random()
        if roll < 0.1:
            segments.append(rng.choice([".", "..", ""]))
        else:
            segments.append(quote(text(rng, 1, 12), safe="-_.~" + ("!$'()*,;:@=+&" if rng.random() < 0.3 else "")))
    path = "/" + "/".join(segments) + ("/" if rng.random() < 0.2 else "")
    # Query pairs; repeated names and bare names only when signing in headers.
    pairs = []
    for _ in range(rng.randint(0, 5)):
        if pairs and not presign and rng.random() < 0.3:
            name = pairs[-1][0]
        else:
            name = text(rng, 0 if not presign else 1, 8)
        if presign and any(name == p[0] for p in pairs):
            continue
        value = text(rng, 0, 10) if rng.random() < 0.8 else ""
        pairs.append((name, value))
    query_parts = []
    for name, value in pairs:
        encoded = quote(name, safe="-_.~")
        if value == "" and encoded and not presign and rng.random() < 0.5:
            query_parts.append(encoded)
        else:
            query_parts.append(f"{encoded}={quote(value, safe='-_.~')}")
    url = f"{scheme}://{host}{path}" + (("?" + "&".join(query_parts)) if query_parts else "")

    headers = []
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(["X-Custom", "x-amz-meta-Thing", "Content-Type", "Range", "If-Match", "User-Agent", "X-Empty"])
        name = "".join(c.upper() if rng.random() < 0.3 else c for c in name)
        padding = lambda: rng.choice(["", " ", "  ", "\t", " \t "])  # noqa: E731
        value = padding() + " ".join(text(rng, 0, 6, UNRESERVED + RESERVED + "\"") for _ in range(rng.randint(0, 3))) + padding()
        if "x-empty" in name.lower():
            value = rng.choice(["", "   "])
        if presign and name.lower() == "content-type" and value == "application/x-www-form-urlencoded; charset=utf-8":
            continue
        headers.append([name, value])
    if not s3 and not presign and rng.random() < 0.15:
        headers.append(["X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"])
    body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))) if not presign and rng.random() < 0.6 else b""
    token = text(rng, 20, 60, UNRESERVED + "/+=") if rng.random() < 0.3 else None
    date = datetime.datetime(2000, 1, 1) + datetime.timedelta(seconds=rng.randrange(100 * 365 * 86400))
    return {
        "id": index,
        "method": rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD", "get"]),
        "url": url,
        "headers": headers,
        "body_hex": body.hex(),
        "region": rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2", "garage"]),
        "service": service,
        "access_key": "AKID" + text(rng, 8, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        "secret_key": text(rng, 30, 40, UNRESERVED + "/+"),
        "session_token": token,
        "date": date.strftime("%Y%m%dT%H%M%SZ"),
        "presign_expires": rng.randint(1, 604800) if presign else None,
    }


def botocore_sign(case: dict) -> dict:
    """Signs `case` with botocore's own signers, the clock fixed at the case's date."""
    credentials = Credentials(case["access_key"], case["secret_key"], case["session_token"])
    request = AWSRequest(method=case["method"], url=case["url"], data=bytes.fromhex(case["body_hex"]))
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders: a repeated name is added, not replaced
    s3 = case["service"] == "s3"
    if case["presign_expires"] is not None:
        cls = S3SigV4QueryAuth if s3 else SigV4QueryAuth
        signer = cls(credentials, case["service"], case["region"], expires=case["presign_expires"])
    else:
        signer = (S3SigV4Auth if s3 else SigV4Auth)(credentials, case["service"], case["region"])
    date = datetime.datetime.strptime(case["date"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=date):
        signer.add_auth(request)
    return {"url": request.url, "headers": request.headers}


@pytest.fixture(scope="module")
def signed():
    rng = random.Random(SEED)
    cases = [make_case(rng, index) for index in range(COUNT)]
    inputs = [{k: v for k, v in case.items() if k != "id" and v is not None} for case in cases]
    result = subprocess.run([BINARY, "s3-sign"], input=json.dumps(inputs), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    ours = json.loads(result.stdout)
    assert len(ours) == COUNT
    return list(zip(cases, ours))


def test_the_cases_cover_every_kind(signed):
    kinds = {(case["service"] == "s3", case["presign_expires"] is not None, case["session_token"] is not None) for case, _ in signed}
    assert len(kinds) == 8
    assert any("%25" in case["url"] for case, _ in signed)
    assert any("/../" in case["url"] or "//" in case["url"].split("://", 1)[1] for case, _ in signed)


@pytest.mark.parametrize("index", range(COUNT))
def test_same_signature_as_botocore(signed, index):
    case, ours = signed[index]
    theirs = botocore_sign(case)
    context = f"case {json.dumps(case)}\nour canonical request:\n{ours['canonical_request']}"
    if case["presign_expires"] is not None:
        assert ours["url"] == theirs["url"], context
    else:
        assert ours["authorization"] == theirs["headers"]["Authorization"], context
        for name, value in ours["headers"]:
            assert theirs["headers"][name] == value, f"{name}\n{context}"


def test_a_different_secret_gives_a_different_signature(signed):
    """The comparison above could not pass with a signer that ignored its inputs."""
    case, ours = next((c, o) for c, o in signed if c["presign_expires"] is None)
    changed = dict(case, secret_key=case["secret_key"] + "x")
    assert botocore_sign(changed)["headers"]["Authorization"] != ours["authorization"]
