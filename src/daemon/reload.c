/* SPDX-License-Identifier: MIT */
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/event.h"
#include "daemon/last-good.h"
#include "daemon/manager-internal.h"
#include "daemon/networkd.h"
#include "shared/key-file.h"
#include "daemon/reload-plan.h"
#include "daemon/rtnl.h"
#include "daemon/system-files.h"
#include "nft/nft.h"
#include "shared/log.h"
#include "shared/strbuf.h"
#include "wg/wg.h"

/* The running configuration stays; STATUS= and `nfswg status` name what was refused (reasons, or
 * the one reason) until a reload applies. */
static void reload_refuse_reasons(Manager *m, const char *reason, char **reasons) {
        EventInfo info = { .bridge = m->name, .interface = m->bridge->interface, .detail = reason, .handshake_age = -1 };
        event_emit(EVENT_RELOAD_REFUSED, &info);
        if (reasons)
                manager_set_refused(m, reasons);
        else {
                char *one[] = { (char *) reason, NULL };
                manager_set_refused(m, one);
        }
        (void) sd_notifyf(false, "READY=1\nSTATUS=%s", m->status);
}

static void reload_refuse(Manager *m, const char *reason) {
        reload_refuse_reasons(m, reason, NULL);
}

static char *reasons_join(char **reasons) {
        StrBuf sb = {};
        STRV_FOREACH(s, reasons)
                strbuf_appendf(&sb, "%s%s", s == reasons ? "" : " ", *s);
        return strbuf_finish(&sb);
}

static int reload_nft(Manager *m, const Host *h, const Bridge *b, const ReloadPlan *p) {
        int r;

        if (b->mode == BRIDGE_MODE_CLIENT)
                return 0;
        if (!p->nft_full && !m->nft_dirty) {
                const Peer *add[1] = { &p->nft_add }, *remove[1] = { &p->nft_remove };
                size_t n_add = p->nft_add.n_addresses > 0, n_remove = p->nft_remove.n_addresses > 0;
                if (n_add + n_remove == 0)
                        return 0;
                r = nft_update_peer_sets(b, add, n_add, remove, n_remove);
                if (r >= 0)
                        return 0;
                /* The sets did not hold what we thought (someone edited the table): replace it whole. */
                log_warning_errno(r, "Cannot update the peer sets of inet " NFT_TABLE_PREFIX "%s (%m); "
                                  "replacing the table.", m->name);
        }
        r = nft_apply_bridge(h, b);
        if (r < 0)
                return log_error_errno(r, "Cannot apply the nftables table inet " NFT_TABLE_PREFIX "%s: %m", m->name);
        return 0;
}

