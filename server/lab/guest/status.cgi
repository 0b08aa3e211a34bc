#!/bin/sh
# GET / of the guest: a JSON status document. "requests" counts calls of this script since
# boot; with boot_id it lets a host tell "same VM still running" from "rebooted".
export PATH=/bin:/sbin:/usr/bin
state=/run/ferry

# busybox has no flock(1); mkdir is atomic, so it serves as the lock around the counter.
# Bounded: a lock left by a killed request is broken after ~2 s; never wait more than ~4 s.
locked=false
i=0
while [ $i -lt 400 ]; do
	if mkdir "$state/lock" 2>/dev/null; then
		locked=true
		break
	fi
	i=$((i + 1))
	[ $i -eq 200 ] && rmdir "$state/lock" 2>/dev/null
	usleep 10000
done
n=$(($(cat "$state/requests") + 1))
echo "$n" >"$state/requests.tmp"
mv "$state/requests.tmp" "$state/requests"
$locked && rmdir "$state/lock"

. "$state/config"
boot_id=$(cat "$state/boot_id")
read -r up _ </proc/uptime
mem_used_kb=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo)
memload_running=false memload_rss_kb=0
if [ -f "$state/memload.pid" ]; then
	pid=$(cat "$state/memload.pid")
	# A dead memload stays a zombie until PID 1 reaps it; zombies have no VmRSS line.
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	if [ -n "$rss" ]; then
		memload_running=true memload_rss_kb=$rss
	fi
fi

printf 'Content-Type: application/json\r\nCache-Control: no-store\r\n\r\n'
printf '{"hostname":"%s","boot_id":"%s","requests":%d,"uptime_s":%s,"ip":"%s","fill_mb":%d,"dirty_mbps":%d,"mem_used_kb":%d,"memload_running":%s,"memload_rss_kb":%d}\n' \
	"$hostname" "$boot_id" "$n" "$up" "$ip" "$fill_mb" "$dirty_mbps" "$mem_used_kb" "$memload_running" "$memload_rss_kb"
