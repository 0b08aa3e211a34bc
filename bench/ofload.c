/*
 * ofload: OpenFlow 1.0 / 1.3 load generator for the controller benchmark.
 *
 * Two roles in one binary:
 *   ofload gen   ...  N emulated switches connect to a controller, do the switch side of the
 *                     handshake and then send PACKET_INs, counting FLOW_MOD and PACKET_OUT answers.
 *   ofload null  ...  a "null" controller that answers every PACKET_IN at once with canned
 *                     messages; measuring the generator against it gives the generator's ceiling.
 *
 * Single-threaded, epoll, non-blocking sockets. Results are printed as one JSON line on stdout;
 * diagnostics go to stderr. Every loop is bounded in time (a hard deadline) and in count.
 *
 * Traffic model (gen): every switch has H "sender" hosts (MAC 02:00:SS:SS:00:hh, switch index SS,
 * host index hh) spread over P ports (host h sits on port 1 + h % P) and S "silent" hosts
 * (02:00:SS:SS:01:ss) that never send. PACKET_IN k of a switch carries a frame from sender
 * k % H; one packet in four goes to a silent host (unknown destination: the controller must
 * flood, forever), the other three to another sender on a different port (a known destination
 * once that sender has been seen: the controller must install a flow and send the packet out).
 * Every PACKET_IN is answered by exactly one PACKET_OUT in a learning controller, so PACKET_OUTs
 * complete round trips; FLOW_MODs are counted as answers too. Frames carry a per-connection
 * sequence number in the UDP payload, which the PACKET_OUT echoes back (buffer_id is NO_BUFFER),
 * so each answer is matched to its PACKET_IN for latency.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OFP10 0x01
#define OFP13 0x04

/* message types shared by 1.0 and 1.3 */
#define T_HELLO 0
#define T_ERROR 1
#define T_ECHO_REQUEST 2
#define T_ECHO_REPLY 3
#define T_FEATURES_REQUEST 5
#define T_FEATURES_REPLY 6
#define T_GET_CONFIG_REQUEST 7
#define T_GET_CONFIG_REPLY 8
#define T_SET_CONFIG 9
#define T_PACKET_IN 10
#define T_PACKET_OUT 13
#define T_FLOW_MOD 14
/* 1.0 */
#define T10_STATS_REQUEST 16
#define T10_STATS_REPLY 17
#define T10_BARRIER_REQUEST 18
#define T10_BARRIER_REPLY 19
/* 1.3 */
#define T13_MULTIPART_REQUEST 18
#define T13_MULTIPART_REPLY 19
#define T13_BARRIER_REQUEST 20
#define T13_BARRIER_REPLY 21
#define T13_ROLE_REQUEST 24
#define T13_ROLE_REPLY 25
#define T13_GET_ASYNC_REQUEST 26
#define T13_GET_ASYNC_REPLY 27

#define NO_BUFFER 0xffffffffu
#define MAX_CONNS 256
#define MAX_MSG 65535
#define RBUF_SIZE (256 * 1024)
#define SEQ_RING 8192 /* > any window */
#define FRAME_LEN 60
#define SEQ_OFF 42 /* UDP payload: seq (4 bytes), then switch index (2 bytes) */
#define N_PORTS 4
#define MAX_SAMPLES (4 * 1024 * 1024)

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ── connection buffers ─────────────────────────────────────────────────────────────────── */
typedef struct {
  int fd;
  int idx;
  int open;
  uint8_t *rbuf;
  size_t rlen;
  uint8_t *wbuf;
  size_t wcap, wlen, woff;
  int want_out;
  /* switch side */
  int got_hello;
  int features_sent;
  uint64_t last_ctrl_msg_ns;
  int ready;
  uint32_t next_xid;
  uint64_t k; /* packets sent on this connection (drives the traffic model) */
  uint32_t outstanding;
  uint64_t last_progress_ns;
  uint64_t sent_at[SEQ_RING];
  uint8_t live[SEQ_RING];
  /* controller side (null peer) */
  uint32_t ctl_xid;
} conn_t;

static conn_t *conns[MAX_CONNS];
static int n_conns = 0;
static int g_epfd = -1;
static int g_version = OFP10;

static void die(const char *what) {
  fprintf(stderr, "ofload: %s: %s\n", what, strerror(errno));
  exit(2);
}

