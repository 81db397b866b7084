#!/usr/bin/env python3
"""Signs requests with botocore's own SigV4 signer, for sigv4_botocore_test.

stdin:  a JSON list of {mode: "s3"|"generic", method, host, bucket, key (raw),
        query: [[name, value], ...] (raw), headers: [[name, value], ...],
        body, unsigned_payload, access_key, secret_key, token, region,
        service, amz_date}
stdout: a JSON list of {path, canonical_request, string_to_sign, signature,
        authorization}, one per request, in order.

The wire path is built the way botocore's S3 serializer builds it
(percent_encode(key, safe='/~')), so the test also checks our key encoding.
"""
import json
import sys
import types

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode


def sign(case):
    if case["mode"] == "s3":
        path = "/" + percent_encode(case["bucket"]) + "/" + percent_encode(case["key"], safe="/~")
    else:
        path = "/" + percent_encode(case["key"], safe="/~")
    url = "http://" + case["host"] + path
    request = AWSRequest(
        method=case["method"],
        url=url,
        headers=dict(case["headers"]),
        data=case["body"].encode("utf-8"),
        params=[(n, v) for n, v in case["query"]],
    )
    request.context["timestamp"] = case["amz_date"]
    if case["unsigned_payload"]:
        request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
    creds = Credentials(case["access_key"], case["secret_key"], case["token"] or None)
    cls = S3SigV4Auth if case["mode"] == "s3" else SigV4Auth
    auth = cls(creds, case["service"], case["region"])
    # add_auth() without its clock: the same steps with our timestamp.
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    sts = auth.string_to_sign(request, canonical)
    signature = auth.signature(sts, request)
    auth._inject_signature_to_request(request, signature)
    return {
        "path": path,
        "canonical_request": canonical,
        "string_to_sign": sts,
        "signature": signature,
        "authorization": request.headers["Authorization"],
    }


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
