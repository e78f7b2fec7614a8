/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include "emit/emit.h"
#include "emit/emit-internal.h"

static const char *squash_option(Squash s) {
        switch (s) {
        case SQUASH_ALL:
                return "all_squash";
        case SQUASH_NONE:
                return "no_root_squash";
        case SQUASH_ROOT:
        default:
                return "root_squash";
        }
}

static const char *squash_words(Squash s) {
        switch (s) {
        case SQUASH_ALL:
                return "every user squashed";
        case SQUASH_NONE:
                return "root not squashed";
        case SQUASH_ROOT:
        default:
                return "root squashed";
        }
}

/* exports(5). Each client is one tunnel address of an allowed peer, as a host (/32, /128): never
 * the tunnel network, so an address nobody was given cannot mount. IPv6 without brackets, which
 * exports(5) reserves for wildcards. One client per continued line keeps diffs of a growing peer
 * list readable. */
static void append_export(StrBuf *s, const Bridge *b, const Export *e) {
        char opts[256], addr[IP_PREFIX_STRLEN];
        size_t n_clients = 0;

        snprintf(opts, sizeof opts, "%s,sync,%s,anonuid=%u,anongid=%u,%s,no_subtree_check,sec=sys",
                 e->read_only ? "ro" : "rw", squash_option(e->squash), e->anon_uid, e->anon_gid,
                 e->insecure ? "insecure" : "secure");

        strbuf_appendf(s, "\n# %s: %s, %s%s, for %s\n", e->path, e->read_only ? "read-only" : "read-write",
                       squash_words(e->squash), e->insecure ? ", non-reserved client ports allowed" : "",
                       e->all_peers ? "every peer" : "the peers named in Peers=");

        for (size_t i = 0; i < b->n_peers; i++) {
                const Peer *p = &b->peers[i];
                if (!export_allows_peer(e, p))
                        continue;
                for (size_t j = 0; j < p->n_addresses; j++) {
                        const IpPrefix *a = &p->addresses[j];
                        if (n_clients++ == 0)
                                strbuf_append(s, e->path);
                        strbuf_appendf(s, " \\\n\t%s/%u(%s)", format_prefix_address(a, addr),
                                       ip_family_bits(a->family), opts);
                }
        }
        if (n_clients > 0)
                strbuf_append(s, "\n");
        else
                /* A path with no client would be exported to the whole world (exports(5): an
                 * empty client list means "*"), so no line is written until a peer exists. */
                strbuf_appendf(s, "# not exported: no peer is allowed yet (add one with: nfswg peer add %s NAME)\n",
                               b->name);
}

char *emit_exports(const Bridge *b) {
        _cleanup_(strbuf_done) StrBuf s = {};

        emit_header_daemon(&s, b);
        for (size_t i = 0; i < b->n_exports; i++)
                append_export(&s, b, &b->exports[i]);

        return strbuf_finish(&s);
}
