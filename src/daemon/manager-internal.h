/* SPDX-License-Identifier: MIT */
#pragma once

#include "daemon/event.h"
#include "daemon/manager.h"
#include "wg/wg.h"

/* The manager's files: manager.c (load, start, stop), manager-routing.c (link addresses, routes,
 * forwarding), manager-watch.c (peer watches, poll, STATUS=), endpoint-apply.c (Endpoint=
 * failover), reload.c. The steps below are shared among them; a reload repeats most. Each logs
 * its own failure. */

/* The bridge and interface of every event of this daemon; no handshake age. */
EventInfo manager_event_info(const Manager *m);
/* Sets m->backend: the bridge's Backend=, or for auto what this kernel can do (event "backend"). */
void manager_choose_backend(Manager *m, const Bridge *b);

/* Reads or creates b's private key (KEY_CREATED when new). */
int manager_load_key(Manager *m, const Bridge *b, WgKey ret_key, char ret_public[WG_KEY_B64_LEN + 1]);
/* MTU, addresses and up state over rtnetlink (userspace backend, --no-networkd). */
int manager_configure_link(Manager *m, const Bridge *b);
/* wg_device_get + wg_device_diff + wg_device_set: only peers that differ are touched. */
int manager_sync_device(Manager *m, const Bridge *b, const WgKey key, size_t *ret_changes);
/* Writes (or removes) the exports fragment; runs `exportfs -r` when it changed or when forced. */
int manager_apply_exports(Manager *m, const RenderList *files, bool force_reload);
/* One PeerWatch per peer of m->bridge, keeping the state of peers with the same name and key in
 * old (laid out for old_bridge). */
void manager_init_watches(Manager *m, const PeerWatch *old, const Bridge *old_bridge);
/* nas and relay: per-interface forwarding on the tunnel and on every interface a [Forward] leads
 * to (the route to To=, or @OTHER's tunnel), originals kept in m->sysctls for the stop. */
int manager_enable_forwarding(Manager *m, const Host *h, const Bridge *b);
/* Peers with Endpoint= (relay sites, a client's server): the watch of peer i (index into
 * m->watches) is fed with the device's reading wp; when it asks for it, the chosen Endpoint= is
 * resolved and set on that peer alone, and ENDPOINT_FAILOVER is logged. */
void manager_endpoint_check(Manager *m, size_t i, const WgPeer *wp, int64_t now_sec);
/* For a sync of bridge b (the new one on reload): peers of b that are listed in the running
 * bridge with the same name, key and Endpoint= list keep the endpoint the failover chose, rather
 * than going back to the first Endpoint=. */
void manager_endpoint_keep_choice(Manager *m, const Bridge *b, WgDevice *desired);
