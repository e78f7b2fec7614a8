/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon/nas-ports.h"
#include "daemon/peer-watch.h"
#include "daemon/stop-intent.h"
#include "daemon/sysctl.h"
#include "daemon/userspace.h"
#include "emit/render.h"
#include "model/bridge.h"
#include "shared/key.h"

/* One bridge's daemon: what it was asked, what it holds, and what it put on the system (so it can
 * take it away again). */
typedef struct Manager {
        /* Options */
        const char *name;
        const char *root;     /* "" = the live system, else --root DIR */
        const char *uapi_dir; /* NULL = WireGuard's default */
        bool no_networkd;     /* test mode: configure an existing device ourselves */
        uint64_t poll_usec;
        uint64_t link_timeout_usec;
        EndpointPolicy endpoint_policy; /* when a dialled peer's endpoint counts as failed */
        uint64_t nas_retry_usec;        /* a failed rpcbind query of the NAS is tried again after this */
        uint64_t nas_refresh_usec;      /* a complete answer is asked again after this */

        /* The running configuration */
        Host *host;
        const Bridge *bridge; /* in host */
        RenderList files;     /* render_daemon() of host/bridge */
        WgKey private_key;
        char public_key[WG_KEY_B64_LEN + 1];
        bool nft_dirty; /* a reload failed half way: re-apply the whole table next time */
        NasDiscovery nas; /* forwards whose NAS ports come from its rpcbind (nas-ports.h) */
        bool serving_saved; /* the configuration is the last good copy (last-good.h), /etc's was refused */
        char **refused;     /* FILE:LINE reasons of the newer configuration refused, NULL when none */

        /* The system */
        Backend backend; /* the bridge's Backend=, auto resolved at start (manager_choose_backend()) */
        int ifindex;
        bool link_ours; /* created for us (networkd or wireguard-go): delete it on stop */
        WireguardGo wireguard_go; /* Backend=userspace */
        sd_bus *bus;
        SysctlSaved sysctls;

        /* The loop */
        sd_event *event;
        sd_event_source *poll_source;
        sd_event_source *child_source; /* wireguard-go's pidfd */
        sd_event_source *expiry_source; /* CLOCK_REALTIME: the next [Peer] Expires= (manager-expiry.c) */
        char **expired_logged;          /* peers whose expiry was logged */
        StopIntent stop_intent;        /* decided at SIGTERM */
        PeerWatch *watches; /* one per peer of bridge (client mode: one, the server) */
        size_t n_watches;
        size_t n_up;
        char *status;
        /* What manager_publish() last wrote (metrics.h): the status file, the metrics file and
         * where (NULL: none written). */
        char *published_status;
        char *published_metrics;
        char *metrics_path;
        bool publish_warned;
} Manager;

/* Loads ROOT/etc/nfswg (every bridge, for the host-wide checks) and finds NAME. Problems of other
 * bridges alone are warnings. On failure returns -EINVAL and *ret_reasons holds the FILE:LINE
 * lines about this bridge (NULL-terminated; already logged when log_now). */
int manager_load_config(const char *root, const char *name, bool log_now, Host **ret_host, const Bridge **ret_bridge,
                        char ***ret_reasons);

/* Brings the system to the configuration: key, link, WireGuard device, nftables, exports. */
int manager_start(Manager *m);
/* SIGHUP: re-read; refused (and logged) when invalid, else the difference is applied. */
int manager_reload(Manager *m);
/* Removes what manager_start() added: exports, table, networkd files, link, sysctls. started:
 * announce it (STOPPING=1, journal); else a quiet clean-up after a failed start. */
void manager_stop(Manager *m, bool started);
/* SIGTERM for a restart: everything stays (link, peers and sessions, table, exports, networkd
 * files, sysctls, /run/nfswg/NAME and wireguard-go) for the next daemon to adopt. */
void manager_leave(Manager *m);
/* At SIGTERM: whether a restart may leave the bridge up. Not when the configuration on disk is
 * valid and differs in what only a fresh start applies (Interface=, Backend=, Mode=: the next
 * daemon would not find what to take away). */
bool manager_restart_keeps(Manager *m);
/* A newer configuration was refused (reasons: FILE:LINE lines) or, with NULL, none is any more:
 * STATUS= and ROOT/run/nfswg/NAME/refused say so. */
void manager_set_refused(Manager *m, char **reasons);
void manager_done(Manager *m);

/* After a start or reload: logs PEER_EXPIRED once for each peer of m->bridge that expired, and arms
 * the timer that reloads the bridge at the next Expires= (manager-expiry.c). */
void manager_expiry_update(Manager *m);

/* Reads the device and reports peer changes; refreshes STATUS=. */
int manager_poll(Manager *m);
/* Recomputes m->status; notify sends STATUS= when it changed. */
void manager_update_status(Manager *m, bool notify);
/* Writes ROOT/run/nfswg-status/NAME.json and the Prometheus metrics file (MetricsFile=, else
 * ROOT/var/lib/prometheus/node-exporter/nfswg_NAME.prom when that directory exists) from the last
 * poll (dev: its reading, NULL when the device could not be read), each only when its content
 * changed. */
void manager_publish(Manager *m, const WgDevice *dev);
/* A real stop: removes both files. */
void manager_unpublish(Manager *m);
