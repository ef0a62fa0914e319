"""Lifecycle events over HTTPS (the CloudEvents HTTP binding) into the running mesh (real
broker and Redis, the simulated clock): the official CloudEvents SDK's HTTP binding in
binary and structured mode and curl with a batch are planned (their journeys appear);
bad events are refused with the attribute named and never the value; a body over the
limit is 413; no token 401, a token without the publisher scope 403; a batch answers
per event; a repeated event id has no second effect.

Usage: http_ingest_test.py MOTCTL   (MOT_MESH_ENV names the mesh's env file)
"""
import json
import os
import random
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from cloudevents.core.bindings import http
from cloudevents.core.v1.event import CloudEvent

motctl_bin = sys.argv[1]
env_file = os.environ["MOT_MESH_ENV"]
env = dict(line.strip().split("=", 1) for line in open(env_file) if "=" in line)
url = env["MOT_INGEST_URL"]
tls = ssl.create_default_context(cafile=env["MOT_TLS_CA_FILE"])
tls.load_cert_chain(env["MOT_TLS_CLIENT_CERT_FILE"], env["MOT_TLS_CLIENT_KEY_FILE"])
passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what} {detail}")


def motctl(*args):
    return subprocess.run([motctl_bin, "--env-file", env_file, *args], check=True,
                          capture_output=True, text=True).stdout


def post(headers, body, token=env["MOT_TOKEN_PUBLISHER"]):
    """POSTs to the webhook as a sender would: (status, parsed JSON answer)."""
    headers = dict(headers)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, context=tls, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def journey(customer, want=1):
    """The customer's touchpoints once at least `want` are planned (up to 20 s)."""
    steps = []
    for _ in range(100):
        steps = json.loads(motctl("journey", customer, "--json")).get("touchpoints", [])
        if len(steps) >= want:
            break
        time.sleep(0.2)
    return steps


now = datetime.fromisoformat(motctl("clock", "show").strip().replace("Z", "+00:00"))
handover = (now + timedelta(days=300)).date().isoformat()
run = random.randrange(10**9)


def signing(customer, **data):
    return CloudEvent({"id": f"ev-{customer}", "type": "mot.lifecycle.v1.contract_signed",
                       "source": "crm", "subject": customer, "time": now,
                       "datacontenttype": "application/json"},
                      {"project_id": "P-HTTP", "unit_id": "U-1",
                       "attributes": {"planned_handover_date": handover, **data}})


# The SDK's two modes of its HTTP binding, one owner each.
owners = {}
for mode, to_message in (("binary", http.to_binary_event),
                         ("structured", http.to_structured_event)):
    customer = f"C-HTTP-{mode}-{run}"
    message = to_message(signing(customer))
    status, answer = post(message.headers, message.body)
    check(f"{mode} mode answered 202 with the event id", status == 202
          and answer.get("id") == f"ev-{customer}", f"{status} {answer}")
    owners[mode] = customer

# A batch with curl: two good events and one with a bad time, answered per event.
good = [f"C-HTTP-batch{i}-{run}" for i in range(2)]
batch = [json.loads(http.to_structured_event(signing(c)).body) for c in good]
batch.append({"specversion": "1.0", "id": f"ev-bad-{run}", "type": "mot.lifecycle.v1.handover",
              "source": "crm", "subject": f"C-HTTP-bad-{run}", "time": "yesterday-ish 13812345678"})
with open(f"/tmp/mot-http-batch-{run}.json", "w") as f:
    json.dump(batch, f)
curl = subprocess.run(
    ["curl", "-sS", "--cacert", env["MOT_TLS_CA_FILE"], "--cert", env["MOT_TLS_CLIENT_CERT_FILE"],
     "--key", env["MOT_TLS_CLIENT_KEY_FILE"], "-H", f"Authorization: Bearer {env['MOT_TOKEN_PUBLISHER']}",
     "-H", "Content-Type: application/cloudevents-batch+json",
     "--data-binary", f"@/tmp/mot-http-batch-{run}.json", "-w", "\n%{http_code}", url],
    capture_output=True, text=True)
