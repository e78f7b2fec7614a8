/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

/* What the daemon tells the administrator: one structured journal entry per event (MESSAGE_ID from
 * shared/message-id.h, fields NFSWG_BRIDGE=, NFSWG_PEER=, NFSWG_ENDPOINT=, ...), or the same
 * words on stderr when journald is not listening. Building an event is pure (tests compare the
 * text and fields); event_send() is the only part that writes. */

typedef enum EventKind {
        EVENT_STARTED,
        EVENT_KEY_CREATED,
        EVENT_READY,
        EVENT_PEER_UP,
        EVENT_PEER_DOWN,
        EVENT_PEER_STALE,
        EVENT_PEER_ROAMED,
        EVENT_PEER_ADDED,
        EVENT_PEER_REMOVED,
        EVENT_RELOADED,
        EVENT_RELOAD_REFUSED,
        EVENT_APPLY_FAILED,
        EVENT_STOPPING,
        EVENT_STOPPED,
        EVENT_ENDPOINT_FAILOVER,
        EVENT_NAS_PORTS,
        EVENT_BACKEND,
        EVENT_CONFIG_REFUSED, /* start: invalid configuration, the adopted bridge serves the last good one */
        EVENT_START_REFUSED,  /* start: invalid configuration and nothing to adopt: exit 6 */
        EVENT_LEFT_UP,        /* SIGTERM for a restart: everything stays for the next daemon */
        _EVENT_MAX,
        _EVENT_NONE = -1,
} EventKind;

/* The facts an event may name; unset members are NULL / 0 and produce no field. */
typedef struct EventInfo {
        const char *bridge;       /* NFSWG_BRIDGE= (always) */
        const char *interface;    /* NFSWG_INTERFACE= */
        const char *peer;         /* NFSWG_PEER= */
        const char *public_key;   /* NFSWG_PUBLIC_KEY= (base64; public keys only, never a private one) */
        const char *endpoint;     /* NFSWG_ENDPOINT= */
        const char *old_endpoint; /* NFSWG_OLD_ENDPOINT= (roaming, failover) */
        const char *detail;       /* status text, reasons, summary: part of MESSAGE= */
        const char *nas;          /* NFSWG_NAS= (nas-ports) */
        const char *nas_ports;    /* NFSWG_NAS_PORTS= (nas-ports): "20048 32765", "" for none */
        const char *backend;      /* NFSWG_BACKEND= (backend): "kernel" or "userspace" */
        int64_t handshake_age;    /* seconds; NFSWG_HANDSHAKE_AGE= when >= 0 and the kind uses it */
} EventInfo;

typedef struct Event {
        EventKind kind;
        int priority;  /* syslog(3) level */
        char *message; /* the words, the same on stderr and in MESSAGE= */
        char **fields; /* "KEY=value", NULL-terminated, beginning with MESSAGE=, MESSAGE_ID=, PRIORITY= */
} Event;

const char *event_kind_to_string(EventKind k);
const char *event_kind_message_id(EventKind k);

/* 0 or -ENOMEM / -EINVAL (unknown kind, no bridge). */
int event_build(EventKind kind, const EventInfo *info, Event *ret);
void event_done(Event *e);

/* Sends to the journal when log_get_target() is LOG_TARGET_JOURNAL, else logs the message through
 * shared/log.h (stderr, or a test's sink). Never fails: an event that cannot be sent is dropped. */
void event_send(const Event *e);
/* event_build() + event_send() + event_done(). */
void event_emit(EventKind kind, const EventInfo *info);
