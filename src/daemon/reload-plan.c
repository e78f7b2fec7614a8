/* SPDX-License-Identifier: MIT */
#include "daemon/reload-plan.h"
#include "nft/nft.h"
#include "shared/strbuf.h"

static bool endpoints_equal(const Endpoint *a, size_t n_a, const Endpoint *b, size_t n_b) {
        if (n_a != n_b)
                return false;
        for (size_t i = 0; i < n_a; i++)
                if (!streq_ptr(a[i].host, b[i].host) || a[i].port != b[i].port)
                        return false;
        return true;
}

static bool prefixes_equal(const IpPrefix *a, size_t n_a, const IpPrefix *b, size_t n_b) {
        if (n_a != n_b)
                return false;
        for (size_t i = 0; i < n_a; i++)
                if (!ip_prefix_equal(&a[i], &b[i]))
                        return false;
        return true;
}

static bool peer_equal(const Peer *a, const Peer *b) {
        return memcmp(a->public_key, b->public_key, sizeof(WgKey)) == 0 &&
               prefixes_equal(a->addresses, a->n_addresses, b->addresses, b->n_addresses) &&
               prefixes_equal(a->allowed_ips, a->n_allowed_ips, b->allowed_ips, b->n_allowed_ips) &&
               streq_ptr(a->preshared_key_file, b->preshared_key_file) &&
               a->persistent_keepalive == b->persistent_keepalive &&
               endpoints_equal(a->endpoints, a->n_endpoints, b->endpoints, b->n_endpoints);
}

static int prefix_cmp(const void *a, const void *b) {
        return ip_prefix_compare(a, b);
}

/* Every peer address of b, sorted. */
static int bridge_peer_addresses(const Bridge *b, IpPrefix **ret, size_t *ret_n) {
        IpPrefix *all = NULL;
        size_t n = 0;
        for (size_t i = 0; i < b->n_peers; i++)
                for (size_t j = 0; j < b->peers[i].n_addresses; j++) {
                        IpPrefix *slot = ARRAY_PUSH(all, n);
                        if (!slot) {
                                free(all);
                                return -ENOMEM;
                        }
                        *slot = b->peers[i].addresses[j];
                }
        if (n > 0)
                qsort(all, n, sizeof *all, prefix_cmp);
        *ret = all;
        *ret_n = n;
        return 0;
}

/* The net change of the address sets, by a merge of both sorted lists: O(n log n) for a bridge
 * with a thousand peers, where a reload typically adds one. */
static int address_differences(const Bridge *old, const Bridge *new, Peer *ret_add, Peer *ret_remove) {
        _cleanup_free_ IpPrefix *a = NULL, *b = NULL;
        size_t n_a = 0, n_b = 0, i = 0, j = 0;

        if (bridge_peer_addresses(old, &a, &n_a) < 0 || bridge_peer_addresses(new, &b, &n_b) < 0)
                return -ENOMEM;
        while (i < n_a || j < n_b) {
                int c = i >= n_a ? 1 : j >= n_b ? -1 : ip_prefix_compare(&a[i], &b[j]);
                Peer *into = c < 0 ? ret_remove : c > 0 ? ret_add : NULL;
                const IpPrefix *x = c < 0 ? &a[i] : &b[j];
                if (into) {
                        IpPrefix *slot = ARRAY_PUSH(into->addresses, into->n_addresses);
                        if (!slot)
                                return -ENOMEM;
                        *slot = *x;
                }
                if (c <= 0)
                        i++;
                if (c >= 0)
                        j++;
        }
        return 0;
}

static int peer_name_cmp(const void *a, const void *b) {
        const Peer *const *x = a, *const *y = b;
        return strcmp((*x)->name, (*y)->name);
}

static int peer_position_cmp(const void *a, const void *b) {
        const Peer *const *x = a, *const *y = b;
        return *x < *y ? -1 : *x > *y;
}

static const Peer **peers_by_name(const Bridge *b) {
        const Peer **v = calloc(b->n_peers ?: 1, sizeof *v);
        if (!v)
                return NULL;
        for (size_t i = 0; i < b->n_peers; i++)
                v[i] = &b->peers[i];
        qsort(v, b->n_peers, sizeof *v, peer_name_cmp);
        return v;
}

/* Whether the table differs in more than its peer sets: build both batches with the same peers
 * (the old ones) and compare the bytes. Asking the nft builder itself keeps this true whatever the
 * table grows to contain. A builder failure means "re-apply everything", which is always safe. */
