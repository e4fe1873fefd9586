#!/usr/bin/env python3
"""Sends one documented example of every operation in docs/openapi.json to a sandbox.

    python3 openapi_examples.py [-v] [--schemas] http://127.0.0.1:8848 [path/to/openapi.json]

What a client generated from the description would send: the path, the fixed query
parameters, `access_token` where the operation's security asks for it, a JSON body, the
query parameters of a GET or the parts of a multipart upload, each from the
operation's examples (one per endpoint: operations shared by several endpoints carry
each example's fixed query in `x-query`). The sandbox must route and decode every one:
its reply is HTTP 200 with a JSON object, or the documented file, and its errcode may
say the example's card or code does not exist in the sandbox, but never that the
request was malformed. Python's standard library only; `cargo xtask test` runs it.

With `--schemas` (which needs the `jsonschema` package, a dependency of
openapi-spec-validator) the description is also checked against itself and the
sandbox: every documented request validates against its operation's schema as sent
(`x-when-sent` and `x-required-when-sent` applied, the `x-added-later` enum fallbacks
dropped), every documented reply and every reply of the sandbox against its reply
schema as it is.
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


class Schemas:
    """The description's schemas, as JSON Schema validators (`--schemas`)."""

    def __init__(self, description):
        import jsonschema
        import referencing
        import referencing.jsonschema

        self.validator = jsonschema.Draft202012Validator
        self.formats = jsonschema.Draft202012Validator.FORMAT_CHECKER

        def registry(doc):
            resource = referencing.Resource.from_contents(
                doc, default_specification=referencing.jsonschema.DRAFT202012
            )
            return referencing.Registry().with_resource("urn:openapi", resource)

        self.replies = registry(description)
        self.sent = registry(as_sent(description))

    def errors(self, schema, value, sent):
        """What is wrong with `value`, as `schema` (of the description, or as sent)."""
        schema = json.loads(json.dumps(as_sent(schema) if sent else schema).replace('"#/', '"urn:openapi#/'))
        check = self.validator(schema, registry=self.sent if sent else self.replies, format_checker=self.formats)
        return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}" for e in check.iter_errors(value)]


def as_sent(schema):
    """A schema as it applies to a request: the rules of requests of a model that
    replies carry too (`x-when-sent`, `x-required-when-sent`) applied, the enum
    fallbacks for replies (`x-added-later`) dropped."""
    if isinstance(schema, list):
        return [as_sent(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: as_sent(v) for k, v in schema.items() if k != "x-when-sent"}
    if "x-when-sent" in schema:
        out.update(as_sent(schema["x-when-sent"]))
    if "x-required-when-sent" in schema:
        out["required"] = schema["x-required-when-sent"]
    if "anyOf" in out:
        kept = [s for s in out["anyOf"] if not (isinstance(s, dict) and s.get("x-added-later"))]
        if len(kept) == 1:
            del out["anyOf"]
            out.update(kept[0])
        else:
            out["anyOf"] = kept
    return out


def check_examples(operation, schemas):
    """Every example of the operation against its schemas: (what, problem) pairs."""
    out = []
    name = operation["operationId"]
    for p in operation.get("parameters", []):
        for x, example in p.get("examples", {}).items():
            for e in schemas.errors(p["schema"], example["value"], sent=True):
                out.append(f"{name} ({x}) parameter {p['name']}: {e}")
    for media in operation.get("requestBody", {}).get("content", {}).values():
        for x, example in media.get("examples", {}).items():
            for e in schemas.errors(media["schema"], example["value"], sent=True):
                out.append(f"{name} ({x}) request {e}")
    for code, reply in operation["responses"].items():
        media = reply.get("content", {}).get("application/json", {})
        for x, example in media.get("examples", {}).items():
            for e in schemas.errors(media["schema"], example["value"], sent=False):
                out.append(f"{name} ({x}) reply {e}")
    return out


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
    fixed, params, shared = {}, {}, None
    for p in operation.get("parameters", []):
        values = p["schema"].get("enum", [])
        if p["in"] == "query" and p["required"] and len(values) == 1 and "examples" not in p:
            fixed[p["name"]] = values[0]
        elif p["in"] == "query" and p["required"] and values and "examples" not in p:
            # The fixed query that tells apart the endpoints of a shared path.
            shared = (p["name"], values)
        elif "examples" in p:
            params[p["name"]] = next(iter(p["examples"].values()))["value"]
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        if shared:
            # A GET shared by several endpoints: each endpoint's fixed value.
            name, values = shared
            return [(f"{name}={v}", {**fixed, name: v}, params, None, None, list(params) + [name]) for v in values]
        return [("example", fixed, params, None, None, list(params))]
    out = []
    for content_type, media in content.items():
        for name, example in first_per_query(media["examples"]):
            query = {**fixed, **example.get("x-query", {})}
            fields = list(params) + list(query)
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
    schemas = "--schemas" in args
    args = [a for a in args if a not in ("-v", "--schemas")]
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

    schemas = Schemas(description) if schemas else None
    passed, failed = 0, []
    for path, item in description["paths"].items():
        for method, operation in item.items():
            if schemas:
                problems = check_examples(operation, schemas)
                failed += [f"{operation['operationId']}: documented example: {p}" for p in problems]
            for name, fixed, params, body, content_type, fields in requests(operation):
                query = dict(fixed, **params)
                if operation["security"]:
                    query["access_token"] = token
                url = f"{base}{path}?{urllib.parse.urlencode(query)}"
                status, reply_type, reply = call(method.upper(), url, body, content_type)
                what = f"{method.upper()} {path} {operation['operationId']} ({name})"
                documented = operation["responses"]["200"]["content"]
                documented_json = documented["application/json"]
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
                if schemas:
                    problems = schemas.errors(documented_json["schema"], answer, sent=False)
                    if problems:
                        failed.append(f"{what}: the sandbox's reply breaks its schema: {problems}")
                        continue
                errcode, errmsg = int(answer.get("errcode", 0)), answer.get("errmsg", "")
                # "`count` must …", "invalid buffer", "type missing: wx_card or jsapi".
                broken = errmsg.startswith("`") or any(
                    errmsg == f"invalid {p}" or errmsg.startswith(f"{p} ") for p in fields
                )
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
