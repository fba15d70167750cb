/*
 * relp_srv.h — the RELP listener of `vigil server` (RFC-less "Reliable
 * Event Logging Protocol" of rsyslog, served by Debian's librelp), so that
 * rsyslog's omrelp delivers with acknowledgements.
 *
 * The promise: a message is acknowledged only once it is durable (a
 * commit covering it has returned). A sender keeps what is not
 * acknowledged and sends it again after a reconnect, so a restart of
 * either side loses nothing; a message stored just before a crash whose
 * acknowledgement did not get out arrives twice (at least once).
 *
 * Settings: s->o.relp, "ADDR:PORT". No TLS: librelp 1.11 accepts only
 * client certificates or anonymous TLS, and leaks a GnuTLS session (about
 * 16 KB, seen under ASan) at every failed handshake, which would let
 * anyone who can reach the port grow our memory; syslog_tls is the
 * encrypted way in. Thread safety: start and stop from the main thread
 * only.
 */
#ifndef VG_RELP_SRV_H
#define VG_RELP_SRV_H

#include "util/err.h"

struct vg_server;
typedef struct vg_relp_srv vg_relp_srv;

/* Start the RELP engine on its own thread, listening where s->o says.
 * On failure *out may still be set: the caller stops it. */
int vg_relp_srv_start(struct vg_server *s, vg_relp_srv **out, vg_err *err);
/* Stop accepting, let the message being stored finish (the writer must
 * still run), close the sessions, join and free; NULL is fine. */
void vg_relp_srv_stop(vg_relp_srv *r);

#endif
