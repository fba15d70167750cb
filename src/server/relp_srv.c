/*
 * relp_srv.c — RELP with librelp: acknowledged delivery from rsyslog.
 *
 * librelp runs one engine: a single thread in relpEngineRun polls every
 * listener and session and, for each "syslog" command it reads, calls
 * on_syslog() and then sends "200 OK" at once. The callback is therefore
 * the only place where we can hold back the acknowledgement, and it does:
 * it returns only when the writer has run the message's job *and* a commit
 * covering it has returned (writer.h). Nothing is acknowledged before it
 * is durable.
 *
 * The price: the engine is one thread and the callback blocks it, so
 * messages are stored one at a time, each waiting for its own commit (a
 * WAL append and an fsync). Throughput is one message per fsync, whatever
 * the number of senders; RELP messages share a group commit only with
 * what HTTP and syslog connections submit at the same moment. librelp has
 * no way to acknowledge later or in batches: its syslog command handler
 * (scsyslog.c) ignores the callback's return value and sends "200 OK" as
 * soon as it returns, and one engine cannot share a port with another
 * (no SO_REUSEPORT), so several engines cannot serve one listener. What
 * librelp does give: the sender's window (128 messages in flight for
 * omrelp) hides the latency of each round trip, so the fsync is the only
 * cost per message. Measured on the 2-core test machine (release build,
 * rsyslog 8.2302 following a file): 20000 lines over RELP in 22.5 s, 889
 * lines/s, 20000 commits of 0.87 ms on average; two rsyslogs at once,
 * 1320 lines/s together; the same file over plain TCP, 29800 lines/s in 7
 * commits. A RELP server of our own that acknowledged a whole read's
 * window after one commit would lift that ceiling; librelp cannot.
 *
 * A commit that fails leaves the events in the memtable, and the next
 * commit writes them: the callback then submits empty jobs until a commit
 * succeeds (storing the message again would duplicate it). librelp cannot
 * refuse a message (see above), so when the server stops while the disk
 * still refuses, the callback cuts every RELP connection before it
 * returns: the "200 OK" then goes nowhere and the sender keeps the
 * message.
 *
 * Below the disk budget (min_free) the same cut is the answer: after a
 * second of refusals the callback closes the sessions and returns without
 * storing, so rsyslog keeps the message and retries after its resume
 * interval (store()).
 *
 * Stopping: relpEngineSetStop only sets a flag that the engine looks at
 * after epoll_wait, which has no timeout; a connection to our own listener
 * wakes it. A message being stored finishes first (the writer still runs);
 * frames read but not yet processed are dropped unacknowledged, and the
 * sender sends them again. relpEngineDestruct then tells each session
 * "serverclose" and closes it.
 */
#include "server/relp_srv.h"

#include <stddef.h>
#include <librelp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/proto.h"
#include "server/srv.h"
#include "util/timeutil.h"

#define MAX_DATA (256u << 10)    /* largest RELP message; longer ones are truncated */
#define PIECE (64u << 10)        /* longer messages become pieces, as over TCP */
#define STOP_TRIES 50            /* tries (about 8 s) before a stopping server gives up */
#define DISK_TRIES 5             /* tries (1 s) before the disk budget closes the sessions */

typedef struct listener {
	struct sockaddr_storage wake;  /* where a connection wakes the engine */
	socklen_t wakelen;
	uint16_t port;
} listener;

struct vg_relp_srv {
	vg_server *s;
	relpEngine_t *eng;
	pthread_t thread;
	int started;
	_Atomic int stopping;
	_Atomic int done;              /* relpEngineRun has returned */
	listener lst;
	vg_syslog_msgs m;              /* the message being stored (engine thread) */
	int failing;                   /* the last commit failed (engine thread) */
	int disk_full;                 /* the disk budget refused the last message */
};

/* The port of a socket address, host order. */
static uint16_t port_of(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

/* Shut down every connected socket of this process whose local port is a
 * RELP listener's: librelp's sessions. Used only when a message cannot be
 * made durable at shutdown, so that its acknowledgement cannot leave. */
static void cut_sessions(vg_relp_srv *r)
{
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 0; fd < (int)max; fd++) {
		struct sockaddr_storage a, p;
		socklen_t n = sizeof a, pn = sizeof p;
		if (getsockname(fd, (struct sockaddr *)&a, &n) != 0)
			continue;
		if (port_of(&a) == r->lst.port && getpeername(fd, (struct sockaddr *)&p, &pn) == 0)
			shutdown(fd, SHUT_RDWR);
	}
}

/* Make r->m durable: returns once a commit covering it has succeeded. A
 * full queue is waited out; a failed commit is retried with empty jobs.
 * At shutdown with a disk that keeps refusing, cuts the sessions first.
 * Below the disk budget (min_free) for more than a second, cuts the
 * sessions and returns with nothing stored: librelp cannot answer a
 * message with an error (see the top), and a broken session is what makes
 * rsyslog keep the message, suspend the action and try again later,
 * without holding the engine (and its other senders) for as long as the
 * disk stays full. Returns 0 when stored, -1 when not. */