static conn_t *conn_new(int fd, int idx) {
  conn_t *c = calloc(1, sizeof *c);
  if (!c) die("calloc");
  c->fd = fd;
  c->idx = idx;
  c->open = 1;
  c->rbuf = malloc(RBUF_SIZE);
  c->wcap = 256 * 1024;
  c->wbuf = malloc(c->wcap);
  if (!c->rbuf || !c->wbuf) die("malloc");
  c->next_xid = 1;
  c->ctl_xid = 1;
  return c;
}

static void set_events(conn_t *c, int want_out) {
  if (!c->open || want_out == c->want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(g_epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl mod");
  c->want_out = want_out;
}

static void conn_close(conn_t *c, const char *why) {
  if (!c->open) return;
  if (why) fprintf(stderr, "ofload: connection %d closed: %s\n", c->idx, why);
  epoll_ctl(g_epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->open = 0;
}

/* Reserve n bytes at the end of the write buffer. */
static uint8_t *wreserve(conn_t *c, size_t n) {
  if (c->woff > 0 && c->woff == c->wlen) c->woff = c->wlen = 0;
  if (c->wlen + n > c->wcap) {
    if (c->woff > 0) {
      memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
      c->wlen -= c->woff;
      c->woff = 0;
    }
    if (c->wlen + n > c->wcap) {
      size_t cap = c->wcap;
      while (c->wlen + n > cap) cap *= 2;
      if (cap > (64u << 20)) {
        errno = ENOBUFS;
        die("write buffer over 64 MiB (peer not reading)");
      }
      c->wbuf = realloc(c->wbuf, cap);
      if (!c->wbuf) die("realloc");
      c->wcap = cap;
    }
  }
  uint8_t *p = c->wbuf + c->wlen;
  c->wlen += n;
  return p;
}

static uint8_t *msg_begin(conn_t *c, uint8_t type, uint16_t len, uint32_t xid) {
  uint8_t *p = wreserve(c, len);
  memset(p, 0, len);
  p[0] = (uint8_t)g_version;
  p[1] = type;
  put16(p + 2, len);
  put32(p + 4, xid);
  return p;
}

static void conn_flush(conn_t *c) {
  int spins = 0;
  while (c->open && c->woff < c->wlen && spins++ < 64) {
    ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
    if (n > 0) {
      c->woff += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    conn_close(c, n == 0 ? "send returned 0" : strerror(errno));
    return;
  }
  if (c->woff == c->wlen) c->woff = c->wlen = 0;
  set_events(c, c->woff < c->wlen);
}

/* ── options ────────────────────────────────────────────────────────────────────────────── */
typedef struct {
  const char *role;
  const char *host;
  int port;
  int switches;
  int latency; /* 1: one outstanding PACKET_IN per switch */
  int window;
  int hosts;
  int silent;
  double warmup_s, measure_s;
  double connect_timeout_s;
  double settle_s;
  double stall_ms;
  double max_run_s; /* null peer: exit after this long */
} opts_t;

__attribute__((noreturn)) static void usage(void) {
  fprintf(stderr,
          "usage: ofload gen  --port P [--host 127.0.0.1] [--of 1.0|1.3] [--switches N] [--mode throughput|latency]\n"
          "                   [--window W] [--hosts H] [--silent S] [--warmup S] [--seconds S]\n"
          "       ofload null --port P [--of 1.0|1.3] [--max-run S]\n");
  exit(2);
}

static void parse_opts(int argc, char **argv, opts_t *o) {
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->switches = 16;
  o->window = 64;
  o->hosts = 64;
  o->silent = 16;
  o->warmup_s = 2;
  o->measure_s = 5;
  o->connect_timeout_s = 15;
  o->settle_s = 0.3;
  o->stall_ms = -1; /* default: 2000 ms (throughput), 1000 ms (latency) */
  o->max_run_s = 600;
  if (argc < 2) usage();
  o->role = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(a, "--host")) o->host = v;
    else if (!strcmp(a, "--port")) o->port = atoi(v);
    else if (!strcmp(a, "--switches")) o->switches = atoi(v);
    else if (!strcmp(a, "--of")) g_version = !strcmp(v, "1.3") ? OFP13 : OFP10;
    else if (!strcmp(a, "--mode")) o->latency = !strcmp(v, "latency");
    else if (!strcmp(a, "--window")) o->window = atoi(v);
    else if (!strcmp(a, "--hosts")) o->hosts = atoi(v);
    else if (!strcmp(a, "--silent")) o->silent = atoi(v);
    else if (!strcmp(a, "--warmup")) o->warmup_s = atof(v);
    else if (!strcmp(a, "--seconds")) o->measure_s = atof(v);
    else if (!strcmp(a, "--connect-timeout")) o->connect_timeout_s = atof(v);
    else if (!strcmp(a, "--settle")) o->settle_s = atof(v);
    else if (!strcmp(a, "--stall-ms")) o->stall_ms = atof(v);
    else if (!strcmp(a, "--max-run")) o->max_run_s = atof(v);
    else usage();
    i++;
  }
  if (o->port <= 0 || o->port > 65535) usage();
  if (o->switches < 1 || o->switches > MAX_CONNS) usage();
  if (o->window < 1 || o->window > SEQ_RING / 2) usage();
  if (o->hosts < 2 * N_PORTS || o->hosts > 256 || o->hosts % N_PORTS) {
    fprintf(stderr, "ofload: --hosts must be a multiple of %d in [%d, 256]\n", N_PORTS, 2 * N_PORTS);
    exit(2);
  }
  if (o->silent < 1 || o->silent > 256) usage();
  if (o->latency) o->window = 1;
  if (o->stall_ms < 0) o->stall_ms = o->latency ? 1000 : 2000;
}

/* ── switch side (generator) ────────────────────────────────────────────────────────────── */
typedef struct {
  uint64_t packet_ins, answers, flow_mods, packet_outs, floods, unicast_outs, lost, errors, unmatched;
  uint64_t *samples;
  size_t n_samples;
} stats_t;

static stats_t st;
static int measuring = 0;

static void gen_send_hello(conn_t *c) { msg_begin(c, T_HELLO, 8, c->next_xid++); }

static void put_mac(uint8_t *p, int sw, int kind, int h) {
  p[0] = 0x02;
  p[1] = 0x00;
  p[2] = (uint8_t)(sw >> 8);
  p[3] = (uint8_t)sw;
  p[4] = (uint8_t)kind;
  p[5] = (uint8_t)h;
}

static void gen_features_reply(conn_t *c, uint32_t xid) {
  uint64_t dpid = 0x0000fe0000000000ull | (uint64_t)(c->idx + 1);
  if (g_version == OFP10) {
    uint16_t len = (uint16_t)(32 + 48 * N_PORTS);
    uint8_t *p = msg_begin(c, T_FEATURES_REPLY, len, xid);
    put64(p + 8, dpid);
    put32(p + 16, 256);       /* n_buffers */
    p[20] = 1;                /* n_tables */
    put32(p + 24, 0x000000c7); /* capabilities */
    put32(p + 28, 0x00000fff); /* actions */
    for (int i = 0; i < N_PORTS; i++) {
      uint8_t *q = p + 32 + 48 * i;
      put16(q, (uint16_t)(i + 1));
      put_mac(q + 2, c->idx, 0xee, i + 1);
      snprintf((char *)q + 8, 16, "s%u-eth%u", (unsigned)(c->idx + 1) & 0xffu, (unsigned)(i + 1) & 0xfu);
      put32(q + 32, 0x00000082); /* curr: 10GB FD + copper */
    }
  } else {
    uint8_t *p = msg_begin(c, T_FEATURES_REPLY, 32, xid);
    put64(p + 8, dpid);
    put32(p + 16, 256);
    p[20] = 254;
    put32(p + 24, 0x0000004f);
  }
}

/* Stats (1.0) / multipart (1.3) reply: empty bodies except where the type has a fixed body. */
static void gen_stats_reply(conn_t *c, uint32_t xid, uint16_t kind) {
  size_t body = 0;
  int ports = 0;
  if (kind == 0) body = 1056;                                 /* desc */
  else if (kind == 2) body = 24;                              /* aggregate */
  else if (g_version == OFP13 && kind == 8) body = 40;        /* group features */
  else if (g_version == OFP13 && kind == 11) body = 16;       /* meter features */
  else if (g_version == OFP13 && kind == 13) ports = N_PORTS; /* port desc */
  body += (size_t)ports * 64;
  uint16_t hdr = g_version == OFP10 ? 12 : 16;
  uint8_t type = g_version == OFP10 ? T10_STATS_REPLY : T13_MULTIPART_REPLY;
  uint8_t *p = msg_begin(c, type, (uint16_t)(hdr + body), xid);
  put16(p + 8, kind);
  if (kind == 0) {
    snprintf((char *)p + hdr, 256, "ferry-bench");
    snprintf((char *)p + hdr + 256, 256, "ofload emulated switch");
  }
  for (int i = 0; i < ports; i++) {
    uint8_t *q = p + hdr + 64 * i;
    put32(q, (uint32_t)(i + 1));
    put_mac(q + 8, c->idx, 0xee, i + 1);
    snprintf((char *)q + 16, 16, "s%u-eth%u", (unsigned)(c->idx + 1) & 0xffu, (unsigned)(i + 1) & 0xfu);
    put32(q + 40, 0x00000082);
    put32(q + 56, 10000000); /* curr_speed kbps */
    put32(q + 60, 10000000);
  }
}

/* Appends PACKET_IN number c->k of this switch. */
static void gen_packet_in(conn_t *c, const opts_t *o) {
  uint64_t k = c->k++;
  int H = o->hosts;
  int src = (int)(k % (uint64_t)H);
  int to_silent = (k & 3) == 3;
  int dst;
  if (to_silent) {
    dst = (int)((k >> 2) % (uint64_t)o->silent);
  } else {
    int d = 1 + (int)((k / (uint64_t)H) % (uint64_t)(H - 1));
    if (d % N_PORTS == 0) d++;
    dst = (src + d) % H;
  }
  uint16_t in_port = (uint16_t)(1 + src % N_PORTS);
  uint32_t seq = (uint32_t)k;

  uint16_t off = g_version == OFP10 ? 18 : 42;
  uint8_t *p = msg_begin(c, T_PACKET_IN, (uint16_t)(off + FRAME_LEN), c->next_xid++);
  put32(p + 8, NO_BUFFER);
  put16(p + 12, FRAME_LEN);
  if (g_version == OFP10) {
    put16(p + 14, in_port);
    p[16] = 0; /* reason: no match */
  } else {
    p[14] = 0; /* reason */
    p[15] = 0; /* table */
    /* cookie 0; match: OXM, length 12 (in_port), padded to 16 */
    put16(p + 24, 1);
    put16(p + 26, 12);
    put32(p + 28, 0x80000004);
    put32(p + 32, in_port);
    /* 4 bytes match padding, then 2 bytes pad */
  }
  uint8_t *f = p + off;
  put_mac(f, c->idx, to_silent ? 1 : 0, dst);
  put_mac(f + 6, c->idx, 0, src);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14;
  ip[0] = 0x45;
  put16(ip + 2, FRAME_LEN - 14);
  ip[8] = 64;
  ip[9] = 17;
  put32(ip + 12, 0x0a000000u | ((uint32_t)c->idx << 8) | (uint32_t)src);
  put32(ip + 16, 0x0a000000u | ((uint32_t)c->idx << 8) | (uint32_t)dst | (to_silent ? 0x00800000u : 0));
  uint8_t *udp = ip + 20;
  put16(udp, 5000);
  put16(udp + 2, 6000);
  put16(udp + 4, FRAME_LEN - 34);
  put32(f + SEQ_OFF, seq);
  put16(f + SEQ_OFF + 4, (uint16_t)c->idx);

  uint32_t slot = seq % SEQ_RING;
  c->sent_at[slot] = now_ns();
  c->live[slot] = 1;
  c->outstanding++;
  if (measuring) st.packet_ins++;
}

static void gen_top_up(conn_t *c, const opts_t *o) {
  if (!c->open || !c->ready || g_stop) return;
  int n = 0;
  while (c->outstanding < (uint32_t)o->window && n++ < o->window) gen_packet_in(c, o);
}

static void gen_on_packet_out(conn_t *c, const uint8_t *m, uint16_t len) {
  uint16_t actions_len, hdr;
  if (g_version == OFP10) {
    if (len < 16) return;
    actions_len = get16(m + 14);
    hdr = 16;
  } else {
    if (len < 24) return;
    actions_len = get16(m + 16);
    hdr = 24;
  }
  size_t data_off = (size_t)hdr + actions_len;
  /* Flood or unicast: first output action's port. */
  if (actions_len >= 8) {
    const uint8_t *a = m + hdr;
    uint32_t port = g_version == OFP10 ? get16(a + 4) : get32(a + 4);
    int flood = g_version == OFP10 ? (port == 0xfffb || port == 0xfffc) : (port == 0xfffffffbu || port == 0xfffffffcu);
    if (measuring) {
      if (flood) st.floods++;
      else st.unicast_outs++;
    }
  }
  if (c->outstanding > 0) c->outstanding--;
  c->last_progress_ns = now_ns();
  if (data_off + SEQ_OFF + 6 > len) {
    if (measuring) st.unmatched++;
    return;
  }
  const uint8_t *f = m + data_off;
  uint32_t seq = get32(f + SEQ_OFF);
  uint32_t slot = seq % SEQ_RING;
  if (get16(f + SEQ_OFF + 4) != (uint16_t)c->idx || !c->live[slot]) {
    if (measuring) st.unmatched++;
    return;
  }
  c->live[slot] = 0;
  if (measuring && st.n_samples < MAX_SAMPLES) st.samples[st.n_samples++] = c->last_progress_ns - c->sent_at[slot];
}

static void gen_on_msg(conn_t *c, const uint8_t *m, uint16_t len, const opts_t *o) {
  uint8_t type = m[1];
  uint32_t xid = get32(m + 4);
  if (m[0] != g_version && type != T_HELLO && type != T_ERROR) {
    fprintf(stderr, "ofload: switch %d got version %u type %u, expected version %u\n", c->idx, m[0], type, g_version);
    conn_close(c, "version mismatch");
    return;
  }
  if (!c->ready) c->last_ctrl_msg_ns = now_ns();
  switch (type) {
  case T_HELLO:
    c->got_hello = 1;
    return;
  case T_ERROR:
    st.errors++;
    if (st.errors <= 3)
      fprintf(stderr, "ofload: switch %d got ERROR type %u code %u\n", c->idx, len >= 12 ? get16(m + 8) : 0, len >= 12 ? get16(m + 10) : 0);
    return;
  case T_ECHO_REQUEST: {
    uint8_t *p = msg_begin(c, T_ECHO_REPLY, len, xid);
    memcpy(p + 8, m + 8, len - 8u);
    return;
  }
  case T_FEATURES_REQUEST:
    gen_features_reply(c, xid);
    c->features_sent = 1;
    return;
  case T_GET_CONFIG_REQUEST: {
    uint8_t *p = msg_begin(c, T_GET_CONFIG_REPLY, 12, xid);
    put16(p + 10, 0xffff);
    return;
  }
  case T_PACKET_OUT:
    if (measuring) {
      st.answers++;
      st.packet_outs++;
    }
    gen_on_packet_out(c, m, len);
    gen_top_up(c, o);
    return;
  case T_FLOW_MOD:
    if (measuring) {
      st.answers++;
      st.flow_mods++;
    }
    return;
  default:
    break;
  }
  if (g_version == OFP10) {
    if (type == T10_STATS_REQUEST && len >= 12) gen_stats_reply(c, xid, get16(m + 8));
    else if (type == T10_BARRIER_REQUEST) msg_begin(c, T10_BARRIER_REPLY, 8, xid);
  } else {
    if (type == T13_MULTIPART_REQUEST && len >= 16) gen_stats_reply(c, xid, get16(m + 8));
    else if (type == T13_BARRIER_REQUEST) msg_begin(c, T13_BARRIER_REPLY, 8, xid);
    else if (type == T13_ROLE_REQUEST && len >= 24) {
      uint8_t *p = msg_begin(c, T13_ROLE_REPLY, 24, xid);
      memcpy(p + 8, m + 8, 16);
    } else if (type == T13_GET_ASYNC_REQUEST) msg_begin(c, T13_GET_ASYNC_REPLY, 32, xid);
  }
}

/* ── controller side (null peer) ────────────────────────────────────────────────────────── */
static void null_on_msg(conn_t *c, const uint8_t *m, uint16_t len) {
  uint8_t type = m[1];
  uint32_t xid = get32(m + 4);
  if (type == T_ECHO_REQUEST) {
    uint8_t *p = msg_begin(c, T_ECHO_REPLY, len, xid);
    memcpy(p + 8, m + 8, len - 8u);
    return;
  }
  if (type != T_PACKET_IN) return;
  size_t off;
  uint32_t in_port;
  if (g_version == OFP10) {
    if (len < 18) return;
    off = 18;
    in_port = get16(m + 14);
  } else {
    if (len < 24) return;
    uint16_t mlen = get16(m + 26);
    off = 24 + (((size_t)mlen + 7) / 8) * 8 + 2;
    if (off > len) return;
    in_port = 1;
  }
  const uint8_t *frame = m + off;
  size_t flen = len - off;
  /* Canned answers. A destination in the generator's "sender" host range gets a FLOW_MOD
   * first, so the reply mix matches a learning controller at steady state (no state kept). */
  int known = flen >= 6 && frame[4] == 0;
  uint32_t out_port = known ? 2 : (g_version == OFP10 ? 0xfffb : 0xfffffffbu);
  if (known) {
    if (g_version == OFP10) {
      uint8_t *p = msg_begin(c, T_FLOW_MOD, 80, c->ctl_xid++);
      put32(p + 8, 0x003fffff); /* wildcards: all */
      put16(p + 58, 60);       /* idle timeout */
      put16(p + 62, 100);      /* priority */
      put32(p + 64, NO_BUFFER);
      put16(p + 68, 0xffff);
      put16(p + 72, 0); /* action output */
      put16(p + 74, 8);
      put16(p + 76, (uint16_t)out_port);
    } else {
      uint8_t *p = msg_begin(c, T_FLOW_MOD, 80, c->ctl_xid++);
      put16(p + 26, 60);
      put16(p + 30, 100);
      put32(p + 32, NO_BUFFER);
      put32(p + 36, 0xffffffffu);
      put32(p + 40, 0xffffffffu);
      put16(p + 48, 1); /* match: OXM, empty */
      put16(p + 50, 4);
      put16(p + 56, 4); /* apply actions */
      put16(p + 58, 24);
      put16(p + 64, 0); /* output */
      put16(p + 66, 16);
      put32(p + 68, out_port);
    }
  }
  if (g_version == OFP10) {
    uint8_t *p = msg_begin(c, T_PACKET_OUT, (uint16_t)(16 + 8 + flen), c->ctl_xid++);
    put32(p + 8, NO_BUFFER);
    put16(p + 12, (uint16_t)in_port);
    put16(p + 14, 8);
    put16(p + 16, 0);
    put16(p + 18, 8);
    put16(p + 20, (uint16_t)out_port);
    memcpy(p + 24, frame, flen);
  } else {
    uint8_t *p = msg_begin(c, T_PACKET_OUT, (uint16_t)(24 + 16 + flen), c->ctl_xid++);
    put32(p + 8, NO_BUFFER);
    put32(p + 12, in_port);
    put16(p + 16, 16);
    put16(p + 24, 0);
    put16(p + 26, 16);
    put32(p + 28, out_port);
    memcpy(p + 40, frame, flen);
  }
}

/* ── shared read path ───────────────────────────────────────────────────────────────────── */
static void conn_read(conn_t *c, int is_gen, const opts_t *o) {
  for (int rounds = 0; rounds < 16 && c->open; rounds++) {
    ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen, 0);
    if (n == 0) {
      conn_close(c, is_gen ? "closed by the controller" : NULL);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      conn_close(c, is_gen ? strerror(errno) : NULL);
      return;
    }
    c->rlen += (size_t)n;
    size_t pos = 0;
    while (c->open && c->rlen - pos >= 8) {
      uint16_t len = get16(c->rbuf + pos + 2);
      if (len < 8) {
        conn_close(c, "bad OpenFlow length");
        return;
      }
      if (c->rlen - pos < len) break;
      if (is_gen) gen_on_msg(c, c->rbuf + pos, len, o);
      else null_on_msg(c, c->rbuf + pos, len);
      pos += len;
    }
    if (pos > 0) {
      memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
      c->rlen -= pos;
    }
    if ((size_t)n < RBUF_SIZE / 2) break;
  }
  conn_flush(c);
}

static void epoll_add(int fd, void *ptr, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = ptr};
  if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
}

