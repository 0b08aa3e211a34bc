/*
 * statusd: the lab guest's HTTP service, one process and no fork per connection.
 *
 *   statusd <port> <state_dir>
 *
 * GET /      JSON status: hostname, boot id, request counter, uptime, memory, memload.
 * GET /ping  "pong" (not counted).
 *
 * Why not busybox httpd + a CGI script: on an emulated (TCG) guest a fork and exec per
 * connection costs tens of milliseconds, and hundreds right after a live migration (the
 * destination's translation cache is cold). The service's answer time would then hide the
 * network's behaviour that the lab exists to show.
 *
 * The counter is kept in memory and mirrored to <state_dir>/requests, so a restarted
 * statusd carries on counting under the same boot id. HTTP/1.0 only: every answer closes
 * its connection. Bounded: at most MAX_CONNS connections, 4 KiB per request, 5 s each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define REQ_MAX 4096
#define CONN_TIMEOUT_MS 5000

struct conn {
	int fd;
	long long since_ms;
	size_t got;
	char req[REQ_MAX];
	size_t out_len, out_off;
	char out[2048];
};

static struct conn conns[MAX_CONNS];
static const char *state_dir;
static char hostname[64], ip[32], boot_id[64];
static long fill_mb, dirty_mbps;
static unsigned long long requests;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a small file whole into buf (NUL-terminated); returns its length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

static void state_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", state_dir, name);
}

/* Copies the first line of s into dst, keeping only characters safe inside a JSON string. */
static void copy_token(char *dst, size_t size, const char *s)
{
	size_t n = 0;
	for (; *s && *s != '\n' && n + 1 < size; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.')
			dst[n++] = *s;
	dst[n] = '\0';
}

static void load_state(void)
{
	char path[512], buf[1024];
	state_path(path, sizeof path, "config");
	if (read_file(path, buf, sizeof buf) >= 0) {
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			if (!strncmp(line, "hostname=", 9))
				copy_token(hostname, sizeof hostname, line + 9);
			else if (!strncmp(line, "ip=", 3))
				copy_token(ip, sizeof ip, line + 3);
			else if (!strncmp(line, "fill_mb=", 8))
				fill_mb = strtol(line + 8, NULL, 10);
			else if (!strncmp(line, "dirty_mbps=", 11))
				dirty_mbps = strtol(line + 11, NULL, 10);
		}
	}
	state_path(path, sizeof path, "boot_id");
	if (read_file(path, buf, sizeof buf) >= 0)
		copy_token(boot_id, sizeof boot_id, buf);
	state_path(path, sizeof path, "requests");
	if (read_file(path, buf, sizeof buf) >= 0)
		requests = strtoull(buf, NULL, 10);
}

/* Mirrors the counter to the state dir; rename makes the update atomic for readers. */
static void save_requests(void)
{
	char path[512], tmp[520], buf[32];
	state_path(path, sizeof path, "requests");
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	int n = snprintf(buf, sizeof buf, "%llu\n", requests);
	ssize_t w = write(fd, buf, (size_t)n);
	close(fd);
	if (w == n)
		rename(tmp, path);
}

/* "Key:   123 kB" → 123 from a /proc status-style text; -1 if absent. */
static long proc_field_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (!p)
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

static int status_json(char *out, size_t size)
{
	char buf[4096], path[512], uptime[32] = "0";
	if (read_file("/proc/uptime", buf, sizeof buf) > 0) {
		buf[strcspn(buf, " ")] = '\0';
		copy_token(uptime, sizeof uptime, buf);
		if (!uptime[0])
			strcpy(uptime, "0");
	}
	long mem_used_kb = 0;
	if (read_file("/proc/meminfo", buf, sizeof buf) > 0) {
		long total = proc_field_kb(buf, "MemTotal:"), avail = proc_field_kb(buf, "MemAvailable:");
		if (total >= 0 && avail >= 0)
			mem_used_kb = total - avail;
	}
	/* memload starts after statusd, so its pid file is read on every request. A dead
	 * memload stays a zombie until PID 1 reaps it, and zombies have no VmRSS line. */
	long rss_kb = -1;
	state_path(path, sizeof path, "memload.pid");
	if (read_file(path, buf, sizeof buf) > 0) {
		long pid = strtol(buf, NULL, 10);
		if (pid > 0) {
			snprintf(path, sizeof path, "/proc/%ld/status", pid);
			if (read_file(path, buf, sizeof buf) > 0)
				rss_kb = proc_field_kb(buf, "VmRSS:");
		}
	}
	return snprintf(out, size,
			"{\"hostname\":\"%s\",\"boot_id\":\"%s\",\"requests\":%llu,\"uptime_s\":%s,\"ip\":\"%s\","
			"\"fill_mb\":%ld,\"dirty_mbps\":%ld,\"mem_used_kb\":%ld,\"memload_running\":%s,\"memload_rss_kb\":%ld}\n",
			hostname, boot_id, requests, uptime, ip, fill_mb, dirty_mbps, mem_used_kb,
			rss_kb >= 0 ? "true" : "false", rss_kb >= 0 ? rss_kb : 0);
}

