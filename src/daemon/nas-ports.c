/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <endian.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <rpc/pmap_prot.h>
/* tirpc's rpc/types.h has its own MIN/MAX; shared/macro.h's are the ones used here. */
#undef MAX
#undef MIN

#include "daemon/manager-internal.h"
#include "daemon/nas-ports.h"
#include "nft/nft.h"
#include "shared/log.h"

#define NAS_PROGRAM_MOUNTD 100005

/* The RPC programs of an NFSv3 server whose ports a peer needs (rpcinfo(8) names them so). */
static const struct {
        unsigned long number;
        const char *name;
} nas_programs[] = {
        { 100003, "nfs" },
        { NAS_PROGRAM_MOUNTD, "mountd" },
        { 100021, "nlockmgr" },
        { 100024, "status" },
        { 100227, "nfs_acl" },
};

/* ---- Pure parts ------------------------------------------------------------------------------ */

bool nas_forward_wants_discovery(const Bridge *b, const Forward *f) {
        return b->mode == BRIDGE_MODE_NAS && f->ports == FORWARD_PORTS_NFS && f->n_nas_ports == 0 &&
               !f->to_bridge && f->to.prefixlen == ip_family_bits(f->to.family);
}

static bool nas_program_wanted(unsigned long prog) {
        for (size_t i = 0; i < ELEMENTSOF(nas_programs); i++)
                if (nas_programs[i].number == prog)
                        return true;
        return false;
}

int nas_ports_from_pmaplist(const struct pmaplist *list, uint16_t **ret, size_t *ret_n, bool *ret_mountd) {
        _cleanup_free_ uint16_t *ports = NULL;
        size_t n = 0;
        bool mountd = false;

        for (const struct pmaplist *l = list; l; l = l->pml_next) {
                const struct pmap *p = &l->pml_map;
                if (p->pm_prog == NAS_PROGRAM_MOUNTD && p->pm_port > 0)
                        mountd = true;
                if (!nas_program_wanted(p->pm_prog) ||
                    (p->pm_prot != IPPROTO_TCP && p->pm_prot != IPPROTO_UDP) ||
                    p->pm_port == 0 || p->pm_port > UINT16_MAX || p->pm_port == NFS_PORT || p->pm_port == RPCBIND_PORT)
                        continue;
                uint16_t *slot = ARRAY_PUSH(ports, n);
                if (!slot)
                        return -ENOMEM;
                *slot = (uint16_t) p->pm_port;
        }

        /* TCP and UDP, and several versions of a program, usually share a port: one entry each. */
        size_t unique = ports_sort_unique(ports, n);
        *ret = unique > 0 ? TAKE_PTR(ports) : NULL;
        *ret_n = unique;
        if (ret_mountd)
                *ret_mountd = mountd;
        return 0;
}

/* A call and its reply are single RPC records on TCP: a 4-byte mark (last-fragment bit, 31-bit
 * length) before each fragment (RFC 5531 section 11). libtirpc's own stream client (clnt_vc_create
 * + clnt_call) would do this for us, but it blocks: its per-read timeout restarts with every
 * fragment, so a NAS that answers slowly could hold the event loop (and the watchdog) for much
 * longer than any deadline we set. So the loop does the I/O and libtirpc does all the XDR. */
#define RECORD_LAST_FRAGMENT 0x80000000u

int nas_query_build_call(uint32_t xid, uint8_t buf[static NAS_CALL_MAX], size_t *ret_len) {
        struct rpc_msg call = {};
        XDR x;

        call.rm_xid = xid;
        call.rm_direction = CALL;
        call.rm_call.cb_rpcvers = RPC_MSG_VERSION;
        call.rm_call.cb_prog = PMAPPROG;
        call.rm_call.cb_vers = PMAPVERS;
        call.rm_call.cb_proc = PMAPPROC_DUMP;
        call.rm_call.cb_cred = _null_auth;
        call.rm_call.cb_verf = _null_auth;

        xdrmem_create(&x, (char *) buf + 4, NAS_CALL_MAX - 4, XDR_ENCODE);
        bool ok = xdr_callmsg(&x, &call); /* PMAPPROC_DUMP has no arguments (xdr_void) */
        size_t len = xdr_getpos(&x);
        xdr_destroy(&x);
        if (!ok)
                return -ENOBUFS;

        uint32_t mark = htobe32(RECORD_LAST_FRAGMENT | (uint32_t) len);
        memcpy(buf, &mark, sizeof mark);
        *ret_len = len + 4;
        return 0;
}

