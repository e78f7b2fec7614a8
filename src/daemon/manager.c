/* SPDX-License-Identifier: MIT */
#include <net/if.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>

#include "daemon/event.h"
#include "daemon/last-good.h"
#include "daemon/manager-internal.h"
#include "daemon/networkd.h"
#include "daemon/reload-plan.h"
#include "emit/emit.h"
#include "shared/key-file.h"
#include "daemon/rtnl.h"
#include "daemon/system-files.h"
#include "daemon/userspace.h"
#include "nft/nft.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "wg/wg.h"

/* ---- Loading -------------------------------------------------------------------------------- */

typedef struct Captured {
        int *levels;
        size_t n_levels;
        char **lines;
} Captured;

static void capture_sink(int level, const char *message, void *userdata) {
        Captured *c = userdata;
        if (level > LOG_WARNING)
                return;
        int *slot = ARRAY_PUSH(c->levels, c->n_levels);
        if (!slot || strv_extend(&c->lines, message) < 0)
                return; /* out of memory: the line is lost, the error count is not */
        *slot = level;
}

/* Whether a message names one of the bridge's files: "ROOT/etc/nfswg/NAME.conf" followed by the
 * end of the name (":12: ...", " ", ...) or by ".d/" (a drop-in). */
static bool message_names_bridge(const char *message, const char *main_file) {
        size_t l = strlen(main_file);
        for (const char *p = strstr(message, main_file); p; p = strstr(p + 1, main_file)) {
                const char *after = p + l;
                if (strchr(":;, )", *after) || startswith(after, ".d/"))
                        return true;
        }
        return false;
}

int manager_load_config(const char *root, const char *name, bool log_now, Host **ret_host, const Bridge **ret_bridge,
                        char ***ret_reasons) {
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_free_ char *main_file = NULL;
        _cleanup_strv_free_ char **reasons = NULL;
        Captured c = {};
        int r;

        if (asprintf(&main_file, "%s/etc/nfswg/%s.conf", strempty(root), name) < 0)
                return log_oom();

        /* Collect what the loader says, to tell this bridge's problems from other bridges'. */
        log_set_sink(capture_sink, &c);
        r = host_load(root, &h);
        const Bridge *b = h ? host_find_bridge(h, name) : NULL;
        if (b && bridge_check_own_key_file(root, b) < 0)
                b = NULL;
        log_set_sink(NULL, NULL);

        bool ours_broken = !b;
        for (size_t i = 0; i < c.n_levels; i++)
                if (message_names_bridge(c.lines[i], main_file) && c.levels[i] <= LOG_ERR)
                        ours_broken = true;

        size_t n_about_us = 0;
        for (size_t i = 0; i < c.n_levels; i++)
                n_about_us += message_names_bridge(c.lines[i], main_file);

        for (size_t i = 0; i < c.n_levels; i++) {
                /* When nothing names our files (an unreadable directory, say), every line is ours. */
                bool about_us = message_names_bridge(c.lines[i], main_file) || (ours_broken && n_about_us == 0);
                if (about_us || !ours_broken) {
                        if (log_now)
                                log_internal(about_us ? c.levels[i] : LOG_WARNING, 0, "%s%s", c.lines[i],
                                             about_us ? "" : " (another bridge's problem; ignored by this one)");
                        if (about_us && strv_extend(&reasons, c.lines[i]) < 0)
                                r = -ENOMEM;
                }
        }
        strv_free(c.lines);
        free(c.levels);

        if (r == -ENOMEM)
                return log_oom();
        if (ours_broken) {
                if (!reasons) {
                        char *line = NULL;
                        if (access(main_file, F_OK) < 0)
                                r = asprintf(&line, "%s: no such bridge configuration.", main_file);
                        else
                                r = asprintf(&line, "%s: the configuration could not be loaded.", main_file);
                        if (r < 0 || strv_push(&reasons, line) < 0)
                                return log_oom();
                        if (log_now)
                                log_error("%s", line);
                }
                *ret_reasons = TAKE_PTR(reasons);
                return -EINVAL;
        }

        *ret_host = TAKE_PTR(h);
        *ret_bridge = b;
        *ret_reasons = NULL;
        return 0;
}

