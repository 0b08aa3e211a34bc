#!/usr/bin/env bash
# Builds the Ferry lab guest: <out>/vmlinuz and <out>/initrd.img, offline from Debian packages.
#   build-image.sh [out-dir]        (default: $FERRY_GUEST_DIR or <repo>/data/lab/images/ferry-guest)
# Cached by a recipe hash stored next to the image; a rebuild happens only when this script,
# the init or a C source changes (the pinned package names are part of this script).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:-${FERRY_GUEST_DIR:-$repo/data/lab/images/ferry-guest}}

# Pinned inputs. If the pinned kernel leaves the archive, the newest 6.1 cloud kernel that
# apt knows is used instead (and recorded in manifest.txt).
KERNEL_PKG=linux-image-6.1.0-56-cloud-amd64
KERNEL_VERSION=6.1.192-2
BUSYBOX_PKG=busybox-static
MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net)
BUILD_DEPS=(cpio gzip gcc libc6-dev)

log() { echo "[guest-image] $*" >&2; }
die() { echo "[guest-image] error: $*" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)

recipe=$(cat "${BASH_SOURCE[0]}" "$here/init.sh" "$here/statusd.c" "$here/memload.c" | sha256sum | cut -d' ' -f1)

print_paths() {
	echo "kernel: $out/vmlinuz"
	echo "initrd: $out/initrd.img"
}

up_to_date() {
	[ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ] && [ -f "$out/recipe.sha256" ] &&
		[ "$(cat "$out/recipe.sha256")" = "$recipe" ]
}

if up_to_date; then
	echo "guest image up to date"
	print_paths
	exit 0
fi

# One builder at a time per output dir; a second caller waits, then finds the image fresh.
exec 9>"$out/.build.lock"
flock -w 900 9 || die "timed out waiting for another build of $out"
if up_to_date; then
	echo "guest image up to date"
	print_paths
	exit 0
fi

started=$(date +%s)

ensure_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (install them as root)"
	log "apt-get install ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}
ensure_pkgs "${BUILD_DEPS[@]}"

# The temp dir sits next to the output so the final renames stay on one filesystem.
work=$(mktemp -d "$(dirname "$out")/.ferry-guest-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
cd "$work"

# apt-get download as root warns when its sandbox user cannot write here; we run it as root.
apt_download() { apt-get download -q -o APT::Sandbox::User=root "$@" >/dev/null; }

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'; }

newest_cloud_kernel() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -n1
}

kernel_pkg=$KERNEL_PKG
kernel_ver=$KERNEL_VERSION
if ! apt_download "$kernel_pkg=$kernel_ver" 2>/dev/null; then
	log "pinned $KERNEL_PKG=$KERNEL_VERSION unavailable; looking for the newest 6.1 cloud kernel"
	kernel_pkg=$(newest_cloud_kernel)
	if [ -z "$kernel_pkg" ]; then
		apt-get update -qq || true
		kernel_pkg=$(newest_cloud_kernel)
	fi
	[ -n "$kernel_pkg" ] || die "no linux-image-6.1.0-*-cloud-amd64 package known to apt"
	kernel_ver=$(candidate "$kernel_pkg")
	[ -n "$kernel_ver" ] && [ "$kernel_ver" != "(none)" ] || die "$kernel_pkg has no candidate version"
	log "using $kernel_pkg=$kernel_ver"
	apt_download "$kernel_pkg=$kernel_ver" || die "apt-get download $kernel_pkg=$kernel_ver failed"
fi

busybox_ver=$(candidate "$BUSYBOX_PKG")
if [ -z "$busybox_ver" ] || [ "$busybox_ver" = "(none)" ]; then
	apt-get update -qq || true
	busybox_ver=$(candidate "$BUSYBOX_PKG")
fi
[ -n "$busybox_ver" ] && [ "$busybox_ver" != "(none)" ] || die "$BUSYBOX_PKG has no candidate version"
apt_download "$BUSYBOX_PKG=$busybox_ver" || die "apt-get download $BUSYBOX_PKG=$busybox_ver failed"

mkdir pkg
for deb in ./*.deb; do dpkg-deb -x "$deb" pkg; done

kernel_image=$(find pkg/boot -maxdepth 1 -name 'vmlinuz-*' | head -n1)
[ -n "$kernel_image" ] || die "no boot/vmlinuz-* in $kernel_pkg"
kver=${kernel_image##*/vmlinuz-}
moddir=pkg/lib/modules/$kver

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,lib/modules,proc,sys,dev,run,tmp,etc}

# busybox insmod loads plain .ko files; Debian may ship them xz- or zstd-compressed.
for m in "${MODULES[@]}"; do
	src=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n1)
	[ -n "$src" ] || die "module $m not found in $kernel_pkg"
	case "$src" in
	*.ko) cp "$src" "$root/lib/modules/$m.ko" ;;
	*.xz) ensure_pkgs xz-utils && xz -dc "$src" >"$root/lib/modules/$m.ko" ;;
	*.zst) ensure_pkgs zstd && zstd -qdc "$src" >"$root/lib/modules/$m.ko" ;;
	*.gz) gzip -dc "$src" >"$root/lib/modules/$m.ko" ;;
	esac
done

# Applet links are made by /init at boot (one exec) rather than here (hundreds of forks).
cp pkg/bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

gcc -O2 -Wall -Wextra -Werror -static -s -o "$root/usr/bin/memload" "$here/memload.c"
gcc -O2 -Wall -Wextra -Werror -static -s -o "$root/usr/bin/statusd" "$here/statusd.c"

install -m 0755 "$here/init.sh" "$root/init"
echo "ferry-guest" >"$root/etc/hostname"
# The kernel opens /dev/console before /init runs; without the node it warns and init
# starts with no stdio (init.sh re-opens it after mounting devtmpfs anyway).
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -9 -n >"$work/initrd.img"
cp "$kernel_image" "$work/vmlinuz"

cat >"$work/manifest.txt" <<EOF
kernel_package=$kernel_pkg=$kernel_ver
kernel_release=$kver
busybox_package=$BUSYBOX_PKG=$busybox_ver
modules=${MODULES[*]}
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

# Drop the old hash first: an interrupted update must never look current. Each rename is
# atomic, so a reader sees either the old or the new file, never a partial one.
rm -f "$out/recipe.sha256"
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/initrd.img" "$out/initrd.img"
mv -f "$work/manifest.txt" "$out/manifest.txt"
echo "$recipe" >"$work/recipe.sha256"
mv -f "$work/recipe.sha256" "$out/recipe.sha256"

log "built in $(($(date +%s) - started)) s ($kernel_pkg=$kernel_ver, initrd $(du -k "$out/initrd.img" | cut -f1) KiB)"
print_paths
