/*
 * syslog_srv.h — syslog listeners of `vigil server`: TCP (RFC 6587 octet
 * counting and newline framing), the same over TLS (RFC 5425, with the
 * configured certificate) and UDP (a datagram per message).
 */
#ifndef VG_SYSLOG_SRV_H
#define VG_SYSLOG_SRV_H

#include "util/err.h"

struct vg_server;
typedef struct vg_syslog_srv vg_syslog_srv;

/* Start the listeners s->o names (syslog_tcp, syslog_tls, syslog_udp). */
int vg_syslog_srv_start(struct vg_server *s, vg_syslog_srv **out, vg_err *err);
/* Stop accepting, close connections, join the threads; NULL is fine. */
void vg_syslog_srv_stop(vg_syslog_srv *l);

#endif