int nas_query_parse_reply(const uint8_t *buf, size_t n, uint32_t xid, uint16_t **ret, size_t *ret_n,
                          bool *ret_mountd) {
        _cleanup_free_ char *record = NULL;
        size_t n_record = 0, off = 0;
        bool last = false;

        if (n > NAS_REPLY_MAX + 1024)
                return -EMSGSIZE;
        /* Join the fragments; stop at the last one, or when the bytes so far end mid-way. */
        while (!last) {
                uint32_t mark;
                if (n - off < sizeof mark)
                        return 0;
                memcpy(&mark, buf + off, sizeof mark);
                mark = be32toh(mark);
                last = mark & RECORD_LAST_FRAGMENT;
                size_t len = mark & ~RECORD_LAST_FRAGMENT;
                if (len > NAS_REPLY_MAX || n_record + len > NAS_REPLY_MAX)
                        return -EMSGSIZE;
                if (n - off - sizeof mark < len)
                        return 0;
                char *grown = realloc(record, n_record + len + 1);
                if (!grown)
                        return -ENOMEM;
                record = grown;
                memcpy(record + n_record, buf + off + sizeof mark, len);
                n_record += len;
                off += sizeof mark + len;
        }

        struct pmaplist *list = NULL;
        struct rpc_msg reply = {};
        XDR x;
        reply.acpted_rply.ar_verf = _null_auth;
        reply.acpted_rply.ar_results.where = (caddr_t) &list;
        reply.acpted_rply.ar_results.proc = (xdrproc_t) xdr_pmaplist_ptr;

        xdrmem_create(&x, record, (u_int) n_record, XDR_DECODE);
        bool ok = xdr_replymsg(&x, &reply);
        xdr_destroy(&x);

        int r;
        if (!ok || reply.rm_xid != xid || reply.rm_direction != REPLY)
                r = -EBADMSG;
        else if (reply.rm_reply.rp_stat != MSG_ACCEPTED || reply.acpted_rply.ar_stat != SUCCESS)
                r = -EPROTO;
        else {
                r = nas_ports_from_pmaplist(list, ret, ret_n, ret_mountd);
                if (r >= 0)
                        r = 1;
        }
        /* What the decoder allocated, on success and on a half-decoded reply alike. Not with
         * xdr_free(xdr_pmaplist_ptr): libtirpc 1.3.3's xdr_pmaplist() reads each node's pml_next
         * after freeing the node. The nodes hold no pointers but that one (mem_alloc = calloc). */
        while (list) {
                struct pmaplist *next = list->pml_next;
                free(list);
                list = next;
        }
        /* The verifier shares its memory with a rejected reply's fields: only an accepted one has it. */
        if (reply.rm_direction == REPLY && reply.rm_reply.rp_stat == MSG_ACCEPTED && reply.acpted_rply.ar_verf.oa_base)
                xdr_free((xdrproc_t) xdr_opaque_auth, (char *) &reply.acpted_rply.ar_verf);
        return r;
}

void nas_ports_format(StrBuf *sb, const uint16_t *ports, size_t n) {
        if (n == 0)
                strbuf_append(sb, "none");
        for (size_t i = 0; i < n; i++)
                strbuf_appendf(sb, "%s%u", i ? " " : "", (unsigned) ports[i]);
}

int nas_ports_event_build(const EventInfo *info, const char *nas, const uint16_t *ports, size_t n, Event *ret) {
        StrBuf sb = {};
        /* NFSWG_NAS_PORTS= is empty, not "none", when there are none */
        if (n > 0)
                nas_ports_format(&sb, ports, n);
        _cleanup_free_ char *list = strbuf_finish(&sb);
        if (!list)
                return -ENOMEM;

        EventInfo i = *info;
        i.nas = nas;
        i.nas_ports = list;
        return event_build(EVENT_NAS_PORTS, &i, ret);
}

