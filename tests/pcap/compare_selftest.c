/*
 * Tests of the harness's own oracle (pcap_compare.c): its checksum checks
 * must accept the RFC-built frames of the committed cases and catch every
 * corruption we make to them; its normalisation must erase the IPv4 ID and
 * checksums and nothing else. Run in the 'pcap' suite with the cases
 * directory as argument.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcap_compare.h"

static const char *cases_dir;

struct capture {
	struct frame f[64];
	size_t n;
};

static void
load(const char *name, const char *file, struct capture *c)
{
	char path[1024], eb[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/%s/%s", cases_dir, name, file);
	pcap_t *p = pcap_open_offline(path, eb);
	ck_assert_msg(p != NULL, "%s", eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	c->n = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		ck_assert_uint_lt(c->n, 64);
		struct frame *f = &c->f[c->n++];
		f->data = malloc(h->caplen);
		ck_assert_ptr_nonnull(f->data);
		memcpy(f->data, d, h->caplen);
		f->len = h->caplen;
		f->ts_ns = 0;
	}
	pcap_close(p);
}

static void
release(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->f[i].data);
	c->n = 0;
}

static unsigned
verify(const struct capture *c)
{
	FILE *null = fopen("/dev/null", "w");
	unsigned n = frames_verify_csums(c->f, c->n, null);
	fclose(null);
	return n;
}

START_TEST(good_frames_pass)
{
	static const char *names[] = { "icmp_echo_3000_frag", "udp_echo_4000_frag",
				       "udp_closed_port", "udp_echo_small", "ip_unknown_protocol",
				       "kernel_ping_3000", "kernel_udp_closed" };
	struct capture c;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		load(names[i], "expected.pcap", &c);
		ck_assert_msg(c.n > 0, "%s: empty", names[i]);
		ck_assert_msg(verify(&c) == 0, "%s: checksums rejected", names[i]);
		release(&c);
	}
}
END_TEST

START_TEST(fragment_payload_corruption_caught)
{
	struct capture c;
	load("icmp_echo_3000_frag", "expected.pcap", &c);
	ck_assert_uint_eq(c.n, 4);           /* ARP reply + 3 fragments */
	c.f[3].data[c.f[3].len - 1] ^= 0x01; /* data of the last fragment */
	ck_assert_uint_eq(verify(&c), 1);
	release(&c);
}
END_TEST

START_TEST(missing_fragment_caught)
{
	struct capture c;
	load("udp_echo_4000_frag", "expected.pcap", &c);
	ck_assert_uint_eq(c.n, 4);
	free(c.f[2].data);
	c.f[2] = c.f[3];
	c.n = 3;
	ck_assert_uint_eq(verify(&c), 1);
	release(&c);
}
END_TEST

START_TEST(ip_header_corruption_caught)
{
	struct capture c;
	load("udp_closed_port", "expected.pcap", &c);
	c.f[1].data[14 + 8]--;               /* TTL, checksum left stale */
	ck_assert_uint_eq(verify(&c), 1);
	release(&c);
}
END_TEST

START_TEST(icmp_and_udp_corruption_caught)
{
	struct capture c;
	load("udp_closed_port", "expected.pcap", &c);
	c.f[1].data[c.f[1].len - 1] ^= 0x80; /* last quoted byte */
	ck_assert_uint_eq(verify(&c), 1);
	release(&c);

	load("udp_echo_small", "expected.pcap", &c);
	c.f[1].data[c.f[1].len - 1] ^= 0x80;
	ck_assert_uint_eq(verify(&c), 1);
	/* RFC 768: checksum 0 means none, and is accepted. */
	c.f[1].data[14 + 20 + 6] = 0;
	c.f[1].data[14 + 20 + 7] = 0;
	ck_assert_uint_eq(verify(&c), 0);
	/* A UDP length that disagrees with the IP payload is an error. */
	c.f[1].data[14 + 20 + 5]++;
	ck_assert_uint_eq(verify(&c), 1);
	release(&c);
}
END_TEST

START_TEST(normalise_erases_id_and_checksums_only)
{
	struct capture a, b;
	load("icmp_echo_small", "expected.pcap", &a);
	load("icmp_echo_small", "expected.pcap", &b);
	struct frame *x = &a.f[1], *y = &b.f[1];
	ck_assert_uint_eq(frame_first_diff(x, y), SIZE_MAX);
	y->data[14 + 4] = 0xab;              /* ID */
	y->data[14 + 10] ^= 0xff;            /* IP checksum */
	y->data[14 + 20 + 2] ^= 0x55;        /* ICMP checksum */
	ck_assert_uint_eq(frame_first_diff(x, y), 14 + 4);
	frame_normalise(x);
	frame_normalise(y);
	ck_assert_uint_eq(frame_first_diff(x, y), SIZE_MAX);
	y->data[14 + 8]--;                   /* TTL: never normalised */
	ck_assert_uint_eq(frame_first_diff(x, y), 14 + 8);
	y->data[14 + 8]++;
	y->len--;                            /* a shorter frame differs at its end */
	ck_assert_uint_eq(frame_first_diff(x, y), y->len);
	y->len++;
	/* ARP frames are left as they are. */
	struct frame arp_copy = a.f[0];
	uint8_t saved[64];
	memcpy(saved, a.f[0].data, a.f[0].len);
	frame_normalise(&arp_copy);
	ck_assert_mem_eq(saved, a.f[0].data, a.f[0].len);
	release(&a);
	release(&b);
}
END_TEST

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CASES_DIR\n", argv[0]);
		return 2;
	}
	cases_dir = argv[1];
	Suite *s = suite_create("pcap_compare");
	TCase *tc = tcase_create("oracle");
	tcase_add_test(tc, good_frames_pass);
	tcase_add_test(tc, fragment_payload_corruption_caught);
	tcase_add_test(tc, missing_fragment_caught);
	tcase_add_test(tc, ip_header_corruption_caught);
	tcase_add_test(tc, icmp_and_udp_corruption_caught);
	tcase_add_test(tc, normalise_erases_id_and_checksums_only);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
