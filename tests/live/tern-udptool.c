/*
 * tern-udptool: the Tern side of the live tests that tern-echo cannot play
 * (broadcast both ways, ICMP port unreachable as ECONNREFUSED). Run by the
 * scripts in tests/live/ inside a namespace, against the kernel on a TAP.
 *   tern-udptool [EAL args] -- MODE [--timeout S] [runtime options]
 * Modes:
 *   --send-broadcast PORT [--so-broadcast]
 *       sendto '<broadcast>' and the subnet broadcast. Without SO_BROADCAST
 *       both must fail with EACCES; with it both must be sent, and the
 *       kernel receiver answers each with a unicast "ack" we wait for.
 *   --recv-broadcast PORT [--so-broadcast]
 *       bind ('', PORT), print "ready", then wait for the two datagrams the
 *       kernel sends to the subnet and to the limited broadcast address.
 *   --connected-refused A.B.C.D:P
 *       connect to a closed kernel port and send: recv must then fail with
 *       ECONNREFUSED (the kernel's ICMP port unreachable).
 * Exit status: 0 on the expected outcome, 1 otherwise, 2 on a usage or
 * start-up error. The last line of output says which.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

enum udptool_mode { MODE_NONE, MODE_SEND_BCAST, MODE_RECV_BCAST, MODE_REFUSED };

struct udptool_opts {
	enum udptool_mode mode;
	uint16_t port;
	struct sockaddr_in peer;
	bool so_broadcast;
	double timeout;      /* seconds a blocking call may wait */
};

static void
usage(void)
{
	fprintf(stderr, "usage: tern-udptool [EAL args] -- MODE [options]\n"
		"  --send-broadcast PORT    sendto '<broadcast>' and the subnet broadcast\n"
		"  --recv-broadcast PORT    receive the kernel's two broadcasts\n"
		"  --connected-refused A:P  expect ECONNREFUSED from a closed kernel port\n"
		"  --so-broadcast           set SO_BROADCAST first\n"
		"  --timeout S              wait at most S seconds for a reply (default 5)\n%s",
		app_rt_usage);
}

static int
parse_port(const char *v, uint16_t *out)
{
	char *end;
	long p = strtol(v, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535) {
		fprintf(stderr, "bad port %s\n", v);
		return -1;
	}
	*out = (uint16_t)p;
	return 0;
}

static int
parse(struct app_rt_opts *rt, int argc, char **argv, void *arg)
{
	struct udptool_opts *o = arg;
	for (int i = 0; i < argc; i++) {
		int r = app_rt_option(rt, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--so-broadcast") == 0) {
			o->so_broadcast = true;
			continue;
		}
		if (v == NULL) {
			usage();
			return -1;
		}
		i++;
		if (strcmp(a, "--send-broadcast") == 0) {
			o->mode = MODE_SEND_BCAST;
			if (parse_port(v, &o->port) != 0)
				return -1;
		} else if (strcmp(a, "--recv-broadcast") == 0) {
			o->mode = MODE_RECV_BCAST;
			if (parse_port(v, &o->port) != 0)
				return -1;
		} else if (strcmp(a, "--connected-refused") == 0) {
			o->mode = MODE_REFUSED;
			if (app_parse_ipport(v, &o->peer) != 0) {
				fprintf(stderr, "bad address %s\n", v);
				return -1;
			}
		} else if (strcmp(a, "--timeout") == 0) {
			o->timeout = atof(v);
		} else {
			usage();
			return -1;
		}
	}
	if (o->mode == MODE_NONE || o->timeout <= 0) {
		usage();
		return -1;
	}
	return 0;
}

static const char *
ntoa(const struct sockaddr_in *a, char *buf, size_t len)
{
	char ip[16];
	tern_inet_ntoa(a->sin_addr, ip);
	snprintf(buf, len, "%s:%u", ip, tern_ntohs(a->sin_port));
	return buf;
}

/* Both broadcast forms: the limited one ('<broadcast>', as the socket
 * module spells it) and our subnet's directed broadcast. */
static void
broadcast_addrs(const struct tern_conf *conf, uint16_t port, struct sockaddr_in out[2])
{
	tern_addr("<broadcast>", port, &out[0]);
	uint8_t plen = conf->prefix_len ? conf->prefix_len : 24;
	uint32_t mask = plen >= 32 ? 0xffffffffu : ~(0xffffffffu >> plen);
	out[1] = out[0];
	out[1].sin_addr.s_addr = tern_htonl(conf->ip | ~mask);
}

