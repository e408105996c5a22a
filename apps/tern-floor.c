/*
 * tern-floor: the physical floor under every Tern figure. tern-bench's
 * traffic patterns straight over one rte_ethdev port with no stack at all:
 * no ARP, IP, TCP, sockets or rings between threads, only rx_burst and
 * tx_burst on the main lcore. Two processes, one per end of the port
 * (net_memif in practice):
 *   reflect  swaps the MAC addresses of each frame and sends it straight
 *            back (the burst goes out in the same loop iteration: no
 *            coalescing timer), counting;
 *   rr       ping-pong against a reflector: --outstanding K frames in
 *            flight, each answered one replaced at once (closed loop, the
 *            analogue of tern-bench --conns K); round trips by rte_rdtsc;
 *   stream   one-way bulk of MTU-sized frames into
 *   sink     which counts them and checks their sequence numbers.
 * Frames are Ethernet with the IEEE 802 local experimental EtherType 0x88B5
 * and a small header (struct floor_hdr) first in the payload. The client
 * opens with HELLO (learns the peer's MAC and role), ends with END, and the
 * server answers END_ACK with what it counted, so either side can say what
 * the other saw. Output: the same summary lines, latency histogram and JSON
 * layout as tern-bench (bench_stats.c is linked in, not copied).
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "bench_stats.h"

/* IEEE Std 802: Local Experimental EtherType 1, for exactly this kind of
 * private traffic between our own two endpoints. */
#define FLOOR_ETHERTYPE 0x88B5
#define FLOOR_MAGIC 0x524c4654u        /* "TFLR" little-endian */
#define FLOOR_BURST 32
#define FLOOR_NB_MBUFS 8191
#define FLOOR_POOL_CACHE 256
#define FLOOR_NB_DESC 1024
#define FLOOR_MAX_OUTSTANDING 512      /* < ring size: rr can never fill both rings */
#define FLOOR_MIN_FRAME 60             /* IEEE 802.3 minimum, 64 less the FCS */
#define FLOOR_PATTERN_MOD 251u         /* as bench_proto.h: a prime */

/*
 * Defaults for a fair comparison with tern-bench's 64-byte rr over TCP
 * between two Tern stacks: 14 Ethernet + 20 IPv4 + 32 TCP (20 + the 12-byte
 * timestamp option, which Tern negotiates with itself, RFC 7323 3) + 64
 * payload = 130 bytes on the wire (no FCS on memif). The same frame without
 * TCP options would be 118, a UDP one 106. Stream: MTU + 14 (1514).
 */
#define FLOOR_RR_DEFAULT_SIZE 130
#define FLOOR_TCP_HDRS 66              /* Ethernet + IPv4 + TCP with timestamps */

enum floor_type { FT_HELLO = 1, FT_HELLO_ACK, FT_DATA, FT_END, FT_END_ACK };
enum floor_role { R_REFLECT, R_SINK, R_RR, R_STREAM };
static const char *const role_names[] = { "reflect", "sink", "rr", "stream" };

/* First in every payload, host byte order (both ends on one machine). */
struct floor_hdr {
	uint32_t magic;
	uint8_t type;          /* enum floor_type */
	uint8_t role;          /* sender's enum floor_role */
	uint16_t slot;         /* rr: which of the K outstanding */
	uint64_t seq;          /* DATA: sequence; HELLO/END: session id */
	uint64_t tsc;          /* DATA (rr): rte_rdtsc() when sent */
};

/* After the header in END (what the client sent) and END_ACK (what the
 * server counted in that session). */
struct floor_counts {
	uint64_t frames, bytes;
	uint64_t lost;         /* sink: sequence gaps */
	uint64_t elapsed_ns;   /* sink: first to last data frame */
};

#define FLOOR_HLEN (RTE_ETHER_HDR_LEN + sizeof(struct floor_hdr))
#define FLOOR_CTRL_LEN (FLOOR_HLEN + sizeof(struct floor_counts))

struct floor_opts {
	enum floor_role role;
	bool have_role;
	uint16_t port;
	uint32_t size;         /* frame bytes without FCS; 0 = the role's default */
	uint64_t count;        /* rr: measured round trips */
	double duration;       /* clients: measured s; servers: lifetime s */
	double warmup;         /* rr: unmeasured s first */
	unsigned outstanding;
	uint16_t mtu;          /* 0: the device's */
	unsigned sessions;     /* servers: exit after this many ENDs */
	unsigned timeout_ms;   /* rr: give up on a frame unanswered this long */
	bool verify;
	const char *json;
	bool progress;
	double max_time;
};

struct floor_port {
	uint16_t id;
	struct rte_mempool *pool;
	struct rte_ether_addr mac, peer;
	bool have_peer;
	enum floor_role peer_role;
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *driver;
	uint16_t mtu, min_mtu, max_mtu;
	uint32_t max_rx_pktlen;
	uint16_t nb_rxd, nb_txd;
	uint16_t room;         /* mbuf data room */
	int set_mtu_rc;        /* rte_eth_dev_set_mtu(), 0 when not asked */
};

struct slot {
	uint64_t seq, tsc;
	bool busy, measured;
};

struct floor {
	const struct floor_opts *o;
	struct floor_port p;
	double ns_per_cycle;
	uint64_t hz, session;
	uint8_t tmpl[RTE_MBUF_DEFAULT_DATAROOM * 8];   /* one full frame */
	/* measured interval */
	uint64_t tsc0, tsc1;
	struct rusage ru0, ru1;
	/* rr */
	struct slot *slots;
	uint64_t requests, tx_bytes, rx_bytes, total_requests;
	uint64_t timeouts, late;     /* given up on; answered after that */
	struct hist lat, iv;
	/* both clients */
	uint64_t frames_sent, frames_rcvd, errors, verify_err, foreign;
	bool aborted, have_ack;
	const char *abort_msg;
	struct floor_counts ack;     /* the server's END_ACK */
	/* servers: the current session and all of them */
	struct floor_counts cur, all;
	bool ended;                  /* END answered: wait for the client to leave */
	uint64_t expect_seq, reordered, t_first, t_last, sessions_done, tx_frames;
	/* progress, every second */
	uint64_t iv_t, iv_frames, iv_bytes;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: tern-floor [EAL args] -- --role reflect|sink|rr|stream [options]\n"
		"  raw DPDK, no stack: the floor under tern-bench's figures on the same port\n"
		"  --role reflect      echo every frame back with its MAC addresses swapped\n"
		"  --role sink         count a stream's frames (and sequence gaps)\n"
		"  --role rr           ping-pong against a reflector, round trips by rte_rdtsc\n"
		"  --role stream       one-way bulk of MTU-sized frames into a sink\n"
		"  --size N            frame bytes without FCS: rr default %u (= tern-bench's\n"
		"                      64-byte request in Ethernet/IPv4/TCP-with-timestamps);\n"
		"                      stream default MTU + 14\n"
		"  --count C           rr: measured round trips\n"
		"  --duration S        rr/stream: measured seconds; reflect/sink: lifetime\n"
		"                      (default 300)\n"
		"  --outstanding K     rr: frames in flight at once (default 1, max %u)\n"
		"  --warmup S          rr: unmeasured seconds first (default 0)\n"
		"  --mtu M             rte_eth_dev_set_mtu(M) (both ends; e.g. 9000)\n"
		"  --sessions N        reflect/sink: exit after N clients ended (default 1)\n"
		"  --timeout-ms T      rr: give up on a frame unanswered this long and send\n"
		"                      another (default 10000; memif never drops, but a\n"
		"                      descheduled peer can stall for long)\n"
		"  --no-verify         rr: do not compare echoed frames with what was sent\n"
		"  --port P            ethdev port id (default 0)\n"
		"  --json FILE         configuration and results as one JSON object ('-': stdout)\n"
		"  --progress          one line per second on stderr\n"
		"  --max-time S        clients: give up after S seconds in all (default 600)\n",
		FLOOR_RR_DEFAULT_SIZE, FLOOR_MAX_OUTSTANDING);
}

