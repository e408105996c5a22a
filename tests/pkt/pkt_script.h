/*
 * Packet scripts in packetdrill's .pkt format: the parsed form. pkt_parse.c
 * turns a script's text into a list of events (no DPDK, no I/O besides
 * reading the file); pkt_wire.c builds and matches the packets of those
 * events; pkt_run.c runs them against a Tern stack on a virtual clock.
 * The format follows packetdrill's grammar (time, then a system call, a
 * packet or a backquoted command); see README.md for what is supported.
 */
#ifndef TERN_PKT_SCRIPT_H
#define TERN_PKT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_ARGS 8
#define PKT_MAX_LIST 4
#define PKT_NAME_LEN 32
#define PKT_TEXT_LEN 256
#define PKT_TCPOPT_MAX 40

/* Defaults of packetdrill (config.c): ports and timing tolerance. The
 * addresses are Tern's: this project only uses 198.18.0.0/15. */
#define PKT_DEFAULT_LOCAL_IP  0xc6120002u   /* 198.18.0.2: Tern ("local") */
#define PKT_DEFAULT_REMOTE_IP 0xc6120001u   /* 198.18.0.1: the script's peer */
#define PKT_DEFAULT_BIND_PORT 8080
#define PKT_DEFAULT_CONNECT_PORT 8080
#define PKT_DEFAULT_TOLERANCE_US 4000
#define PKT_DEFAULT_TOLERANCE_PCT 12.5

enum pkt_time_type {
	PKT_TIME_ABS = 1,       /* 0.100 */
	PKT_TIME_REL,           /* +0.1 */
	PKT_TIME_ANY,           /* * (outbound packets only) */
	PKT_TIME_ABS_RANGE,     /* 0.1~0.2 (outbound packets only) */
	PKT_TIME_REL_RANGE,     /* +0.1~+0.2 (outbound packets only) */
};

enum pkt_event_type {
	PKT_EV_SYSCALL = 1,
	PKT_EV_PACKET,
	PKT_EV_COMMAND,         /* `shell` or %{ code }%: logged, not run */
};

enum pkt_expr_type {
	PKT_EXPR_ELLIPSIS = 1,  /* ... */
	PKT_EXPR_INT,           /* 42, 0x2a, SOCK_DGRAM, O_RDWR|O_NONBLOCK */
	PKT_EXPR_LIST,          /* [1], [4] */
	PKT_EXPR_STRING,        /* "text" */
	PKT_EXPR_SOCKADDR,      /* {sa_family=AF_INET, sin_port=htons(P), sin_addr=inet_addr("A")} */
	PKT_EXPR_LINGER,        /* {onoff=N, linger=N}: list[0], list[1] */
};

struct pkt_expr {
	enum pkt_expr_type type;
	int64_t num;                    /* INT */
	unsigned n;                     /* LIST: elements */
	int64_t list[PKT_MAX_LIST];
	uint32_t addr;                  /* SOCKADDR, host order */
	uint16_t port;                  /* SOCKADDR */
	char str[PKT_TEXT_LEN];         /* STRING */
};

struct pkt_syscall {
	char name[PKT_NAME_LEN];
	unsigned nargs;
	struct pkt_expr arg[PKT_MAX_ARGS];
	bool result_any;                /* = ... */
	int64_t result;
	int err;                        /* expected errno, 0 = none given */
	char errname[PKT_NAME_LEN];
	bool blocking;                  /* START...END: returns at end_us */
	int64_t end_us;                 /* absolute, or relative like the start */
};

/* One script packet. Fields not meaningful for its protocol stay 0. */
struct pkt_packet {
	bool inbound;                   /* '<' injected; '>' sent by Tern */
	uint8_t proto;                  /* 6 TCP, 17 UDP, 1 ICMP */
	bool has_ports;                 /* SPORT>DPORT given */
	uint16_t sport, dport;
	uint32_t payload_len;           /* UDP/TCP payload bytes */
	/* TCP */
	uint8_t flags;                  /* WIRE_TCP_* bits */
	uint32_t seq;                   /* start (relative to the ISN) */
	bool has_ack;
	uint32_t ack;
	int32_t win;                    /* -1: not given (not checked outbound) */
	uint16_t urg;
	bool opts_any;                  /* <...> */
	uint8_t opts[PKT_TCPOPT_MAX];   /* options in script order, encoded */
	uint8_t opts_len;
	int8_t ts_off;                  /* offset of the TS option in opts, -1 none */
	uint8_t nsack_off;              /* SACK blocks: offsets of their 8 bytes */
	uint8_t sack_off[PKT_TCPOPT_MAX / 8];
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	int32_t icmp_mtu;               /* -1 none */
	uint8_t echoed_proto;           /* 0 none, 6 [seq], 17 [udp (N)] */
	uint32_t echoed_len;            /* payload bytes of the echoed datagram */
	uint32_t echoed_seq;
};

struct pkt_event {
	unsigned line;
	enum pkt_time_type time_type;
	int64_t t_us, t_end_us;         /* time, range end (microseconds) */
	enum pkt_event_type type;
	struct pkt_syscall sc;
	struct pkt_packet pkt;
	char text[PKT_TEXT_LEN];        /* the line as written (messages) */
};

struct pkt_config {
	uint32_t local_ip, remote_ip;   /* host order */
	uint16_t bind_port, connect_port;
	int64_t tolerance_us;
	double tolerance_pct;
	unsigned skipped_options;       /* --options we accepted and ignored */
};

struct pkt_script {
	struct pkt_config cfg;
	struct pkt_event *ev;
	size_t n, cap;
	unsigned commands;              /* backquoted commands / code skipped */
};

/**
 * Parse a whole script. @p err gets "line N: what" on failure.
 * @return 0, or -1 (the script is freed).
 */
int pkt_script_parse(const char *text, struct pkt_script *out, char *err, size_t errlen);
/** Read and parse a file. @return 0 or -1 with @p err set. */
int pkt_script_load(const char *path, struct pkt_script *out, char *err, size_t errlen);
void pkt_script_free(struct pkt_script *s);

/** errno value of a name ("EAGAIN"), 0 if unknown. */
int pkt_errno_value(const char *name);
/** Name of an errno value ("EAGAIN"), "E?" if not in the table. */
const char *pkt_errno_name(int err);

#endif