static int
send_broadcast(int fd, const struct udptool_opts *o, const struct tern_conf *conf)
{
	struct sockaddr_in to[2];
	char abuf[32];
	int ok = 1;
	broadcast_addrs(conf, o->port, to);
	for (int i = 0; i < 2; i++) {
		char msg[64];
		int len = snprintf(msg, sizeof(msg), "tern broadcast %d", i);
		ssize_t n = tern_sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&to[i],
					sizeof(to[i]));
		int err = n < 0 ? errno : 0;
		printf("sendto %s (SO_BROADCAST %s): %s\n", ntoa(&to[i], abuf, sizeof(abuf)),
		       o->so_broadcast ? "on" : "off", n < 0 ? strerror(err) : "sent");
		if (o->so_broadcast ? n != len : (n >= 0 || err != EACCES))
			ok = 0;
	}
	if (!ok) {
		printf("FAIL: expected %s\n", o->so_broadcast ? "both datagrams sent" :
		       "EACCES for both (no SO_BROADCAST)");
		return 1;
	}
	if (!o->so_broadcast) {
		printf("PASS: broadcast refused with EACCES without SO_BROADCAST\n");
		return 0;
	}
	/* The kernel receiver answers each broadcast with a unicast ack. */
	int acks = 0;
	while (acks < 2) {
		char buf[128];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = tern_recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			printf("FAIL: %d of 2 acks from the kernel receiver (%s)\n", acks,
			       strerror(errno));
			return 1;
		}
		buf[n] = '\0';
		printf("ack from %s: %s\n", ntoa(&from, abuf, sizeof(abuf)), buf);
		if (strncmp(buf, "ack ", 4) == 0)
			acks++;
	}
	printf("PASS: both broadcasts reached the kernel\n");
	return 0;
}

static int
recv_broadcast(int fd, const struct udptool_opts *o)
{
	struct sockaddr_in any;
	tern_addr("", o->port, &any);
	if (tern_bind(fd, (struct sockaddr *)&any, sizeof(any)) != 0) {
		printf("FAIL: bind: %s\n", strerror(errno));
		return 1;
	}
	printf("ready: bound to '':%u (SO_BROADCAST %s)\n", o->port, o->so_broadcast ? "on" : "off");
	fflush(stdout);
	/* The kernel sender names the destination in the payload. */
	bool got_subnet = false, got_limited = false;
	while (!(got_subnet && got_limited)) {
		char buf[128], abuf[32];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = tern_recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			printf("FAIL: recvfrom: %s (subnet %s, limited %s)\n", strerror(errno),
			       got_subnet ? "received" : "missing",
			       got_limited ? "received" : "missing");
			return 1;
		}
		buf[n] = '\0';
		printf("received '%s' from %s\n", buf, ntoa(&from, abuf, sizeof(abuf)));
		if (strstr(buf, "255.255.255.255") != NULL)
			got_limited = true;
		else if (strstr(buf, "to ") != NULL)
			got_subnet = true;
	}
	printf("PASS: both broadcasts received\n");
	return 0;
}

static int
connected_refused(int fd, const struct udptool_opts *o)
{
	char abuf[32];
	if (tern_connect(fd, (struct sockaddr *)&o->peer, sizeof(o->peer)) != 0) {
		printf("FAIL: connect %s: %s\n", ntoa(&o->peer, abuf, sizeof(abuf)),
		       strerror(errno));
		return 1;
	}
	/* The first probe may wait on ARP; a few tries bound the wait. */
	for (int attempt = 1; attempt <= 3; attempt++) {
		if (tern_send(fd, "probe", 5, 0) != 5) {
			int err = errno;
			/* A pending error may surface on send too, as on Linux. */
			printf("send: %s\n", strerror(err));
			if (err == ECONNREFUSED) {
				printf("PASS: ECONNREFUSED (reported by send)\n");
				return 0;
			}
			printf("FAIL: send failed\n");
			return 1;
		}
		char buf[64];
		ssize_t n = tern_recv(fd, buf, sizeof(buf), 0);
		int err = errno;
		printf("recv after probe %d to %s: %s\n", attempt, ntoa(&o->peer, abuf, sizeof(abuf)),
		       n >= 0 ? "got data" : strerror(err));
		if (n < 0 && err == ECONNREFUSED) {
			printf("PASS: ECONNREFUSED\n");
			return 0;
		}
		if (n >= 0 || (err != EAGAIN && err != EWOULDBLOCK))
			break;
	}
	printf("FAIL: expected ECONNREFUSED\n");
	return 1;
}

int
main(int argc, char **argv)
{
	struct app_rt_opts rt = { 0 };
	struct udptool_opts o = { .timeout = 5.0 };
	int first;
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct backend *b = app_start(argc, argv, &first, &rt, parse, &o);
	if (b == NULL)
		return 2;
	if (rt.kernel) {
		fprintf(stderr, "tern-udptool tests Tern: --kernel is not supported\n");
		return 2;
	}
	int fd = tern_socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("tern_socket");
		app_stop(&rt);
		return 2;
	}
	int rc = 1;
	int one = 1;
	if (tern_settimeout(fd, o.timeout) != 0) {
		printf("FAIL: settimeout: %s\n", strerror(errno));
	} else if (o.so_broadcast &&
		   tern_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0) {
		printf("FAIL: SO_BROADCAST: %s\n", strerror(errno));
	} else {
		switch (o.mode) {
		case MODE_SEND_BCAST:
			rc = send_broadcast(fd, &o, &rt.conf);
			break;
		case MODE_RECV_BCAST:
			rc = recv_broadcast(fd, &o);
			break;
		case MODE_REFUSED:
			rc = connected_refused(fd, &o);
			break;
		case MODE_NONE:
			break;
		}
	}
	tern_close(fd);
	app_stop(&rt);
	return rc;
}
