#!/bin/sh
# Starts one lab host's libvirtd. Runs as PID 1 of fresh mount, UTS and PID namespaces inside
# the host's network namespace:
#   ip netns exec NS unshare --mount --uts --pid --fork --kill-child --mount-proc \
#     --propagation private sh start.sh LIBVIRT_DIR OVS_RUN_DIR HOSTNAME
# The bind mounts give this host's libvirtd its own /etc, /run, /var/lib, /var/log and
# /var/cache libvirt trees and this host's Open vSwitch; nothing propagates back to the
# machine. Killing the unshare process SIGKILLs this shell, and with PID 1 gone the kernel
# kills every QEMU the daemon started, so no guest outlives its host.
# libvirtd dying on its own (a crash, SIGKILL) ends neither this shell nor the guests, as on a
# real host; SIGUSR1 then starts it again here, in the same namespaces, and it takes the running
# guests back (Lab.restartLibvirtd).
set -eu

dir=$1 ovs=$2 name=$3

for d in etc run lib log cache; do
	[ -d "$dir/$d" ] || { echo "start.sh: $dir/$d is missing (prepareLibvirtHost first)" >&2; exit 1; }
done
[ -S "$ovs/db.sock" ] || { echo "start.sh: no Open vSwitch database socket in $ovs" >&2; exit 1; }

bind() {
	mkdir -p "$2"
	mount --bind "$1" "$2"
}
bind "$dir/etc" /etc/libvirt
bind "$dir/run" /run/libvirt
bind "$dir/lib" /var/lib/libvirt
bind "$dir/log" /var/log/libvirt
bind "$dir/cache" /var/cache/libvirt
# libvirt runs plain `ovs-vsctl` for <virtualport type='openvswitch'/>, which talks to
# /run/openvswitch/db.sock.
bind "$ovs" /run/openvswitch

# Migration refuses a destination with the source's hostname. libvirt also resolves it; the
# host's own hosts file answers that without a DNS query from the namespace.
hostname "$name"
[ -f "$dir/hosts" ] && mount --bind "$dir/hosts" /etc/hosts

start_daemon() {
	libvirtd --listen --config "$dir/etc/libvirtd.conf" --pid-file "$dir/run/libvirtd.pid" &
	daemon=$!
}
stopping=0 restart=0
trap 'stopping=1; kill -TERM "$daemon" 2>/dev/null || :' TERM INT
trap 'restart=1' USR1
start_daemon
# As PID 1 this shell adopts every QEMU (libvirt double-forks them); ash's wait reaps any
# child, so exited guests do not linger as zombies that libvirt would keep waiting for.
while :; do
	if kill -0 "$daemon" 2>/dev/null; then
		wait || :
	elif [ "$stopping" = 1 ]; then
		break
	elif [ "$restart" = 1 ]; then
		restart=0
		start_daemon
	else
		# No daemon: the guests run on; wake each second to reap them and to see a signal.
		sleep 1 &
		wait $! || :
	fi
done