static int
parse_u64(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (end == v || errno != 0 || *v == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': n *= 1000; end++; break;
	case 'm': case 'M': n *= 1000000; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
parse_args(struct floor_opts *o, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--progress") == 0) {
			o->progress = true;
			continue;
		}
		if (strcmp(a, "--no-verify") == 0) {
			o->verify = false;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return -1;
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "tern-floor: %s: needs a value\n", a);
			return -1;
		}
		i++;
		uint64_t n = 0;
		bool bad = false;
		if (strcmp(a, "--role") == 0) {
			bad = true;
			for (unsigned r = 0; r < RTE_DIM(role_names); r++)
				if (strcmp(v, role_names[r]) == 0) {
					o->role = (enum floor_role)r;
					o->have_role = true;
					bad = false;
				}
		} else if (strcmp(a, "--json") == 0) {
			o->json = v;
		} else if (strcmp(a, "--duration") == 0 || strcmp(a, "--warmup") == 0 ||
			   strcmp(a, "--max-time") == 0) {
			char *end;
			double d = strtod(v, &end);
			bad = end == v || *end != '\0' || !(d >= 0 && d < 1e7);
			*(a[2] == 'd' ? &o->duration : a[2] == 'w' ? &o->warmup : &o->max_time) = d;
		} else {
			bad = parse_u64(v, &n) != 0;
			if (strcmp(a, "--size") == 0) {
				bad = bad || n < FLOOR_MIN_FRAME || n > sizeof(((struct floor *)0)->tmpl);
				o->size = (uint32_t)n;
			} else if (strcmp(a, "--count") == 0) {
				o->count = n;
			} else if (strcmp(a, "--outstanding") == 0) {
				bad = bad || n < 1 || n > FLOOR_MAX_OUTSTANDING;
				o->outstanding = (unsigned)n;
			} else if (strcmp(a, "--mtu") == 0) {
				bad = bad || n < 68 || n > 65000;   /* RFC 791: 68 at least */
				o->mtu = (uint16_t)n;
			} else if (strcmp(a, "--sessions") == 0) {
				bad = bad || n < 1 || n > UINT32_MAX;
				o->sessions = (unsigned)n;
			} else if (strcmp(a, "--timeout-ms") == 0) {
				bad = bad || n < 1 || n > 3600000;
				o->timeout_ms = (unsigned)n;
			} else if (strcmp(a, "--port") == 0) {
				bad = bad || n >= RTE_MAX_ETHPORTS;
				o->port = (uint16_t)n;
			} else {
				fprintf(stderr, "tern-floor: unknown option %s\n", a);
				return -1;
			}
		}
		if (bad) {
			fprintf(stderr, "tern-floor: bad value for %s: %s\n", a, v);
			return -1;
		}
	}
	if (!o->have_role) {
		fprintf(stderr, "tern-floor: --role is required\n");
		return -1;
	}
	if (o->role == R_RR && o->count == 0 && o->duration == 0) {
		fprintf(stderr, "tern-floor: rr needs --count or --duration\n");
		return -1;
	}
	if (o->role == R_STREAM && o->duration == 0) {
		fprintf(stderr, "tern-floor: stream needs --duration\n");
		return -1;
	}
	if (o->role == R_REFLECT || o->role == R_SINK) {
		if (o->duration == 0)
			o->duration = 300;
	}
	return 0;
}

/* ---- frames ---- */

/**
 * Our header of @p m, if @p m is one of our frames: its first segment holds
 * at least the Ethernet and floor headers, the EtherType and magic match.
 * @return 0, or -1 for anything else.
 */
static int
floor_parse(const struct rte_mbuf *m, struct floor_hdr *h)
{
	if (rte_pktmbuf_data_len(m) < FLOOR_HLEN)
		return -1;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t et;
	memcpy(&et, p + 2 * RTE_ETHER_ADDR_LEN, sizeof(et));
	if (et != rte_cpu_to_be_16(FLOOR_ETHERTYPE))
		return -1;
	memcpy(h, p + RTE_ETHER_HDR_LEN, sizeof(*h));
	return h->magic == FLOOR_MAGIC ? 0 : -1;
}

static void
floor_put_hdr(struct rte_mbuf *m, const struct floor_hdr *h)
{
	memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN), h, sizeof(*h));
}

/* Ethernet header of a frame from us to the peer (broadcast until known). */
static void
floor_put_eth(const struct floor *f, uint8_t *p)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_ether_hdr eh;
	rte_ether_addr_copy(f->p.have_peer ? &f->p.peer : &bcast, &eh.dst_addr);
	rte_ether_addr_copy(&f->p.mac, &eh.src_addr);
	eh.ether_type = rte_cpu_to_be_16(FLOOR_ETHERTYPE);
	memcpy(p, &eh, sizeof(eh));
}

/**
 * Send @p n frames, waiting while the device's ring is full (memif pushes
 * back when the peer does not drain) for at most a second; what is left
 * after that is freed and counted in errors.
 */
static void
tx_all(struct floor *f, struct rte_mbuf **m, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(f->p.id, 0, m, n);
	if (likely(sent == n))
		return;
	uint64_t give_up = rte_rdtsc() + f->hz;
	while (sent < n && !stop && rte_rdtsc() < give_up)
		sent += rte_eth_tx_burst(f->p.id, 0, m + sent, (uint16_t)(n - sent));
	if (sent < n) {
		f->errors += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
}

/* A control frame to the peer. @return 0, or -1 (counted in errors). */
static int
send_ctrl(struct floor *f, uint8_t type, uint64_t id, const struct floor_counts *c)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(f->p.pool);
	if (m == NULL) {
		f->errors++;
		return -1;
	}
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, FLOOR_CTRL_LEN);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		f->errors++;
		return -1;
	}
	memset(p, 0, FLOOR_CTRL_LEN);
	floor_put_eth(f, p);
	struct floor_hdr h = { .magic = FLOOR_MAGIC, .type = type, .role = (uint8_t)f->o->role,
			       .seq = id };
	floor_put_hdr(m, &h);
	if (c != NULL)
		memcpy(p + FLOOR_HLEN, c, sizeof(*c));
	uint64_t before = f->errors;
	tx_all(f, &m, 1);
	return f->errors == before ? 0 : -1;
}

static bool
ctrl_counts(const struct rte_mbuf *m, struct floor_counts *c)
{
	if (rte_pktmbuf_data_len(m) < FLOOR_CTRL_LEN)
		return false;
	memcpy(c, rte_pktmbuf_mtod_offset(m, const uint8_t *, FLOOR_HLEN), sizeof(*c));
	return true;
}

/* rr: frames sent and never answered (echoes are never duplicated). */
static uint64_t
rr_lost(const struct floor *f)
{
	return f->frames_sent > f->frames_rcvd ? f->frames_sent - f->frames_rcvd : 0;
}

static uint64_t
cyc_ns(const struct floor *f, uint64_t cycles)
{
	return (uint64_t)((double)cycles * f->ns_per_cycle);
}

/* ---- the port ---- */

/* Mempool object initialiser: every mbuf's data area starts as the
 * template frame, so the stream sender writes headers only (no payload
 * copy on the floor's fast path). */