/* ---- Targets --------------------------------------------------------------------------------- */

static Bridge *host_bridge_mut(Host *h, const Bridge *b) {
        for (size_t i = 0; h && i < h->n_bridges; i++)
                if (h->bridges[i] == b)
                        return h->bridges[i];
        return NULL;
}

/* A copy of n ports in *ret (NULL for none); 0 or -ENOMEM. */
static int ports_dup(const uint16_t *ports, size_t n, uint16_t **ret) {
        *ret = NULL;
        if (n == 0)
                return 0;
        *ret = malloc(n * sizeof *ports);
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, ports, n * sizeof *ports);
        return 0;
}

/* f->nas_ports = a copy of ports (the model frees it with the bridge) */
static int forward_set_ports(Forward *f, const uint16_t *ports, size_t n) {
        uint16_t *copy;
        if (ports_dup(ports, n, &copy) < 0)
                return -ENOMEM;
        free(f->nas_ports);
        f->nas_ports = copy;
        f->n_nas_ports = n;
        return 0;
}

static const NasTarget *discovery_find(const NasDiscovery *d, const IpPrefix *nas) {
        for (size_t i = 0; d && i < d->n_targets; i++)
                if (ip_prefix_equal(&d->targets[i].nas, nas))
                        return &d->targets[i];
        return NULL;
}

