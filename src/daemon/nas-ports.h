/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "daemon/event.h"
#include "model/bridge.h"
#include "shared/strbuf.h"

/* nas mode without NASPorts=: the NAS's NFSv3 side ports (mountd, nlockmgr, status; nfs and
 * nfs_acl when not on 2049) are asked of its rpcbind, as `rpcinfo -p NAS` does (portmapper v2
 * PMAPPROC_DUMP over TCP port 111, RFC 1833 section 3.2), and then forwarded exactly as NASPorts=
 * would be: the daemon writes them into its in-memory Forward.nas_ports and re-applies the table.
 * Only for a [Forward] with Ports=nfs, no NASPorts= and a To= that is a single host (the NAS
 * itself, as for the mount hint); a To= network has no one host to ask.
 *
 * The query never holds up the start (READY=1 comes first) and never blocks the event loop: a
 * non-blocking connect and read with one deadline each (NAS_CONNECT_TIMEOUT_USEC,
 * NAS_CALL_TIMEOUT_USEC). A failure keeps 2049 and 111, logs a warning and tries again every
 * Manager.nas_retry_usec; so does an answer without mountd (a NAS whose rpcbind is up before its
 * NFS services). A complete answer is asked again every Manager.nas_refresh_usec, since ports a
 * NAS does not pin change when it restarts; a reload asks again at once. */

#define NAS_CONNECT_TIMEOUT_USEC (2ULL * 1000000ULL)
#define NAS_CALL_TIMEOUT_USEC (2ULL * 1000000ULL)
#define NAS_RETRY_SEC_DEFAULT 30
#define NAS_REFRESH_SEC_DEFAULT 300
/* A pmap dump larger than this is not an NFS server's: give up rather than keep reading. */
#define NAS_REPLY_MAX (256U * 1024U)
/* The call as nas_query_build_call() makes it: record mark + call header, no arguments. */
#define NAS_CALL_MAX 64

struct pmaplist;
struct Manager;

/* ---- Pure parts (tests/unit/test-daemon.c) --------------------------------------------------- */

/* Whether f of b gets its ports from the NAS's rpcbind: nas mode, Ports=nfs, no NASPorts=, To= a
 * single address. */
bool nas_forward_wants_discovery(const Bridge *b, const Forward *f);

/* The ports of the NFS programs in a pmap list (TCP and UDP), ascending, without duplicates,
 * without 2049 and 111 (always forwarded anyway). *ret is NULL when there are none. *ret_mountd
 * (may be NULL): whether mountd is registered, i.e. the NAS's NFSv3 service is up. 0 or -ENOMEM. */
int nas_ports_from_pmaplist(const struct pmaplist *list, uint16_t **ret, size_t *ret_n, bool *ret_mountd);

/* PMAPPROC_DUMP with transaction id xid, record-marked for TCP (RFC 5531 section 11), into buf. */
int nas_query_build_call(uint32_t xid, uint8_t buf[static NAS_CALL_MAX], size_t *ret_len);
/* Given the bytes received so far: 0 when the reply record is not complete yet; 1 with the ports
 * (nas_ports_from_pmaplist()) when it is; -EBADMSG for what is not an RPC reply to xid,
 * -EPROTO when rpcbind refused the call, -EMSGSIZE beyond NAS_REPLY_MAX. */
int nas_query_parse_reply(const uint8_t *buf, size_t n, uint32_t xid, uint16_t **ret, size_t *ret_n,
                          bool *ret_mountd);

/* "20048 32765" (or "none") */
void nas_ports_format(StrBuf *sb, const uint16_t *ports, size_t n);
/* The journal entry of a successful query: event EVENT_NAS_PORTS (MESSAGE_ID=NFSWG_MESSAGE_NAS_PORTS,
 * NFSWG_NAS=, NFSWG_NAS_PORTS=) with info's bridge and interface. */
int nas_ports_event_build(const EventInfo *info, const char *nas, const uint16_t *ports, size_t n, Event *ret);

/* ---- The queries ------------------------------------------------------------------------------ */

typedef struct NasTarget {
        struct Manager *manager;
        size_t forward; /* index into the bridge's forwards */
        IpPrefix nas;   /* To= */
        char nas_text[INET6_ADDRSTRLEN];
        bool known;     /* ports holds what rpcbind said (here or before a reload) */
        bool announced; /* this target's answer went to the journal (later ones: only changes) */
        bool no_mountd; /* the last answer lacked mountd (said once at notice level) */
        uint16_t *ports;
        size_t n_ports;
        char *error; /* the last failure, for STATUS=; NULL after a success */

        /* One query at a time */
        int fd;
        uint32_t xid;
        bool sent;
        uint8_t *reply;
        size_t n_reply;
        sd_event_source *io, *deadline, *retry;
} NasTarget;

typedef struct NasDiscovery {
        NasTarget *targets;
        size_t n_targets;
} NasDiscovery;

/* The targets of bridge b (of host h, which is modified): every forward that wants discovery.
 * Ports that old (the running daemon's, may be NULL) already knows for the same NAS are written
 * into h's forward at once, so that a reload does not close them while the new query runs. */
int nas_discovery_prepare(NasDiscovery *d, const NasDiscovery *old, Host *h, const Bridge *b);
/* Starts every target's query on m->event. */
void nas_discovery_start(NasDiscovery *d, struct Manager *m);
/* Cancels the queries, frees everything. */
void nas_discovery_done(NasDiscovery *d);
/* ", NAS 192.168.50.2 ports 20048 32765" or ", NAS ... ports not known yet (...)" for STATUS= */
void nas_discovery_status(const NasDiscovery *d, StrBuf *sb);