static void
prefill(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	(void)mp;
	(void)idx;
	const struct floor *f = arg;
	struct rte_mbuf *m = obj;
	uint32_t room = (uint32_t)m->buf_len - RTE_PKTMBUF_HEADROOM;
	uint32_t len = f->o->size < room ? f->o->size : room;
	memcpy((uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM, f->tmpl, len);
}

static int
port_fail(const char *what, int rc)
{
	fprintf(stderr, "tern-floor: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	return -1;
}

static int
port_open(struct floor *f)
{
	struct floor_port *p = &f->p;
	const struct floor_opts *o = f->o;
	p->id = o->port;
	if (!rte_eth_dev_is_valid_port(p->id)) {
		fprintf(stderr, "tern-floor: no port %u (%u ports; give --vdev=net_memif0,...)\n",
			p->id, rte_eth_dev_count_avail());
		return -1;
	}
	struct rte_eth_dev_info di;
	int rc = rte_eth_dev_info_get(p->id, &di);
	if (rc != 0)
		return port_fail("dev_info_get", rc);
	p->driver = di.driver_name;
	p->min_mtu = di.min_mtu;
	p->max_mtu = di.max_mtu;
	p->max_rx_pktlen = di.max_rx_pktlen;
	if (rte_eth_dev_get_name_by_port(p->id, p->name) != 0)
		snprintf(p->name, sizeof(p->name), "port%u", p->id);

	uint32_t frame = o->size > RTE_ETHER_HDR_LEN + (uint32_t)(o->mtu ? o->mtu : RTE_ETHER_MTU) ?
			 o->size : RTE_ETHER_HDR_LEN + (uint32_t)(o->mtu ? o->mtu : RTE_ETHER_MTU);
	uint32_t room = frame + RTE_ETHER_CRC_LEN + RTE_PKTMBUF_HEADROOM;
	if (room < RTE_MBUF_DEFAULT_BUF_SIZE)
		room = RTE_MBUF_DEFAULT_BUF_SIZE;
	p->room = (uint16_t)room;
	p->pool = rte_pktmbuf_pool_create("floor", FLOOR_NB_MBUFS, FLOOR_POOL_CACHE, 0, p->room,
					  rte_socket_id());
	if (p->pool == NULL)
		return port_fail("pktmbuf_pool_create", rte_errno);
	if (o->role == R_STREAM)
		rte_mempool_obj_iter(p->pool, prefill, f);

	/* ethdev refuses an MTU whose frame exceeds max_rx_pktlen; say why
	 * (net_memif in 22.11 reports 1518, so no jumbo frames on it). */
	uint32_t want = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + (o->mtu ? o->mtu : RTE_ETHER_MTU);
	if (o->mtu != 0 && want > di.max_rx_pktlen) {
		fprintf(stderr, "tern-floor: --mtu %u needs %u-byte frames; %s's max_rx_pktlen "
			"is %u\n", o->mtu, want, p->driver, di.max_rx_pktlen);
		return -1;
	}

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	/* Devices that size receive buffers at configure time read it here. */
	if (o->mtu != 0 && o->mtu >= di.min_mtu && o->mtu <= di.max_mtu)
		conf.rxmode.mtu = o->mtu;
	rc = rte_eth_dev_configure(p->id, 1, 1, &conf);
	if (rc != 0)
		return port_fail("dev_configure", rc);
	if (o->mtu != 0) {
		p->set_mtu_rc = rte_eth_dev_set_mtu(p->id, o->mtu);
		if (p->set_mtu_rc != 0 && p->set_mtu_rc != -ENOTSUP)
			return port_fail("set_mtu", p->set_mtu_rc);
	}
	uint16_t cur = 0;
	p->mtu = rte_eth_dev_get_mtu(p->id, &cur) == 0 && cur != 0 ? cur : RTE_ETHER_MTU;
	if (o->mtu != 0 && p->set_mtu_rc == -ENOTSUP)
		p->mtu = o->mtu;   /* no MTU op: the device carries what it is given */
	if (o->size > RTE_ETHER_HDR_LEN + (uint32_t)p->mtu) {
		fprintf(stderr, "tern-floor: --size %u exceeds the port's MTU %u + 14\n",
			o->size, p->mtu);
		return -1;
	}

	p->nb_rxd = p->nb_txd = FLOOR_NB_DESC;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &p->nb_rxd, &p->nb_txd);
	if (rc != 0)
		return port_fail("adjust_nb_rx_tx_desc", rc);
	int socket = rte_eth_dev_socket_id(p->id);
	rc = rte_eth_rx_queue_setup(p->id, 0, p->nb_rxd, (unsigned)socket, NULL, p->pool);
	if (rc != 0)
		return port_fail("rx_queue_setup", rc);
	rc = rte_eth_tx_queue_setup(p->id, 0, p->nb_txd, (unsigned)socket, NULL);
	if (rc != 0)
		return port_fail("tx_queue_setup", rc);
	rc = rte_eth_macaddr_get(p->id, &p->mac);
	if (rc != 0)
		return port_fail("macaddr_get", rc);
	if (rte_is_zero_ether_addr(&p->mac))
		rte_eth_random_addr(p->mac.addr_bytes);
	rc = rte_eth_dev_start(p->id);
	if (rc != 0)
		return port_fail("dev_start", rc);

	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	printf("tern-floor: %s, %s on lcore %u; port %u %s (%s) %s mtu %u (min %u max %u%s), "
	       "max_rx_pktlen %u, rxd %u txd %u, mbuf room %u\n", rte_version(),
	       role_names[o->role], rte_lcore_id(), p->id, p->name, p->driver, mac, p->mtu,
	       p->min_mtu, p->max_mtu, p->set_mtu_rc == -ENOTSUP ? ", no set_mtu op" : "",
	       p->max_rx_pktlen, p->nb_rxd, p->nb_txd, p->room);
	fflush(stdout);
	return 0;
}

/* Up to @p ms for the link (memif: until the two ends have connected). */
static bool
link_is(const struct floor *f, uint8_t status)
{
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	return rte_eth_link_get_nowait(f->p.id, &link) == 0 && link.link_status == status;
}

static bool
wait_link(const struct floor *f, unsigned ms)
{
	for (unsigned i = 0; i <= ms / 10 && !stop; i++) {
		if (link_is(f, RTE_ETH_LINK_UP))
			return true;
		rte_delay_us_sleep(10000);
	}
	return false;
}

/* ---- servers: reflect and sink ---- */

static void
server_progress(struct floor *f, uint64_t now)
{
	double dt = (double)cyc_ns(f, now - f->iv_t) / 1e9;
	fprintf(stderr, "[%s] %.0f frames/s, %.1f MB/s, sessions %" PRIu64 ", errors %" PRIu64 "\n",
		role_names[f->o->role], (double)f->iv_frames / dt, (double)f->iv_bytes / dt / 1e6,
		f->sessions_done, f->errors);
	f->iv_frames = f->iv_bytes = 0;
	f->iv_t = now;
}

/* A session's sink accounting: sequence numbers run 0, 1, 2... per session. */
static void
sink_account(struct floor *f, const struct floor_hdr *h, uint32_t len, uint64_t now)
{
	if (f->cur.frames == 0)
		f->t_first = now;
	f->t_last = now;
	f->cur.frames++;
	f->cur.bytes += len;
	if (h->seq >= f->expect_seq) {
		f->cur.lost += h->seq - f->expect_seq;
		f->expect_seq = h->seq + 1;
	} else {
		/* Late: counted as lost when its gap opened, so take it back. */
		f->reordered++;
		if (f->cur.lost > 0)
			f->cur.lost--;
	}
}

/* Fold the current session into the totals; @p done: it ended with END. */
static void
session_end(struct floor *f, bool done)
{
	if (f->o->role == R_SINK && f->cur.frames > 0)
		f->cur.elapsed_ns = cyc_ns(f, f->t_last - f->t_first);
	f->all.frames += f->cur.frames;
	f->all.bytes += f->cur.bytes;
	f->all.lost += f->cur.lost;
	f->all.elapsed_ns += f->cur.elapsed_ns;
	f->sessions_done += done;
}

/*
 * HELLO opens a session (a new id from a new client; a repeated HELLO is
 * answered again), END closes it with END_ACK and the session's counts.
 */
static void
server_control(struct floor *f, const struct rte_mbuf *m, const struct floor_hdr *h)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	rte_ether_addr_copy(&eh->src_addr, &f->p.peer);
	f->p.have_peer = true;
	switch (h->type) {
	case FT_HELLO:
		if (h->seq != f->session) {
			if (f->session != 0)
				session_end(f, false);   /* the last client left without END */
			memset(&f->cur, 0, sizeof(f->cur));
			f->expect_seq = 0;
			f->session = h->seq;
		}
		send_ctrl(f, FT_HELLO_ACK, h->seq, NULL);
		break;
	case FT_END:
		if (h->seq != f->session)
			break;
		session_end(f, true);
		send_ctrl(f, FT_END_ACK, h->seq, &f->cur);
		memset(&f->cur, 0, sizeof(f->cur));
		f->session = 0;
		f->ended = true;
		break;
	default:
		f->foreign++;   /* HELLO_ACK / END_ACK are the server's own */
		break;
	}
}