/* ---- Pieces of the lifecycle ---------------------------------------------------------------- */

EventInfo manager_event_info(const Manager *m) {
        return (EventInfo) { .bridge = m->name, .interface = m->bridge ? m->bridge->interface : NULL,
                             .handshake_age = -1 };
}

int manager_load_key(Manager *m, const Bridge *b, WgKey ret_key, char ret_public[WG_KEY_B64_LEN + 1]) {
        _cleanup_free_ char *path = NULL;
        WgKey public;
        bool created;

        if (asprintf(&path, "%s%s", m->root, b->private_key_file) < 0)
                return log_oom();
        int r = private_key_load_or_create(path, ret_key, &created);
        if (r < 0)
                return r;
        r = wg_key_public_from_private(public, ret_key);
        if (r < 0)
                return log_error_errno(r, "Cannot derive the public key from %s: %m", path);
        wg_key_to_base64(ret_public, public);
        if (created) {
                EventInfo i = manager_event_info(m);
                i.public_key = ret_public;
                i.detail = path;
                event_emit(EVENT_KEY_CREATED, &i);
        }
        return 0;
}

/* Makes the WireGuard device say what the bridge says, touching only peers that differ (as
 * `wg syncconf`): networkd creates a netdev from its .netdev once and never updates it. */
int manager_sync_device(Manager *m, const Bridge *b, const WgKey key, size_t *ret_changes) {
        _cleanup_(wg_device_freep) WgDevice *current = NULL, *desired = NULL, *change = NULL;
        size_t changes = 0;
        int r;

        r = wg_device_get(b->interface, m->uapi_dir, &current);
        if (r < 0)
                return log_error_errno(r, "Cannot read the WireGuard device %s: %m", b->interface);
        r = wg_device_from_bridge(b, key, &desired);
        if (r < 0)
                return log_error_errno(r, "Cannot prepare the WireGuard configuration of %s: %m", b->interface);
        manager_endpoint_keep_choice(m, b, desired);
        r = wg_device_diff(current, desired, &change, &changes);
        if (r < 0)
                return log_oom();
        if (changes > 0 || change->flags != 0) {
                r = wg_device_set(change, m->uapi_dir);
                if (r < 0)
                        return log_error_errno(r, "Cannot configure the WireGuard device %s: %m", b->interface);
        }
        log_debug("WireGuard device %s: %zu peer change(s).", b->interface, changes);
        if (ret_changes)
                *ret_changes = changes;
        return 0;
}

int manager_apply_exports(Manager *m, const RenderList *files, bool force_reload) {
        int r = system_files_write(files, SYSTEM_FILE_EXPORTS, m->root);
        if (r < 0)
                return r;
        bool changed = r > 0;

        bool listed = false;
        for (size_t i = 0; i < files->n_files; i++)
                listed = listed || system_file_kind(&files->files[i]) == SYSTEM_FILE_EXPORTS;
        if (!listed) {
                /* No [Export] (any more): a fragment from before must not stay exported. */
                _cleanup_free_ char *path = exports_fragment_path(m->root, m->name);
                if (!path)
                        return log_oom();
                r = unlink_if_exists(path);
                if (r < 0)
                        return log_error_errno(r, "Cannot remove %s: %m", path);
                changed = changed || r > 0;
                /* Nor the nfs-utils environment file that came with it: this bridge pins no port
                 * for nfs-utils' daemons any more. */
                _cleanup_free_ char *env = nfs_utils_env_path(m->name), *env_path = NULL;
                if (!env || asprintf(&env_path, "%s%s", m->root, env) < 0)
                        return log_oom();
                r = unlink_if_exists(env_path);
                if (r < 0)
                        return log_error_errno(r, "Cannot remove %s: %m", env_path);
                if (!changed)
                        return 0;
        }
        if (changed || force_reload)
                return exportfs_reload();
        return 0;
}

