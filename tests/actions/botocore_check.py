#!/usr/bin/env python3
"""Checks requests captured from the AWS actions against botocore (Debian's
python3-botocore): the SigV4 signature, recomputed by botocore's signer, and
the request against the service model botocore ships for the operation
(required members, types, no unknown members; re-serialized by botocore's own
serializer and compared with what was sent).

stdin:  a JSON list of {method, target, headers: [[name, value]], body,
        access_key, secret_key, token, region, service (signing name),
        model (botocore service name), operation}
stdout: a JSON list of {problems: [...], params: {...}}, one per request.
"""
import base64
import json
import re
import sys
import urllib.parse

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator

SESSION = botocore.session.get_session()

# SQS speaks AWS JSON 1.0 today; older botocore models still describe the
# query protocol, so its JSON constants come from the SQS developer guide.
DOCUMENTED_JSON = {"sqs": ("AmazonSQS", "1.0")}


def header(headers, name):
    for n, v in headers:
        if n.lower() == name.lower():
            return v
    return None


def check_signature(case, problems):
    auth = header(case["headers"], "authorization") or ""
    m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", auth)
    if not m:
        problems.append("malformed Authorization header: %r" % auth)
        return
    key_id, date, region, service, signed, _ = m.groups()
    amz_date = header(case["headers"], "x-amz-date") or ""
    if key_id != case["access_key"]:
        problems.append("credential key id %s, expected %s" % (key_id, case["access_key"]))
    if region != case["region"] or service != case["service"]:
        problems.append("credential scope %s/%s, expected %s/%s"
                        % (region, service, case["region"], case["service"]))
    if date != amz_date[:8]:
        problems.append("scope date %s does not match x-amz-date %s" % (date, amz_date))
    signed_list = signed.split(";")
    for n, _ in case["headers"]:
        low = n.lower()
        if (low in ("host", "content-type") or low.startswith("x-amz-")) and low not in signed_list \
                and low != "authorization":
            problems.append("header %s is sent but not signed" % low)
    if bool(case["token"]) != ("x-amz-security-token" in signed_list):
        problems.append("x-amz-security-token signed: %s, token given: %s"
                        % ("x-amz-security-token" in signed_list, bool(case["token"])))
    # botocore signs every header it is given: give it the ones we signed
    # (it adds x-amz-date and x-amz-security-token itself).
    headers = {}
    for n, v in case["headers"]:
        if n.lower() in signed_list and n.lower() not in ("x-amz-date", "x-amz-security-token"):
            headers[n] = v
    host = header(case["headers"], "host")
    request = AWSRequest(method=case["method"], url="http://" + host + case["target"],
                         headers=headers, data=case["body"].encode("utf-8"))
    request.context["timestamp"] = amz_date
    creds = Credentials(case["access_key"], case["secret_key"], case["token"] or None)
    signer = SigV4Auth(creds, case["service"], case["region"])
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    if request.headers["Authorization"] != auth:
        problems.append("signature differs from botocore's:\n  ours:     %s\n  botocore: %s\n"
                        "  botocore canonical request:\n%s"
                        % (auth, request.headers["Authorization"], canonical))


def validate(params, op, problems):
    report = ParamValidator().validate(params, op.input_shape)
    if report.has_errors():
        problems.append("not a valid %s request: %s" % (op.name, report.generate_report()))


def check_json(case, model, op, problems):
    prefix, version = DOCUMENTED_JSON.get(case["model"], (model.metadata.get("targetPrefix"),
                                                          model.metadata.get("jsonVersion")))
    target = "%s.%s" % (prefix, op.name)
    if header(case["headers"], "x-amz-target") != target:
        problems.append("X-Amz-Target %r, expected %r" % (header(case["headers"], "x-amz-target"),
                                                          target))
    ctype = "application/x-amz-json-%s" % version
    if header(case["headers"], "content-type") != ctype:
        problems.append("Content-Type %r, expected %r" % (header(case["headers"], "content-type"),
                                                          ctype))
    if case["method"] != "POST" or case["target"] != "/":
        problems.append("JSON protocol requests are POST /, got %s %s"
                        % (case["method"], case["target"]))
    params = json.loads(case["body"])
    validate(params, op, problems)
    if model.metadata.get("protocol") == "json":
        ser = create_serializer("json").serialize_to_request(params, op)
        if json.loads(ser["body"]) != params:
            problems.append("botocore serializes these params differently: %s" % ser["body"])
    return params