/*
 * After END_ACK: stop polling until the client has disconnected (up to
 * @p end). net_memif (22.11) unmaps the shared rings from its control thread
 * when the peer leaves, with nothing to hold off an rx_burst running at that
 * moment on the data path (it crashed us in testing); so neither end polls
 * while the other goes away: the client exits only after END_ACK, and the
 * server is idle on the link status (a control-path call) until then.
 * @return true when the link went down.
 */
static bool
wait_peer_gone(const struct floor *f, uint64_t end)
{
	while (!stop && rte_rdtsc() < end) {
		if (link_is(f, RTE_ETH_LINK_DOWN))
			return true;
		rte_delay_us_sleep(2000);
	}
	return false;
}

static int
run_server(struct floor *f)
{
	const bool reflect = f->o->role == R_REFLECT;
	uint64_t start = rte_rdtsc(), end = start + (uint64_t)(f->o->duration * (double)f->hz);
	unsigned idle = 0;
	f->iv_t = start;
	printf("tern-floor: %s ready, %u session(s), at most %.0f s\n", role_names[f->o->role],
	       f->o->sessions, f->o->duration);
	fflush(stdout);
	while (!stop) {
		struct rte_mbuf *m[FLOOR_BURST], *tx[FLOOR_BURST], *drop[FLOOR_BURST];
		uint16_t n = rte_eth_rx_burst(f->p.id, 0, m, FLOOR_BURST);
		if (n == 0) {
			if (++idle < 1024)
				continue;
			idle = 0;
			uint64_t now = rte_rdtsc();
			if (now >= end)
				break;
			if (f->o->progress && now - f->iv_t >= f->hz)
				server_progress(f, now);
			continue;
		}
		uint64_t now = rte_rdtsc();
		uint16_t ntx = 0, ndrop = 0;
		for (uint16_t i = 0; i < n; i++) {
			struct floor_hdr h;
			if (floor_parse(m[i], &h) != 0) {
				f->foreign++;
				drop[ndrop++] = m[i];
				continue;
			}
			if (h.type != FT_DATA) {
				server_control(f, m[i], &h);
				drop[ndrop++] = m[i];
				continue;
			}
			uint32_t len = rte_pktmbuf_pkt_len(m[i]);
			f->iv_frames++;
			f->iv_bytes += len;
			if (reflect) {
				f->cur.frames++;
				f->cur.bytes += len;
				struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *);
				struct rte_ether_addr t;
				rte_ether_addr_copy(&eh->src_addr, &t);
				rte_ether_addr_copy(&eh->dst_addr, &eh->src_addr);
				rte_ether_addr_copy(&t, &eh->dst_addr);
				tx[ntx++] = m[i];
			} else {
				sink_account(f, &h, len, now);
				drop[ndrop++] = m[i];
			}
		}
		/* The whole burst goes back in this iteration: no TX coalescing. */
		if (ntx > 0) {
			f->tx_frames += ntx;
			tx_all(f, tx, ntx);
		}
		if (ndrop > 0)
			rte_pktmbuf_free_bulk(drop, ndrop);
		if (f->ended) {
			f->ended = false;
			if (!wait_peer_gone(f, end) || f->sessions_done >= f->o->sessions)
				break;
		}
	}
	if (f->session != 0 && f->cur.frames > 0)
		session_end(f, false);   /* stopped mid-session */
	return f->sessions_done >= f->o->sessions ? 0 : 1;
}

/* ---- clients: hello, end ---- */

static void finish(struct floor *f, const struct floor_counts *sent);

/* HELLO until HELLO_ACK (up to 10 s): the peer's MAC and role. */
static int
hello(struct floor *f)
{
	uint64_t next = 0, end = rte_rdtsc() + 10 * f->hz;
	while (!stop && rte_rdtsc() < end) {
		if (rte_rdtsc() >= next) {
			send_ctrl(f, FT_HELLO, f->session, NULL);
			next = rte_rdtsc() + f->hz / 5;
		}
		struct rte_mbuf *m[FLOOR_BURST];
		uint16_t n = rte_eth_rx_burst(f->p.id, 0, m, FLOOR_BURST);
		for (uint16_t i = 0; i < n; i++) {
			struct floor_hdr h;
			if (floor_parse(m[i], &h) == 0 && h.type == FT_HELLO_ACK &&
			    h.seq == f->session && h.role < RTE_DIM(role_names)) {
				const struct rte_ether_hdr *eh =
					rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);
				rte_ether_addr_copy(&eh->src_addr, &f->p.peer);
				f->p.have_peer = true;
				f->p.peer_role = (enum floor_role)h.role;
			}
		}
		rte_pktmbuf_free_bulk(m, n);
		if (f->p.have_peer)
			break;
	}
	if (!f->p.have_peer) {
		fprintf(stderr, "tern-floor: no answer to HELLO from the peer in 10 s\n");
		return -1;
	}
	enum floor_role want = f->o->role == R_RR ? R_REFLECT : R_SINK;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(mac, sizeof(mac), &f->p.peer);
	if (f->p.peer_role != want) {
		fprintf(stderr, "tern-floor: the peer %s is a %s; %s needs a %s\n", mac,
			role_names[f->p.peer_role], role_names[f->o->role], role_names[want]);
		/* Close the session all the same, so the peer stops polling
		 * before we go (see wait_peer_gone()). */
		struct floor_counts none = { 0 };
		finish(f, &none);
		return -1;
	}
	printf("tern-floor: peer %s (%s)\n", mac, role_names[f->p.peer_role]);
	fflush(stdout);
	return 0;
}