/* ---- Start ---------------------------------------------------------------------------------- */

/* Backend=auto, as wg-quick(8) does it: kernel WireGuard when the kernel can make a wireguard
 * link, wireguard-go otherwise; said once, with MESSAGE_ID, at start. The choice holds until the
 * daemon stops (a reload keeps it, and so does a restart: a link that a daemon exiting for a
 * restart left up says which backend it is, and the next daemon adopts it as it is). With
 * --no-networkd the device is someone else's, made before we start: nothing to choose. */
void manager_choose_backend(Manager *m, const Bridge *b) {
        int r;

        m->backend = b->backend;
        if (m->backend != BACKEND_AUTO)
                return;
        if (m->no_networkd) {
                m->backend = BACKEND_KERNEL;
                return;
        }
        bool adopted = false;
        if (if_nametoindex(b->interface) > 0) {
                /* Left up by a restart: wireguard-go when it left its PID file (wireguard_go_adopt()
                 * checks that it is still that process), else the kernel link networkd made. */
                _cleanup_free_ char *pid_file = bridge_runtime_path(m->root, m->name, "wireguard-go");
                if (!pid_file) {
                        (void) log_oom();
                        r = -ENOMEM;
                } else {
                        r = access(pid_file, F_OK) == 0 ? 0 : 1;
                        adopted = true;
                }
        } else
                r = rtnl_wireguard_supported();
        m->backend = r == 0 ? BACKEND_USERSPACE : BACKEND_KERNEL;

        EventInfo info = manager_event_info(m);
        info.backend = m->backend == BACKEND_KERNEL ? "kernel" : "userspace";
        if (adopted)
                info.detail = r == 0 ? "the wireguard-go a restart left running" : "the kernel link a restart left up";
        else if (r == 0)
                info.detail = "this kernel cannot make a wireguard link";
        else if (r > 0)
                info.detail = "this kernel makes wireguard links";
        else {
                errno = -r;
                log_warning_errno(r, "Cannot test whether this kernel makes wireguard links (%m); trying kernel WireGuard.");
                info.detail = "the test for it failed";
        }
        event_emit(EVENT_BACKEND, &info);
}

