/* SPDX-License-Identifier: MIT */
/* [Peer] Expires=: the model leaves a peer whose time has passed out of the bridge (as for
 * Disabled=yes), so taking its access away is a reload when that time comes. A CLOCK_REALTIME timer
 * is armed for the earliest Expires= of the running bridge, and re-armed after every start and
 * reload: Expires= is wall-clock time, and sd-event follows a changed clock (sd_event_add_time(3)). */
#include "daemon/manager-internal.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/parse.h"

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        log_debug("An Expires= of bridge %s has come: reloading.", m->name);
        /* manager_reload() re-arms the timer (manager_expiry_update()). */
        (void) manager_reload(m);
        return 0;
}

void manager_expiry_update(Manager *m) {
        const Bridge *b = m->bridge;
        _cleanup_strv_free_ char **logged = NULL;
        int r;

        if (!b)
                return;
        /* Each expired peer is logged once per daemon: when its time comes, or at the first start or
         * reload that finds it expired. A peer that is no longer expired (Expires= moved on) is
         * forgotten, so that a later expiry is logged again. */
        for (size_t i = 0; i < b->n_inactive_peers; i++) {
                const Peer *p = &b->inactive_peers[i];
                if (!p->expired)
                        continue;
                if (strv_extend(&logged, p->name) < 0) {
                        log_oom();
                        return;
                }
                if (strv_contains(m->expired_logged, p->name))
                        continue;
                EventInfo info = manager_event_info(m);
                char pk[WG_KEY_B64_LEN + 1], when[UTC_TIMESTAMP_MAX];
                wg_key_to_base64(pk, p->public_key);
                info.peer = p->name;
                info.public_key = pk;
                info.detail = format_utc_timestamp(p->expires, when);
                event_emit(EVENT_PEER_EXPIRED, &info);
        }
        strv_free(m->expired_logged);
        m->expired_logged = TAKE_PTR(logged);

        if (!m->event)
                return;
        if (b->next_expiry <= 0) {
                if (m->expiry_source)
                        (void) sd_event_source_set_enabled(m->expiry_source, SD_EVENT_OFF);
                return;
        }
        uint64_t at = (uint64_t) b->next_expiry * 1000000ULL;
        if (m->expiry_source) {
                r = sd_event_source_set_time(m->expiry_source, at);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->expiry_source, SD_EVENT_ONESHOT);
        } else
                /* 1 ms accuracy: the default (250 ms) would be as good, but a test waits for it. */
                r = sd_event_add_time(m->event, &m->expiry_source, CLOCK_REALTIME, at, 1000, on_expiry, m);
        if (r < 0)
                log_error_errno(r, "Cannot arm the timer for the next Expires= of bridge %s: %m", m->name);
}
