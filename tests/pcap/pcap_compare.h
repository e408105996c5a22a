/*
 * Frame comparison for the pcap-replay harness: normalisation of the fields
 * that are random by design (IPv4 ID) or follow from others (checksums),
 * checksum verification of what the stack sent, a one-line decoder and a
 * hex dump for mismatch reports. Pure code over byte arrays (no DPDK), used
 * by pcap_replay.c only.
 */
#ifndef TERN_PCAP_COMPARE_H
#define TERN_PCAP_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** One captured frame, owned by whoever holds the array. */
struct frame {
	uint8_t *data;
	size_t len;
	uint64_t ts_ns;   /**< capture time (input) or virtual send time (output) */
};

/**
 * Check every checksum of the frames the stack sent: IPv4 header checksum on
 * each IPv4 frame, ICMP and UDP checksums on each datagram (fragments are
 * reassembled by (src, dst, proto, id) first; an incomplete or overlapping
 * fragment set is an error too). Problems are printed on @p err.
 * @return the number of problems (0 = all correct).
 */
unsigned frames_verify_csums(const struct frame *f, size_t n, FILE *err);

/**
 * Normalise @p f in place: IPv4 ID zeroed and the header checksum recomputed;
 * ICMP and UDP checksum fields zeroed (in the fragment at offset 0 only, the
 * only one that carries them). Non-IPv4 frames are left as they are.
 */
void frame_normalise(struct frame *f);

/** A decoded one-line summary of a frame ("ARP who-has ...", "IPv4 ... ICMP echo-reply"). */
void frame_summary(const struct frame *f, char *buf, size_t cap);

/** Hex dump of @p f on @p out, marking byte @p mark (SIZE_MAX: none). */
void frame_hexdump(FILE *out, const char *label, const struct frame *f, size_t mark);

/** First offset at which @p a and @p b differ (the shorter length if one is a
 *  prefix of the other), or SIZE_MAX if they are equal. */
size_t frame_first_diff(const struct frame *a, const struct frame *b);

#endif
