/* SPDX-License-Identifier: MIT */
#include "emit/emit-internal.h"

void net_list_add(NetList *l, const IpPrefix *p) {
        for (size_t i = 0; i < l->n; i++)
                if (ip_prefix_equal(&l->items[i], p))
                        return;
        IpPrefix *slot = ARRAY_PUSH(l->items, l->n);
        if (!slot) {
                l->oom = true;
                return;
        }
        *slot = *p;
}

void net_list_done(NetList *l) {
        free(l->items);
        *l = (NetList) {};
}

void bridge_tunnel_networks(const Bridge *b, NetList *l) {
        for (size_t i = 0; i < b->n_addresses; i++) {
                IpPrefix n = ip_prefix_network(&b->addresses[i]);
                net_list_add(l, &n);
        }
}

void bridge_reachable_networks(const Host *h, const Bridge *b, NetList *l) {
        bridge_tunnel_networks(b, l);

        for (size_t i = 0; i < b->n_forwards; i++) {
                const Forward *f = &b->forwards[i];
                if (!f->to_bridge) {
                        IpPrefix n = ip_prefix_network(&f->to);
                        net_list_add(l, &n);
                        continue;
                }
                const Bridge *other = h ? host_find_bridge(h, f->to_bridge) : NULL;
                if (!other)
                        continue;
                bridge_tunnel_networks(other, l);
                /* and the sites behind OTHER's peers */
                for (size_t p = 0; p < other->n_peers; p++)
                        for (size_t a = 0; a < other->peers[p].n_allowed_ips; a++)
                                net_list_add(l, &other->peers[p].allowed_ips[a]);
        }

        if (!h)
                return;
        for (size_t i = 0; i < h->n_bridges; i++) {
                const Bridge *other = h->bridges[i];
                if (other == b)
                        continue;
                for (size_t j = 0; j < other->n_forwards; j++) {
                        const Forward *f = &other->forwards[j];
                        if (f->to_bridge && streq(f->to_bridge, b->name) && !f->masquerade)
                                bridge_tunnel_networks(other, l);
                }
        }
}

static int bridge_compare_name(const void *a, const void *b) {
        const Bridge *const *x = a, *const *y = b;
        return strcmp((*x)->name, (*y)->name);
}

const Bridge **host_bridges_sorted(const Host *h) {
        const Bridge **v = calloc(h->n_bridges + 1, sizeof(Bridge *));
        if (!v)
                return NULL;
        for (size_t i = 0; i < h->n_bridges; i++)
                v[i] = h->bridges[i];
        qsort(v, h->n_bridges, sizeof(Bridge *), bridge_compare_name);
        return v;
}
