/* SPDX-License-Identifier: MIT */
#pragma once

#include "daemon/manager.h"

/* Steps of manager.c that a reload (reload.c) repeats. Each logs its own failure. */

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
