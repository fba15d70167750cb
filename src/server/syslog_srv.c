/*
 * syslog_srv.c — syslog over TCP, TLS and UDP.
 *
 * TCP: one thread accepts; each connection gets a thread that reads,
 * frames (RFC 6587, proto.h's vg_framer: octet counting or newline
 * framing, per frame), and hands the messages it has to the writer as one
 * job whenever a read leaves nothing more waiting or 1 MiB has piled up.
 * The thread waits for that job's commit before it reads on, so a slow
 * disk slows the sender through TCP's own flow control instead of filling
 * our memory; a job refused by backpressure (a full queue, or the disk
 * budget, min_free) is retried, never dropped: the connection reads
 * nothing meanwhile, and the sender's buffers fill.
 * Syslog over TCP has no acknowledgements, so "durable before the answer"
 * becomes "durable before we read more".
 *
 * TLS (RFC 5425, syslog_tls with tls_cert and tls_key): the same listener
 * and connection code with GnuTLS between the socket and the framer; a
 * connection's thread does the handshake (bounded by a timeout) before it
 * reads, so a slow or plain-text client holds only its own thread, and a
 * failed handshake closes the connection with nothing stored. RFC 5425
 * asks for octet counting; the framer also takes newline framing, as it
 * does over plain TCP. Client certificates are not requested: who may
 * send is decided by the network, as for plain TCP.
 *
 * UDP: one thread receives datagrams (a datagram is a message) and drains
 * what the socket holds into one job. UDP gives no flow control; what the
 * kernel's buffer drops while the disk is slow is lost before vigil sees
 * it, which is UDP's nature (use TCP for anything that matters). Below
 * the disk budget (min_free) datagrams are read and dropped, and counted
 * (vigil_syslog_udp_dropped_total), so the loss is at least visible.
 *
 * Stopping: the listening sockets and every connection are shut down,
 * which wakes their threads; each submits what it holds and exits.
 */
#include "server/syslog_srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/proto.h"
#include "server/srv.h"
#include "util/timeutil.h"

#define READ_BUF (256u << 10)
#define JOB_BYTES (1u << 20)
#define MAX_MESSAGE (64u << 10)
#define MAX_CONNS 1024
#define HANDSHAKE_MS 10000

typedef struct conn {
	struct vg_syslog_srv *l;
	int fd;
	int want_tls;              /* accepted on the TLS listener */
	gnutls_session_t tls;      /* once the handshake has begun; else NULL */
	char peer[64];
	pthread_t thread;
	struct conn *next;
	int finished;
} conn;

/* A stream listener: plain TCP or TLS; both accept into conn_main. */
typedef struct stream_lsn {
	struct vg_syslog_srv *l;
	int fd;
	int tls;
	pthread_t thread;
	int started;
} stream_lsn;

struct vg_syslog_srv {
	vg_server *s;
	stream_lsn tcp, tls;
	int udp_fd;
	pthread_t udp_thread;
	int udp_started;
	gnutls_certificate_credentials_t cred;   /* NULL without syslog_tls */
	pthread_mutex_t mu;
	conn *conns;
	unsigned nconns;
	_Atomic int stop;
};

/* Hand m to the writer and wait until it is durable; retried while the
 * queue is full or the disk budget is reached (the caller reads nothing
 * meanwhile: TCP's flow control holds the sender). From UDP (udp set),
 * which has no flow control to lean on, a disk-budget refusal drops the
 * messages and counts them instead: waiting would only move the loss into
 * the kernel's buffer, unseen. Clears m. */
