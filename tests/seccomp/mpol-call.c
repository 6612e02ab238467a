// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test trigger: one raw set_mempolicy(2) call with exactly the given 64-bit
 * mode register, maxnode and node list, made with syscall(2) so no library
 * rewrites the arguments. Prints "ok" or the errno name and exits 0 or 1.
 *
 *   mpol-call MODE MAXNODE [NODE]...     (MODE, MAXNODE: C integer syntax)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EINVAL:
		return "EINVAL";
	case EFAULT:
		return "EFAULT";
	case ENOMEM:
		return "ENOMEM";
	case ENOSYS:
		return "ENOSYS";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	unsigned long mask[16] = {0};
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: mpol-call MODE MAXNODE [NODE]...\n");
		return 2;
	}
	errno = 0;
	unsigned long long mode = strtoull(argv[1], &end, 0);
	if (errno || *end) {
		fprintf(stderr, "mpol-call: bad mode '%s'\n", argv[1]);
		return 2;
	}
	unsigned long long maxnode = strtoull(argv[2], &end, 0);
	if (errno || *end) {
		fprintf(stderr, "mpol-call: bad maxnode '%s'\n", argv[2]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		unsigned long n = strtoul(argv[i], &end, 0);

		if (*end || n >= sizeof(mask) * 8) {
			fprintf(stderr, "mpol-call: bad node '%s'\n", argv[i]);
			return 2;
		}
		mask[n / (8 * sizeof(long))] |= 1ul << (n % (8 * sizeof(long)));
	}
	long r = syscall(SYS_set_mempolicy, (unsigned long)mode, argc > 3 ? mask : NULL,
			 (unsigned long)maxnode);
	if (r == 0) {
		printf("ok\n");
		return 0;
	}
	printf("%s\n", errname(errno));
	return 1;
}
