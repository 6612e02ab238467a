// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport.h"

int ng_conn_parse_hostport(const char *s, char **host, char **port)
{
	const char *colon;
	size_t hlen;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		s++;
		hlen = (size_t)(end - s);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	const char *p = colon + 1;
	if (hlen == 0 || !*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5 ||
	    atoi(p) < 1 || atoi(p) > 65535)
		return -EINVAL;
	*host = strndup(s, hlen);
	*port = strdup(p);
	if (!*host || !*port) {
		free(*host);
		free(*port);
		*host = *port = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int open_file(const char *path)
{
	/*
	 * 0600: alerts name processes, users and containers of the whole host.
	 * O_NOFOLLOW: a root daemon appending to a path must not be redirected by
	 * a symlink planted in its place (directories may still be symlinks).
	 * O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of hanging
	 * the start; for regular files it changes nothing.
	 */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
				    O_NONBLOCK,
		      0600);
	return fd < 0 ? -errno : fd;
}

/*
 * stdout is shared with whoever started the sensor, so its file description
 * must not be switched to O_NONBLOCK. A pipe, FIFO or terminal is opened
 * again through /proc, which gives a description of our own; a socket (a
 * journald stream) takes MSG_DONTWAIT per call; a regular file never blocks
 * for long. Either way a stalled reader cannot hold the writer past its
 * timeout.
 */
static int open_stdout(struct ng_conn *c)
{
	struct stat st;
	c->fd = STDOUT_FILENO;
	c->own_fd = false;
	c->out_kind = NG_OUT_FILE;
	if (fstat(STDOUT_FILENO, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		c->out_kind = NG_OUT_SOCKET;
	} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			c->fd = fd;
			c->own_fd = true;
			c->out_kind = NG_OUT_NONBLOCK;
		} else {
			/* No /proc: poll, then write at most PIPE_BUF, which cannot block. */
			c->out_kind = NG_OUT_POLLED;
		}
	}
	return 0;
}

static int connect_inet(struct ng_conn *c, int timeout_ms)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = c->tr == NG_TR_TCP ? SOCK_STREAM : SOCK_DGRAM,
	};
	struct addrinfo *res;
	int gr = getaddrinfo(c->host, c->port, &hints, &res);
	if (gr)
		return gr == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	int err = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (c->tr == NG_TR_TCP) {
			/*
			 * A collector that vanishes without a FIN or RST (host down, link
			 * cut) would otherwise hold the connection for the kernel's ~15 min
			 * retransmission timeout while records pile up unacknowledged.
			 */
			int one = 1, idle = 30, intvl = 10, cnt = 3;
			unsigned timeout = 30000;
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
			setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
			setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
			setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
			setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, sizeof(timeout));
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			c->fd = fd;
			freeaddrinfo(res);
			return 0;
		}
		err = -errno;
		if (err == -EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int pr = poll(&p, 1, timeout_ms);
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (pr == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
			    soerr == 0) {
				c->fd = fd;
				freeaddrinfo(res);
				return 0;
			}
			err = pr == 0 ? -ETIMEDOUT : soerr ? -soerr : -errno;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return err;
}

int ng_conn_open(struct ng_conn *c, int timeout_ms)
{
	switch (c->tr) {
	case NG_TR_STREAM:
		if (!c->path)
			return open_stdout(c);
		c->fd = open_file(c->path);
		c->own_fd = true;
		return c->fd < 0 ? c->fd : 0;
	case NG_TR_UNIX: {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		if (strlen(c->path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, c->path);
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		c->fd = fd;
		c->own_fd = true;
		return 0;
	}
	case NG_TR_UDP:
	case NG_TR_TCP:
		c->own_fd = true;
		return connect_inet(c, timeout_ms);
	}
	return -EINVAL;
}

void ng_conn_close(struct ng_conn *c)
{
	if (c->fd >= 0 && c->own_fd)
		close(c->fd);
	c->fd = -1;
}

bool ng_conn_peer_closed(struct ng_conn *c)
{
	if (c->tr != NG_TR_TCP || c->fd < 0)
		return false;
	/* A syslog collector never sends: a readable socket means EOF or an error. */
	struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLRDHUP};
	return poll(&p, 1, 0) == 1 && p.revents;
}

int ng_conn_reopen(struct ng_conn *c)
{
	if (c->tr != NG_TR_STREAM || !c->path)
		return 0;
	int fd = open_file(c->path);
	if (fd < 0)
		return fd;
	/* Swap only once the new file is open, so a failed reopen keeps writing somewhere. */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = fd;
	return 0;
}

static int send_stream(struct ng_conn *c, const char *rec, size_t len, size_t *off, int timeout_ms)
{
	while (*off < len) {
		size_t want = len - *off;
		ssize_t n;
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		switch (c->out_kind) {
		case NG_OUT_SOCKET:
			n = send(c->fd, rec + *off, want, MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case NG_OUT_POLLED:
			if (poll(&p, 1, timeout_ms) == 0)
				return -EAGAIN;
			n = write(c->fd, rec + *off, want < PIPE_BUF ? want : PIPE_BUF);
			break;
		default:
			n = write(c->fd, rec + *off, want);
			break;
		}
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if (e != EAGAIN)
				return -e;
			if (poll(&p, 1, timeout_ms) == 0)
				return -EAGAIN;
			continue;
		}
		*off += (size_t)n;
	}
	return 0;
}

/* After the peer refused a datagram, wait briefly for the ICMP error of this one. */
static int udp_confirm(struct ng_conn *c, int timeout_ms)
{
	struct pollfd p = {.fd = c->fd, .events = 0};
	int pr = poll(&p, 1, timeout_ms);
	if (pr == 1 && (p.revents & POLLERR)) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr)
			return -ECONNRESET; /* this record was refused too: keep it */
	}
	c->suspect = false;
	return 0;
}

int ng_conn_send(struct ng_conn *c, const char *rec, size_t len, size_t *off, int timeout_ms)
{
	if (c->tr == NG_TR_STREAM)
		return send_stream(c, rec, len, off, timeout_ms);
	/*
	 * The first send into a connection the collector closed still succeeds,
	 * and its record would vanish: reconnect before sending instead.
	 */
	if (c->tr == NG_TR_TCP && *off == 0 && ng_conn_peer_closed(c))
		return -ECONNRESET;

	for (;;) {
		ssize_t n;
		if (c->tr == NG_TR_TCP)
			n = send(c->fd, rec + *off, len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = send(c->fd, rec, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			if (c->tr != NG_TR_TCP) {
				*off = len;
				/*
				 * UDP loss is silent, but a refused datagram comes back as
				 * ECONNREFUSED on the next send. While the peer is suspect,
				 * wait for that error so a dead receiver holds records in the
				 * queue (where drops are counted) instead of losing them.
				 */
				if (c->tr == NG_TR_UDP && c->suspect)
					return udp_confirm(c, timeout_ms);
				return 0;
			}
			*off += (size_t)n;
			if (*off == len)
				return 0;
			continue;
		}
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == ECONNREFUSED && c->tr == NG_TR_UDP) {
			/*
			 * The error belongs to an earlier datagram, already counted as
			 * written; unless we were confirming, that one is lost.
			 */
			bool was = c->suspect;
			c->suspect = true;
			return was ? -ECONNRESET : -ECONNREFUSED;
		}
		if (e != EAGAIN && e != ENOBUFS)
			return -e;
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		int pr = poll(&p, 1, timeout_ms);
		if (pr == 0)
			return -EAGAIN;
		if (pr < 0 && errno != EINTR)
			return -errno;
	}
}