static void submit(vg_syslog_srv *l, vg_syslog_msgs *m, const char *peer, int udp)
{
	if (m->count == 0)
		return;
	atomic_fetch_add(&l->s->m.syslog_messages, m->count);
	vg_syslog_job a = {m, {peer[0] ? peer : NULL, NULL, vg_now_ns()}};
	int said = 0;
	for (int tries = 0;; tries++) {
		vg_job job = {.fn = vg_syslog_job_fn, .arg = &a, .bytes = vg_syslog_msgs_bytes(m)};
		int rc = vg_writer_submit(l->s->w, &job);
		if (job.done) {
			if (job.commit_rc)
				fprintf(stderr, "vigil server: syslog from %s: %s\n", peer, job.err.msg);
			if (said)
				fprintf(stderr, "vigil server: syslog from %s: reading again\n", peer);
			break;
		}
		if (rc == VG_ELIMIT && udp) {
			atomic_fetch_add(&l->s->m.syslog_udp_dropped, m->count);
			break;
		}
		if (rc == VG_ELIMIT && !said) {
			fprintf(stderr, "vigil server: syslog from %s: not reading until space is freed: "
				"%s\n", peer, job.err.msg);
			said = 1;
		}
		/* Refused: wait, unless the server is going down and the
		 * refusals go on for seconds. */
		if (atomic_load(&l->s->stop) && tries > 250) {
			fprintf(stderr, "vigil server: syslog from %s: %llu messages not stored at shutdown\n",
				peer, (unsigned long long)m->count);
			break;
		}
		usleep(20000);
	}
	vg_syslog_msgs_clear(m);
}

static void peer_name(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	out[0] = 0;
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)cap);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  (socklen_t)cap);
}

/* Server side of a TLS handshake on c->fd with the listener's
 * certificate. Returns 0, or -1 (said on stderr) when the client is not
 * speaking TLS, does not agree, or takes longer than HANDSHAKE_MS. */