int manager_start(Manager *m) {
        const Bridge *b = m->bridge;
        EventInfo info = manager_event_info(m);
        int r;

        info.detail = bridge_mode_to_string(b->mode);
        event_emit(EVENT_STARTED, &info);

        r = manager_load_key(m, b, m->private_key, m->public_key);
        if (r < 0)
                return r;

        r = render_daemon(m->host, b, &m->files);
        if (r < 0)
                return log_error_errno(r, "Cannot render the files of bridge %s: %m", m->name);

        manager_choose_backend(m, b);

        /* Which forwards ask the NAS for their ports; the queries start with the loop, after READY=1. */
        r = nas_discovery_prepare(&m->nas, NULL, m->host, b);
        if (r < 0)
                return log_oom();

        if (m->backend == BACKEND_USERSPACE) {
                /* wireguard-go makes a TUN device networkd cannot create; we configure it ourselves.
                 * One left running by a daemon that exited for a restart is taken over as it is. */
                _cleanup_free_ char *pid_file = bridge_runtime_path(m->root, m->name, "wireguard-go");
                if (!pid_file)
                        return log_oom();
                r = wireguard_go_adopt(b->interface, m->uapi_dir, pid_file, &m->wireguard_go);
                if (r == 0)
                        r = wireguard_go_start(b->interface, m->uapi_dir, pid_file, &m->wireguard_go);
                if (r < 0)
                        return r;
                m->link_ours = true;
                m->ifindex = (int) if_nametoindex(b->interface);
                r = manager_configure_link(m, b);
        } else if (m->no_networkd) {
                m->ifindex = (int) if_nametoindex(b->interface);
                if (m->ifindex <= 0)
                        return log_error_errno(ENODEV, "--no-networkd: interface %s does not exist; create it first "
                                               "(e.g. 'wireguard-go %s').", b->interface, b->interface);
                r = manager_configure_link(m, b);
        } else {
                r = networkd_connect(&m->bus);
                if (r < 0)
                        return r;
                r = system_files_write(&m->files, SYSTEM_FILE_NETWORKD, m->root);
                if (r < 0)
                        return r;
                /* After a restart the link is there and its files unchanged: networkd has nothing to
                 * do, and a reload would only make it look at the link again. */
                if (r > 0 || if_nametoindex(b->interface) == 0) {
                        r = networkd_reload(m->bus);
                        if (r < 0)
                                return r;
                } else
                        log_info("Link %s (ifindex %u) and its networkd files are in place: adopting them.",
                                 b->interface, if_nametoindex(b->interface));
                m->link_ours = true;
                r = networkd_wait_link(m->bus, b->interface, m->link_timeout_usec, &m->ifindex);
        }
        if (r < 0)
                return r;

        r = manager_sync_device(m, b, m->private_key, NULL);
        if (r < 0)
                return r;

        r = manager_enable_forwarding(m, m->host, b);
        if (r < 0)
                return r;

        if (b->mode != BRIDGE_MODE_CLIENT) {
                r = nft_apply_bridge(m->host, b);
                if (r < 0)
                        return log_error_errno(r, "Cannot apply the nftables table inet " NFT_TABLE_PREFIX "%s: %m",
                                               m->name);
        }

        /* Always re-export at start: after a crash the kernel's export table may lag the file. */
        r = manager_apply_exports(m, &m->files, true);
        if (r < 0)
                return r;

        /* What applied becomes the copy a later start falls back on (not when it is that copy). */
        if (!m->serving_saved) {
                r = last_good_save(m->root, b);
                if (r < 0)
                        log_warning_errno(r, "Cannot keep a copy of the configuration in /run/nfswg/%s (%m): a "
                                          "restart with a broken one will not keep the bridge up.", m->name);
        }
        manager_set_refused(m, m->refused);

        manager_init_watches(m, NULL, NULL);
        (void) manager_poll(m);
        manager_update_status(m, false);
        info.detail = m->status;
        event_emit(EVENT_READY, &info);
        (void) sd_notifyf(false, "READY=1\nSTATUS=%s", m->status);
        return 0;
}

/* ---- Stop ----------------------------------------------------------------------------------- */