def unflatten_query(flat, prefix, shape, used):
    """The params a query-protocol body encodes, guided by the shape."""
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, member in shape.members.items():
            key = (prefix + "." if prefix else "") + member.serialization.get("name", name)
            if key in flat or any(k.startswith(key + ".") for k in flat):
                out[name] = unflatten_query(flat, key, member, used)
        return out
    if t == "map":
        out = {}
        k_name = shape.key.serialization.get("name", "key")
        v_name = shape.value.serialization.get("name", "value")
        base = prefix if shape.serialization.get("flattened") else prefix + ".entry"
        i = 1
        while "%s.%d.%s" % (base, i, k_name) in flat:
            k = "%s.%d.%s" % (base, i, k_name)
            used.add(k)
            out[flat[k]] = unflatten_query(flat, "%s.%d.%s" % (base, i, v_name), shape.value, used)
            i += 1
        return out
    if t == "list":
        m_name = shape.member.serialization.get("name", "member")
        base = prefix if shape.serialization.get("flattened") else prefix + "." + m_name
        out, i = [], 1
        while "%s.%d" % (base, i) in flat or any(k.startswith("%s.%d." % (base, i)) for k in flat):
            out.append(unflatten_query(flat, "%s.%d" % (base, i), shape.member, used))
            i += 1
        return out
    used.add(prefix)
    v = flat[prefix]
    if t in ("integer", "long"):
        return int(v)
    if t == "boolean":
        return v == "true"
    if t == "blob":
        return base64.b64decode(v)
    return v


def check_query(case, model, op, problems):
    if header(case["headers"], "content-type") not in (
            "application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded"):
        problems.append("Content-Type %r is not form-urlencoded"
                        % header(case["headers"], "content-type"))
    pairs = urllib.parse.parse_qsl(case["body"], keep_blank_values=True, strict_parsing=True)
    flat = dict(pairs)
    if len(flat) != len(pairs):
        problems.append("a query parameter is repeated")
    if flat.get("Action") != op.name or flat.get("Version") != model.api_version:
        problems.append("Action/Version %s/%s, expected %s/%s"
                        % (flat.get("Action"), flat.get("Version"), op.name, model.api_version))
    used = {"Action", "Version"}
    params = unflatten_query(flat, "", op.input_shape, used)
    for k in sorted(set(flat) - used):
        problems.append("parameter %s is not a member of %s" % (k, op.name))
    validate(params, op, problems)
    ser = create_serializer("query").serialize_to_request(params, op)
    body = ser["body"]  # botocore leaves the form as a dict until it sends it
    theirs = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else \
        dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
    if theirs != flat:
        problems.append("botocore encodes these params differently: %s" % ser["body"])
    return params


def check_rest_json(case, model, op, problems):
    path, _, query = case["target"].partition("?")
    uri = op.http["requestUri"]
    if case["method"] != op.http["method"]:
        problems.append("method %s, expected %s" % (case["method"], op.http["method"]))
    pattern = "^" + re.sub(r"\{(\w+)\+?\}", r"(?P<\1>[^?]+)", re.escape(uri).replace(r"\{", "{")
                           .replace(r"\}", "}")) + "$"
    m = re.match(pattern, path)
    if not m:
        problems.append("path %s does not fit %s" % (path, uri))
        return {}
    params = {}
    query_params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    for name, member in op.input_shape.members.items():
        loc = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if loc == "uri":
            params[name] = urllib.parse.unquote(m.group(wire))
        elif loc == "header" and header(case["headers"], wire) is not None:
            params[name] = header(case["headers"], wire)
        elif loc == "querystring" and wire in query_params:
            params[name] = query_params[wire]
        elif op.input_shape.serialization.get("payload") == name:
            params[name] = case["body"].encode("utf-8")
    validate(params, op, problems)
    ser = create_serializer("rest-json").serialize_to_request(params, op)
    if ser["url_path"] != path:
        problems.append("botocore's path is %s, ours %s" % (ser["url_path"], path))
    for n, v in ser["headers"].items():
        if n.lower().startswith("x-amz-") and header(case["headers"], n) != v:
            problems.append("header %s: botocore sends %r, we sent %r"
                            % (n, v, header(case["headers"], n)))
    if ser["body"] != case["body"].encode("utf-8"):
        problems.append("botocore's body differs")
    params.pop("Payload", None)
    return params


def check(case):
    problems = []
    check_signature(case, problems)
    model = SESSION.get_service_model(case["model"])
    op = model.operation_model(case["operation"])
    if model.signing_name != case["service"]:
        problems.append("signed for %s, but %s signs as %s"
                        % (case["service"], case["model"], model.signing_name))
    protocol = model.metadata["protocol"]
    if case["model"] in DOCUMENTED_JSON or protocol == "json":
        params = check_json(case, model, op, problems)
    elif protocol == "query":
        params = check_query(case, model, op, problems)
    elif protocol == "rest-json":
        params = check_rest_json(case, model, op, problems)
    else:
        problems.append("no check for protocol " + protocol)
        params = {}
    return {"problems": problems, "params": params}


def main():
    cases = json.load(sys.stdin)
    json.dump([check(c) for c in cases], sys.stdout, default=str)


if __name__ == "__main__":
    main()
