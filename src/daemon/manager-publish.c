/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/manager-internal.h"
#include "daemon/metrics.h"
#include "shared/fileio.h"
#include "shared/log.h"

/* The status file and the Prometheus metrics file: what the last poll saw, without secrets
 * (daemon/metrics.h). /run/nfswg/NAME stays 0700 (it holds the last good configuration and the
 * refusal); the status goes to a directory of its own that everyone may read. */

#define STATUS_DIR "/run/nfswg-status"
#define METRICS_DEFAULT_DIR "/var/lib/prometheus/node-exporter"

static char *status_path(const Manager *m) {
        char *p = NULL;
        if (asprintf(&p, "%s" STATUS_DIR "/%s.json", m->root, m->name) < 0)
                return NULL;
        return p;
}

/* MetricsFile=, else node-exporter's default directory of Debian when it exists, else none. */
static char *metrics_path(const Manager *m) {
        char *p = NULL, *dir = NULL;
        struct stat st;

        if (m->bridge->metrics_file) {
                if (asprintf(&p, "%s%s", m->root, m->bridge->metrics_file) < 0)
                        return NULL;
                return p;
        }
        if (asprintf(&dir, "%s" METRICS_DEFAULT_DIR, m->root) < 0)
                return NULL;
        if (stat(dir, &st) >= 0 && S_ISDIR(st.st_mode) && asprintf(&p, "%s/nfswg_%s.prom", dir, m->name) < 0)
                p = NULL;
        free(dir);
        return p;
}

static int publish_one(Manager *m, const char *path, char **published, char *text) {
        if (streq_ptr(*published, text)) {
                free(text);
                return 0;
        }
        int r = write_file_atomic(path, text, 0644, (uid_t) -1, (gid_t) -1);
        if (r < 0) {
                free(text);
                if (!m->publish_warned)
                        log_warning_errno(r, "Cannot write %s: %m", path);
                m->publish_warned = true;
                return r;
        }
        free(*published);
        *published = text;
        return 0;
}

void manager_publish(Manager *m, const WgDevice *dev) {
        const Bridge *b = m->bridge;
        _cleanup_free_ MetricsPeer *peers = calloc(m->n_watches ?: 1, sizeof *peers);
        _cleanup_free_ char *spath = status_path(m), *dir = NULL;
        NftCounters counters;

        if (!peers || !spath) {
                log_oom();
                return;
        }
        for (size_t i = 0; i < m->n_watches; i++) {
                const PeerWatch *w = &m->watches[i];
                MetricsPeer *p = &peers[i];
                bool client = b->mode == BRIDGE_MODE_CLIENT;
                p->name = client ? "server" : b->peers[i].name;
                p->peer = client ? NULL : &b->peers[i];
                wg_key_to_base64(p->public_key, client ? b->server.public_key : b->peers[i].public_key);
                snprintf(p->endpoint, sizeof p->endpoint, "%s", dev && w->sample_usec ? w->endpoint : "");
                p->present = w->sample_usec > 0;
                p->last_handshake_sec = w->last_handshake_sec;
                p->rx_bytes = w->rx_bytes;
                p->tx_bytes = w->tx_bytes;
                p->rx_rate = w->rx_rate;
                p->tx_rate = w->tx_rate;
                p->up = peer_watch_is_up(w);
                p->state = peer_state_to_string(w->state);
        }
        MetricsInput in = {
                .bridge = b,
                .public_key = *m->public_key ? m->public_key : NULL,
                .listen_port = dev ? dev->listen_port : b->listen_port,
                .device = dev,
                .counters = b->mode != BRIDGE_MODE_CLIENT && nft_read_counters(b->name, &counters) >= 0 ? &counters : NULL,
                .config_refused = m->refused,
                .peers = peers,
                .n_peers = m->n_watches,
        };

        /* 0755 whatever the umask: the point of this directory is that everyone can read it. */
        if (asprintf(&dir, "%s" STATUS_DIR, m->root) < 0)
                return (void) log_oom();
        if (mkdir(dir, 0755) >= 0)
                (void) chmod(dir, 0755);
        char *text = metrics_format_status_json(&in);
        if (!text)
                return (void) log_oom();
        (void) publish_one(m, spath, &m->published_status, text);

        _cleanup_free_ char *mpath = metrics_path(m);
        if (!streq_ptr(mpath, m->metrics_path)) {
                /* MetricsFile= changed on reload (or the directory appeared): the old file goes. */
                if (m->metrics_path)
                        (void) unlink(m->metrics_path);
                free(m->metrics_path);
                m->metrics_path = TAKE_PTR(mpath);
                free(m->published_metrics);
                m->published_metrics = NULL;
        }
        if (!m->metrics_path)
                return;
        text = metrics_format_prometheus(&in);
        if (!text)
                return (void) log_oom();
        (void) publish_one(m, m->metrics_path, &m->published_metrics, text);
}

void manager_unpublish(Manager *m) {
        _cleanup_free_ char *spath = status_path(m);
        if (spath)
                (void) unlink(spath);
        if (m->metrics_path)
                (void) unlink(m->metrics_path);
        free(m->published_status);
        m->published_status = NULL;
        free(m->published_metrics);
        m->published_metrics = NULL;
        free(m->metrics_path);
        m->metrics_path = NULL;
}