static void respond(struct conn *c, const char *status, const char *type, const char *body, int head_only)
{
	int n = snprintf(c->out, sizeof c->out,
			 "HTTP/1.0 %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 status, type, strlen(body), head_only ? "" : body);
	c->out_len = n < 0 ? 0 : ((size_t)n < sizeof c->out ? (size_t)n : sizeof c->out - 1);
	c->out_off = 0;
}

/* Answers a complete request head held in c->req. */
static void handle(struct conn *c)
{
	char method[8] = "", target[256] = "", version[16] = "";
	if (sscanf(c->req, "%7s %255s %15s", method, target, version) != 3 || strncmp(version, "HTTP/", 5)) {
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 0);
		return;
	}
	int head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		respond(c, "405 Method Not Allowed", "text/plain", "only GET and HEAD\n", 0);
		return;
	}
	char *query = strchr(target, '?');
	if (query)
		*query = '\0';
	if (!strcmp(target, "/ping")) {
		respond(c, "200 OK", "text/plain", "pong\n", head);
	} else if (!strcmp(target, "/")) {
		char body[1024];
		if (!head) {
			requests++;
			save_requests();
		}
		status_json(body, sizeof body);
		respond(c, "200 OK", "application/json", body, head);
	} else {
		respond(c, "404 Not Found", "text/plain", "not found\n", 0);
	}
}

static void drop(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Reads what is available; answers once the head is complete. Returns 0 to drop. */
static int on_readable(struct conn *c)
{
	for (;;) {
		if (c->got + 1 >= sizeof c->req) {
			respond(c, "431 Request Header Fields Too Large", "text/plain", "request too large\n", 0);
			return 1;
		}
		ssize_t r = read(c->fd, c->req + c->got, sizeof c->req - 1 - c->got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (r <= 0)
			return 0;
		c->got += (size_t)r;
		c->req[c->got] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
			handle(c);
			return 1;
		}
	}
}

/* Writes what it can of the answer. Returns 0 when done (or failed): drop the connection. */
static int on_writable(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (w <= 0)
			return 0;
		c->out_off += (size_t)w;
	}
	shutdown(c->fd, SHUT_WR);
	return 0;
}

/* Moves a connection on as far as it can: read the request, then write the answer. 0: drop it. */
static int serve(struct conn *c)
{
	if (!c->out_len && !on_readable(c))
		return 0;
	return c->out_len ? on_writable(c) : 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: statusd <port> <state_dir>\n");
		return 2;
	}
	long port = strtol(argv[1], NULL, 10);
	if (port < 1 || port > 65535) {
		fprintf(stderr, "statusd: bad port %s\n", argv[1]);
		return 2;
	}
	state_dir = argv[2];
	signal(SIGPIPE, SIG_IGN);
	load_state();

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
		perror("statusd: socket");
		return 1;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr = { htonl(INADDR_ANY) } };
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 128) < 0) {
		perror("statusd: bind/listen");
		return 1;
	}
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;

	struct pollfd pfd[MAX_CONNS + 1];
	int who[MAX_CONNS + 1];
	for (;;) {
		int n = 0, open_conns = 0;
		long long t = now_ms();
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0)
				continue;
			if (t - c->since_ms > CONN_TIMEOUT_MS) {
				drop(c);
				continue;
			}
			open_conns++;
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = c->out_len ? POLLOUT : POLLIN };
			who[n++] = i;
		}
		/* With every slot taken, new connections wait in the listen backlog. */
		if (open_conns < MAX_CONNS) {
			pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
			who[n++] = -1;
		}
		if (poll(pfd, (nfds_t)n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("statusd: poll");
			return 1;
		}
		for (int k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (who[k] < 0) {
				for (;;) {
					int i = 0;
					while (i < MAX_CONNS && conns[i].fd >= 0)
						i++;
					if (i == MAX_CONNS)
						break;
					int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0)
						break;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					conns[i] = (struct conn){ .fd = fd, .since_ms = now_ms() };
					/* Most requests are already here: answer without another poll round. */
					if (!serve(&conns[i]))
						drop(&conns[i]);
				}
				continue;
			}
			struct conn *c = &conns[who[k]];
			if (c->fd < 0)
				continue;
			if (!serve(c))
				drop(c);
		}
	}
}
