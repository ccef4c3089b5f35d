"""Drives a running `drydock serve` with Palo Alto's own Python SDK (prismacloud-api),
then checks every response of every registry-scanning operation against the schemas of
the Prisma Cloud Compute OpenAPI spec.

Usage: prisma_sdk_check.py BASE_URL USER PASSWORD SPEC_JSON REGISTRY AUTH_REGISTRY
Prints one JSON object with what it saw; exits non-zero on the first failure.
"""

import json
import sys
import time

import jsonschema
import requests
import urllib3
from prismacloud.api import pc_api

urllib3.disable_warnings()

base, user, password, spec_path, registry, auth_registry = sys.argv[1:7]
seen = {}


def fail(msg):
    print(json.dumps({"error": msg, "seen": seen}, default=str))
    sys.exit(1)


# --- the SDK ------------------------------------------------------------------------------
pc_api.configure({"url": base, "identity": user, "secret": password, "verify": False})

pc_api.credential_list_create({
    "_id": "fixture-reader", "type": "basic", "accountID": "reader",
    "secret": {"plain": "r3ader"}, "description": "basic-auth fixture registry",
})
creds = pc_api.credential_list_read()
seen["credentials"] = creds
if not any(c["_id"] == "fixture-reader" for c in creds):
    fail("credential not listed")
if any("plain" in (c.get("secret") or {}) for c in creds) or "r3ader" in json.dumps(creds):
    fail("a credential response carries the plain secret")

settings = {"specifications": [
    {"version": "2", "registry": registry, "repository": "fixtures/alpine*", "tag": "*", "os": "linux", "cap": 0},
    {"version": "2", "registry": auth_registry, "repository": "*", "tag": "*",
     "credentialID": "fixture-reader", "os": "linux"},
]}
# PUT without scanLater starts a regular scan, as in Prisma.
pc_api.settings_registry_write(settings)
seen["settings"] = pc_api.settings_registry_read()
if len(seen["settings"]["specifications"]) != 2:
    fail("settings not saved")


def wait_regular():
    for _ in range(600):
        p = pc_api.execute_compute("GET", "api/v1/registry/progress")
        if p and not any(x["isScanOngoing"] for x in p):
            return p
        time.sleep(0.5)
    fail("regular scan did not finish")


seen["progress_after_put"] = wait_regular()
# A regular scan on request, through the SDK's own helper.
pc_api.registry_scan({})
seen["progress_after_scan"] = wait_regular()

images = pc_api.registry_list_read()
names = pc_api.registry_list_image_names({})
seen["image_count"] = len(images)
seen["names"] = names
if len(images) != len(names) or len(images) == 0:
    fail(f"registry_list_read gave {len(images)} images, names {len(names)}")
if sorted(i["_id"] for i in images) != sorted(names):
    fail("registry_list_read and registry_list_image_names disagree")
if not any(n.startswith(auth_registry + "/") for n in names):
    fail("nothing scanned on the basic-auth registry (stored credential unused?)")
one = pc_api.registry_list_read(images[0]["id"])
if not one or one[0]["id"] != images[0]["id"]:
    fail("registry_list_read(image_id) did not find the image")
st = pc_api.statuses_registry()
seen["status"] = st
if not st.get("completed"):
    fail("statuses/registry does not say completed")
csv_text = pc_api.execute_compute("GET", "api/v1/registry/download")
if not isinstance(csv_text, str) or not csv_text.startswith("Registry,Repository,Tag"):
    fail("download is not CSV text")
seen["csv_lines"] = csv_text.count("\n")

# --- every response against the spec's schemas -------------------------------------------
spec = json.load(open(spec_path))


def flatten_enums(node):
    if isinstance(node, dict):
        if "enum" in node and node["enum"] and isinstance(node["enum"][0], list):
            node["enum"] = node["enum"][0]
        for v in node.values():
            flatten_enums(v)
    elif isinstance(node, list):
        for v in node:
            flatten_enums(v)


flatten_enums(spec)
version = next(iter(spec["paths"])).split("/")[2]  # v34.04


def schema_of(path, method):
    op = spec["paths"][f"/api/{version}{path}"][method]
    content = op["responses"]["200"].get("content")
    if not content:
        return None
    return content["application/json"]["schema"]


fmt = jsonschema.FormatChecker()
token = requests.post(f"{base}/api/v1/authenticate", json={"username": user, "password": password}, verify=False).json()["token"]
H = {"Authorization": f"Bearer {token}"}
checked = []


def check(method, path, spec_path_, api_prefix="v1", **kw):
    r = requests.request(method, f"{base}/api/{api_prefix}{path}", headers=H, verify=False, **kw)
    if r.status_code != 200:
        fail(f"{method} {path}: {r.status_code} {r.text[:300]}")
    schema = schema_of(spec_path_, method.lower())
    if schema is None:
        if method != "GET" and r.content:
            fail(f"{method} {path}: spec declares no body, got {r.text[:200]}")
        checked.append(f"{method} {path}")
        return r
    doc = dict(schema)
    doc["components"] = spec["components"]
    try:
        jsonschema.validate(r.json(), doc, cls=jsonschema.Draft4Validator, format_checker=fmt)
    except jsonschema.ValidationError as e:
        fail(f"{method} {path}: response does not match the spec: {e.message} at {list(e.absolute_path)}")
    checked.append(f"{method} {path}")
    return r


check("POST", "/authenticate", "/authenticate", json={"username": user, "password": password})
check("GET", "/registry", "/registry")
check("GET", "/registry?compact=true&limit=3", "/registry")
check("GET", "/registry?repository=fixtures/alpine&sort=vulnerabilitiesCount&reverse=true", "/registry")
check("GET", "/registry", "/registry", api_prefix=version)
check("GET", "/registry/names", "/registry/names")
check("GET", "/registry/progress", "/registry/progress")
check("GET", "/settings/registry", "/settings/registry")
check("GET", "/statuses/registry", "/statuses/registry")
check("GET", "/credentials", "/credentials")
check("GET", "/credentials/fixture-reader/usages", "/credentials/{id}/usages")
r = check("GET", "/registry/download", "/registry/download")
if r.headers.get("Content-Type") != "text/csv":
    fail("download Content-Type is not exactly text/csv")
first = images[0]["repoTag"]
check("POST", "/registry/scan", "/registry/scan",
      json={"onDemandScan": True, "tag": {"registry": first["registry"], "repo": first["repo"], "tag": first["tag"]}})
q = {"onDemand": "true", "registry": first["registry"], "repo": first["repo"], "tag": first["tag"]}
for _ in range(600):
    p = check("GET", "/registry/progress", "/registry/progress", params=q).json()
    if p and not p[0]["isScanOngoing"]:
        break
    time.sleep(0.3)
seen["on_demand_progress"] = p
check("POST", "/registry/scan/select", "/registry/scan/select", json=[{"onDemandScan": True, "tag": {"registry": first["registry"], "repo": first["repo"], "tag": first["tag"]}}])
check("POST", "/registry/stop", "/registry/stop")
check("POST", "/registry/stop/none", "/registry/stop/{id}")
check("POST", "/settings/registry?scanLater=true", "/settings/registry",
      json={"version": "2", "registry": registry, "repository": "fixtures/none", "tag": "*"})
check("PUT", "/settings/registry?scanLater=true", "/settings/registry", json=settings)
check("POST", "/credentials", "/credentials", json={"_id": "spare", "type": "basic", "accountID": "x", "secret": {"plain": "y"}})
check("DELETE", "/credentials/spare", "/credentials/{id}")
seen["checked"] = checked
print(json.dumps({"ok": True, "seen": seen}, default=str))
