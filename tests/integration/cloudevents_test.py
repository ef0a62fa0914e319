"""Lifecycle events from the official CloudEvents SDK, in both modes of its Kafka
binding, published with confluent-kafka onto the running mesh: each is planned
(its journey appears), none is dead-lettered.

Usage: cloudevents_test.py MOTCTL   (MOT_MESH_ENV names the mesh's env file)
"""
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from cloudevents.core.bindings import kafka
from cloudevents.core.v1.event import CloudEvent
from confluent_kafka import Producer

motctl_bin = sys.argv[1]
env_file = os.environ["MOT_MESH_ENV"]
env = dict(line.strip().split("=", 1) for line in open(env_file) if "=" in line)


def motctl(*args):
    return subprocess.run([motctl_bin, "--env-file", env_file, *args], check=True,
                          capture_output=True, text=True).stdout


def mesh_now():
    """The mesh's simulated time (an event must not come from its future)."""
    return datetime.fromisoformat(motctl("clock", "show").strip().replace("Z", "+00:00"))


def event(customer, kind):
    return CloudEvent({"type": "mot.lifecycle.v1.contract_signed", "source": "crm",
                       "subject": customer, "partitionkey": customer, "time": mesh_now(),
                       "datacontenttype": "application/json"},
                      {"project_id": "P-CE", "unit_id": "U-" + kind,
                       "attributes": {"planned_handover_date":
                                      (mesh_now() + timedelta(days=300)).date().isoformat()}})


run = random.randrange(10**9)
producer = Producer({"bootstrap.servers": env["MOT_KAFKA_BROKERS"], "enable.idempotence": True})
sent = {}
for mode, to_message in (("binary", kafka.to_binary_event),
                         ("structured", kafka.to_structured_event)):
    customer = f"C-CE-{mode}-{run}"
    message = to_message(event(customer, mode))
    producer.produce("mot.lifecycle.v1", key=message.key, value=message.value,
                     headers=list(message.headers.items()))
    sent[mode] = customer
assert producer.flush(30) == 0, "not all events were acknowledged"

failed = 0
for mode, customer in sent.items():
    steps = []
    for _ in range(100):  # up to 20 s
        steps = json.loads(motctl("journey", customer, "--json")).get("touchpoints", [])
        if steps:
            break
        time.sleep(0.2)
    if steps:
        print(f"ok   {mode}: {customer} planned {len(steps)} touchpoints "
              f"({', '.join(sorted(t['step_id'] for t in steps))})")
    else:
        failed += 1
        print(f"FAIL {mode}: {customer} has no journey (dead-lettered?)")
print(f"{len(sent) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
