/*
 * The port interface over an rte_ethdev (tap, pcap, ring, memif, a PCI NIC):
 * one rx and one tx queue, checksum offloads decided once from what the
 * device advertises. The stack reaches the device only through these ops;
 * tern_port_ethdev_open() is called by the runtime after rte_eal_init().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "port.h"

#define ETHDEV_NB_RXD 1024
#define ETHDEV_NB_TXD 1024

struct ethdev_port {
	struct tern_port port;
	uint16_t port_id;
	bool tx_prepare;   /* offloads requested: let the PMD fix up headers */
};

static uint16_t
ethdev_rx_burst(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct ethdev_port *ep = p->priv;
	return rte_eth_rx_burst(ep->port_id, 0, m, n);
}

static uint16_t
ethdev_tx_burst(struct tern_port *p, struct rte_mbuf **m, uint16_t n)
{
	struct ethdev_port *ep = p->priv;
	uint16_t ok = n;
	/* With checksum offloads some PMDs need the pseudo-header sum laid
	 * out their way; tx_prepare does it, or stops at the first frame the
	 * device cannot send. That frame and the rest stay the caller's. */
	if (ep->tx_prepare)
		ok = rte_eth_tx_prepare(ep->port_id, 0, m, n);
	if (ok == 0)
		return 0;
	return rte_eth_tx_burst(ep->port_id, 0, m, ok);
}

static bool
ethdev_link_up(struct tern_port *p)
{
	struct ethdev_port *ep = p->priv;
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(ep->port_id, &link) != 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

static int
ethdev_stats(struct tern_port *p, struct tern_port_stats *s)
{
	struct ethdev_port *ep = p->priv;
	struct rte_eth_stats es;
	int rc = rte_eth_stats_get(ep->port_id, &es);
	if (rc != 0)
		return rc;
	s->rx_packets = es.ipackets;
	s->rx_bytes = es.ibytes;
	/* rx_nombuf: the device had a frame but our pool had no mbuf for
	 * it; to the stack that is a missed frame like imissed. */
	s->rx_missed = es.imissed + es.rx_nombuf;
	s->rx_errors = es.ierrors;
	s->tx_packets = es.opackets;
	s->tx_bytes = es.obytes;
	s->tx_errors = es.oerrors;
	return 0;
}

static void
ethdev_close(struct tern_port *p)
{
	struct ethdev_port *ep = p->priv;
	int rc = rte_eth_dev_stop(ep->port_id);
	if (rc != 0)
		fprintf(stderr, "tern: port %u: stop: %s\n", ep->port_id, strerror(-rc));
	rc = rte_eth_dev_close(ep->port_id);
	if (rc != 0)
		fprintf(stderr, "tern: port %u: close: %s\n", ep->port_id, strerror(-rc));
	free(ep);
}

static const struct tern_port_ops ethdev_ops = {
	.rx_burst = ethdev_rx_burst,
	.tx_burst = ethdev_tx_burst,
	.link_up = ethdev_link_up,
	.stats = ethdev_stats,
	.close = ethdev_close,
};

/*
 * Map what the device can do onto TERN_PORT_* bits and the ethdev offload
 * flags to request. RX L4 is one bit for the stack, so it is taken only when
 * the device checks both UDP and TCP: a half-offloaded receive path would
 * make the stack's "verify in software?" test depend on the protocol.
 */
static uint32_t
ethdev_pick_offloads(const struct rte_eth_dev_info *di, uint64_t *rx_off, uint64_t *tx_off)
{
	uint32_t bits = 0;
	*rx_off = 0;
	*tx_off = 0;
	if (di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
		bits |= TERN_PORT_RX_IPV4_CKSUM;
		*rx_off |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	}
	const uint64_t rx_l4 = RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	if ((di->rx_offload_capa & rx_l4) == rx_l4) {
		bits |= TERN_PORT_RX_L4_CKSUM;
		*rx_off |= rx_l4;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		bits |= TERN_PORT_TX_IPV4_CKSUM;
		*tx_off |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
		bits |= TERN_PORT_TX_UDP_CKSUM;
		*tx_off |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		bits |= TERN_PORT_TX_TCP_CKSUM;
		*tx_off |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		bits |= TERN_PORT_TX_MULTISEG;
		*tx_off |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	}
	return bits;
}

static void
ethdev_print_summary(const struct ethdev_port *ep, const char *driver,
		     uint16_t nb_rxd, uint16_t nb_txd)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ TERN_PORT_RX_IPV4_CKSUM, "rx-ipv4" },
		{ TERN_PORT_RX_L4_CKSUM, "rx-l4" },
		{ TERN_PORT_TX_IPV4_CKSUM, "tx-ipv4" },
		{ TERN_PORT_TX_UDP_CKSUM, "tx-udp" },
		{ TERN_PORT_TX_TCP_CKSUM, "tx-tcp" },
		{ TERN_PORT_TX_MULTISEG, "tx-multiseg" },
	};
	char list[128] = "";
	size_t len = 0;
	for (size_t i = 0; i < RTE_DIM(names); i++) {
		if (!(ep->port.offloads & names[i].bit))
			continue;
		int w = snprintf(list + len, sizeof(list) - len, "%s%s",
				 len > 0 ? "," : "", names[i].name);
		if (w > 0 && (size_t)w < sizeof(list) - len)
			len += (size_t)w;
	}
	const uint8_t *a = ep->port.mac;
	fprintf(stderr, "tern: port %u (%s) %02x:%02x:%02x:%02x:%02x:%02x mtu %u "
		"rxd %u txd %u offloads: %s\n", ep->port_id, driver,
		a[0], a[1], a[2], a[3], a[4], a[5], ep->port.mtu, nb_rxd, nb_txd,
		len > 0 ? list : "none");
}

