/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model/bridge.h"

/* What a reload must do to turn the running bridge (old) into the newly loaded one (new), decided
 * before anything is touched. Pure: no I/O. Peers are matched by name; a peer whose key, addresses,
 * preshared key file, keepalive or endpoints changed is "changed". The WireGuard device itself is
 * always synced with wg_device_diff() (which leaves unchanged peers alone); this plan decides the
 * journal entries and the nftables work. */
typedef struct ReloadPlan {
        const Peer **added;   /* point into new */
        size_t n_added;
        const Peer **removed; /* point into old */
        size_t n_removed;
        const Peer **changed; /* point into new */
        size_t n_changed;

        /* The net change of the allowed-peer address sets, as at most one pseudo-peer each (their
         * addresses are owned by the plan): an address that moved from one peer to another is in
         * neither, so the order in which nft applies them cannot matter. */
        Peer nft_add;
        Peer nft_remove;

        /* Something other than peer addresses changed in the table: replace it whole (atomic). */
        bool nft_full;
        /* A change we do not apply live (Interface=, Backend=, Mode=): the reason, else NULL. */
        char *restart_reason;
} ReloadPlan;

int reload_plan_build(const Host *old_host, const Bridge *old, const Host *new_host, const Bridge *new,
                      ReloadPlan *ret);
void reload_plan_done(ReloadPlan *p);
/* "1 peer added (laptop), 1 removed (phone)" or "nothing changed". NULL on OOM. */
char *reload_plan_summary(const ReloadPlan *p);
