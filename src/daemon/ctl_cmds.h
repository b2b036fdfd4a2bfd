/* The l2tpctl commands (DESIGN §6): show, close, dial, drain, stats,
 * reload, and send sli|wen, registered on the control socket. */
#ifndef L2TPD_CTL_CMDS_H
#define L2TPD_CTL_CMDS_H

#include <stddef.h>

struct l2tpd;
struct session;

int ctl_cmds_register(struct l2tpd *d);

/* How the commands name a session: "TUNNEL/SESSION" (our ids, as `show
 * sessions` prints them), or a bare SESSION id when exactly one tunnel
 * has a session by that id (RFC 2661 §3.1: ids are unique only within a
 * tunnel). 0 with *out; or -EINVAL (not a session name), -ENOENT (no such
 * session), -ENOTUNIQ (several tunnels have that id: err names them),
 * with a message in err. */
int ctl_session_by_name(struct l2tpd *d, const char *name, struct session **out, char *err,
			size_t errlen);

#endif
