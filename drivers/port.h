/*
 * The port interface: the only way the stack reaches a NIC. The stack calls
 * rx_burst()/tx_burst() and never an rte_eth_* function (TLDK's rule), so a
 * port can be an rte_ethdev (tap, pcap, ring, memif, a vfio-pci NIC), an
 * in-memory wire for tests, or an impairment layer wrapping another port.
 *
 * Ownership (STYLE rule 6): rx_burst hands the mbufs to the caller; tx_burst
 * takes the first n it returns, and the rest stay the caller's to free.
 * A port is driven by one thread at a time (the stack core or the inline app).
 */
#ifndef TERN_PORT_H
#define TERN_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct rte_mbuf;
struct rte_mempool;

/* Checksum offloads the port does for us, decided once at start-up. */
#define TERN_PORT_RX_IPV4_CKSUM (1u << 0)
#define TERN_PORT_RX_L4_CKSUM   (1u << 1)  /* UDP and TCP */
#define TERN_PORT_TX_IPV4_CKSUM (1u << 2)
#define TERN_PORT_TX_UDP_CKSUM  (1u << 3)
#define TERN_PORT_TX_TCP_CKSUM  (1u << 4)
#define TERN_PORT_TX_MULTISEG   (1u << 5)  /* accepts chained mbufs */

struct tern_port_stats {
	uint64_t rx_packets, rx_bytes, rx_missed, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_errors;
};

struct tern_port;

struct tern_port_ops {
	/** Receive up to @p n frames into @p m. @return how many. */
	uint16_t (*rx_burst)(struct tern_port *p, struct rte_mbuf **m, uint16_t n);
	/** Send up to @p n frames; @return how many the port took. */
	uint16_t (*tx_burst)(struct tern_port *p, struct rte_mbuf **m, uint16_t n);
	/** Link up? */
	bool (*link_up)(struct tern_port *p);
	/** Port counters (hardware or PMD). @return 0 or -errno. */
	int (*stats)(struct tern_port *p, struct tern_port_stats *s);
	/** Release everything the port holds. Wrapped ports are not closed. */
	void (*close)(struct tern_port *p);
};

struct tern_port {
	const struct tern_port_ops *ops;
	void *priv;
	uint8_t mac[6];
	uint16_t mtu;       /* IP MTU (bytes above Ethernet) */
	uint32_t offloads;  /* TERN_PORT_* bits */
	char name[32];
};

static inline uint16_t
tern_port_rx(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	return p->ops->rx_burst(p, m, n);
}

static inline uint16_t
tern_port_tx(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	return p->ops->tx_burst(p, m, n);
}

/**
 * Open DPDK port @p port_id (after rte_eal_init), configure one rx and one
 * tx queue with mbufs from @p pool, enable the checksum offloads the device
 * advertises (unless @p no_offload) and start it.
 * @return a port or NULL (errno set, reason printed on stderr).
 */
struct tern_port *tern_port_ethdev_open(uint16_t port_id, struct rte_mempool *pool,
					uint16_t mtu, bool no_offload);

/**
 * A pair of in-memory ports joined back to back (what one sends, the other
 * receives), each direction a ring of @p depth frames. For tests and for two
 * stacks in one process. Frames are passed by pointer, not copied.
 * @return 0 or -errno; *a and *b are set on success.
 */
int tern_port_mem_pair(const char *name, unsigned depth, uint16_t mtu,
		       struct tern_port **a, struct tern_port **b);

/**
 * A single in-memory port whose far end is the test: tern_port_mem_inject()
 * puts frames on its rx side, tern_port_mem_collect() takes what the stack
 * sent. Used by the pcap-replay harness and the unit tests.
 */
struct tern_port *tern_port_mem_open(const char *name, unsigned depth, uint16_t mtu);
/** Queue @p n frames for the port's rx side; @return how many were taken. */
unsigned tern_port_mem_inject(struct tern_port *p, struct rte_mbuf **m, unsigned n);
/** Take up to @p n frames the port transmitted; @return how many. */
unsigned tern_port_mem_collect(struct tern_port *p, struct rte_mbuf **m, unsigned n);

static inline void
tern_port_close(struct tern_port *p)
{
	if (p != NULL)
		p->ops->close(p);
}

#endif
