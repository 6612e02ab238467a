// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

static int check_one(const char *what, const char *p, bool is_dir, char *err, size_t errlen)
{
	struct stat st;
	if (stat(p, &st) != 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", p, strerror(e));
		return -e;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s %s is owned by uid %u, so that user could change what the sensor "
			 "does; make it root's (chown root %s) or pass --allow-untrusted-files",
			 what, p, (unsigned)st.st_uid, p);
		return -EPERM;
	}
	bool sticky = is_dir && (st.st_mode & S_ISVTX);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky) {
		snprintf(err, errlen,
			 "%s %s is writable by %s, who could change what the sensor does; "
			 "run chmod go-w %s or pass --allow-untrusted-files",
			 what, p, st.st_mode & S_IWOTH ? "everyone" : "its group", p);
		return -EPERM;
	}
	return 0;
}

int ng_check_trusted_file(const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	int r = check_one("file", real, false, err, errlen);
	/* Every directory above it too: a writable parent lets someone swap the file. */
	for (char *slash = strrchr(real, '/'); r == 0 && slash; slash = strrchr(real, '/')) {
		if (slash == real) {
			r = check_one("directory", "/", true, err, errlen);
			break;
		}
		*slash = '\0';
		r = check_one("directory", real, true, err, errlen);
	}
	return r;
}
