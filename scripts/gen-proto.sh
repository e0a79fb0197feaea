#!/usr/bin/env bash
# Regenerates packages/api/src/gen from proto/ (ours, Istio-compatible) plus the real Envoy discovery
# protos shipped in @grpc/grpc-js-xds (only discovery/ads and what they import). Generated code is
# committed; CI does not run this.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
deps="$root/node_modules/@grpc/grpc-js-xds/deps"
ws="$(mktemp -d /tmp/ambit-proto.XXXXXX)"
trap 'rm -rf "$ws"' EXIT
mkdir -p "$ws/src"
cp -r "$root/proto/istio" "$ws/src/"
cp -r "$root/proto/ambit" "$ws/src/"
for d in envoy-api googleapis xds protoc-gen-validate; do cp -r "$deps/$d/." "$ws/src/"; done
rm -rf "$ws/src/java" "$ws/src/tests" "$ws/src/google/protobuf"
# grpc-js-xds ships a validate.proto older than its envoy protos: add the field they use.
if ! grep -q ignore_empty "$ws/src/validate/validate.proto"; then
  python3 - "$ws/src/validate/validate.proto" <<'PY'
import re,sys
p=sys.argv[1]; s=open(p).read()
def add(m):
    body=m.group(0)
    if 'ignore_empty' in body: return body
    return body[:-1]+"  optional bool ignore_empty = 99;\n}"
s=re.sub(r"message (String|Bytes|Repeated|Map|Int32|Int64|UInt32|UInt64|SInt32|SInt64|Fixed32|Fixed64|SFixed32|SFixed64|Float|Double|Enum)Rules \{(?:[^{}]|\{[^{}]*\})*\}", add, s)
open(p,"w").write(s)
PY
fi
cat > "$ws/buf.yaml" <<'Y'
version: v2
modules:
  - path: src
Y
cat > "$ws/buf.gen.yaml" <<Y
version: v2
plugins:
  - local: $root/node_modules/.bin/protoc-gen-es
    out: $root/packages/api/src/gen
    opt: [target=ts, import_extension=js]
clean: true
Y
cd "$ws"
"$root/node_modules/.bin/buf" generate --include-imports \
  --path src/istio \
  --path src/ambit \
  --path src/envoy/service/discovery/v3/ads.proto \
  --path src/envoy/service/discovery/v3/discovery.proto
echo "generated into packages/api/src/gen: $(find "$root/packages/api/src/gen" -name '*.ts' | wc -l) files"
