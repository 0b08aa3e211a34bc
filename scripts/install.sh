#!/usr/bin/env bash
# Installs what Ferry needs on Debian 12 (run as root): OS packages, npm dependencies, the
# generated Prisma clients. Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

# OS packages: Open vSwitch (userspace datapath) and the network tools the lab and its tests use;
# Chromium drives the browser tests; fonts render the dashboard without downloads; PostgreSQL's
# server binaries let the tests prove the PostgreSQL path (a private instance); openssl makes
# test certificates for the OpenFlow TLS listener; redis-server backs the Socket.IO adapter when
# several server instances run (the tests start a private one); tcpdump captures lab traffic for
# the migration-gap benchmark's diagnosis.
# QEMU runs the lab's guests, each lab host's own libvirtd manages them; cpio, gcc and libc6-dev
# build the guest image's initramfs and its static memory-load helper.
APT_PACKAGES=(openvswitch-switch iproute2 ethtool iputils-ping openssl qemu-system-x86 cpio gcc libc6-dev
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  chromium fonts-dejavu-core ca-certificates curl postgresql redis-server tcpdump)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} — run as root (or install them) and retry" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 20.19+ (Next.js 16 and Prisma 7 need it).
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node.js >= 20.19 is required, found "+process.versions.node); process.exit(1) }'

# npm dependencies, reinstalled only when package-lock.json changed since the last install.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.ferry-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

log "generating Prisma clients"
npm run --silent db:generate >/dev/null

# The lab's guest image, built offline from Debian packages; rebuilt only when its recipe changes.
log "guest image"
bash server/lab/guest/build-image.sh "${FERRY_GUEST_DIR:-$PWD/data/lab/images/ferry-guest}" | tail -n 1
log "done"
