#!/usr/bin/env bash
# Installs the Debian packages ambit needs when they are missing (idempotent; apt-get update runs
# at most once). `--test` adds the peers and tools the test suite uses; `--bench` the benchmark's.
set -euo pipefail
want=(iproute2 nftables iptables)
for a in "$@"; do
  case "$a" in
    --test) want+=(nghttp2-proxy haproxy tcpdump tinyproxy iperf3 curl) ;;
    --bench) want+=(iperf3 wrk nginx libnginx-mod-stream nghttp2-proxy nghttp2-client tinyproxy haproxy golang-go socat) ;;
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