static bool nft_needs_full(const Host *old_host, const Bridge *old, const Host *new_host, const Bridge *new) {
        _cleanup_free_ void *a = NULL, *b = NULL;
        size_t n_a = 0, n_b = 0;
        Bridge with_old_peers = *new;

        with_old_peers.peers = old->peers;
        with_old_peers.n_peers = old->n_peers;

        if (nft_build_bridge_batch(old_host, old, 1, &a, &n_a) < 0 ||
            nft_build_bridge_batch(new_host, &with_old_peers, 1, &b, &n_b) < 0)
                return true;
        return n_a != n_b || memcmp(a, b, n_a) != 0;
}

static int push_peer(const Peer ***list, size_t *n, const Peer *p) {
        const Peer **slot = ARRAY_PUSH(*list, *n);
        if (!slot)
                return -ENOMEM;
        *slot = p;
        return 0;
}

int reload_plan_build(const Host *old_host, const Bridge *old, const Host *new_host, const Bridge *new,
                      ReloadPlan *ret) {
        ReloadPlan p = {
                .nft_add = { .name = (char *) "(added addresses)" },
                .nft_remove = { .name = (char *) "(removed addresses)" },
        };
        _cleanup_free_ const Peer **olds = peers_by_name(old), **news = peers_by_name(new);
        int r = 0;

        if (!olds || !news)
                goto oom;
        if (!streq(old->interface, new->interface))
                r = asprintf(&p.restart_reason, "Interface= changed from %s to %s", old->interface, new->interface);
        else if (old->backend != new->backend)
                r = asprintf(&p.restart_reason, "Backend= changed");
        else if (old->mode != new->mode)
                r = asprintf(&p.restart_reason, "Mode= changed from %s to %s", bridge_mode_to_string(old->mode),
                             bridge_mode_to_string(new->mode));
        if (r < 0)
                goto oom;

        /* Peers by name, merged; then the lists back in configuration order for the journal. */
        for (size_t i = 0, j = 0; i < old->n_peers || j < new->n_peers;) {
                int c = i >= old->n_peers ? 1 : j >= new->n_peers ? -1 : strcmp(olds[i]->name, news[j]->name);
                if (c < 0)
                        r = push_peer(&p.removed, &p.n_removed, olds[i++]);
                else if (c > 0)
                        r = push_peer(&p.added, &p.n_added, news[j++]);
                else {
                        if (!peer_equal(olds[i], news[j]))
                                r = push_peer(&p.changed, &p.n_changed, news[j]);
                        i++, j++;
                }
                if (r < 0)
                        goto oom;
        }
        if (p.n_added > 1)
                qsort(p.added, p.n_added, sizeof *p.added, peer_position_cmp);
        if (p.n_removed > 1)
                qsort(p.removed, p.n_removed, sizeof *p.removed, peer_position_cmp);
        if (p.n_changed > 1)
                qsort(p.changed, p.n_changed, sizeof *p.changed, peer_position_cmp);

        if (address_differences(old, new, &p.nft_add, &p.nft_remove) < 0)
                goto oom;

        p.nft_full = nft_needs_full(old_host, old, new_host, new);
        *ret = p;
        return 0;
oom:
        reload_plan_done(&p);
        return -ENOMEM;
}

void reload_plan_done(ReloadPlan *p) {
        free(p->added);
        free(p->removed);
        free(p->changed);
        free(p->nft_add.addresses);
        free(p->nft_remove.addresses);
        free(p->restart_reason);
        *p = (ReloadPlan) {};
}

static void append_names(StrBuf *sb, const char *what, const Peer *const *peers, size_t n, bool *first) {
        if (n == 0)
                return;
        strbuf_appendf(sb, "%s%zu peer%s %s (", *first ? "" : ", ", n, n == 1 ? "" : "s", what);
        /* A thousand-peer reload must not make a thousand-name log line. */
        for (size_t i = 0; i < n && i < 8; i++)
                strbuf_appendf(sb, "%s%s", i ? " " : "", peers[i]->name);
        if (n > 8)
                strbuf_append(sb, " ...");
        strbuf_append(sb, ")");
        *first = false;
}

char *reload_plan_summary(const ReloadPlan *p) {
        StrBuf sb = {};
        bool first = true;

        append_names(&sb, "added", p->added, p->n_added, &first);
        append_names(&sb, "removed", p->removed, p->n_removed, &first);
        append_names(&sb, "changed", p->changed, p->n_changed, &first);
        if (p->nft_full) {
                strbuf_appendf(&sb, "%sfirewall table replaced", first ? "" : ", ");
                first = false;
        }
        if (first)
                strbuf_append(&sb, "no peer or firewall change");
        return strbuf_finish(&sb);
}
