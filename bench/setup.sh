#!/usr/bin/env bash
# Installs the reference controllers the benchmark compares against (Debian packages).
# Idempotent: does nothing when both are already present.
set -euo pipefail

need=()
command -v ovs-testcontroller >/dev/null 2>&1 || need+=(openvswitch-testcontroller)
command -v osken-manager >/dev/null 2>&1 || need+=(python3-os-ken)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: missing ${need[*]}; run as root (apt-get install)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