/* END with what we sent until END_ACK (up to 5 s): what the peer counted. */
static void
finish(struct floor *f, const struct floor_counts *sent)
{
	uint64_t next = 0, end = rte_rdtsc() + 5 * f->hz;
	while (!f->have_ack && rte_rdtsc() < end) {
		if (rte_rdtsc() >= next) {
			send_ctrl(f, FT_END, f->session, sent);
			next = rte_rdtsc() + f->hz / 5;
		}
		struct rte_mbuf *m[FLOOR_BURST];
		uint16_t n = rte_eth_rx_burst(f->p.id, 0, m, FLOOR_BURST);
		for (uint16_t i = 0; i < n; i++) {
			struct floor_hdr h;
			if (floor_parse(m[i], &h) != 0)
				f->foreign++;
			else if (h.type == FT_END_ACK && h.seq == f->session &&
				 ctrl_counts(m[i], &f->ack))
				f->have_ack = true;
			else if (h.type == FT_DATA) {
				f->frames_rcvd++;   /* rr: answered after its timeout */
				f->late++;
			}
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	if (!f->have_ack)
		fprintf(stderr, "tern-floor: no END_ACK from the peer in 5 s\n");
}

/* ---- rr ---- */

static void
rr_progress(struct floor *f, uint64_t now)
{
	double dt = (double)cyc_ns(f, now - f->iv_t) / 1e9;
	fprintf(stderr, "[%6.1fs] rr: %.0f req/s, p50 %.1f us, p99 %.1f us, max %.1f us, "
		"timeouts %" PRIu64 ", errors %" PRIu64 "\n", (double)cyc_ns(f, now - f->tsc0) / 1e9,
		(double)f->iv_frames / dt, (double)hist_quantile(&f->iv, 0.5) / 1e3,
		(double)hist_quantile(&f->iv, 0.99) / 1e3, (double)hist_quantile(&f->iv, 1.0) / 1e3,
		f->timeouts, f->errors);
	f->iv_frames = 0;
	hist_reset(&f->iv);
	f->iv_t = now;
}

/* Stamp @p m (a copy of the template) as slot @p s's next request. */
static void
rr_stamp(struct floor *f, struct rte_mbuf *m, unsigned s, uint64_t seq, bool measured)
{
	struct floor_hdr h = { .magic = FLOOR_MAGIC, .type = FT_DATA, .role = R_RR,
			       .slot = (uint16_t)s, .seq = seq };
	h.tsc = rte_rdtsc();
	floor_put_hdr(m, &h);
	f->slots[s] = (struct slot){ .seq = seq, .tsc = h.tsc, .busy = true, .measured = measured };
}

/* A fresh request frame: the template, @p size bytes. */
static struct rte_mbuf *
rr_new(struct floor *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(f->p.pool);
	if (m == NULL)
		return NULL;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)f->o->size);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(p, f->tmpl, f->o->size);
	return m;
}

/* Did the echo come back as it went out? (Ethernet addresses swapped.) */
static bool
rr_intact(const struct floor *f, const struct rte_mbuf *m)
{
	if (rte_pktmbuf_pkt_len(m) != f->o->size)
		return false;
	if (!f->o->verify)
		return true;
	uint8_t buf[sizeof(f->tmpl)];
	const uint8_t *p = rte_pktmbuf_read(m, 0, f->o->size, buf);
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p;
	return p != NULL && rte_is_same_ether_addr(&eh->dst_addr, &f->p.mac) &&
	       rte_is_same_ether_addr(&eh->src_addr, &f->p.peer) &&
	       memcmp(p + FLOOR_HLEN, f->tmpl + FLOOR_HLEN, f->o->size - FLOOR_HLEN) == 0;
}

static int
run_rr(struct floor *f)
{
	const struct floor_opts *o = f->o;
	const unsigned k = o->outstanding;
	const uint64_t timeout = (uint64_t)o->timeout_ms * f->hz / 1000;
	f->slots = calloc(k, sizeof(*f->slots));
	if (f->slots == NULL)
		return port_fail("calloc", ENOMEM);
	floor_put_eth(f, f->tmpl);   /* the peer is known now */

	uint64_t t0 = rte_rdtsc(), hard = t0 + (uint64_t)(o->max_time * (double)f->hz);
	uint64_t warm = t0 + (uint64_t)(o->warmup * (double)f->hz), meas_end = UINT64_MAX;
	uint64_t next_seq = 0, issued_measured = 0, last_scan = t0, last_done = t0;
	bool measuring = false, issuing = true;
	unsigned busy = 0;

	/* Start measuring (at once without --warmup): requests issued from now
	 * on are measured. */
#define START_MEASURE(now) do { \
		measuring = true; \
		f->tsc0 = f->iv_t = (now); \
		getrusage(RUSAGE_SELF, &f->ru0); \
		if (o->duration > 0) \
			meas_end = (now) + (uint64_t)(o->duration * (double)f->hz); \
	} while (0)
	if (o->warmup == 0)
		START_MEASURE(t0);

	struct rte_mbuf *tx[FLOOR_MAX_OUTSTANDING];
	uint16_t ntx = 0;
	for (unsigned s = 0; s < k && issuing; s++) {
		struct rte_mbuf *m = rr_new(f);
		if (m == NULL) {
			f->errors++;
			continue;
		}
		rr_stamp(f, m, s, next_seq++, measuring);
		issued_measured += measuring;
		busy++;
		tx[ntx++] = m;
		if (measuring && o->count > 0 && issued_measured >= o->count)
			issuing = false;   /* --count below --outstanding */
		if (ntx == FLOOR_BURST) {
			f->frames_sent += ntx;
			tx_all(f, tx, ntx);
			ntx = 0;
		}
	}
	if (ntx > 0) {
		f->frames_sent += ntx;
		tx_all(f, tx, ntx);
	}

	while (busy > 0 && !stop) {
		struct rte_mbuf *m[FLOOR_BURST];
		uint16_t n = rte_eth_rx_burst(f->p.id, 0, m, FLOOR_BURST);
		uint64_t now = rte_rdtsc();
		ntx = 0;
		for (uint16_t i = 0; i < n; i++) {
			struct floor_hdr h;
			if (floor_parse(m[i], &h) != 0 || h.type != FT_DATA) {
				f->foreign++;
				rte_pktmbuf_free(m[i]);
				continue;
			}
			f->frames_rcvd++;
			struct slot *sl = h.slot < k ? &f->slots[h.slot] : NULL;
			if (sl == NULL || !sl->busy || sl->seq != h.seq) {
				f->late++;   /* answered after its timeout */
				rte_pktmbuf_free(m[i]);
				continue;
			}
			if (!rr_intact(f, m[i]) || h.tsc != sl->tsc)
				f->verify_err++;
			uint64_t ns = cyc_ns(f, now - sl->tsc);
			sl->busy = false;
			busy--;
			f->total_requests++;
			if (sl->measured) {
				hist_record(&f->lat, ns);
				f->requests++;
				f->tx_bytes += o->size;
				f->rx_bytes += o->size;
				f->iv_frames++;
				hist_record(&f->iv, ns);
				last_done = now;
			}
			if (!issuing) {
				rte_pktmbuf_free(m[i]);
				continue;
			}
			/* Reuse the echo as the next request: addresses back, new
			 * header; its payload is the template's (checked above when
			 * verifying; the reflector never writes it). */
			struct rte_mbuf *r = m[i];
			if (r->nb_segs != 1 || rte_pktmbuf_pkt_len(r) != o->size) {
				rte_pktmbuf_free(r);
				r = rr_new(f);
				if (r == NULL) {
					f->errors++;
					continue;
				}
			} else {
				memcpy(rte_pktmbuf_mtod(r, uint8_t *), f->tmpl, RTE_ETHER_HDR_LEN);
			}
			rr_stamp(f, r, h.slot, next_seq++, measuring);
			issued_measured += measuring;
			busy++;
			tx[ntx++] = r;
			if (measuring && o->count > 0 && issued_measured >= o->count)
				issuing = false;
		}
		if (ntx > 0) {
			f->frames_sent += ntx;
			tx_all(f, tx, ntx);
		}

		if (!measuring && now >= warm)
			START_MEASURE(now);
		if (issuing && now >= meas_end)
			issuing = false;
		if (now >= hard) {
			f->aborted = true;
			f->abort_msg = "max-time";
			break;
		}
		if (now - last_scan < f->hz / 1000)
			continue;
		/* Once a millisecond: timeouts and progress (a fresh clock: the
		 * slots stamped in this iteration are later than now). */
		now = rte_rdtsc();
		last_scan = now;
		ntx = 0;
		for (unsigned s = 0; s < k; s++) {
			struct slot *sl = &f->slots[s];
			if (!sl->busy || now - sl->tsc < timeout)
				continue;
			sl->busy = false;
			busy--;
			f->timeouts++;
			if (!issuing)
				continue;
			struct rte_mbuf *r = rr_new(f);
			if (r == NULL) {
				f->errors++;
				continue;
			}
			rr_stamp(f, r, s, next_seq++, measuring);
			issued_measured += measuring;
			busy++;
			tx[ntx++] = r;
			if (measuring && o->count > 0 && issued_measured >= o->count)
				issuing = false;
			if (ntx == FLOOR_BURST) {
				f->frames_sent += ntx;
				tx_all(f, tx, ntx);
				ntx = 0;
			}
		}
		if (ntx > 0) {
			f->frames_sent += ntx;
			tx_all(f, tx, ntx);
		}
		if (o->progress && measuring && now - f->iv_t >= f->hz)
			rr_progress(f, now);
	}