static int store(vg_relp_srv *r, const char *peer)
{
	vg_syslog_job a = {&r->m, {peer[0] ? peer : NULL, NULL, vg_now_ns()}};
	int disk_tries = 0;
	for (int tries = 0;; tries++) {
		vg_job job = {.fn = vg_syslog_job_fn, .arg = &a, .bytes = a.m ? vg_syslog_msgs_bytes(a.m) : 0};
		int rc = vg_writer_submit(r->s->w, &job);
		if (job.done && job.commit_rc == 0) {
			if (job.rc)
				fprintf(stderr, "vigil server: RELP message from %s not stored: %s\n",
					peer, job.err.msg);
			if (r->failing)
				fprintf(stderr, "vigil server: RELP: commits succeed again\n");
			if (r->disk_full)
				fprintf(stderr, "vigil server: RELP: space was freed, storing again\n");
			r->failing = r->disk_full = 0;
			return 0;
		}
		if (job.done) {
			/* The events are in the memtable; a later commit
			 * writes them. */
			a.m = NULL;
			if (!r->failing)
				fprintf(stderr, "vigil server: RELP: commit failed, not acknowledging "
					"until one succeeds: %s\n", job.err.msg);
			r->failing = 1;
		}
		/* Only a message not yet stored may be left to the sender (one
		 * in the memtable, a.m NULL, must get its commit). Once the
		 * sessions are cut, the frames librelp had already read from
		 * them come here back to back: they are refused at once, since
		 * their acknowledgements could not leave (and storing them
		 * would duplicate what the senders send again). */
		if (!job.done && rc == VG_ELIMIT && a.m && (r->disk_full || ++disk_tries > DISK_TRIES)) {
			if (!r->disk_full)
				fprintf(stderr, "vigil server: RELP: %s; closing the RELP connections so "
					"that the senders keep their messages and retry later\n",
					job.err.msg);
			r->disk_full = 1;
			cut_sessions(r);
			return -1;
		}
		if (atomic_load(&r->stopping) && tries >= STOP_TRIES) {
			fprintf(stderr, "vigil server: RELP: stopping while the store refuses commits; "
				"closing the RELP connections so that the senders keep their messages\n");
			cut_sessions(r);
			return -1;
		}
		usleep(tries < 10 && disk_tries == 0 ? 20000 : 200000);
	}
}

/* The message as the syslog glue wants it: whole when it fits PIECE bytes,
 * else in flagged pieces (proto.h), so that no byte is dropped. */
static void add_message(vg_syslog_msgs *m, const char *p, size_t n)
{
	if (n <= PIECE) {
		vg_syslog_datagram(m, p, n);
		return;
	}
	for (size_t off = 0; off < n; off += PIECE) {
		size_t len = n - off < PIECE ? n - off : PIECE;
		unsigned flags = (off ? VG_FRAME_CONT : 0) | (off + len < n ? VG_FRAME_CUT : 0);
		vg_syslog_msgs_add(m, p + off, len, flags);
	}
}

/* librelp's syslog callback (engine thread): store, then let librelp
 * acknowledge. The return value is ignored by librelp. */
static relpRetVal on_syslog(void *usr, unsigned char *host, unsigned char *ip,
			    unsigned char *msg, size_t len)
{
	vg_relp_srv *r = usr;
	(void)host;
	add_message(&r->m, (const char *)msg, len);
	if (r->m.count && store(r, ip ? (const char *)ip : "") == 0)
		atomic_fetch_add(&r->s->m.syslog_messages, r->m.count);
	vg_syslog_msgs_clear(&r->m);
	return RELP_RET_OK;
}

static void on_err(void *usr, char *obj, char *msg, relpRetVal code)
{
	vg_relp_srv *r = usr;
	/* A peer that goes away is routine: the sender reconnects. So are
	 * the acknowledgements that cannot leave the sessions cut by the
	 * disk budget (store()), one per frame already read. */
	if (code == RELP_RET_SESSION_BROKEN || (r && r->disk_full && code == RELP_RET_IO_ERR))
		return;
	fprintf(stderr, "vigil server: RELP %s: %s (librelp %d)\n", obj, msg, code);
}

static void on_generic_err(char *obj, char *msg, relpRetVal code)
{
	on_err(NULL, obj, msg, code);
}

static void *relp_main(void *arg)
{
	vg_relp_srv *r = arg;
	relpEngineRun(r->eng);
	atomic_store(&r->done, 1);
	return NULL;
}

/* A person's words for librelp's errors at listener setup. */
static const char *relp_strerror(relpRetVal rc)
{
	switch (rc) {
	case RELP_RET_COULD_NOT_BIND: return "the address is in use or not available";
	case RELP_RET_INVALID_PORT: return "bad port";
	case RELP_RET_OUT_OF_MEMORY: return "out of memory";
	default: return "librelp error";
	}
}

