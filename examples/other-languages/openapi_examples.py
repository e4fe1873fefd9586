#!/usr/bin/env python3
"""Sends one documented example of every operation in docs/openapi.json to a sandbox.

    python3 openapi_examples.py [-v] http://127.0.0.1:8848 [path/to/openapi.json]

What a client generated from the description would send: the path, the fixed query
parameters, `access_token` where the operation's security asks for it, a JSON body, the
query parameters of a GET or the parts of a multipart upload, each from the
operation's examples (one per endpoint: operations shared by several endpoints carry
each example's fixed query in `x-query`). The sandbox must route and decode every one:
its reply is HTTP 200 with a JSON object, or the documented file, and its errcode may
say the example's card or code does not exist in the sandbox, but never that the
request was malformed. Python's standard library only; `cargo xtask test` runs it.
"""

import json
import sys
import urllib.parse
import urllib.request
import uuid

# What the sandbox answers a request it could not route, read or validate: the shape
# of the request was wrong, so the description (or the sandbox) is. 40097 (invalid
# args) also says an id does not exist: it counts when it names a broken rule of the
# spec (the validators' "`field` must …") or a query parameter or part we sent.
MALFORMED = {
    41001: "missing access_token",
    41011: "missing required field",
    45021: "field too long",
    47001: "malformed body",
    61500: "date format error",
    61501: "date range error",
}


def call(method, url, body=None, content_type=None):
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.headers.get_content_type(), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def multipart(fields, encodings):
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += f"--{boundary}\r\n".encode()
        if name in encodings:
            content_type = encodings[name]["contentType"].split(",")[0].strip()
            filename = "example." + content_type.split("/")[-1]
            out += (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += (value if isinstance(value, str) else json.dumps(value)).encode() + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def first_per_query(examples):
    """One example per fixed query (per endpoint of a shared operation)."""
    seen = {}
    for name, example in examples.items():
        key = json.dumps(example.get("x-query", {}), sort_keys=True)
        seen.setdefault(key, (name, example))
    return list(seen.values())


def requests(operation):
    """(name, fixed query, query parameters, body, content type, the names of the query
    parameters and form parts) to send."""
    fixed, params = {}, {}
    for p in operation.get("parameters", []):
        values = p["schema"].get("enum", [])
        if p["in"] == "query" and p["required"] and len(values) == 1 and "examples" not in p:
            fixed[p["name"]] = values[0]
        elif "examples" in p:
            params[p["name"]] = next(iter(p["examples"].values()))["value"]
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return [("example", fixed, params, None, None, list(params))]
    out = []
    for content_type, media in content.items():
        for name, example in first_per_query(media["examples"]):
            query = {**fixed, **example.get("x-query", {})}
            fields = list(params)
            if content_type == "multipart/form-data":
                body, full_type = multipart(example["value"], media.get("encoding", {}))
                fields += list(example["value"])
            else:
                body, full_type = json.dumps(example["value"]).encode(), content_type
            out.append((name, query, params, body, full_type, fields))
    return out


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    base = args[0].rstrip("/")
    path = args[1] if len(args) > 1 else "docs/openapi.json"
    ok = print if verbose else (lambda *_: None)
    with open(path, encoding="utf-8") as f:
        description = json.load(f)
    _, _, body = call("POST", f"{base}/sandbox/credentials", b"{}", "application/json")
    credentials = json.loads(body)
    query = urllib.parse.urlencode(
        {"grant_type": "client_credential", "appid": credentials["appid"], "secret": credentials["secret"]}
    )
    _, _, body = call("GET", f"{base}/cgi-bin/token?{query}")
    token = json.loads(body)["access_token"]

    passed, failed = 0, []
    for path, item in description["paths"].items():
        for method, operation in item.items():
            for name, fixed, params, body, content_type, fields in requests(operation):
                query = dict(fixed, **params)
                if operation["security"]:
                    query["access_token"] = token
                url = f"{base}{path}?{urllib.parse.urlencode(query)}"
                status, reply_type, reply = call(method.upper(), url, body, content_type)
                what = f"{method.upper()} {path} {operation['operationId']} ({name})"
                documented = operation["responses"]["200"]["content"]
                # A documented HTTP error carries no JSON (the sandbox's "no such
                # route" does).
                error_class = f"{status // 100}XX" in operation["responses"]
                if status != 200 and error_class and reply_type != "application/json":
                    ok(f"ok   {what}: HTTP {status}, as documented")
                    passed += 1
                    continue
                if status != 200 or reply_type not in documented:
                    failed.append(f"{what}: HTTP {status} {reply_type}: {reply[:200]!r}")
                    continue
                if reply_type != "application/json":
                    ok(f"ok   {what}: {reply_type}, {len(reply)} bytes")
                    passed += 1
                    continue
                answer = json.loads(reply)
                errcode, errmsg = int(answer.get("errcode", 0)), answer.get("errmsg", "")
                broken = errmsg.startswith("`") or errmsg in [f"invalid {p}" for p in fields]
                if errcode in MALFORMED or (errcode == 40097 and broken):
                    failed.append(f"{what}: {errcode}: {reply[:200]!r}")
                    continue
                ok(f"ok   {what}: errcode {errcode}")
                passed += 1
    for failure in failed:
        print(f"FAIL {failure}")
    print(f"{passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