os.remove(f"/tmp/mot-http-batch-{run}.json")
body, _, code = curl.stdout.rpartition("\n")
results = json.loads(body).get("results", []) if body.startswith("{") else []
check("curl's batch is answered 207, one result per event", code == "207" and len(results) == 3,
      curl.stdout + curl.stderr)
check("the batch's good events are 202", [r.get("status") for r in results[:2]] == [202, 202],
      str(results))
bad = results[2] if len(results) == 3 else {}
check("the bad one is 400 naming the attribute and the rule",
      bad.get("status") == 400 and bad.get("error") == "time: not an RFC 3339 time", str(bad))
check("no answer quotes the bad value", "13812345678" not in body and "yesterday" not in body)

# Every good event is planned: its journey appears.
for who in [*owners.values(), *good]:
    steps = journey(who)
    check(f"{who} planned over HTTP", len(steps) > 0)

# The same event again: 202, and nothing planned twice.
def step_ids(customer):
    return sorted(t["step_id"] for t in journey(customer))


before = step_ids(owners["structured"])
message = http.to_structured_event(signing(owners["structured"]))
status, _ = post(message.headers, message.body)
check("a repeated event id is answered 202", status == 202)
# A repair after it, on the owner's partition: once it is planned, so is the repeat.
repair = http.to_structured_event(CloudEvent(
    {"id": f"ev-repair-{run}", "type": "mot.lifecycle.v1.repair_requested", "source": "crm",
     "subject": owners["structured"], "time": now},
    {"project_id": "P-HTTP", "unit_id": "U-1", "attributes": {"category": "plumbing"}}))
check("the repair after it is 202", post(repair.headers, repair.body)[0] == 202)
after = before
for _ in range(100):
    after = step_ids(owners["structured"])
    if "repair_ticket" in after:
        break
    time.sleep(0.2)
check("the repeat planned nothing twice",
      "repair_ticket" in after and [s for s in after if s != "repair_ticket"] == before,
      f"{before} -> {after}")

# Refusals.
binary = http.to_binary_event(signing(f"C-HTTP-x-{run}"))
headers = dict(binary.headers)
headers["ce-type"] = "lifecycle.contract_signed"
status, answer = post(headers, binary.body)
check("binary mode: a bad ce-type is 400 naming ce-type",
      status == 400 and answer.get("error", "").startswith("ce-type: expected mot.lifecycle.v1."),
      f"{status} {answer}")
headers = dict(binary.headers)
del headers["ce-id"]
headers["ce-specversion"] = "1.0"
status, answer = post(headers, binary.body)
check("binary mode: no ce-id is 400 'ce-id is required'",
      status == 400 and answer.get("error") == "ce-id is required", f"{status} {answer}")
# A request line the server cannot parse must not leave its body to be read as the
# next request on the connection: one request per connection.
raw = subprocess.run(
    ["curl", "-sS", "-i", "-X", "QUERY", "--cacert", env["MOT_TLS_CA_FILE"],
     "--cert", env["MOT_TLS_CLIENT_CERT_FILE"], "--key", env["MOT_TLS_CLIENT_KEY_FILE"],
     "--data-binary", "GET /v1/events HTTP/1.1\r\n\r\n", url], capture_output=True, text=True)
check("an unknown method is 405 and the connection is closed",
      raw.stdout.startswith("HTTP/1.1 405") and "Connection: close" in raw.stdout, raw.stdout[:300])
status, answer = post({"Content-Type": "application/json"}, b'{"customer_id":"C-1"}')
check("a body that is no CloudEvent is 415", status == 415, f"{status} {answer}")
status, answer = post({"Content-Type": "application/cloudevents+json"}, b"x" * (2 << 20))
check("a body over the limit is 413", status == 413, f"{status} {answer}")
status, answer = post(message.headers, message.body, token=None)
check("no token is 401", status == 401, f"{status} {answer}")
status, answer = post(message.headers, message.body, token=env["MOT_TOKEN_READER"])
check("a reader's token is 403 naming the scope",
      status == 403 and "publisher" in answer.get("error", ""), f"{status} {answer}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