static void tune_socket(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int fl = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double pct_us(double p) {
  if (st.n_samples == 0) return 0;
  size_t i = (size_t)(p * (double)(st.n_samples - 1));
  return (double)st.samples[i] / 1000.0;
}

/* ── gen main ───────────────────────────────────────────────────────────────────────────── */
static int connect_one(const opts_t *o) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
  if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
    fprintf(stderr, "ofload: bad host %s\n", o->host);
    exit(2);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  tune_socket(fd);
  return fd;
}

static int run_gen(const opts_t *o) {
  uint64_t t0 = now_ns();
  uint64_t connect_deadline = t0 + (uint64_t)(o->connect_timeout_s * 1e9);
  st.samples = malloc(sizeof(uint64_t) * MAX_SAMPLES);
  if (!st.samples) die("malloc samples");

  /* Connect all switches (the listener may not be up yet: retry, bounded). */
  for (int i = 0; i < o->switches && !g_stop; i++) {
    int fd;
    for (int tries = 0;; tries++) {
      fd = connect_one(o);
      if (fd >= 0) break;
      if (now_ns() > connect_deadline || tries > 10000 || g_stop) {
        fprintf(stderr, "ofload: could not connect to %s:%d\n", o->host, o->port);
        printf("{\"ok\":false,\"error\":\"connect failed\"}\n");
        return 1;
      }
      usleep(20000);
    }
    conn_t *c = conn_new(fd, i);
    conns[n_conns++] = c;
    epoll_add(fd, c, EPOLLIN);
    gen_send_hello(c);
    conn_flush(c);
  }

  /* Handshake: a switch is ready once it has sent FEATURES_REPLY and the controller has been
   * quiet towards it for settle_s (the rest of a controller's handshake is request/reply). */
  struct epoll_event evs[MAX_CONNS];
  int n_ready = 0;
  uint64_t settle_ns = (uint64_t)(o->settle_s * 1e9);
  while (!g_stop && n_ready < o->switches) {
    uint64_t t = now_ns();
    if (t > connect_deadline) break;
    int n = epoll_wait(g_epfd, evs, MAX_CONNS, 10);
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      if (evs[i].events & EPOLLOUT) conn_flush(c);
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_read(c, 1, o);
    }
    t = now_ns();
    n_ready = 0;
    for (int i = 0; i < n_conns; i++) {
      conn_t *c = conns[i];
      if (c->open && !c->ready && c->features_sent && t - c->last_ctrl_msg_ns >= settle_ns) c->ready = 1;
      n_ready += c->open && c->ready;
    }
  }
  int open_now = 0;
  for (int i = 0; i < n_conns; i++) open_now += conns[i]->open;
  if (n_ready < o->switches) {
    fprintf(stderr, "ofload: only %d of %d switches finished the handshake (%d connections open)\n", n_ready, o->switches, open_now);
    if (n_ready == 0) {
      printf("{\"ok\":false,\"error\":\"no switch finished the handshake\",\"open\":%d}\n", open_now);
      return 1;
    }
  }
  double handshake_ms = (double)(now_ns() - t0) / 1e6;

  /* Traffic: warm-up, then the measured window. */
  uint64_t start = now_ns();
  uint64_t measure_from = start + (uint64_t)(o->warmup_s * 1e9);
  uint64_t measure_to = measure_from + (uint64_t)(o->measure_s * 1e9);
  uint64_t stall_ns = (uint64_t)(o->stall_ms * 1e6);
  uint64_t measured_ns = 0, m_start = 0;
  for (int i = 0; i < n_conns; i++) {
    conns[i]->last_progress_ns = start;
    gen_top_up(conns[i], o);
    conn_flush(conns[i]);
  }
  uint64_t loops = 0;
  while (!g_stop && loops++ < 2000000000ull) {
    uint64_t t = now_ns();
    if (!measuring && t >= measure_from && t < measure_to) {
      measuring = 1;
      m_start = t;
    }
    if (t >= measure_to) {
      if (measuring) measured_ns = t - m_start;
      measuring = 0;
      break;
    }
    int n = epoll_wait(g_epfd, evs, MAX_CONNS, 1);
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      if (evs[i].events & EPOLLOUT) conn_flush(c);
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_read(c, 1, o);
    }
    /* Answers a controller never sent (dropped PACKET_INs) would stall a window: after stall_ms
     * without progress the outstanding ones are written off as lost. */
    t = now_ns();
    int alive = 0;
    for (int i = 0; i < n_conns; i++) {
      conn_t *c = conns[i];
      if (!c->open || !c->ready) continue;
      alive++;
      if (c->outstanding > 0 && t - c->last_progress_ns > stall_ns) {
        if (measuring) st.lost += c->outstanding;
        c->outstanding = 0;
        memset(c->live, 0, sizeof c->live);
        c->last_progress_ns = t;
        gen_top_up(c, o);
        conn_flush(c);
      }
    }
    if (alive == 0) {
      fprintf(stderr, "ofload: every connection closed\n");
      if (measuring) measured_ns = t - m_start;
      measuring = 0;
      break;
    }
  }
  if (measured_ns == 0) measured_ns = 1;
  double secs = (double)measured_ns / 1e9;
  qsort(st.samples, st.n_samples, sizeof(uint64_t), cmp_u64);
  int closed = 0;
  for (int i = 0; i < n_conns; i++) closed += !conns[i]->open;
  printf("{\"ok\":%s,\"mode\":\"%s\",\"of\":\"%s\",\"switches\":%d,\"ready\":%d,\"closed\":%d,\"handshake_ms\":%.1f,"
         "\"seconds\":%.3f,\"window\":%d,\"packet_ins\":%llu,\"answers\":%llu,\"flow_mods\":%llu,\"packet_outs\":%llu,"
         "\"floods\":%llu,\"unicast_outs\":%llu,\"lost\":%llu,\"unmatched\":%llu,\"errors\":%llu,"
         "\"answers_per_s\":%.0f,\"packet_ins_per_s\":%.0f,\"round_trips_per_s\":%.0f,"
         "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"samples\":%zu}\n",
         (n_ready > 0 && closed == 0) ? "true" : "false", o->latency ? "latency" : "throughput",
         g_version == OFP10 ? "1.0" : "1.3", o->switches, n_ready, closed, handshake_ms, secs, o->window,
         (unsigned long long)st.packet_ins, (unsigned long long)st.answers, (unsigned long long)st.flow_mods,
         (unsigned long long)st.packet_outs, (unsigned long long)st.floods, (unsigned long long)st.unicast_outs,
         (unsigned long long)st.lost, (unsigned long long)st.unmatched, (unsigned long long)st.errors,
         (double)st.answers / secs, (double)st.packet_ins / secs, (double)st.packet_outs / secs, pct_us(0.50),
         pct_us(0.90), pct_us(0.99), st.n_samples ? (double)st.samples[st.n_samples - 1] / 1000.0 : 0.0, st.n_samples);
  fflush(stdout);
  for (int i = 0; i < n_conns; i++) conn_close(conns[i], NULL);
  return 0;
}

