#!/bin/sh
# /init of the Ferry lab guest (PID 1, busybox sh). Configuration comes from the kernel
# command line: ferry.ip=A.B.C.D/N [ferry.gw=A.B.C.D] ferry.hostname=NAME
# [ferry.fill_mb=N] [ferry.dirty_mbps=R]. Progress goes to the console (ttyS0) so a host
# can follow the boot by reading the serial log.
export PATH=/bin:/sbin:/usr/bin

/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
# The initramfs may lack /dev/console; make sure our output reaches the serial console.
exec </dev/console >/dev/console 2>&1

say() { echo "ferry-guest: $*"; }
fail() {
	say "error: $*"
	# Keep PID 1 alive (its exit would panic the kernel) so the console can be read.
	while :; do sleep 3600; done
}

say "booting"

for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
	insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done

ip= gw= hostname= fill_mb=0 dirty_mbps=0
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ferry.ip=*) ip=${arg#ferry.ip=} ;;
	ferry.gw=*) gw=${arg#ferry.gw=} ;;
	ferry.hostname=*) hostname=${arg#ferry.hostname=} ;;
	ferry.fill_mb=*) fill_mb=${arg#ferry.fill_mb=} ;;
	ferry.dirty_mbps=*) dirty_mbps=${arg#ferry.dirty_mbps=} ;;
	esac
done

# Values end up in JSON and shell commands: accept only the expected shapes.
echo "$ip" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$' || fail "bad or missing ferry.ip='$ip'"
[ -z "$gw" ] || echo "$gw" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}$' || fail "bad ferry.gw='$gw'"
echo "$hostname" | grep -Eq '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$' || fail "bad or missing ferry.hostname='$hostname'"
echo "$fill_mb" | grep -Eq '^[0-9]{1,6}$' || fail "bad ferry.fill_mb='$fill_mb'"
echo "$dirty_mbps" | grep -Eq '^[0-9]{1,5}$' || fail "bad ferry.dirty_mbps='$dirty_mbps'"
fill_mb=$((fill_mb + 0)) dirty_mbps=$((dirty_mbps + 0))

hostname "$hostname"

ip link set lo up
# virtio_net registers eth0 asynchronously after the PCI probe; wait for it (bounded).
i=0
while [ ! -e /sys/class/net/eth0 ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "eth0 did not appear"
	usleep 20000
done
ip addr add "$ip" dev eth0 || fail "cannot set $ip on eth0"
ip link set eth0 up || fail "cannot bring eth0 up"
if [ -n "$gw" ]; then
	ip route add default via "$gw" dev eth0 || fail "cannot add default route via $gw"
fi

mkdir -p /run/ferry
boot_id=$(cat /proc/sys/kernel/random/uuid)
echo "$boot_id" >/run/ferry/boot_id
echo 0 >/run/ferry/requests
cat >/run/ferry/config <<EOF
hostname=$hostname
ip=${ip%/*}
fill_mb=$fill_mb
dirty_mbps=$dirty_mbps
EOF

# busybox wget is unusable here: the static build crashes in glibc's service lookup.
http_ping() { printf 'GET /ping HTTP/1.0\r\n\r\n' | nc -w 2 127.0.0.1 80 2>/dev/null | grep -q '^pong'; }

statusd 80 /run/ferry &
statusd_pid=$!
i=0
until http_ping; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "statusd did not answer on port 80"
	kill -0 "$statusd_pid" 2>/dev/null || fail "statusd exited"
	usleep 50000
done

if [ "$fill_mb" -gt 0 ]; then
	memload "$fill_mb" "$dirty_mbps" &
	echo $! >/run/ferry/memload.pid
fi

say "ready ip=${ip%/*} hostname=$hostname boot_id=$boot_id fill_mb=$fill_mb dirty_mbps=$dirty_mbps"

# PID 1 duties: reap every exited child (ash's wait collects any pid, not only its jobs),
# and bring statusd back if it ever dies (it resumes the counter from /run/ferry/requests).
while :; do
	sleep 10 &
	wait $!
	if ! kill -0 "$statusd_pid" 2>/dev/null; then
		say "statusd exited, restarting"
		statusd 80 /run/ferry &
		statusd_pid=$!
	fi
done