static struct tern_port *
ethdev_fail(struct ethdev_port *ep, uint16_t port_id, const char *what, int rc)
{
	int err = rc < 0 ? -rc : (rc > 0 ? rc : EIO);
	fprintf(stderr, "tern: port %u: %s: %s\n", port_id, what, strerror(err));
	free(ep);
	errno = err;
	return NULL;
}

struct tern_port *
tern_port_ethdev_open(uint16_t port_id, struct rte_mempool *pool, uint16_t mtu,
		      bool no_offload)
{
	if (pool == NULL || !rte_eth_dev_is_valid_port(port_id)) {
		fprintf(stderr, "tern: port %u: no such port (or no pool)\n", port_id);
		errno = ENODEV;
		return NULL;
	}
	struct ethdev_port *ep = calloc(1, sizeof(*ep));
	if (ep == NULL)
		return ethdev_fail(NULL, port_id, "alloc", -ENOMEM);
	ep->port_id = port_id;

	struct rte_eth_dev_info di;
	int rc = rte_eth_dev_info_get(port_id, &di);
	if (rc != 0)
		return ethdev_fail(ep, port_id, "dev_info_get", rc);

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	uint64_t rx_off = 0, tx_off = 0;
	if (!no_offload)
		ep->port.offloads = ethdev_pick_offloads(&di, &rx_off, &tx_off);
	conf.rxmode.offloads = rx_off;
	conf.txmode.offloads = tx_off;
	ep->tx_prepare = (tx_off & ~RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	/* Devices that size their receive buffers at configure time read the
	 * MTU from here; out of their range, leave it to set_mtu to refuse. */
	if (mtu != 0 && mtu >= di.min_mtu && mtu <= di.max_mtu)
		conf.rxmode.mtu = mtu;

	rc = rte_eth_dev_configure(port_id, 1, 1, &conf);
	if (rc != 0)
		return ethdev_fail(ep, port_id, "configure", rc);

	/* MTU after configure (ethdev refuses it before). Devices without
	 * the op (net_ring, pcap) carry whatever we give them, so ENOTSUP
	 * keeps the requested value; anything else is a real refusal. */
	if (mtu != 0) {
		rc = rte_eth_dev_set_mtu(port_id, mtu);
		if (rc != 0 && rc != -ENOTSUP)
			return ethdev_fail(ep, port_id, "set_mtu", rc);
		ep->port.mtu = mtu;
	} else {
		uint16_t cur = 0;
		ep->port.mtu = rte_eth_dev_get_mtu(port_id, &cur) == 0 && cur != 0 ?
			       cur : RTE_ETHER_MTU;
	}

	uint16_t nb_rxd = ETHDEV_NB_RXD, nb_txd = ETHDEV_NB_TXD;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		return ethdev_fail(ep, port_id, "adjust_nb_rx_tx_desc", rc);

	int socket = rte_eth_dev_socket_id(port_id);
	struct rte_eth_rxconf rxq = di.default_rxconf;
	rxq.offloads = conf.rxmode.offloads;
	rc = rte_eth_rx_queue_setup(port_id, 0, nb_rxd, (unsigned)socket, &rxq, pool);
	if (rc != 0)
		return ethdev_fail(ep, port_id, "rx_queue_setup", rc);
	struct rte_eth_txconf txq = di.default_txconf;
	txq.offloads = conf.txmode.offloads;
	rc = rte_eth_tx_queue_setup(port_id, 0, nb_txd, (unsigned)socket, &txq);
	if (rc != 0)
		return ethdev_fail(ep, port_id, "tx_queue_setup", rc);

	struct rte_ether_addr addr;
	rc = rte_eth_macaddr_get(port_id, &addr);
	if (rc != 0)
		return ethdev_fail(ep, port_id, "macaddr_get", rc);
	/* Software devices (net_ring from rte_eth_from_rings, some pcap
	 * setups) report 00:00:00:00:00:00, which no peer can address or
	 * ARP-resolve: give them a random locally administered one. */
	if (rte_is_zero_ether_addr(&addr)) {
		rte_eth_random_addr(addr.addr_bytes);
		rc = rte_eth_dev_default_mac_addr_set(port_id, &addr);
		if (rc != 0 && rc != -ENOTSUP)
			fprintf(stderr, "tern: port %u: set mac: %s\n", port_id, strerror(-rc));
	}
	memcpy(ep->port.mac, addr.addr_bytes, sizeof(ep->port.mac));

	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		return ethdev_fail(ep, port_id, "start", rc);

	/* The stack accepts only its own MAC and broadcast, and speaks no
	 * multicast protocol: filtering in the device saves it the work. On a
	 * tap or a shared segment promiscuous mode would hand it every frame.
	 * Devices without these controls (ENOTSUP) deliver what they deliver,
	 * and the stack filters in software anyway. */
	rc = rte_eth_promiscuous_disable(port_id);
	if (rc != 0 && rc != -ENOTSUP)
		fprintf(stderr, "tern: port %u: promiscuous off: %s\n", port_id, strerror(-rc));
	rc = rte_eth_allmulticast_disable(port_id);
	if (rc != 0 && rc != -ENOTSUP)
		fprintf(stderr, "tern: port %u: allmulticast off: %s\n", port_id, strerror(-rc));

	ep->port.ops = &ethdev_ops;
	ep->port.priv = ep;
	char devname[RTE_ETH_NAME_MAX_LEN];
	if (rte_eth_dev_get_name_by_port(port_id, devname) != 0)
		snprintf(devname, sizeof(devname), "port%u", port_id);
	snprintf(ep->port.name, sizeof(ep->port.name), "%.31s", devname);
	ethdev_print_summary(ep, di.driver_name != NULL ? di.driver_name : "?", nb_rxd, nb_txd);
	return &ep->port;
}