void manager_stop(Manager *m, bool started) {
        const Bridge *b = m->bridge;
        EventInfo info = manager_event_info(m);
        int r;

        if (started) {
                (void) sd_notify(false, "STOPPING=1\nSTATUS=Removing exports, firewall table and link.");
                event_emit(EVENT_STOPPING, &info);
        } else
                log_info("Removing what was set up before the failure.");

        /* The order of nfswgd(8): exports first, so nfsd stops serving before the door closes. */
        r = system_files_remove(&m->files, SYSTEM_FILE_EXPORTS, m->root);
        if (r > 0)
                (void) exportfs_reload();

        if (b->mode != BRIDGE_MODE_CLIENT) {
                r = nft_remove_bridge(m->name);
                if (r < 0)
                        log_error_errno(r, "Cannot remove the nftables table inet " NFT_TABLE_PREFIX "%s: %m", m->name);
        }

        if (!m->no_networkd && m->backend == BACKEND_KERNEL)
                (void) system_files_remove(&m->files, SYSTEM_FILE_NETWORKD, m->root);

        if (m->wireguard_go.pid > 0) {
                /* wireguard-go removes its TUN device when it exits. */
                m->child_source = sd_event_source_unref(m->child_source);
                wireguard_go_stop(&m->wireguard_go);
        } else if (m->link_ours && m->ifindex > 0) {
                /* networkd never deletes a link whose .netdev went away (systemd issue 9627). */
                r = rtnl_link_delete(m->ifindex);
                if (r < 0)
                        log_error_errno(r, "Cannot delete the link %s: %m", b->interface);
        } else if (m->ifindex > 0) {
                /* --no-networkd with a device someone else made: it stays theirs, our routes,
                 * addresses and link group go (in the group, every other bridge's table would let
                 * NFS in on it). */
                if (bridge_link_group(b) != 0) {
                        r = rtnl_link_set_group(m->ifindex, 0);
                        if (r < 0)
                                log_warning_errno(r, "Cannot take %s out of link group %u: %m", b->interface,
                                                  (unsigned) bridge_link_group(b));
                }
                r = rtnl_route_sync(m->ifindex, NULL, 0);
                if (r < 0)
                        log_warning_errno(r, "Cannot remove the routes through %s: %m", b->interface);
                r = rtnl_address_remove(m->ifindex, b->addresses, b->n_addresses);
                if (r < 0)
                        log_warning_errno(r, "Cannot remove the addresses of %s: %m", b->interface);
        }

        sysctl_restore(&m->sysctls);
        manager_unpublish(m);
        /* Nothing left to adopt: the next start is a first start. */
        last_good_forget(m->root, m->name);
        if (started)
                event_emit(EVENT_STOPPED, &info);
}

bool manager_restart_keeps(Manager *m) {
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_strv_free_ char **reasons = NULL;
        const Bridge *b = NULL;
        ReloadPlan plan = {};

        /* An invalid configuration: the next daemon serves the last good one over what stays. */
        if (manager_load_config(m->root, m->name, false, &h, &b, &reasons) < 0)
                return true;
        if (reload_plan_build(m->host, m->bridge, h, b, &plan) < 0)
                return true;
        bool keeps = !plan.restart_reason;
        if (!keeps)
                log_info("Restart of bridge %s applies a change a running bridge cannot take (%s): removing "
                         "everything first.", m->name, plan.restart_reason);
        reload_plan_done(&plan);
        return keeps;
}

void manager_leave(Manager *m) {
        EventInfo info = manager_event_info(m);

        (void) sd_notify(false, "STOPPING=1\nSTATUS=restart: leaving the bridge up for the next start");
        m->child_source = sd_event_source_unref(m->child_source);
        wireguard_go_release(&m->wireguard_go);
        event_emit(EVENT_LEFT_UP, &info);
}

void manager_set_refused(Manager *m, char **reasons) {
        if (reasons != m->refused) {
                m->refused = strv_free(m->refused);
                STRV_FOREACH(s, reasons)
                        if (strv_extend(&m->refused, *s) < 0)
                                log_oom();
        }
        if (m->refused) {
                int r = refused_write(m->root, m->name, m->serving_saved ? LAST_GOOD_DIR : "running", m->refused);
                if (r < 0)
                        log_warning_errno(r, "Cannot record the refused configuration in /run/nfswg/%s: %m", m->name);
        } else
                refused_remove(m->root, m->name);
        free(m->status); /* recomputed with or without the refusal */
        m->status = NULL;
        if (m->bridge)
                manager_update_status(m, false);
}

void manager_done(Manager *m) {
        nas_discovery_done(&m->nas);
        sd_event_source_unref(m->poll_source);
        sd_event_source_unref(m->child_source);
        sd_event_source_unref(m->expiry_source);
        strv_free(m->expired_logged);
        sd_event_unref(m->event);
        sd_bus_flush_close_unref(m->bus);
        render_list_done(&m->files);
        host_free(m->host);
        sysctl_saved_done(&m->sysctls);
        wg_key_wipe(m->private_key);
        free(m->watches);
        free(m->status);
        free(m->published_status);
        free(m->published_metrics);
        free(m->metrics_path);
        strv_free(m->refused);
        wireguard_go_release(&m->wireguard_go);
}