int nas_discovery_prepare(NasDiscovery *d, const NasDiscovery *old, Host *h, const Bridge *b) {
        Bridge *mb = host_bridge_mut(h, b);
        size_t n = 0;

        *d = (NasDiscovery) {};
        if (!mb)
                return -EINVAL;
        for (size_t i = 0; i < b->n_forwards; i++)
                n += nas_forward_wants_discovery(b, &b->forwards[i]);
        if (n == 0)
                return 0;
        d->targets = calloc(n, sizeof *d->targets);
        if (!d->targets)
                return -ENOMEM;

        for (size_t i = 0; i < b->n_forwards; i++) {
                if (!nas_forward_wants_discovery(b, &b->forwards[i]))
                        continue;
                NasTarget *t = &d->targets[d->n_targets++];
                *t = (NasTarget) { .forward = i, .nas = b->forwards[i].to, .fd = -1 };
                ip_address_format(t->nas.family, &t->nas.addr, t->nas_text);

                const NasTarget *before = discovery_find(old, &t->nas);
                if (!before || !before->known)
                        continue;
                t->known = true;
                t->n_ports = before->n_ports;
                if (ports_dup(before->ports, before->n_ports, &t->ports) < 0 ||
                    forward_set_ports(&mb->forwards[i], t->ports, t->n_ports) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void target_close(NasTarget *t) {
        t->io = sd_event_source_disable_unref(t->io);
        t->deadline = sd_event_source_disable_unref(t->deadline);
        if (t->fd >= 0)
                close(t->fd);
        t->fd = -1;
        t->sent = false;
        free(t->reply);
        t->reply = NULL;
        t->n_reply = 0;
}

void nas_discovery_done(NasDiscovery *d) {
        for (size_t i = 0; i < d->n_targets; i++) {
                NasTarget *t = &d->targets[i];
                target_close(t);
                t->retry = sd_event_source_disable_unref(t->retry);
                free(t->ports);
                free(t->error);
        }
        free(d->targets);
        *d = (NasDiscovery) {};
}

void nas_discovery_status(const NasDiscovery *d, StrBuf *sb) {
        for (size_t i = 0; i < d->n_targets; i++) {
                const NasTarget *t = &d->targets[i];
                strbuf_appendf(sb, ", NAS %s v3 ports ", t->nas_text);
                if (t->known)
                        nas_ports_format(sb, t->ports, t->n_ports);
                else
                        strbuf_appendf(sb, "not known yet (rpcbind: %s)", t->error ?: "asking");
                if (t->known && t->error)
                        strbuf_appendf(sb, " (rpcbind again: %s)", t->error);
        }
}

/* ---- One query ------------------------------------------------------------------------------- */

static void target_query(NasTarget *t);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        NasTarget *t = userdata;
        t->retry = sd_event_source_disable_unref(t->retry);
        target_query(t);
        return 0;
}

/* The next query of t, after usec. */
static void target_schedule(NasTarget *t, uint64_t usec) {
        Manager *m = t->manager;
        uint64_t now;

        t->retry = sd_event_source_disable_unref(t->retry);
        if (sd_event_now(m->event, CLOCK_MONOTONIC, &now) < 0 ||
            sd_event_add_time(m->event, &t->retry, CLOCK_MONOTONIC, now + usec, 0, on_retry, t) < 0)
                log_error("Bridge %s: cannot arm the rpcbind timer of NAS %s.", m->name, t->nas_text);
}

static void target_failed(NasTarget *t, int error) {
        Manager *m = t->manager;
        bool first = !t->error;

        target_close(t);
        free(t->error);
        t->error = strdup(strerror(abs(error)));
        /* Each outage once at warning level; its repeats every retry only in the debug log. */
        log_internal(first ? LOG_WARNING : LOG_DEBUG, error,
                     "Bridge %s: cannot ask the rpcbind of NAS %s (TCP port 111) for its NFSv3 ports: %m; %s, "
                     "trying again in %llus.", m->name, t->nas_text,
                     t->known ? "keeping the ports it listed before" : "peers reach 2049 and 111 only",
                     (unsigned long long) (m->nas_retry_usec / 1000000ULL));
        manager_update_status(m, true);
        target_schedule(t, m->nas_retry_usec);
}

static void target_succeeded(NasTarget *t, uint16_t *ports, size_t n, bool mountd) {
        Manager *m = t->manager;
        bool changed = !t->known || n != t->n_ports || (n > 0 && memcmp(ports, t->ports, n * sizeof *ports) != 0);
        bool announce = changed || !t->announced;
        Event e = {};
        int r;

        target_close(t);
        free(t->ports);
        t->ports = ports;
        t->n_ports = n;
        t->known = true;
        free(t->error);
        t->error = NULL;

        /* The first answer of this configuration, and then only changes (a refresh that finds
         * the same ports is not news). */
        if (announce) {
                EventInfo info = manager_event_info(m);
                if (nas_ports_event_build(&info, t->nas_text, t->ports, t->n_ports, &e) >= 0)
                        event_send(&e);
                event_done(&e);
                t->announced = true;
        } else
                log_debug("Bridge %s: rpcbind of NAS %s lists the same ports.", m->name, t->nas_text);

        Bridge *b = host_bridge_mut(m->host, m->bridge);
        if (changed && b && t->forward < b->n_forwards) {
                r = forward_set_ports(&b->forwards[t->forward], t->ports, t->n_ports);
                if (r >= 0)
                        r = nft_apply_bridge(m->host, m->bridge);
                if (r < 0) {
                        /* The old table stays (one atomic batch); a reload replaces it whole. */
                        log_error_errno(r, "Bridge %s: cannot apply the nftables table inet " NFT_TABLE_PREFIX
                                        "%s with the ports of NAS %s: %m", m->name, m->name, t->nas_text);
                        m->nft_dirty = true;
                }
        }
        manager_update_status(m, true);

        /* No mountd: rpcbind answers before the NAS's NFS services have registered (at its boot),
         * or it serves NFSv4 only. Ask again soon rather than keep an incomplete list for long. */
        if (!mountd) {
                if (!t->no_mountd)
                        log_notice("Bridge %s: rpcbind of NAS %s lists no mountd (NFS not started yet, or "
                                   "NFSv4 only); asking again every %llus.", m->name, t->nas_text,
                                   (unsigned long long) (m->nas_retry_usec / 1000000ULL));
                t->no_mountd = true;
                target_schedule(t, m->nas_retry_usec);
                return;
        }
        t->no_mountd = false;
        target_schedule(t, m->nas_refresh_usec);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        target_failed(userdata, -ETIMEDOUT);
        return 0;
}

static int arm_deadline(NasTarget *t, uint64_t usec) {
        sd_event *e = t->manager->event;
        uint64_t now;
        int r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        if (t->deadline)
                return sd_event_source_set_time(t->deadline, now + usec);
        return sd_event_add_time(e, &t->deadline, CLOCK_MONOTONIC, now + usec, 0, on_deadline, t);
}

static int target_receive(NasTarget *t) {
        uint8_t chunk[4096];
        ssize_t l = recv(t->fd, chunk, sizeof chunk, 0);
        if (l < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (l == 0)
                return -ECONNRESET; /* closed before the whole reply came */
        if (t->n_reply + (size_t) l > NAS_REPLY_MAX + 1024)
                return -EMSGSIZE;
        uint8_t *grown = realloc(t->reply, t->n_reply + (size_t) l);
        if (!grown)
                return -ENOMEM;
        t->reply = grown;
        memcpy(t->reply + t->n_reply, chunk, (size_t) l);
        t->n_reply += (size_t) l;

        uint16_t *ports = NULL;
        size_t n = 0;
        bool mountd = false;
        int r = nas_query_parse_reply(t->reply, t->n_reply, t->xid, &ports, &n, &mountd);
        if (r <= 0)
                return r;
        target_succeeded(t, ports, n, mountd);
        return 1;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NasTarget *t = userdata;
        int r;

        if (!t->sent) {
                /* The non-blocking connect finished, one way or the other (connect(2), EINPROGRESS). */
                int error = 0;
                socklen_t len = sizeof error;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                        error = errno;
                if (error != 0) {
                        target_failed(t, -error);
                        return 0;
                }
                uint8_t call[NAS_CALL_MAX];
                size_t n = 0;
                r = nas_query_build_call(t->xid, call, &n);
                if (r >= 0) {
                        /* A few dozen bytes into a fresh socket's buffer: a short write means trouble. */
                        ssize_t w = send(fd, call, n, MSG_NOSIGNAL);
                        r = w < 0 ? -errno : (size_t) w != n ? -EIO : 0;
                }
                if (r >= 0)
                        r = sd_event_source_set_io_events(s, EPOLLIN);
                if (r >= 0)
                        r = arm_deadline(t, NAS_CALL_TIMEOUT_USEC);
                if (r < 0) {
                        target_failed(t, r);
                        return 0;
                }
                t->sent = true;
                return 0;
        }

        r = target_receive(t);
        if (r < 0)
                target_failed(t, r);
        return 0;
}

static void target_query(NasTarget *t) {
        sd_event *e = t->manager->event;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t salen;
        int r;

        target_close(t);
        if (getrandom(&t->xid, sizeof t->xid, GRND_NONBLOCK) != sizeof t->xid)
                t->xid ^= (uint32_t) getpid() ^ (uint32_t) time(NULL);

        if (t->nas.family == AF_INET) {
                sa.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(RPCBIND_PORT),
                                               .sin_addr = t->nas.addr.in };
                salen = sizeof sa.in;
        } else {
                sa.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(RPCBIND_PORT),
                                                 .sin6_addr = t->nas.addr.in6 };
                salen = sizeof sa.in6;
        }

        t->fd = socket(t->nas.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        r = t->fd < 0 ? -errno : 0;
        if (r >= 0 && connect(t->fd, &sa.sa, salen) < 0 && errno != EINPROGRESS)
                r = -errno;
        if (r >= 0)
                r = sd_event_add_io(e, &t->io, t->fd, EPOLLOUT, on_io, t);
        if (r >= 0)
                r = arm_deadline(t, NAS_CONNECT_TIMEOUT_USEC);
        if (r < 0) {
                target_failed(t, r);
                return;
        }
        log_debug("Bridge %s: asking the rpcbind of NAS %s for its NFSv3 ports.", t->manager->name, t->nas_text);
}

void nas_discovery_start(NasDiscovery *d, Manager *m) {
        for (size_t i = 0; i < d->n_targets; i++) {
                d->targets[i].manager = m;
                target_query(&d->targets[i]);
        }
}
