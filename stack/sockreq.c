/*
 * The stack's end of the application channel: everything tern_stack_submit()
 * queued is handled here, in submission order, once per poll. Requests are
 * answered with tern_req_complete(); datagrams go to their transport.
 */
#include <errno.h>

#include "stack_impl.h"

void
sockreq_dispatch(struct tern_stack *s, void *obj)
{
	if (((uintptr_t)obj & 1u) == 0) {
		udp_send(s, (struct rte_mbuf *)obj);
		return;
	}
	struct tern_req *r = (struct tern_req *)((uintptr_t)obj & ~(uintptr_t)1u);
	STAT(s, req_rx);
	int32_t rc = udp_req(s, r);
	TRACE("req op %u sock %u -> %d\n", r->op, r->sock, rc);
	tern_req_complete(r, rc);
}