static int tls_accept(conn *c)
{
	int rc = gnutls_init(&c->tls, GNUTLS_SERVER);
	if (rc < 0) {
		c->tls = NULL;
		fprintf(stderr, "vigil server: syslog TLS from %s: %s\n", c->peer, gnutls_strerror(rc));
		return -1;
	}
	rc = gnutls_set_default_priority(c->tls);
	if (rc == 0)
		rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->l->cred);
	if (rc == 0) {
		gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_IGNORE);
		gnutls_transport_set_int(c->tls, c->fd);
		gnutls_handshake_set_timeout(c->tls, HANDSHAKE_MS);
		do
			rc = gnutls_handshake(c->tls);
		while (rc < 0 && !gnutls_error_is_fatal(rc));
	}
	if (rc < 0) {
		if (!atomic_load(&c->l->stop))
			fprintf(stderr, "vigil server: syslog TLS handshake with %s failed: %s\n",
				c->peer, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

/* Read what the connection has (decrypted with TLS): > 0 bytes, 0 at
 * the end of the stream, < 0 on an error. */
static ssize_t conn_read(conn *c, char *buf, size_t cap)
{
	for (;;) {
		if (c->tls == NULL) {
			ssize_t n = read(c->fd, buf, cap);
			if (n < 0 && errno == EINTR)
				continue;
			return n;
		}
		ssize_t n = gnutls_record_recv(c->tls, buf, cap);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		/* A peer that closes without close_notify ends its stream
		 * like any TCP sender; what it sent before is kept. */
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (n < 0 && !atomic_load(&c->l->stop))
			fprintf(stderr, "vigil server: syslog TLS from %s: %s\n", c->peer,
				gnutls_strerror((int)n));
		return n;
	}
}

/* 1 if more bytes are waiting: in the socket, or decrypted in GnuTLS. */
static int conn_more(conn *c)
{
	if (c->tls && gnutls_record_check_pending(c->tls) > 0)
		return 1;
	struct pollfd p = {c->fd, POLLIN, 0};
	return poll(&p, 1, 0) > 0;
}

/* A stream connection, plain or TLS: frame, submit, repeat (see top). */
static void *conn_main(void *arg)
{
	conn *c = arg;
	vg_syslog_srv *l = c->l;
	char *buf = vg_xmalloc(READ_BUF);
	vg_framer f;
	vg_framer_init(&f, MAX_MESSAGE);
	vg_syslog_msgs m;
	memset(&m, 0, sizeof m);
	int ok = !c->want_tls || tls_accept(c) == 0;
	for (;;) {
		ssize_t n = ok ? conn_read(c, buf, READ_BUF) : 0;
		if (n <= 0)
			break;
		vg_framer_feed(&f, buf, (size_t)n, vg_syslog_msgs_frame, &m);
		if (vg_syslog_msgs_bytes(&m) >= JOB_BYTES || !conn_more(c))
			submit(l, &m, c->peer, 0);
	}
	vg_framer_finish(&f, vg_syslog_msgs_frame, &m);
	submit(l, &m, c->peer, 0);
	vg_syslog_msgs_free(&m);
	vg_framer_free(&f);
	free(buf);
	if (c->tls)
		gnutls_deinit(c->tls);
	c->tls = NULL;
	pthread_mutex_lock(&l->mu);
	c->finished = 1;
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Join and free connections whose threads have ended. */
static void reap(vg_syslog_srv *l, int all)
{
	pthread_mutex_lock(&l->mu);
	conn **pp = &l->conns;
	while (*pp) {
		conn *c = *pp;
		if (all || c->finished) {
			*pp = c->next;
			l->nconns--;
			pthread_mutex_unlock(&l->mu);
			pthread_join(c->thread, NULL);
			close(c->fd);
			free(c);
			pthread_mutex_lock(&l->mu);
		} else {
			pp = &c->next;
		}
	}
	pthread_mutex_unlock(&l->mu);
}

/* Accept loop of a stream listener (plain or TLS): a thread per
 * connection, at most MAX_CONNS at once over both. */
static void *tcp_main(void *arg)
{
	stream_lsn *sl = arg;
	vg_syslog_srv *l = sl->l;
	while (!atomic_load(&l->stop)) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int fd = accept4(sl->fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (atomic_load(&l->stop))
				break;
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			continue;
		}
		reap(l, 0);
		pthread_mutex_lock(&l->mu);
		int full = l->nconns >= MAX_CONNS;
		pthread_mutex_unlock(&l->mu);
		if (full) {
			close(fd);
			continue;
		}
		atomic_fetch_add(&l->s->m.syslog_connections, 1);
		conn *c = vg_xcalloc(1, sizeof *c);
		c->l = l;
		c->fd = fd;
		c->want_tls = sl->tls;
		peer_name(&sa, c->peer, sizeof c->peer);
		pthread_mutex_lock(&l->mu);
		if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
			pthread_mutex_unlock(&l->mu);
			close(fd);
			free(c);
			continue;
		}
		c->next = l->conns;
		l->conns = c;
		l->nconns++;
		pthread_mutex_unlock(&l->mu);
	}
	return NULL;
}

static void *udp_main(void *arg)
{
	vg_syslog_srv *l = arg;
	char *buf = vg_xmalloc(65536);
	vg_syslog_msgs m;
	memset(&m, 0, sizeof m);
	char peer[64] = "", first[64] = "";
	while (!atomic_load(&l->stop)) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int flags = m.count ? MSG_DONTWAIT : 0;
		ssize_t n = recvfrom(l->udp_fd, buf, 65536, flags, (struct sockaddr *)&sa, &len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				submit(l, &m, first, 1);
				continue;
			}
			break;
		}
		if (n == 0 && atomic_load(&l->stop))
			break;
		peer_name(&sa, peer, sizeof peer);
		/* One job holds one sender's datagrams: the host of lines
		 * that name none is the sender's address. */
		if (m.count && strcmp(peer, first) != 0)
			submit(l, &m, first, 1);
		if (m.count == 0)
			memcpy(first, peer, sizeof first);
		vg_syslog_datagram(&m, buf, (size_t)n);
		if (vg_syslog_msgs_bytes(&m) >= JOB_BYTES)
			submit(l, &m, first, 1);
	}
	submit(l, &m, first, 1);
	vg_syslog_msgs_free(&m);
	free(buf);
	return NULL;
}

static int open_socket(const char *spec, int type, vg_err *err)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int rc = vg_parse_listen(spec, &sa, &len, err);
	if (rc)
		return rc;
	int fd = socket(sa.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vg_seterr(err, VG_EIO, -1, "socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (type == SOCK_DGRAM) {
		int rcv = 8 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	}
	if (bind(fd, (struct sockaddr *)&sa, len) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) != 0)) {
		int e = errno;
		close(fd);
		return vg_seterr(err, VG_EIO, -1, "cannot listen on %s: %s", spec, strerror(e));
	}
	return fd;
}

