/*
 * Two runtimes back to back over an in-memory port pair, for unit tests that
 * need a real LCORE stack: runtime A (the sockets under test) runs its stack
 * on worker lcore 1, so waits really sleep and are woken by the stack; its
 * peer B is INLINE and driven by a thread of the test, which also calls the
 * test's tick() on every turn (delayed actions that wake a sleeper). Needs
 * two lcores: EAL starts here with -l 0-1 (not through fixture.c, whose EAL
 * has one), and a one-CPU machine skips the program (77).
 */
#ifndef TERN_TEST_FIXTURE_PAIR_H
#define TERN_TEST_FIXTURE_PAIR_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <check.h>

#include "fixture.h"

#define FIXTURE_PAIR_MBUFS 8191u

struct fixture_pair {
	struct tern_port *port_a, *port_b;
	struct tern_rt *rt_a, *rt_b;
	pthread_t drv;
	_Atomic bool stop;
	void (*tick)(void);
};

/** EAL on lcores 0-1 (file prefix tern-NAME-PID) and the shared pool.
 *  @return 0, or the exit status for main(): 77 skip, or failure. */
int fixture_pair_eal(const char *name);
/** The pool fixture_pair_eal() made. */
struct rte_mempool *fixture_pair_pool(void);
/** Port pair NAME, A = LCORE at @p ip_a (seed), B = INLINE at @p ip_b
 *  (seed + 1) with its driver thread calling @p tick (may be NULL). */
void fixture_pair_start(struct fixture_pair *p, const char *name, uint32_t ip_a,
			uint32_t ip_b, uint64_t seed, void (*tick)(void));
/** Stop the driver, both runtimes and ports; every mbuf must be back. */
void fixture_pair_stop(struct fixture_pair *p);
/** Run @p s without forking, then free the pool and EAL. @return exit status. */
int fixture_pair_run(Suite *s);

#endif
