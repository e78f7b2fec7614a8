/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers shared by the emitters in src/emit/ only (not part of the library's interface). */

#include "model/bridge.h"
#include "shared/strbuf.h"

/* Where the unit templates live on the installed system: the enablement symlinks the generator
 * writes point there (systemd.generator(7) links to the unit file, as `systemctl enable` would).
 * Debian 12 installs units into /lib/systemd/system; config.h may override it. */
#include "config.h"
#ifndef NFSWG_UNITDIR
#define NFSWG_UNITDIR "/lib/systemd/system"
#endif
/* Where nfswg-generator is installed: nfs-server.service's drop-in runs it (nfs-utils.c). */
#ifndef NFSWG_GENERATORDIR
#define NFSWG_GENERATORDIR "/lib/systemd/system-generators"
#endif

/* Longest text format_endpoint() produces: "[" host "]:" port, host at most 253 bytes (DNS). */
#define ENDPOINT_STRLEN (256 + 3 + 6)

/* The first comment lines of every generated file: who wrote it, from which config. */
void emit_header_daemon(StrBuf *s, const Bridge *b);
void emit_header_generator(StrBuf *s, const Bridge *b);
/* Host-wide files: every config id the file depends on, in the order given. */
void emit_header_host(StrBuf *s, const Bridge *const *bridges, size_t n);

/* "host:port", "[v6]:port". */
const char *format_endpoint(const Endpoint *e, char *buf, size_t size);
/* The address alone, without its prefix length. */
const char *format_prefix_address(const IpPrefix *p, char buf[IP_PREFIX_STRLEN]);

/* A small set of networks in insertion order, without duplicates. */
typedef struct NetList {
        IpPrefix *items;
        size_t n;
        bool oom;
} NetList;
void net_list_add(NetList *l, const IpPrefix *p);
void net_list_done(NetList *l);
/* The networks of the bridge's own tunnel addresses (host bits cleared). */
void bridge_tunnel_networks(const Bridge *b, NetList *l);
/* What a peer of b may reach through b: b's tunnel networks, each [Forward] To= network and, for
 * To=@OTHER, OTHER's tunnel networks; plus the tunnel networks of every other bridge that forwards
 * to b without masquerading (their peers' packets arrive with their own source addresses, so the
 * answers must route back into this tunnel). h may be NULL. */
void bridge_reachable_networks(const Host *h, const Bridge *b, NetList *l);


/* The host's bridges sorted by name (caller frees the array, not the bridges). */
const Bridge **host_bridges_sorted(const Host *h);

/* The highest NFS version a bridge offers, as mount's vers= option ("4.2", "4.1", "4.0", "3"). */
const char *bridge_best_nfs_version(const Bridge *b);
