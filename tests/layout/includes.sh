#!/bin/sh
# The layout's include rules (issue 23, "One role per file"):
#  - domain/ code includes no I/O library's headers (they are on the system include
#    path, so per-library include directories cannot keep them out; the link rules are
#    checked when CMake configures: motmesh_domain_only);
#  - domain/ never includes app/;
#  - a service's own headers are included with its folder's prefix
#    ("ticketing/domain/sla_clock.h"), never as "domain/..." or "app/...", and a service
#    includes no other service's headers.
# Prints each offending line; exits 1 when there is one. Run from the source root.
set -u
cd "${1:-.}" || exit 2
bad=0
say() { echo "$1"; bad=1; }

out=$(grep -rnE '#include [<"](grpc|librdkafka|hiredis|prometheus|curl|httplib)' services/*/domain)
[ -n "$out" ] && say "domain/ includes an I/O library:
$out"

for service in services/*/; do
  name=$(basename "$service")
  [ "$name" = common ] && continue
  out=$(grep -rnE '#include "([a-z-]+/)?app/' "$service/domain" 2>/dev/null)
  [ -n "$out" ] && say "$name/domain/ includes app/:
$out"
done

out=$(grep -rnE '#include "(domain|app)/' services tools tests)
[ -n "$out" ] && say "service headers included without their service's prefix:
$out"

for service in services/*/; do
  name=$(basename "$service")
  [ "$name" = common ] && continue
  others=$(ls -d services/*/ | xargs -n1 basename | grep -vx "$name" | grep -vx common | paste -sd'|')
  out=$(grep -rnE "#include \"($others)/" "$service")
  [ -n "$out" ] && say "$name includes another service's headers:
$out"
done

[ $bad = 0 ] && echo "layout includes: domain/ includes no I/O library and no app/; service headers carry their prefix"
exit $bad
