#!/usr/bin/env bash
# docs/ingest-openapi.yaml checked against the running webhook with schemathesis: every
# answer has a documented status, content type, headers and schema; no 5xx; input the
# schema forbids is refused; an operation without the token is refused. Not checked:
# positive_data_acceptance (an event the schema allows may still be one the playbook
# refuses: an unknown type, a time outside the event window, a missing attribute; the
# 400 says which).
set -euo pipefail
st=$(realpath "$1")
spec=$(realpath "$2")
env_file=${MOT_MESH_ENV:?MOT_MESH_ENV must name the mesh env file}
url=$(grep '^MOT_INGEST_URL=' "$env_file" | cut -d= -f2-)
base=${url%/v1/events}
var() { grep "^$1=" "$env_file" | cut -d= -f2-; }
# schemathesis keeps a cache in the directory it runs in: a scratch one.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$st" run "$spec" --url "$base" \
  -H "Authorization: Bearer $(var MOT_TOKEN_PUBLISHER)" \
  --tls-verify "$(var MOT_TLS_CA_FILE)" \
  --request-cert "$(var MOT_TLS_CLIENT_CERT_FILE)" --request-cert-key "$(var MOT_TLS_CLIENT_KEY_FILE)" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples 60 --generation-deterministic --no-color
