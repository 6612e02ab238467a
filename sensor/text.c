// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "text.h"

size_t ng_utf8_len(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if ((c & 0xe0) == 0xc0) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t ng_rfc3339(char *out, size_t outlen, uint64_t ns, int digits)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	unsigned long frac = (unsigned long)(ns % 1000000000ull);
	struct tm tm;
	if (!gmtime_r(&sec, &tm) || outlen < 40) {
		if (outlen)
			out[0] = '\0';
		return 0;
	}
	size_t n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	if (digits > 9)
		digits = 9;
	if (digits > 0) {
		for (int i = digits; i < 9; i++)
			frac /= 10;
		n += (size_t)snprintf(out + n, outlen - n, ".%0*lu", digits, frac);
	}
	n += (size_t)snprintf(out + n, outlen - n, "Z");
	return n;
}

int ng_rfc3339_parse(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	uint64_t frac = 0;
	int digits = 0;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (digits == 9)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			digits++;
			p++;
		}
		if (digits == 0)
			return -EINVAL;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -EINVAL;
	for (; digits < 9; digits++)
		frac *= 10;
	time_t sec = timegm(&tm);
	if (sec < 0)
		return -EINVAL;
	*ns = (uint64_t)sec * 1000000000ull + frac;
	return 0;
}