#undef START_MEASURE
	if (stop && !f->aborted) {
		f->aborted = true;
		f->abort_msg = "signal";
	}
	if (!measuring) {   /* ended inside the warmup */
		f->tsc0 = last_done;
		getrusage(RUSAGE_SELF, &f->ru0);
	}
	/* The measured interval ends with the last measured answer (duration:
	 * the end of the window, when nothing was answered after it). */
	f->tsc1 = meas_end != UINT64_MAX && meas_end < last_done ? meas_end : last_done;
	if (f->tsc1 < f->tsc0)
		f->tsc1 = f->tsc0;
	getrusage(RUSAGE_SELF, &f->ru1);
	struct floor_counts sent = { .frames = f->frames_sent };
	finish(f, &sent);
	free(f->slots);
	return 0;
}

/* ---- stream ---- */

static void
stream_progress(struct floor *f, uint64_t now)
{
	double dt = (double)cyc_ns(f, now - f->iv_t) / 1e9;
	fprintf(stderr, "[%6.1fs] stream: %.1f MB/s, %.0f frames/s, errors %" PRIu64 "\n",
		(double)cyc_ns(f, now - f->tsc0) / 1e9, (double)f->iv_bytes / dt / 1e6,
		(double)f->iv_frames / dt, f->errors);
	f->iv_frames = f->iv_bytes = 0;
	f->iv_t = now;
}

static int
run_stream(struct floor *f)
{
	const struct floor_opts *o = f->o;
	struct rte_mbuf *tx[FLOOR_BURST];
	uint16_t np = 0;
	uint64_t seq = 0;
	unsigned poll = 0;
	struct floor_hdr h = { .magic = FLOOR_MAGIC, .type = FT_DATA, .role = R_STREAM };
	floor_put_eth(f, f->tmpl);
	f->tsc0 = f->iv_t = rte_rdtsc();
	getrusage(RUSAGE_SELF, &f->ru0);
	const uint64_t end = f->tsc0 + (uint64_t)(o->duration * (double)f->hz);
	uint64_t now = f->tsc0;
	while (!stop && now < end) {
		if (np < FLOOR_BURST &&
		    rte_pktmbuf_alloc_bulk(f->p.pool, tx + np, FLOOR_BURST - np) == 0) {
			/* The payload is in place from prefill(); headers only. */
			for (uint16_t i = np; i < FLOOR_BURST; i++) {
				struct rte_mbuf *m = tx[i];
				m->data_len = (uint16_t)o->size;
				m->pkt_len = o->size;
				memcpy(rte_pktmbuf_mtod(m, uint8_t *), f->tmpl, RTE_ETHER_HDR_LEN);
				h.seq = seq++;
				floor_put_hdr(m, &h);
			}
			np = FLOOR_BURST;
		}
		uint16_t sent = rte_eth_tx_burst(f->p.id, 0, tx, np);
		if (sent > 0) {
			/* Sequence order kept: the unsent stay first, in order. */
			memmove(tx, tx + sent, (size_t)(np - sent) * sizeof(tx[0]));
			np = (uint16_t)(np - sent);
			f->frames_sent += sent;
			f->tx_bytes += (uint64_t)sent * o->size;
			f->iv_frames += sent;
			f->iv_bytes += (uint64_t)sent * o->size;
		}
		now = rte_rdtsc();
		if ((++poll & 63) == 0) {
			/* Nothing is expected back: drain whatever comes. */
			struct rte_mbuf *m[FLOOR_BURST];
			uint16_t n = rte_eth_rx_burst(f->p.id, 0, m, FLOOR_BURST);
			f->foreign += n;
			rte_pktmbuf_free_bulk(m, n);
			if (o->progress && now - f->iv_t >= f->hz)
				stream_progress(f, now);
		}
	}
	f->tsc1 = now;
	getrusage(RUSAGE_SELF, &f->ru1);
	if (np > 0)
		rte_pktmbuf_free_bulk(tx, np);   /* never sent: not counted */
	if (stop) {
		f->aborted = true;
		f->abort_msg = "signal";
	}
	struct floor_counts sent = { .frames = f->frames_sent, .bytes = f->tx_bytes };
	finish(f, &sent);
	return 0;
}

/* ---- report ---- */

static double
tv_ns(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_usec - a->tv_usec) * 1e3;
}

struct summary {
	double secs, req_s, tx_mbs, rx_mbs, cyc_req, cyc_byte, user_ns, sys_ns;
	double sink_secs, sink_mbs, sink_fps;
};

static struct summary
summarize(const struct floor *f)
{
	struct summary s = { 0 };
	s.secs = (double)cyc_ns(f, f->tsc1 - f->tsc0) / 1e9;
	if (f->have_ack && f->ack.elapsed_ns > 0) {
		s.sink_secs = (double)f->ack.elapsed_ns / 1e9;
		s.sink_mbs = (double)f->ack.bytes / s.sink_secs / 1e6;
		s.sink_fps = (double)f->ack.frames / s.sink_secs;
	}
	if (s.secs <= 0)
		return s;
	double dtsc = (double)(f->tsc1 - f->tsc0);
	uint64_t units = f->o->role == R_RR ? f->requests : f->frames_sent;
	s.req_s = (double)f->requests / s.secs;
	s.tx_mbs = (double)f->tx_bytes / s.secs / 1e6;
	s.rx_mbs = (double)f->rx_bytes / s.secs / 1e6;
	if (units > 0) {
		s.cyc_req = dtsc / (double)units;
		s.user_ns = tv_ns(&f->ru0.ru_utime, &f->ru1.ru_utime) / (double)units;
		s.sys_ns = tv_ns(&f->ru0.ru_stime, &f->ru1.ru_stime) / (double)units;
	}
	if (f->tx_bytes + f->rx_bytes > 0)
		s.cyc_byte = dtsc / (double)(f->tx_bytes + f->rx_bytes);
	return s;
}

