/*
 * EAL start-up shared by the test harnesses (pcap replay, packet scripts):
 * one lcore pinned to a CPU this process may run on, no hugepages, no PCI,
 * a file prefix of its own. The runtime directory is removed at exit
 * (tern_eal_init does that).
 */
#ifndef TERN_TEST_EAL_H
#define TERN_TEST_EAL_H

/** Start EAL for program @p prog with file prefix "<tag>-<pid>".
 *  @return 0, or -1 with rte_errno set. */
int test_eal_start(const char *prog, const char *tag);

#endif
