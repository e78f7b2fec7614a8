/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "daemon/event.h"
#include "shared/log.h"
#include "shared/message-id.h"
#include "shared/strbuf.h"

typedef struct EventType {
        const char *name;
        const char *message_id;
        int priority;
} EventType;

static const EventType event_types[_EVENT_MAX] = {
        [EVENT_STARTED] = { "started", NFSWG_MESSAGE_STARTED, LOG_INFO },
        [EVENT_KEY_CREATED] = { "key-created", NFSWG_MESSAGE_KEY_CREATED, LOG_NOTICE },
        [EVENT_READY] = { "ready", NFSWG_MESSAGE_READY, LOG_INFO },
        [EVENT_PEER_UP] = { "peer-up", NFSWG_MESSAGE_PEER_UP, LOG_INFO },
        [EVENT_PEER_DOWN] = { "peer-down", NFSWG_MESSAGE_PEER_DOWN, LOG_WARNING },
        [EVENT_PEER_STALE] = { "peer-stale", NFSWG_MESSAGE_PEER_STALE, LOG_NOTICE },
        [EVENT_PEER_ROAMED] = { "peer-roamed", NFSWG_MESSAGE_PEER_ROAMED, LOG_INFO },
        [EVENT_PEER_ADDED] = { "peer-added", NFSWG_MESSAGE_PEER_ADDED, LOG_NOTICE },
        [EVENT_PEER_REMOVED] = { "peer-removed", NFSWG_MESSAGE_PEER_REMOVED, LOG_NOTICE },
        [EVENT_RELOADED] = { "reloaded", NFSWG_MESSAGE_RELOADED, LOG_INFO },
        [EVENT_RELOAD_REFUSED] = { "reload-refused", NFSWG_MESSAGE_RELOAD_REFUSED, LOG_ERR },
        [EVENT_APPLY_FAILED] = { "apply-failed", NFSWG_MESSAGE_APPLY_FAILED, LOG_ERR },
        [EVENT_STOPPING] = { "stopping", NFSWG_MESSAGE_STOPPING, LOG_INFO },
        [EVENT_STOPPED] = { "stopped", NFSWG_MESSAGE_STOPPED, LOG_INFO },
        [EVENT_ENDPOINT_FAILOVER] = { "endpoint-failover", NFSWG_MESSAGE_ENDPOINT_FAILOVER, LOG_NOTICE },
        [EVENT_NAS_PORTS] = { "nas-ports", NFSWG_MESSAGE_NAS_PORTS, LOG_INFO },
        [EVENT_BACKEND] = { "backend", NFSWG_MESSAGE_BACKEND, LOG_INFO },
        [EVENT_CONFIG_REFUSED] = { "config-refused", NFSWG_MESSAGE_CONFIG_REFUSED, LOG_ERR },
        [EVENT_START_REFUSED] = { "start-refused", NFSWG_MESSAGE_START_REFUSED, LOG_ERR },
        [EVENT_LEFT_UP] = { "left-up", NFSWG_MESSAGE_LEFT_UP, LOG_NOTICE },
};

const char *event_kind_to_string(EventKind k) {
        return k >= 0 && k < _EVENT_MAX ? event_types[k].name : NULL;
}

const char *event_kind_message_id(EventKind k) {
        return k >= 0 && k < _EVENT_MAX ? event_types[k].message_id : NULL;
}

static const char *or_unknown(const char *s) {
        return isempty(s) ? "(unknown)" : s;
}

/* The words of each event. They read as sentences on a terminal and in `journalctl -u`, so every
 * one names the bridge first. */
