// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ng-compat-call: one set_mempolicy(2) through the i386 ABI (int 0x80) from a
 * 64-bit process, the way a 32-bit binary or hand-written shellcode reaches
 * the kernel's compat entry. Prints one JSON line in ng-trigger's shape, plus
 * "compat":true, so the checks treat both alike.
 *
 *   ng-compat-call MODE MAXNODE NODES    NODES as in ng-trigger: "0,1" or "-"
 *
 * int 0x80 truncates every argument register to 32 bits, so the nodemask must
 * live below 4 GiB: it is mapped with MAP_32BIT rather than relying on a
 * non-PIE layout. The compat kernel reads the mask in 32-bit words.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_SET_MEMPOLICY_I386 276

static long int80_set_mempolicy(uint32_t mode, uint32_t nmask, uint32_t maxnode)
{
	long ret = NR_SET_MEMPOLICY_I386;
	/* Older compat entries zeroed r8-r11 on the way out instead of restoring them. */
	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"(mode), "c"(nmask), "d"(maxnode)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return (int32_t)ret;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ng-compat-call MODE MAXNODE NODES\n");
		return 2;
	}
	unsigned long long mode = strtoull(argv[1], NULL, 0);
	unsigned long maxnode = strtoul(argv[2], NULL, 0);
	const char *nodes = argv[3];
	uint32_t *mask = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (mask == MAP_FAILED) {
		perror("ng-compat-call: mapping the nodemask below 4 GiB (MAP_32BIT)");
		return 2;
	}
	uint32_t addr = (uint32_t)(uintptr_t)mask;
	if (strcmp(nodes, "-") == 0) {
		addr = 0;
	} else {
		char *copy = strdup(nodes), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			unsigned n = (unsigned)strtoul(t, NULL, 0);
			if (n < 1024)
				mask[n / 32] |= 1u << (n % 32);
		}
		free(copy);
	}
	long r = int80_set_mempolicy((uint32_t)mode, addr, (uint32_t)maxnode);
	printf("{\"pid\":%d,\"tid\":%ld,\"mode_raw\":%llu,\"maxnode\":%lu,\"nodes\":\"%s\","
	       "\"ret\":%ld,\"errno\":%ld,\"compat\":true}\n",
	       getpid(), (long)syscall(SYS_gettid), mode, maxnode, nodes, r, r < 0 ? -r : 0);
	return 0;
}
