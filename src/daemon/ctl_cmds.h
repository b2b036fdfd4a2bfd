/* The l2tpctl commands (DESIGN §6): show, close, dial, drain, stats,
 * reload, and send sli|wen, registered on the control socket. */
#ifndef L2TPD_CTL_CMDS_H
#define L2TPD_CTL_CMDS_H

struct l2tpd;

int ctl_cmds_register(struct l2tpd *d);

#endif
