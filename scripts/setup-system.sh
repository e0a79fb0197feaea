#!/usr/bin/env bash
# Installs the Debian packages ambit needs when they are missing (idempotent; apt-get update runs
# at most once). Base: what `npm ci` and the local mesh need (g++, make, python3: node-gyp builds
# the native addon in packages/sockets; procps: `sysctl` in the cluster namespaces; iproute2 and
# nftables: `ip` and `nft`). `--test` adds the peers and tools the test suite uses (tcpdump, curl,
# the interop proxies); `--bench` the benchmark's (openssl makes the bench PKI).
set -euo pipefail
want=(iproute2 nftables iptables procps python3 make g++)
for a in "$@"; do
  case "$a" in
    --test) want+=(nghttp2-proxy haproxy tcpdump tinyproxy iperf3 curl) ;;
    --bench) want+=(iperf3 wrk nginx libnginx-mod-stream nghttp2-proxy nghttp2-client tinyproxy haproxy golang-go socat openssl) ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ambit setup: missing system packages: ${missing[*]}" >&2
  echo "ambit setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "ambit setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