static void
print_client(const struct floor *f, const struct summary *s)
{
	const struct floor_opts *o = f->o;
	if (o->role == R_RR) {
		printf("tern-floor: rr l2 on %s, %u outstanding, %u-byte frames, closed loop\n",
		       f->p.driver, o->outstanding, o->size);
		printf("throughput: %.2f s, %" PRIu64 " requests, %.1f req/s, %.2f MB/s each way\n",
		       s->secs, f->requests, s->req_s, s->tx_mbs);
		printf("latency (us): p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f mean=%.1f\n",
		       (double)hist_quantile(&f->lat, 0.5) / 1e3,
		       (double)hist_quantile(&f->lat, 0.9) / 1e3,
		       (double)hist_quantile(&f->lat, 0.99) / 1e3,
		       (double)hist_quantile(&f->lat, 0.999) / 1e3,
		       (double)hist_quantile(&f->lat, 1.0) / 1e3, hist_mean(&f->lat) / 1e3);
		printf("cpu: %.0f cycles/request (client thread wall cycles, busy-polling, TSC %.2f "
		       "GHz); process CPU %.0f ns user + %.0f ns sys per request\n",
		       s->cyc_req, (double)f->hz / 1e9, s->user_ns, s->sys_ns);
		printf("l2: frames sent %" PRIu64 ", received %" PRIu64 ", reflected by the peer ",
		       f->frames_sent, f->frames_rcvd);
		if (f->have_ack)
			printf("%" PRIu64, f->ack.frames);
		else
			printf("?");
		printf("; lost %" PRIu64 ", timeouts %" PRIu64 " (answered later: %" PRIu64 ")",
		       rr_lost(f), f->timeouts, f->late);
	} else {
		printf("tern-floor: stream l2 on %s, %u-byte frames, mtu %u\n", f->p.driver,
		       o->size, f->p.mtu);
		printf("throughput: %.2f s, %.1f MB/s (%" PRIu64 " bytes, %" PRIu64 " frames, "
		       "%.0f frames/s) sent; TCP payload equivalent %.1f MB/s\n", s->secs, s->tx_mbs,
		       f->tx_bytes, f->frames_sent, (double)f->frames_sent / (s->secs > 0 ? s->secs : 1),
		       s->tx_mbs * (double)(o->size - FLOOR_TCP_HDRS) / (double)o->size);
		if (f->have_ack)
			printf("sink: %.2f s, %.1f MB/s (%" PRIu64 " bytes, %" PRIu64 " frames, %.0f "
			       "frames/s) received; %" PRIu64 " not delivered, %" PRIu64
			       " sequence gaps\n", s->sink_secs, s->sink_mbs, f->ack.bytes,
			       f->ack.frames, s->sink_fps,
			       f->frames_sent > f->ack.frames ? f->frames_sent - f->ack.frames : 0,
			       f->ack.lost);
		else
			printf("sink: no report\n");
		printf("cpu: %.2f cycles/byte, %.0f cycles/frame (sender thread wall cycles, TSC "
		       "%.2f GHz)\n", s->cyc_byte, s->cyc_req, (double)f->hz / 1e9);
		printf("l2: frames sent %" PRIu64, f->frames_sent);
	}
	printf("; errors %" PRIu64 "; verify errors %" PRIu64 "%s\n", f->errors, f->verify_err,
	       o->role != R_RR ? " (not verified)" : o->verify ? "" : " (length only)");
	if (f->aborted)
		printf("aborted: %s\n", f->abort_msg);
}

static void
print_server(const struct floor *f)
{
	bool sink = f->o->role == R_SINK;
	printf("tern-floor: %s: %" PRIu64 " session(s), %" PRIu64 " frames, %" PRIu64 " bytes",
	       role_names[f->o->role], f->sessions_done, f->all.frames, f->all.bytes);
	if (sink)
		printf(", %.1f MB/s over %.2f s of data, %" PRIu64 " sequence gaps, %" PRIu64
		       " reordered", f->all.elapsed_ns ? (double)f->all.bytes /
		       ((double)f->all.elapsed_ns / 1e9) / 1e6 : 0.0,
		       (double)f->all.elapsed_ns / 1e9, f->all.lost, f->reordered);
	else
		printf(", %" PRIu64 " reflected", f->tx_frames);
	printf(", foreign %" PRIu64 ", errors %" PRIu64 "\n", f->foreign, f->errors);
}

static void
json_config(struct json *j, const struct floor *f)
{
	const struct floor_opts *o = f->o;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], peer[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(mac, sizeof(mac), &f->p.mac);
	rte_ether_format_addr(peer, sizeof(peer), &f->p.peer);
	json_obj(j, "config");
	json_str(j, "test", role_names[o->role]);
	json_str(j, "proto", "l2");
	if (o->role == R_RR) {
		json_u64(j, "conns", o->outstanding);   /* tern-bench's key */
		json_u64(j, "outstanding", o->outstanding);
	}
	json_u64(j, "size", o->size);
	json_str(j, "size_note", o->role == R_RR ?
		 "Ethernet frame bytes without FCS; 130 = tern-bench's 64-byte request + "
		 "14 Ethernet + 20 IPv4 + 32 TCP (with timestamps)" :
		 "Ethernet frame bytes without FCS (MTU + 14)");
	if (o->role == R_RR || o->role == R_STREAM) {
		json_str(j, "loop", "closed");
		json_null(j, "rate");
		if (o->role == R_STREAM)
			json_str(j, "direction", "send");
		json_num(j, "warmup_s", o->warmup);
		json_u64(j, "count", o->count);
		json_bool(j, "verify", o->role == R_RR && o->verify);
		json_u64(j, "timeout_ms", o->timeout_ms);
	} else {
		json_u64(j, "sessions", o->sessions);
	}
	json_num(j, "duration_s", o->duration);
	json_str(j, "server", f->p.have_peer ? peer : NULL);
	json_str(j, "backend", "dpdk-l2");
	json_str(j, "stack_mode", "none");
	json_u64(j, "mtu", f->p.mtu);
	json_str(j, "dpdk_version", rte_version());
	json_obj(j, "cores");
	json_i64(j, "client_cpu", sched_getcpu());
	json_i64(j, "online", sysconf(_SC_NPROCESSORS_ONLN));
	json_u64(j, "eal_lcores", rte_lcore_count());
	json_u64(j, "main_lcore", rte_get_main_lcore());
	json_obj_end(j);
	json_obj(j, "port");
	json_u64(j, "id", f->p.id);
	json_str(j, "name", f->p.name);
	json_str(j, "driver", f->p.driver);
	json_str(j, "mac", mac);
	json_str(j, "peer_mac", f->p.have_peer ? peer : NULL);
	json_u64(j, "max_rx_pktlen", f->p.max_rx_pktlen);
	json_u64(j, "min_mtu", f->p.min_mtu);
	json_u64(j, "max_mtu", f->p.max_mtu);
	json_bool(j, "set_mtu_supported", f->p.set_mtu_rc != -ENOTSUP);
	json_u64(j, "nb_rxd", f->p.nb_rxd);
	json_u64(j, "nb_txd", f->p.nb_txd);
	json_u64(j, "mbuf_data_room", f->p.room);
	json_obj_end(j);
	json_obj_end(j);
}