/* ── null main ──────────────────────────────────────────────────────────────────────────── */
static int run_null(const opts_t *o) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
  if (listen(lfd, 128) < 0) die("listen");
  tune_socket(lfd);
  static int listener_tag;
  epoll_add(lfd, &listener_tag, EPOLLIN);
  fprintf(stderr, "ofload: null controller listening on 127.0.0.1:%d\n", o->port);
  uint64_t deadline = now_ns() + (uint64_t)(o->max_run_s * 1e9);
  struct epoll_event evs[MAX_CONNS];
  while (!g_stop && now_ns() < deadline) {
    int n = epoll_wait(g_epfd, evs, MAX_CONNS, 100);
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == &listener_tag) {
        for (int a = 0; a < 64; a++) {
          int fd = accept(lfd, NULL, NULL);
          if (fd < 0) break;
          if (n_conns >= MAX_CONNS) {
            close(fd);
            continue;
          }
          tune_socket(fd);
          conn_t *c = conn_new(fd, n_conns);
          conns[n_conns++] = c;
          epoll_add(fd, c, EPOLLIN);
          msg_begin(c, T_HELLO, 8, c->ctl_xid++);
          msg_begin(c, T_FEATURES_REQUEST, 8, c->ctl_xid++);
          conn_flush(c);
        }
        continue;
      }
      conn_t *c = evs[i].data.ptr;
      if (evs[i].events & EPOLLOUT) conn_flush(c);
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_read(c, 0, o);
    }
  }
  for (int i = 0; i < n_conns; i++) conn_close(conns[i], NULL);
  close(lfd);
  return 0;
}

int main(int argc, char **argv) {
  opts_t o;
  parse_opts(argc, argv, &o);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  g_epfd = epoll_create1(0);
  if (g_epfd < 0) die("epoll_create1");
  int rc;
  if (!strcmp(o.role, "gen")) rc = run_gen(&o);
  else if (!strcmp(o.role, "null")) rc = run_null(&o);
  else usage();
  close(g_epfd);
  return rc;
}
