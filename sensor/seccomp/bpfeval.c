// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "bpfeval.h"

int ng_bpf_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d,
	       uint32_t *ret)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};

	if (n == 0 || n > BPF_MAXINSNS)
		return -EINVAL;
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *in = &prog[pc];
		uint32_t k = in->k, src = BPF_SRC(in->code) == BPF_X ? X : k;

		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
			if (in->code == (BPF_LD | BPF_W | BPF_ABS)) {
				/* The kernel accepts only aligned 32-bit loads inside seccomp_data.
				 */
				if (k % 4 || k > sizeof(*d) - 4)
					return -EINVAL;
				memcpy(&A, (const char *)d + k, 4);
			} else if (in->code == (BPF_LD | BPF_W | BPF_LEN)) {
				A = sizeof(*d);
			} else if (in->code == (BPF_LD | BPF_IMM)) {
				A = k;
			} else if (in->code == (BPF_LD | BPF_MEM)) {
				if (k >= BPF_MEMWORDS)
					return -EINVAL;
				A = M[k];
			} else {
				return -EINVAL;
			}
			break;
		case BPF_LDX:
			if (in->code == (BPF_LDX | BPF_W | BPF_IMM))
				X = k;
			else if (in->code == (BPF_LDX | BPF_W | BPF_LEN))
				X = sizeof(*d);
			else if (in->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
				X = M[k];
			else
				return -EINVAL;
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return -EINVAL;
			M[k] = BPF_CLASS(in->code) == BPF_ST ? A : X;
			break;
		case BPF_ALU:
			switch (BPF_OP(in->code)) {
			case BPF_ADD:
				A += src;
				break;
			case BPF_SUB:
				A -= src;
				break;
			case BPF_MUL:
				A *= src;
				break;
			case BPF_DIV:
				if (src == 0)
					return -EINVAL;
				A /= src;
				break;
			case BPF_MOD:
				if (src == 0)
					return -EINVAL;
				A %= src;
				break;
			case BPF_AND:
				A &= src;
				break;
			case BPF_OR:
				A |= src;
				break;
			case BPF_XOR:
				A ^= src;
				break;
			case BPF_LSH:
				A = src < 32 ? A << src : 0;
				break;
			case BPF_RSH:
				A = src < 32 ? A >> src : 0;
				break;
			case BPF_NEG:
				A = -A;
				break;
			default:
				return -EINVAL;
			}
			break;
		case BPF_JMP: {
			size_t jt = in->jt, jf = in->jf;
			int cond;

			if (BPF_OP(in->code) == BPF_JA) {
				if (k >= n - pc - 1)
					return -EINVAL;
				pc += k;
				break;
			}
			switch (BPF_OP(in->code)) {
			case BPF_JEQ:
				cond = A == src;
				break;
			case BPF_JGT:
				cond = A > src;
				break;
			case BPF_JGE:
				cond = A >= src;
				break;
			case BPF_JSET:
				cond = (A & src) != 0;
				break;
			default:
				return -EINVAL;
			}
			if (jt >= n - pc - 1 || jf >= n - pc - 1)
				return -EINVAL;
			pc += cond ? jt : jf;
			break;
		}
		case BPF_RET:
			if (BPF_RVAL(in->code) == BPF_K)
				*ret = k;
			else if (BPF_RVAL(in->code) == BPF_A)
				*ret = A;
			else
				return -EINVAL;
			return 0;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX)
				X = A;
			else if (BPF_MISCOP(in->code) == BPF_TXA)
				A = X;
			else
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	/* Fell off the end: the kernel's checker refuses such a program. */
	return -EINVAL;
}