/* Split spec ("ADDR:PORT", "[v6]:PORT") into host and port for librelp,
 * and fill l with the address that wakes the engine (loopback for a
 * wildcard address). */
static int split_spec(const char *spec, char *host, size_t hcap, char *port, size_t pcap,
		      listener *l, vg_err *err)
{
	int rc = vg_parse_listen(spec, &l->wake, &l->wakelen, err);
	if (rc)
		return rc;
	l->port = port_of(&l->wake);
	const char *colon = strrchr(spec, ':');
	size_t hl = (size_t)(colon - spec);
	if (spec[0] == '[') {
		spec++;
		hl -= 2;
	}
	if (hl >= hcap || strlen(colon + 1) >= pcap)
		return vg_seterr(err, VG_EINVAL, -1, "RELP address '%s' is too long", spec);
	memcpy(host, spec, hl);
	host[hl] = 0;
	snprintf(port, pcap, "%s", colon + 1);
	if (l->wake.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&l->wake;
		if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&l->wake;
		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			s6->sin6_addr = in6addr_loopback;
	}
	return 0;
}

/* Add the listener on spec to the engine. */
static int add_listener(vg_relp_srv *r, const char *spec, vg_err *err)
{
	char host[256], port[16];
	listener *l = &r->lst;
	int rc = split_spec(spec, host, sizeof host, port, sizeof port, l, err);
	if (rc)
		return rc;
	relpSrv_t *srv = NULL;
	relpRetVal rr = relpEngineListnerConstruct(r->eng, &srv);
	if (rr == RELP_RET_OK)
		rr = relpSrvSetUsrPtr(srv, r);
	if (rr == RELP_RET_OK)
		rr = relpSrvSetLstnPort(srv, (unsigned char *)port);
	if (rr == RELP_RET_OK)
		rr = relpSrvSetLstnAddr(srv, (unsigned char *)host);
	if (rr == RELP_RET_OK)
		rr = relpSrvSetMaxDataSize(srv, MAX_DATA);
	if (rr == RELP_RET_OK)
		rr = relpSrvSetOversizeMode(srv, RELP_OVERSIZE_TRUNCATE);
	if (rr == RELP_RET_OK)
		rr = relpEngineListnerConstructFinalize(r->eng, srv);
	if (rr != RELP_RET_OK)
		return vg_seterr(err, VG_EIO, -1, "cannot listen for RELP on %s: %s (librelp %d)", spec,
				 relp_strerror(rr), rr);
	return 0;
}

int vg_relp_srv_start(vg_server *s, vg_relp_srv **out, vg_err *err)
{
	vg_relp_srv *r = vg_xcalloc(1, sizeof *r);
	r->s = s;
	*out = r;
	if (relpEngineConstruct(&r->eng) != RELP_RET_OK) {
		r->eng = NULL;
		return vg_seterr(err, VG_ENOMEM, -1, "cannot start librelp");
	}
	relpEngineSetDbgprint(r->eng, NULL);
	relpEngineSetDnsLookupMode(r->eng, 0);
	relpEngineSetEnableCmd(r->eng, (unsigned char *)"syslog", eRelpCmdState_Required);
	relpEngineSetSyslogRcv2(r->eng, on_syslog);
	relpEngineSetOnErr(r->eng, on_err);
	relpEngineSetOnGenericErr(r->eng, on_generic_err);
	int rc = add_listener(r, s->o.relp, err);
	if (rc)
		return rc;
	if (pthread_create(&r->thread, NULL, relp_main, r) != 0)
		return vg_seterr(err, VG_EIO, -1, "cannot start the RELP thread");
	r->started = 1;
	return 0;
}

/* Connect to our own listener and hang up: the engine's epoll_wait
 * returns and it sees the stop flag. */
static void wake(const listener *l)
{
	int fd = socket(l->wake.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&l->wake, l->wakelen) != 0 && errno == EINPROGRESS)
		usleep(10000);
	close(fd);
}

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer's hook, in sanitized builds only: librelp 1.11's
 * relpEngineDestruct frees the sessions still open but not their epoll
 * records (32 bytes each, once, at exit). Not ours to fix; without this a
 * sanitized server exits non-zero after any RELP session. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:librelp.so\n";
}

/* ... and without a "Suppressions used" table on every exit. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

void vg_relp_srv_stop(vg_relp_srv *r)
{
	if (r == NULL)
		return;
	atomic_store(&r->stopping, 1);
	if (r->started) {
		relpEngineSetStop(r->eng);
		/* Repeated: a wake-up may come while the engine stores a
		 * message, before it looks at the flag again. */
		while (!atomic_load(&r->done)) {
			wake(&r->lst);
			for (int t = 0; t < 20 && !atomic_load(&r->done); t++)
				usleep(5000);
		}
		pthread_join(r->thread, NULL);
	}
	if (r->eng)
		relpEngineDestruct(&r->eng);
	vg_syslog_msgs_free(&r->m);
	free(r);
}
