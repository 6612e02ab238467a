// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fields.h"
#include "kill.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
static int proc_start_ticks(uint32_t pid, unsigned long long *ticks)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	/* comm (field 2) is process-controlled and may hold ')' and spaces: skip to the last ')'.
	 */
	char *p = strrchr(buf, ')');

	if (!p)
		return -EIO;
	p++;
	/* After ") " come fields 3, 4, …; field 22 is the 20th of them. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	char *end;

	errno = 0;
	*ticks = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return -EIO;
	return 0;
}

int ng_enforce_kill_pid(uint32_t pid, uint64_t start_boot_ns)
{
	long tck = sysconf(_SC_CLK_TCK);
	unsigned long long ticks;
	int pidfd, r;

	if (pid <= 1 || pid == (uint32_t)getpid())
		return -EINVAL;
	if (start_boot_ns == 0)
		return -ENODATA;
	if (tck <= 0)
		return -EIO;
	/*
	 * Open the pidfd first and read the start time after: the pidfd pins
	 * the process it was opened on, so if /proc/PID still shows the start
	 * time of the event, the pidfd is that process and the signal cannot
	 * reach a newcomer that got the pid.
	 */
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return -errno;
	r = proc_start_ticks(pid, &ticks);
	if (r == -ENOENT)
		r = -ESRCH;
	if (r < 0)
		goto out;
	/* The kernel's own conversion: nsec_to_clock_t() divides by NSEC_PER_SEC / USER_HZ. */
	if (ticks != start_boot_ns / (1000000000ull / (unsigned long long)tck)) {
		r = -ESRCH;
		goto out;
	}
	r = syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 ? -errno : 0;
out:
	close(pidfd);
	return r;
}

enum ng_alert_action ng_enforce_kill(const struct ng_event *e)
{
	if (!ng_event_has(e, NG_F_PROC_PID))
		return NG_ACTION_KILL_FAILED;
	return ng_enforce_kill_pid(e->pid, e->start_boot_ns) == 0 ? NG_ACTION_KILLED
								  : NG_ACTION_KILL_FAILED;
}