static void
json_client_results(struct json *j, const struct floor *f, const struct summary *s)
{
	const struct floor_opts *o = f->o;
	json_num(j, "elapsed_s", s->secs);
	json_u64(j, "requests", f->requests);
	json_num(j, "requests_per_s", s->req_s);
	json_u64(j, "tx_bytes", f->tx_bytes);
	json_u64(j, "rx_bytes", f->rx_bytes);
	json_num(j, "tx_mb_per_s", s->tx_mbs);
	json_num(j, "rx_mb_per_s", s->rx_mbs);
	if (o->role == R_RR)
		json_hist(j, "latency_ns", &f->lat);
	json_num(j, "tsc_hz", (double)f->hz);
	json_num(j, "cycles_per_request", o->role == R_RR ? s->cyc_req : 0);
	json_num(j, "cycles_per_byte", s->cyc_byte);
	json_str(j, "cycles_note", "client thread wall TSC cycles over the measured interval "
		 "(busy-polling its core) / requests (stream: / frames in cycles_per_frame)");
	json_num(j, "cpu_user_ns_per_request", s->user_ns);
	json_num(j, "cpu_sys_ns_per_request", s->sys_ns);
	json_str(j, "cpu_note", "getrusage(RUSAGE_SELF) over the measured interval");
	json_u64(j, "frames_sent", f->frames_sent);
	json_u64(j, "frames_received", f->frames_rcvd);
	if (o->role == R_RR) {
		/* Frames never answered: memif does not drop, so anything but 0
		 * is a fault. Late answers (after --timeout-ms) are not lost. */
		json_u64(j, "lost", rr_lost(f));
		json_u64(j, "lost_total", rr_lost(f));
		json_u64(j, "timeouts", f->timeouts);
		json_u64(j, "late", f->late);
		json_u64(j, "requests_total", f->total_requests);
		if (f->have_ack)
			json_u64(j, "peer_frames", f->ack.frames);
		else
			json_null(j, "peer_frames");
	} else {
		json_num(j, "frames_per_s", s->secs > 0 ? (double)f->frames_sent / s->secs : 0);
		json_num(j, "cycles_per_frame", s->cyc_req);
		json_num(j, "tcp_payload_equiv_mb_per_s",
			 s->tx_mbs * (double)(o->size - FLOOR_TCP_HDRS) / (double)o->size);
		json_str(j, "tcp_payload_equiv_note", "the same frames carrying TCP with "
			 "timestamps: size - 66 payload bytes each");
		if (f->have_ack) {
			json_obj(j, "sink");
			json_u64(j, "frames", f->ack.frames);
			json_u64(j, "bytes", f->ack.bytes);
			json_u64(j, "sequence_gaps", f->ack.lost);
			json_num(j, "elapsed_s", s->sink_secs);
			json_num(j, "mb_per_s", s->sink_mbs);
			json_num(j, "frames_per_s", s->sink_fps);
			json_obj_end(j);
			json_u64(j, "frames_lost", f->frames_sent > f->ack.frames ?
				 f->frames_sent - f->ack.frames : 0);
		} else {
			json_null(j, "sink");
			json_null(j, "frames_lost");
		}
	}
	json_u64(j, "stale", o->role == R_RR ? f->late : 0);
	json_u64(j, "foreign", f->foreign);
}

static int
write_json(const struct floor *f, const struct summary *s, bool ok)
{
	const char *path = f->o->json;
	FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (out == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	struct json j;
	json_begin(&j, out);
	json_str(&j, "tool", "tern-floor");
	json_config(&j, f);
	json_obj(&j, "results");
	json_bool(&j, "ok", ok);
	if (f->o->role == R_RR || f->o->role == R_STREAM) {
		json_client_results(&j, f, s);
	} else {
		double secs = (double)f->all.elapsed_ns / 1e9;
		json_u64(&j, "sessions", f->sessions_done);
		json_u64(&j, "frames", f->all.frames);
		json_u64(&j, "bytes", f->all.bytes);
		if (f->o->role == R_REFLECT) {
			json_u64(&j, "frames_reflected", f->tx_frames);
		} else {
			json_num(&j, "elapsed_s", secs);
			json_num(&j, "mb_per_s", secs > 0 ? (double)f->all.bytes / secs / 1e6 : 0);
			json_num(&j, "frames_per_s", secs > 0 ? (double)f->all.frames / secs : 0);
			json_u64(&j, "sequence_gaps", f->all.lost);
			json_u64(&j, "reordered", f->reordered);
		}
		json_u64(&j, "foreign", f->foreign);
	}
	json_u64(&j, "errors", f->errors);
	json_u64(&j, "verify_errors", f->verify_err);
	json_str(&j, "abort", f->aborted ? f->abort_msg : NULL);
	json_obj_end(&j);
	json_end(&j);
	if (out != stdout && fclose(out) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* ---- main ---- */

/* The template frame: Ethernet, our header, then k % 251 for payload byte k. */
static void
template_init(struct floor *f)
{
	floor_put_eth(f, f->tmpl);
	struct floor_hdr h = { .magic = FLOOR_MAGIC, .type = FT_DATA, .role = (uint8_t)f->o->role };
	memcpy(f->tmpl + RTE_ETHER_HDR_LEN, &h, sizeof(h));
	for (size_t i = FLOOR_HLEN; i < sizeof(f->tmpl); i++)
		f->tmpl[i] = (uint8_t)((i - FLOOR_HLEN) % FLOOR_PATTERN_MOD);
}

int
main(int argc, char **argv)
{
	int first = rte_eal_init(argc, argv);
	if (first < 0) {
		fprintf(stderr, "tern-floor: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	/* rte_eal_init() leaves the program name where "--" was. */
	argc -= first + 1;
	argv += first + 1;
	static struct floor_opts o = { .outstanding = 1, .sessions = 1, .timeout_ms = 10000,
				       .verify = true, .max_time = 600 };
	if (parse_args(&o, argc, argv) != 0) {
		usage();
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	static struct floor fl;
	struct floor *f = &fl;
	f->o = &o;
	f->hz = rte_get_tsc_hz();
	f->ns_per_cycle = 1e9 / (double)f->hz;
	hist_reset(&f->lat);
	hist_reset(&f->iv);
	/* A session id that a restarted client will not repeat. */
	f->session = o.role == R_RR || o.role == R_STREAM ?
		     (rte_rdtsc() ^ ((uint64_t)getpid() << 40)) | 1 : 0;
	if (o.size == 0)   /* stream: fixed up below once the MTU is known */
		o.size = o.role == R_RR ? FLOOR_RR_DEFAULT_SIZE : 0;
	if (o.role == R_STREAM && o.size == 0)
		o.size = RTE_ETHER_HDR_LEN + (o.mtu ? o.mtu : RTE_ETHER_MTU);
	template_init(f);

	int rc = 2;
	if (port_open(f) != 0)
		goto out;
	/* A server waits for its first client as long as it lives. */
	unsigned link_ms = o.role == R_REFLECT || o.role == R_SINK ?
			   (unsigned)(o.duration * 1000) : 10000;
	if (!wait_link(f, link_ms)) {
		fprintf(stderr, "tern-floor: the link is not up after %u ms (no peer?)\n", link_ms);
		goto close;
	}
	bool ok;
	struct summary s = { 0 };
	if (o.role == R_REFLECT || o.role == R_SINK) {
		rc = run_server(f);
		print_server(f);
		ok = rc == 0 && f->errors == 0;
	} else {
		if (hello(f) != 0)
			goto close;
		if (o.role == R_RR)
			run_rr(f);
		else
			run_stream(f);
		s = summarize(f);
		print_client(f, &s);
		uint64_t done = o.role == R_RR ? f->requests : f->frames_sent;
		ok = !f->aborted && done > 0 && f->errors == 0 && f->verify_err == 0 && f->have_ack;
	}
	if (o.json != NULL && write_json(f, &s, ok) != 0)
		ok = false;
	rc = ok ? 0 : 1;
close:
	rte_eth_dev_stop(f->p.id);
	rte_eth_dev_close(f->p.id);
out:
	rte_eal_cleanup();
	return rc;
}