int manager_reload(Manager *m) {
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_strv_free_ char **reasons = NULL;
        _cleanup_(render_list_done) RenderList files = {};
        _cleanup_free_ char *summary = NULL;
        _cleanup_(nas_discovery_done) NasDiscovery nas = {};
        ReloadPlan plan = {};
        const Bridge *b = NULL;
        WgKey key = {};
        char public_key[WG_KEY_B64_LEN + 1];
        struct timespec ts;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        /* sd_notify(3): RELOADING=1 with MONOTONIC_USEC= (systemd 253 wants it; 252 ignores it). */
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading the configuration.",
                          (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000);
        log_info("Reloading the configuration of bridge %s.", m->name);

        r = manager_load_config(m->root, m->name, false, &h, &b, &reasons);
        if (r < 0) {
                _cleanup_free_ char *text = reasons_join(reasons);
                reload_refuse_reasons(m, text ?: "the configuration is invalid", reasons);
                return 0;
        }

        /* NAS ports known from rpcbind stay open across the reload (the new model gets them now, so
         * the plan sees no change); rpcbind is asked again once the new configuration runs. */
        r = nas_discovery_prepare(&nas, &m->nas, h, b);
        if (r < 0) {
                reload_refuse(m, "out of memory");
                return log_oom();
        }

        r = reload_plan_build(m->host, m->bridge, h, b, &plan);
        if (r < 0) {
                reload_refuse(m, "out of memory");
                return log_oom();
        }
        if (plan.restart_reason) {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "%s; restart nfswg@%s to apply it.", plan.restart_reason, m->name) < 0)
                        text = NULL;
                reload_refuse(m, text ?: plan.restart_reason);
                reload_plan_done(&plan);
                return 0;
        }

        /* Everything that can fail without touching the system first. */
        r = manager_load_key(m, b, key, public_key);
        if (r >= 0) {
                r = render_daemon(h, b, &files);
                if (r < 0)
                        log_error_errno(r, "Cannot render the files of bridge %s: %m", m->name);
        }
        if (r < 0) {
                wg_key_wipe(key);
                reload_plan_done(&plan);
                reload_refuse(m, "the new configuration cannot be prepared (see above)");
                return 0;
        }

        /* From here on the system changes. A step that fails is reported, the later ones still run,
         * and the new configuration becomes the running one: the next reload or restart converges. */
        bool failed = false;
        if (m->backend == BACKEND_KERNEL && !m->no_networkd) {
                r = system_files_write(&files, SYSTEM_FILE_NETWORKD, m->root);
                /* networkd re-applies a changed .network (addresses, MTU) to the existing link. */
                if (r > 0)
                        r = networkd_reload(m->bus);
        } else
                r = manager_configure_link(m, b);
        failed = failed || r < 0;

        failed = manager_sync_device(m, b, key, NULL) < 0 || failed;
        /* New [Forward]s get forwarding now; ones that went away keep it until the stop restores all. */
        failed = manager_enable_forwarding(m, h, b) < 0 || failed;

        r = reload_nft(m, h, b, &plan);
        m->nft_dirty = r < 0;
        failed = failed || r < 0;

        failed = manager_apply_exports(m, &files, false) < 0 || failed;

        EventInfo info = { .bridge = m->name, .interface = b->interface, .handshake_age = -1 };
        for (size_t i = 0; i < plan.n_added; i++) {
                char pk[WG_KEY_B64_LEN + 1];
                wg_key_to_base64(pk, plan.added[i]->public_key);
                info.peer = plan.added[i]->name;
                info.public_key = pk;
                event_emit(EVENT_PEER_ADDED, &info);
        }
        for (size_t i = 0; i < plan.n_removed; i++) {
                char pk[WG_KEY_B64_LEN + 1];
                wg_key_to_base64(pk, plan.removed[i]->public_key);
                info.peer = plan.removed[i]->name;
                info.public_key = pk;
                event_emit(EVENT_PEER_REMOVED, &info);
        }
        info.peer = info.public_key = NULL;
        summary = reload_plan_summary(&plan);
        reload_plan_done(&plan);

        /* The new configuration is now the running one. */
        const Bridge *old_bridge = m->bridge;
        Host *old_host = m->host;
        m->host = TAKE_PTR(h);
        m->bridge = b;
        render_list_done(&m->files);
        m->files = files;
        files = (RenderList) {};
        memcpy(m->private_key, key, sizeof(WgKey));
        wg_key_wipe(key);
        memcpy(m->public_key, public_key, sizeof public_key);
        _cleanup_free_ PeerWatch *old_watches = TAKE_PTR(m->watches);
        m->watches = NULL;
        manager_init_watches(m, old_watches, old_bridge);
        host_free(old_host);
        nas_discovery_done(&m->nas);
        m->nas = nas;
        nas = (NasDiscovery) {};
        nas_discovery_start(&m->nas, m);

        /* The configuration on disk is the live one again; it is the copy a later start falls back on. */
        m->serving_saved = false;
        r = last_good_save(m->root, m->bridge);
        if (r < 0)
                log_warning_errno(r, "Cannot keep a copy of the configuration in /run/nfswg/%s: %m", m->name);
        manager_set_refused(m, NULL);

        (void) manager_poll(m);
        manager_update_status(m, false);
        if (failed) {
                info.detail = "the new configuration was applied only in part (see above); "
                              "the next reload or restart tries again";
                event_emit(EVENT_APPLY_FAILED, &info);
        }
        info.detail = summary;
        event_emit(EVENT_RELOADED, &info);
        (void) sd_notifyf(false, "READY=1\nSTATUS=%s", m->status);
        return 0;
}
