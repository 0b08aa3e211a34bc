#!/bin/bash
# The lab's QEMU for libvirt guests: the real qemu-system-x86_64 with the guest's RAM made 8 KiB
# larger than libvirt asks for. QEMU 7.2 under TCG loses guest writes during a migration when the
# RAM block's length is a multiple of 256 KiB (its dirty-bitmap fast path clears the migration's
# dirty bits without resetting TCG's "notdirty" TLB state; see server/lab/guest/README.md), and
# libvirt always rounds guest memory to whole MiB. Every host of the lab runs the same file, so
# both ends of a migration agree on the block's size. Anything else passes through unchanged.
set -u
real=${FERRY_LAB_QEMU:-/usr/bin/qemu-system-x86_64}
args=()
prev=""
for a in "$@"; do
  orig=$a
  if [ "$prev" = "-m" ] && [[ $a =~ ^[0-9]+$ ]]; then
    # -m in MiB, as libvirt writes it.
    a="$((a * 1024 + 8))k"
  elif [[ $a =~ ^(.*\"id\":\"pc\.ram\".*\"size\":)([0-9]+)(.*)$ ]]; then
    # The main memory backend, as libvirt 9 passes it (JSON -object).
    a="${BASH_REMATCH[1]}$((BASH_REMATCH[2] + 8192))${BASH_REMATCH[3]}"
  fi
  args+=("$a")
  prev=$orig
done
exec "$real" "${args[@]}"
