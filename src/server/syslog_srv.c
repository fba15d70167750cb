/*
 * syslog_srv.c — syslog over TCP and UDP.
 *
 * TCP: one thread accepts; each connection gets a thread that reads,
 * frames (RFC 6587, proto.h's vg_framer: octet counting or newline
 * framing, per frame), and hands the messages it has to the writer as one
 * job whenever a read leaves nothing more waiting or 1 MiB has piled up.
 * The thread waits for that job's commit before it reads on, so a slow
 * disk slows the sender through TCP's own flow control instead of filling
 * our memory; a job refused by backpressure is retried, never dropped.
 * Syslog over TCP has no acknowledgements, so "durable before the answer"
 * becomes "durable before we read more".
 *
 * UDP: one thread receives datagrams (a datagram is a message) and drains
 * what the socket holds into one job. UDP gives no flow control; what the
 * kernel's buffer drops while the disk is slow is lost before vigil sees
 * it, which is UDP's nature (use TCP for anything that matters).
 *
 * Stopping: the listening sockets and every connection are shut down,
 * which wakes their threads; each submits what it holds and exits.
 */
#include "server/syslog_srv.h"

#include <arpa/inet.h>
#include <errno.h>
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

typedef struct conn {
	struct vg_syslog_srv *l;
	int fd;
	char peer[64];
	pthread_t thread;
	struct conn *next;
	int finished;
} conn;

struct vg_syslog_srv {
	vg_server *s;
	int tcp_fd, udp_fd;
	pthread_t tcp_thread, udp_thread;
	int tcp_started, udp_started;
	pthread_mutex_t mu;
	conn *conns;
	unsigned nconns;
	_Atomic int stop;
};

typedef struct syl_arg {
	const vg_syslog_msgs *m;
	vg_syslog_src src;
} syl_arg;

static int syl_fn(void *arg, vg_batch *mem, vg_err *err)
{
	syl_arg *a = arg;
	return vg_syslog_msgs_parse(a->m, mem, &a->src, err);
}

/* Hand m to the writer and wait until it is durable; retried while the
 * queue is full. Clears m. */
static void submit(vg_syslog_srv *l, vg_syslog_msgs *m, const char *peer)
{
	if (m->count == 0)
		return;
	atomic_fetch_add(&l->s->m.syslog_messages, m->count);
	syl_arg a = {m, {peer[0] ? peer : NULL, NULL, vg_now_ns()}};
	for (int tries = 0;; tries++) {
		vg_job job = {.fn = syl_fn, .arg = &a, .bytes = vg_syslog_msgs_bytes(m)};
		vg_writer_submit(l->s->w, &job);
		if (job.done) {
			if (job.commit_rc)
				fprintf(stderr, "vigil server: syslog from %s: %s\n", peer, job.err.msg);
			break;
		}
		/* Refused: the queue is full. Wait, unless the server is
		 * going down and the queue stays full for seconds. */
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

static void *conn_main(void *arg)
{
	conn *c = arg;
	vg_syslog_srv *l = c->l;
	char *buf = vg_xmalloc(READ_BUF);
	vg_framer f;
	vg_framer_init(&f, MAX_MESSAGE);
	vg_syslog_msgs m;
	memset(&m, 0, sizeof m);
	for (;;) {
		ssize_t n = read(c->fd, buf, READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		vg_framer_feed(&f, buf, (size_t)n, vg_syslog_msgs_frame, &m);
		struct pollfd p = {c->fd, POLLIN, 0};
		if (vg_syslog_msgs_bytes(&m) >= JOB_BYTES || poll(&p, 1, 0) == 0)
			submit(l, &m, c->peer);
	}
	vg_framer_finish(&f, vg_syslog_msgs_frame, &m);
	submit(l, &m, c->peer);
	vg_syslog_msgs_free(&m);
	vg_framer_free(&f);
	free(buf);
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

static void *tcp_main(void *arg)
{
	vg_syslog_srv *l = arg;
	while (!atomic_load(&l->stop)) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int fd = accept4(l->tcp_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
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
				submit(l, &m, first);
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
			submit(l, &m, first);
		if (m.count == 0)
			memcpy(first, peer, sizeof first);
		vg_syslog_datagram(&m, buf, (size_t)n);
		if (vg_syslog_msgs_bytes(&m) >= JOB_BYTES)
			submit(l, &m, first);
	}
	submit(l, &m, first);
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

int vg_syslog_srv_start(vg_server *s, vg_syslog_srv **out, vg_err *err)
{
	vg_syslog_srv *l = vg_xcalloc(1, sizeof *l);
	l->s = s;
	l->tcp_fd = l->udp_fd = -1;
	pthread_mutex_init(&l->mu, NULL);
	*out = l;
	if (s->o.syslog_tcp) {
		l->tcp_fd = open_socket(s->o.syslog_tcp, SOCK_STREAM, err);
		if (l->tcp_fd < 0)
			return l->tcp_fd;
		if (pthread_create(&l->tcp_thread, NULL, tcp_main, l) != 0)
			return vg_seterr(err, VG_EIO, -1, "cannot start the syslog TCP thread");
		l->tcp_started = 1;
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
	if (l->tcp_fd >= 0)
		shutdown(l->tcp_fd, SHUT_RDWR);
	if (l->udp_fd >= 0)
		shutdown(l->udp_fd, SHUT_RDWR);
	if (l->tcp_started)
		pthread_join(l->tcp_thread, NULL);
	if (l->udp_started)
		pthread_join(l->udp_thread, NULL);
	pthread_mutex_lock(&l->mu);
	for (conn *c = l->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RD);
	pthread_mutex_unlock(&l->mu);
	reap(l, 1);
	if (l->tcp_fd >= 0)
		close(l->tcp_fd);
	if (l->udp_fd >= 0)
		close(l->udp_fd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