/* Load the certificate and key the TLS listener presents. */
static int tls_setup(vg_syslog_srv *l, vg_err *err)
{
	const vg_server_opts *o = &l->s->o;
	if (o->tls_cert == NULL || o->tls_key == NULL)
		return vg_seterr(err, VG_EINVAL, -1,
				 "syslog_tls needs tls_cert and tls_key (a PEM certificate and its key)");
	int rc = gnutls_certificate_allocate_credentials(&l->cred);
	if (rc < 0) {
		l->cred = NULL;
		return vg_seterr(err, VG_ENOMEM, -1, "TLS: %s", gnutls_strerror(rc));
	}
	rc = gnutls_certificate_set_x509_key_file(l->cred, o->tls_cert, o->tls_key,
						  GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		return vg_seterr(err, VG_EINVAL, -1, "cannot load the TLS certificate %s with key %s: %s",
				 o->tls_cert, o->tls_key, gnutls_strerror(rc));
	return 0;
}

/* Listen on spec and start sl's accept thread. */
static int start_stream(vg_syslog_srv *l, stream_lsn *sl, const char *spec, int tls, vg_err *err)
{
	sl->l = l;
	sl->tls = tls;
	sl->fd = open_socket(spec, SOCK_STREAM, err);
	if (sl->fd < 0)
		return sl->fd;
	if (pthread_create(&sl->thread, NULL, tcp_main, sl) != 0)
		return vg_seterr(err, VG_EIO, -1, "cannot start the syslog %s thread", tls ? "TLS" : "TCP");
	sl->started = 1;
	return 0;
}

/* Stop sl's accept thread (its connections are stopped apart). */
static void stop_stream(stream_lsn *sl)
{
	if (sl->fd >= 0)
		shutdown(sl->fd, SHUT_RDWR);
	if (sl->started)
		pthread_join(sl->thread, NULL);
}

int vg_syslog_srv_start(vg_server *s, vg_syslog_srv **out, vg_err *err)
{
	vg_syslog_srv *l = vg_xcalloc(1, sizeof *l);
	l->s = s;
	l->tcp.fd = l->tls.fd = l->udp_fd = -1;
	pthread_mutex_init(&l->mu, NULL);
	*out = l;
	if (s->o.syslog_tls) {
		int rc = tls_setup(l, err);
		if (rc == 0)
			rc = start_stream(l, &l->tls, s->o.syslog_tls, 1, err);
		if (rc)
			return rc;
	}
	if (s->o.syslog_tcp) {
		int rc = start_stream(l, &l->tcp, s->o.syslog_tcp, 0, err);
		if (rc)
			return rc;
	}
	if (s->o.syslog_udp) {
		l->udp_fd = open_socket(s->o.syslog_udp, SOCK_DGRAM, err);
		if (l->udp_fd < 0)
			return l->udp_fd;
		if (pthread_create(&l->udp_thread, NULL, udp_main, l) != 0)
			return vg_seterr(err, VG_EIO, -1, "cannot start the syslog UDP thread");
		l->udp_started = 1;
	}
	return 0;
}

void vg_syslog_srv_stop(vg_syslog_srv *l)
{
	if (l == NULL)
		return;
	atomic_store(&l->stop, 1);
	if (l->udp_fd >= 0)
		shutdown(l->udp_fd, SHUT_RDWR);
	stop_stream(&l->tcp);
	stop_stream(&l->tls);
	if (l->udp_started)
		pthread_join(l->udp_thread, NULL);
	pthread_mutex_lock(&l->mu);
	for (conn *c = l->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RD);
	pthread_mutex_unlock(&l->mu);
	reap(l, 1);
	if (l->tcp.fd >= 0)
		close(l->tcp.fd);
	if (l->tls.fd >= 0)
		close(l->tls.fd);
	if (l->udp_fd >= 0)
		close(l->udp_fd);
	if (l->cred)
		gnutls_certificate_free_credentials(l->cred);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
