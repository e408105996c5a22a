/* EAL start-up for the test harnesses (see test_eal.h). */
#include "test_eal.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "tern.h"

int
test_eal_start(const char *prog, const char *tag)
{
	/* The first CPU we may run on: a harness under taskset still starts. */
	cpu_set_t set;
	int core = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (core = 0; core < CPU_SETSIZE && !CPU_ISSET(core, &set); core++)
			;
	char lcores[32], prefix[96];
	snprintf(lcores, sizeof(lcores), "0@%d", core);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s-%d", tag, (int)getpid());
	char *eargv[] = { (char *)prog, "--no-huge", "-m", "256", "--no-pci", prefix,
			  "--no-telemetry", "--log-level=lib.eal:error", "--lcores", lcores, NULL };
	int eargc = (int)(sizeof(eargv) / sizeof(eargv[0])) - 1;
	return tern_eal_init(eargc, eargv) < 0 ? -1 : 0;
}
