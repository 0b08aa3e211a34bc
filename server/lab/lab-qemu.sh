#!/bin/bash
# The lab's QEMU, for libvirt and plain-QEMU (QMP) hosts alike: the real qemu-system-x86_64 with
# two changes.
#
# 1. Guest RAM 8 KiB larger than libvirt asks for. QEMU 7.2 under TCG loses guest writes during
# a migration when the RAM block's length is a multiple of 256 KiB (its dirty-bitmap fast path
# clears the migration's dirty bits without resetting TCG's "notdirty" TLB state; see
# server/lab/guest/README.md), and libvirt always rounds guest memory to whole MiB. Every host of
# the lab runs the same file, so both ends of a migration agree on the block's size. The QMP
# driver already asks for the odd size itself ("-m NNNk"), which passes through unchanged, as
# does every other argument.
#
# 2. No transparent huge pages (PR_SET_THP_DISABLE, kept across exec). This machine hands free
# 2 MiB blocks back to its own host (virtio-balloon free page reporting), and a huge page first
# touched after that costs about six times what the same memory costs in 4 KiB pages: 256 MiB
# took 554-675 ms, against 83-104 ms in small pages, and 12-17 ms when the huge pages had just
# been freed by another process. A migration's destination loads the guest into freshly faulted
# memory, so with huge pages the same transfer took 130-560 ms depending on which blocks the
# allocator had at hand. In small pages it is steady (root README, "Migration gap").
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
case $(uname -m) in
  x86_64) prctl=157 ;;
  aarch64) prctl=167 ;;
  *) prctl="" ;;
esac
if [ -n "$prctl" ]; then
  # 41 = PR_SET_THP_DISABLE. perl-base is in every Debian system; its syscall() reaches prctl.
  exec perl -e 'syscall($ARGV[0], 41, 1, 0, 0, 0) == 0 or warn "ferry lab qemu: PR_SET_THP_DISABLE: $!\n"; shift; exec { $ARGV[0] } @ARGV or die "ferry lab qemu: exec $ARGV[0]: $!\n"' "$prctl" "$real" "${args[@]}"
fi
echo "ferry lab qemu: cannot disable transparent huge pages on $(uname -m); QEMU keeps them" >&2
exec "$real" "${args[@]}"