static void event_format_message(StrBuf *sb, EventKind kind, const EventInfo *i) {
        strbuf_appendf(sb, "Bridge %s: ", i->bridge);

        switch (kind) {
        case EVENT_STARTED:
                strbuf_appendf(sb, "starting on %s%s%s.", or_unknown(i->interface),
                               i->detail ? ", " : "", strempty(i->detail));
                break;
        case EVENT_KEY_CREATED:
                strbuf_appendf(sb, "created a new private key in %s; public key %s.",
                               or_unknown(i->detail), or_unknown(i->public_key));
                break;
        case EVENT_READY:
                strbuf_appendf(sb, "ready: %s%s", strempty(i->detail),
                               i->detail && *i->detail && i->detail[strlen(i->detail) - 1] == '.' ? "" : ".");
                break;
        case EVENT_PEER_UP:
                strbuf_appendf(sb, "peer %s is up", or_unknown(i->peer));
                if (i->endpoint)
                        strbuf_appendf(sb, " from %s", i->endpoint);
                strbuf_append(sb, ".");
                break;
        case EVENT_PEER_STALE:
                strbuf_appendf(sb, "peer %s is stale: last handshake %" PRIi64 "s ago", or_unknown(i->peer),
                               i->handshake_age);
                if (i->endpoint)
                        strbuf_appendf(sb, " from %s", i->endpoint);
                strbuf_append(sb, ".");
                break;
        case EVENT_PEER_DOWN:
                if (i->handshake_age >= 0)
                        strbuf_appendf(sb, "peer %s is down: no handshake for %" PRIi64 "s.", or_unknown(i->peer),
                                       i->handshake_age);
                else
                        strbuf_appendf(sb, "peer %s is down: its session is gone.", or_unknown(i->peer));
                break;
        case EVENT_PEER_ROAMED:
                strbuf_appendf(sb, "peer %s roamed from %s to %s.", or_unknown(i->peer), or_unknown(i->old_endpoint),
                               or_unknown(i->endpoint));
                break;
        case EVENT_PEER_ADDED:
                strbuf_appendf(sb, "peer %s added.", or_unknown(i->peer));
                break;
        case EVENT_PEER_REMOVED:
                strbuf_appendf(sb, "peer %s removed.", or_unknown(i->peer));
                break;
        case EVENT_RELOADED:
                strbuf_appendf(sb, "configuration reloaded: %s.", i->detail ? i->detail : "nothing changed");
                break;
        case EVENT_RELOAD_REFUSED:
                strbuf_appendf(sb, "reload refused, the running configuration stays: %s", or_unknown(i->detail));
                break;
        case EVENT_APPLY_FAILED:
                strbuf_appendf(sb, "%s", or_unknown(i->detail));
                break;
        case EVENT_STOPPING:
                strbuf_append(sb, "stopping, removing its exports, firewall table and link.");
                break;
        case EVENT_STOPPED:
                strbuf_append(sb, "stopped.");
                break;
        case EVENT_ENDPOINT_FAILOVER:
                strbuf_appendf(sb, "peer %s: no handshake via %s, trying %s%s%s%s.", or_unknown(i->peer),
                               or_unknown(i->old_endpoint), or_unknown(i->endpoint), i->detail ? " (" : "",
                               strempty(i->detail), i->detail ? ")" : "");
                break;
        case EVENT_NAS_PORTS:
                if (!isempty(i->nas_ports))
                        strbuf_appendf(sb, "rpcbind of NAS %s lists its NFSv3 side ports %s; peers may reach them "
                                       "(with 2049 and 111) now.", or_unknown(i->nas), i->nas_ports);
                else
                        strbuf_appendf(sb, "rpcbind of NAS %s lists no NFSv3 side ports; peers reach 2049 and 111 "
                                       "only (NFSv4).", or_unknown(i->nas));
                break;
        case EVENT_BACKEND:
                strbuf_appendf(sb, "Backend=auto: %s WireGuard%s%s.",
                               streq_ptr(i->backend, "kernel") ? "kernel" : "userspace (wireguard-go)",
                               i->detail ? ": " : "", strempty(i->detail));
                break;
        case EVENT_CONFIG_REFUSED:
                strbuf_appendf(sb, "newer configuration refused, serving the last good one: %s", or_unknown(i->detail));
                break;
        case EVENT_START_REFUSED:
                strbuf_appendf(sb, "configuration refused, not starting (no running bridge to keep): %s",
                               or_unknown(i->detail));
                break;
        case EVENT_LEFT_UP:
                strbuf_append(sb, "restart: leaving the bridge up for the next start (link, peers, firewall "
                                  "table and exports stay).");
                break;
        default:
                break;
        }
}

