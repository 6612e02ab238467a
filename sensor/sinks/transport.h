/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte transports under the sinks: a file descriptor (stdout, a file), a
 * local datagram socket (/dev/log), UDP (RFC 5426: one record per datagram)
 * and TCP (records framed by the caller, RFC 6587 octet counting). Only the
 * sink's writer thread calls these; every wait is bounded by a timeout so the
 * writer can notice shutdown.
 */
#ifndef NUMAGUARD_SINKS_TRANSPORT_H
#define NUMAGUARD_SINKS_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

enum ng_transport {
	NG_TR_STREAM, /* stdout or a file: write(2) */
	NG_TR_UNIX,   /* AF_UNIX SOCK_DGRAM, e.g. /dev/log */
	NG_TR_UDP,
	NG_TR_TCP,
};

/* How a stdout sink writes without blocking past its timeout. */
enum ng_out_kind {
	NG_OUT_FILE,	 /* regular file or /dev/null: plain write(2) */
	NG_OUT_NONBLOCK, /* pipe or terminal reopened with O_NONBLOCK */
	NG_OUT_SOCKET,	 /* send(2) with MSG_DONTWAIT */
	NG_OUT_POLLED,	 /* pipe that could not be reopened: poll, then ≤ PIPE_BUF */
};

struct ng_conn {
	enum ng_transport tr;
	int fd;	      /* -1 when not connected */
	char *host;   /* UDP, TCP */
	char *port;   /* UDP, TCP */
	char *path;   /* UNIX socket path, or the file path for NG_TR_STREAM (NULL = stdout) */
	bool own_fd;  /* false for stdout */
	bool suspect; /* UDP: the peer refused a datagram; confirm the next one */
	enum ng_out_kind out_kind; /* NG_TR_STREAM */
};

/* Split "HOST:PORT" or "[V6]:PORT". Returns 0 or -EINVAL. */
int ng_conn_parse_hostport(const char *s, char **host, char **port);

/* Open or connect. Returns 0 or a negative errno. TCP connects within timeout_ms. */
int ng_conn_open(struct ng_conn *c, int timeout_ms);
void ng_conn_close(struct ng_conn *c);

/*
 * Send rec[*off..len). Returns 0 when the whole record is out, -EAGAIN when
 * the receiver did not take it within timeout_ms (*off tells how far a TCP
 * record got; retry), or another negative errno when the connection broke
 * (close and reconnect, then resend from *off = 0). UDP only: -ECONNREFUSED
 * means an earlier datagram was refused (lost) and this one was not sent;
 * -ECONNRESET means this one was refused; neither needs a reconnect.
 */
int ng_conn_send(struct ng_conn *c, const char *rec, size_t len, size_t *off, int timeout_ms);

/* TCP: the collector closed the connection (syslog collectors never send). */
bool ng_conn_peer_closed(struct ng_conn *c);

/* For files: open path again (logrotate moved it). Returns 0 or a negative errno. */
int ng_conn_reopen(struct ng_conn *c);

#endif
