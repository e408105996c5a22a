/*
 * Address helpers of the socket module: host strings to struct sockaddr_in
 * and dotted quads both ways. Pure (no EAL, no stack), so they are unit
 * tested like wire code.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tern.h"

int
tern_inet_aton(const char *s, struct in_addr *out)
{
	if (s == NULL)
		return 0;
	uint32_t a = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (*s != '.')
				return 0;
			s++;
		}
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s - '0');
			digits++;
			s++;
		}
		/* Strict a.b.c.d: 1..3 decimal digits, no leading zero (which
		 * inet_aton would read as octal), each part at most 255. */
		if (digits == 0 || digits > 3 || v > 255)
			return 0;
		if (digits > 1 && s[-(int)digits] == '0')
			return 0;
		a = (a << 8) | v;
	}
	if (*s != '\0')
		return 0;
	if (out != NULL)
		out->s_addr = htonl(a);
	return 1;
}

const char *
tern_inet_ntoa(struct in_addr a, char *buf)
{
	uint32_t h = ntohl(a.s_addr);
	snprintf(buf, 16, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff,
		 (h >> 8) & 0xff, h & 0xff);
	return buf;
}

int
tern_addr(const char *host, uint16_t port, struct sockaddr_in *out)
{
	if (host == NULL || out == NULL) {
		errno = EINVAL;
		return -1;
	}
	struct in_addr a;
	/* The socket module's two special host strings. */
	if (host[0] == '\0') {
		a.s_addr = htonl(INADDR_ANY);
	} else if (strcmp(host, "<broadcast>") == 0) {
		a.s_addr = htonl(INADDR_BROADCAST);
	} else if (!tern_inet_aton(host, &a)) {
		errno = EINVAL;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons(port);
	out->sin_addr = a;
	return 0;
}