static int fields_add(char ***fields, const char *key, const char *value) {
        if (!value)
                return 0;
        char *s = NULL;
        if (asprintf(&s, "%s=%s", key, value) < 0)
                return -ENOMEM;
        return strv_push(fields, s);
}

int event_build(EventKind kind, const EventInfo *info, Event *ret) {
        if (kind < 0 || kind >= _EVENT_MAX || !info || !info->bridge)
                return -EINVAL;

        StrBuf sb = {};
        event_format_message(&sb, kind, info);
        _cleanup_free_ char *message = strbuf_finish(&sb);
        if (!message)
                return -ENOMEM;

        const EventType *t = &event_types[kind];
        char priority[12], age[24];
        snprintf(priority, sizeof priority, "%i", t->priority);
        bool has_age = info->handshake_age >= 0 && (kind == EVENT_PEER_STALE || kind == EVENT_PEER_DOWN ||
                                                     kind == EVENT_ENDPOINT_FAILOVER);
        if (has_age)
                snprintf(age, sizeof age, "%" PRIi64, info->handshake_age);

        _cleanup_strv_free_ char **fields = NULL;
        if (fields_add(&fields, "MESSAGE", message) < 0 ||
            fields_add(&fields, "MESSAGE_ID", t->message_id) < 0 ||
            fields_add(&fields, "PRIORITY", priority) < 0 ||
            fields_add(&fields, "NFSWG_EVENT", t->name) < 0 ||
            fields_add(&fields, "NFSWG_BRIDGE", info->bridge) < 0 ||
            fields_add(&fields, "NFSWG_INTERFACE", info->interface) < 0 ||
            fields_add(&fields, "NFSWG_PEER", info->peer) < 0 ||
            fields_add(&fields, "NFSWG_PUBLIC_KEY", info->public_key) < 0 ||
            fields_add(&fields, "NFSWG_ENDPOINT", info->endpoint) < 0 ||
            fields_add(&fields, "NFSWG_OLD_ENDPOINT", info->old_endpoint) < 0 ||
            fields_add(&fields, "NFSWG_HANDSHAKE_AGE", has_age ? age : NULL) < 0 ||
            fields_add(&fields, "NFSWG_NAS", info->nas) < 0 ||
            fields_add(&fields, "NFSWG_NAS_PORTS", info->nas_ports) < 0 ||
            fields_add(&fields, "NFSWG_BACKEND", info->backend) < 0)
                return -ENOMEM;

        *ret = (Event) {
                .kind = kind,
                .priority = t->priority,
                .message = TAKE_PTR(message),
                .fields = TAKE_PTR(fields),
        };
        return 0;
}

void event_done(Event *e) {
        if (!e)
                return;
        free(e->message);
        strv_free(e->fields);
        *e = (Event) {};
}

void event_send(const Event *e) {
        if (log_get_target() != LOG_TARGET_JOURNAL) {
                log_internal(e->priority, 0, "%s", e->message);
                return;
        }

        size_t n = strv_length(e->fields);
        struct iovec iov[n + 1];
        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec) { .iov_base = e->fields[i], .iov_len = strlen(e->fields[i]) };
        iov[n] = (struct iovec) { .iov_base = (char *) "SYSLOG_IDENTIFIER=nfswgd",
                                  .iov_len = strlen("SYSLOG_IDENTIFIER=nfswgd") };
        (void) sd_journal_sendv(iov, (int) n + 1);
}

void event_emit(EventKind kind, const EventInfo *info) {
        Event e = {};
        if (event_build(kind, info, &e) < 0) {
                log_oom();
                return;
        }
        event_send(&e);
        event_done(&e);
}
