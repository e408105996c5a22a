/*
 * The stack's end of the application channel: everything tern_stack_submit()
 * queued is handled here, in submission order, once per poll. Requests are
 * answered with tern_req_complete(); data goes to its socket's transport;
 * read notices let TCP open its window.
 */
#include <errno.h>
#include <sys/socket.h>

#include "stack_impl.h"

static int32_t
sock_req(struct tern_stack *s, struct tern_req *r)
{
	if (r->op == TERN_REQ_OPEN) {
		if (r->sock >= s->max_sockets || s->slot_type[r->sock] != 0)
			return -EINVAL;
		int32_t rc;
		if (r->type == SOCK_DGRAM)
			rc = udp_req(s, r);
		else if (r->type == SOCK_STREAM)
			rc = tcp_req(s, r);
		else
			rc = -EPROTONOSUPPORT;
		if (rc == 0)
			s->slot_type[r->sock] = (uint8_t)r->type;
		return rc;
	}
	if (r->sock >= s->max_sockets)
		return -EBADF;
	int32_t rc;
	switch (s->slot_type[r->sock]) {
	case SOCK_DGRAM:
		rc = udp_req(s, r);
		break;
	case SOCK_STREAM:
		rc = tcp_req(s, r);
		break;
	default:
		return -EBADF;
	}
	if (r->op == TERN_REQ_CLOSE)
		s->slot_type[r->sock] = 0;
	return rc;
}

void
sockreq_dispatch(struct tern_stack *s, void *obj)
{
	uintptr_t tag = (uintptr_t)obj & 7u;
	if (tag == 0) {
		struct rte_mbuf *m = obj;
		uint32_t slot = tern_mbuf_meta(m)->sock;
		if (slot < s->max_sockets && s->slot_type[slot] == SOCK_STREAM)
			tcp_usr_send(s, m);
		else
			udp_send(s, m);
		return;
	}
	if (tag == TERN_OBJ_RCVD) {
		tcp_usr_rcvd(s, (uint32_t)((uintptr_t)obj >> 3));
		return;
	}
	struct tern_req *r = (struct tern_req *)((uintptr_t)obj & ~(uintptr_t)1u);
	STAT(s, req_rx);
	int32_t rc = sock_req(s, r);
	TRACE("req op %u sock %u -> %d\n", r->op, r->sock, rc);
	tern_req_complete(r, rc);
}
