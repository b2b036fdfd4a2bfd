/* Destinations: the second of the four admin levels (system ▸ destination
 * ▸ tunnel ▸ session). A [lac NAME] section is a static destination: we
 * are its LAC and dial its peers, with failover in order. On the LNS side
 * each connected LAC is a dynamic destination named by its Host Name,
 * created with its first established tunnel and removed with its last. */
#ifndef L2TPD_DESTINATION_H
#define L2TPD_DESTINATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "udp.h"

struct l2tpd;
struct tunnel;
struct session_ref;
struct config_lac;
struct config_client;

enum destination_role {
	DEST_LAC, /* static, [lac NAME]: we are the LAC, the peers are LNSs */
	DEST_LNS, /* dynamic: a LAC connected to us, we are its LNS */
	DEST_CLIENT, /* static, [client NAME]: we dial as LAC and run PPP ourselves */
};

#define DEST_NAME_MAX 64

struct destination {
	struct l2tpd *d;
	struct list_node node;          /* d->destinations */
	char name[DEST_NAME_MAX];
	enum destination_role role;
	const struct config_lac *lac;   /* static: its section in d->cfg; NULL once removed */
	const struct config_client *client; /* DEST_CLIENT: likewise */
	size_t peer_idx;                /* static: the peer we use now (failover order) */
	struct list_node tunnels;       /* struct tunnel.dest_node */
	unsigned n_tunnels;
};

struct destination *destination_find(struct l2tpd *d, const char *name);
/* Find the dynamic destination named after t's peer Host Name (create it
 * if needed) and attach t. */
int destination_attach_lns(struct tunnel *t);
void destination_attach(struct destination *dst, struct tunnel *t);
/* t is going away: unlink; a dynamic destination left empty is freed; a
 * static one that failed before establishment fails over its waiting
 * sessions to the next peer. */
void destination_tunnel_gone(struct tunnel *t);

/* Open count sessions: as LAC toward a static destination (ICRQ), or as
 * LNS on a dynamic one's tunnel (OCRQ). refs[] receives their names
 * (tunnel and session id: session ids are per tunnel); returns how many
 * were opened, or -errno if none. msg names a problem. */
int destination_dial(struct destination *dst, unsigned count, struct session_ref *refs,
		     char *msg, size_t msglen);
/* StopCCN on each of its tunnels. */
void destination_close(struct destination *dst);
unsigned destination_sessions(const struct destination *dst);

/* After a reload: point static destinations at their new sections, create
 * new ones, forget removed ones once they have no tunnels. */
void destination_sync_config(struct l2tpd *d);
void destination_free_all(struct l2tpd *d);
const char *destination_role_name(enum destination_role r);
const char *destination_state(const struct destination *dst);

#endif
