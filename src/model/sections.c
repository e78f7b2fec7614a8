/* SPDX-License-Identifier: MIT */
/* [Section] Key=value -> Bridge fields. Every value is checked here, once; what passes may be
 * written into networkd files, exports(5) lines and unit files without quoting. */
#include <ctype.h>
#include <stdarg.h>

#include "model/values.h"
#include "shared/ipaddr.h"
#include "shared/key.h"
#include "shared/macro.h"
#include "shared/parse.h"
#include "shared/escape.h"

typedef enum SectionKind {
        SECTION_BRIDGE,
        SECTION_NFS,
        SECTION_EXPORT,
        SECTION_PEER,
        SECTION_FORWARD,
        SECTION_SERVER,
        SECTION_MOUNT,
        _SECTION_MAX,
} SectionKind;

static const char *const section_names[_SECTION_MAX] = {
        [SECTION_BRIDGE] = "Bridge", [SECTION_NFS] = "NFS",         [SECTION_EXPORT] = "Export",
        [SECTION_PEER] = "Peer",     [SECTION_FORWARD] = "Forward", [SECTION_SERVER] = "Server",
        [SECTION_MOUNT] = "Mount",
};

typedef int (*KeyParser)(LoadContext *ctx, void *target, const ConfEntry *e);

typedef struct KeyDef {
        SectionKind section;
        const char *key;
        KeyParser parse;
        bool list; /* repeatable: values append, an empty assignment resets */
} KeyDef;

/* ---- [Bridge] ---- */

static int bridge_mode(LoadContext *ctx, void *t, const ConfEntry *e) {
        Bridge *b = t;
        for (BridgeMode m = 0; m < _BRIDGE_MODE_MAX; m++)
                if (streq(e->value, bridge_mode_to_string(m))) {
                        b->mode = m;
                        return 0;
                }
        if (isempty(e->value)) {
                b->mode = BRIDGE_MODE_EMBEDDED;
                return 0;
        }
        conf_error(ctx, e->line, "Mode= must be one of embedded, nas, relay, client; not '%s'.", EXCERPT(e->value));
        return 0;
}

static int bridge_backend(LoadContext *ctx, void *t, const ConfEntry *e) {
        Bridge *b = t;
        if (isempty(e->value) || streq(e->value, "auto"))
                b->backend = BACKEND_AUTO;
        else if (streq(e->value, "kernel"))
                b->backend = BACKEND_KERNEL;
        else if (streq(e->value, "userspace"))
                b->backend = BACKEND_USERSPACE;
        else
                conf_error(ctx, e->line, "Backend= must be auto, kernel or userspace, not '%s'.", EXCERPT(e->value));
        return 0;
}

static int bridge_interface(LoadContext *ctx, void *t, const ConfEntry *e) {
        ctx->interface_set = !isempty(e->value);
        return set_string(ctx, &((Bridge *) t)->interface, e, ifname_is_valid,
                          "must be 1 to 15 characters of A-Z a-z 0-9 _ . -");
}

static int bridge_address(LoadContext *ctx, void *t, const ConfEntry *e) {
        Bridge *b = t;
        return set_prefix_list(ctx, &b->addresses, &b->n_addresses, e, false, false);
}

static int bridge_listen_port(LoadContext *ctx, void *t, const ConfEntry *e) {
        ctx->listen_port_set = !isempty(e->value);
        return set_port(ctx, &((Bridge *) t)->listen_port, 0, e);
}

static int bridge_endpoint(LoadContext *ctx, void *t, const ConfEntry *e) {
        Bridge *b = t;
        Endpoint *arr = NULL;
        size_t n = 0;
        free(b->endpoint.host);
        b->endpoint = (Endpoint) {};
        if (isempty(e->value))
                return 0;
        int r = push_endpoint(ctx, &arr, &n, e, e->value);
        if (r < 0)
                return r;
        if (n == 1)
                b->endpoint = arr[0];
        free(arr);
        return 0;
}

static int bridge_mtu(LoadContext *ctx, void *t, const ConfEntry *e) {
        ctx->mtu_set = !isempty(e->value);
        /* 576 is the smallest IPv4 datagram every host must accept (RFC 791); 9000 a jumbo frame. */
        return set_unsigned(ctx, &((Bridge *) t)->mtu, DEFAULT_MTU, 576, 9000, e);
}

static int bridge_private_key_file(LoadContext *ctx, void *t, const ConfEntry *e) {
        ctx->private_key_file_set = !isempty(e->value);
        return set_path(ctx, &((Bridge *) t)->private_key_file, e);
}

static int bridge_metrics_file(LoadContext *ctx, void *t, const ConfEntry *e) {
        size_t n = strlen(e->value);
        /* node-exporter's textfile collector reads *.prom files only. */
        if (n > 0 && (n < 6 || !streq(e->value + n - 5, ".prom")))
                return conf_error(ctx, e->line, "MetricsFile= must name a file ending in .prom, not '%s'.",
                                  EXCERPT(e->value)),
                       0;
        return set_path(ctx, &((Bridge *) t)->metrics_file, e);
}

static int bridge_nfs_version_item(LoadContext *ctx, void *t, const ConfEntry *e, const char *item) {
        Bridge *b = t;
        if (streq(item, "3"))
                b->nfs_versions |= NFS_V3;
        else if (streq(item, "4"))
                b->nfs_versions |= NFS_V4_ANY;
        else if (streq(item, "4.0"))
                b->nfs_versions |= NFS_V4_0;
        else if (streq(item, "4.1"))
                b->nfs_versions |= NFS_V4_1;
        else if (streq(item, "4.2"))
                b->nfs_versions |= NFS_V4_2;
        else
                conf_error(ctx, e->line, "NFSVersions= '%s' is not one of 3, 4, 4.0, 4.1, 4.2.", EXCERPT(item));
        return 0;
}

static int bridge_nfs_versions(LoadContext *ctx, void *t, const ConfEntry *e) {
        Bridge *b = t;
        ctx->nfs_versions_set = !isempty(e->value);
        b->nfs_versions = 0;
        return for_each_item(ctx, t, e, bridge_nfs_version_item);
}

static int bridge_dns_item(LoadContext *ctx, void *t, const ConfEntry *e, const char *item) {
        Bridge *b = t;
        int family;
        InAddrUnion a;
        if (ip_address_parse(item, &family, &a) < 0)
                return conf_error(ctx, e->line, "DNS= '%s' is not an IPv4 or IPv6 address.", EXCERPT(item)), 0;
        return strv_extend(&b->dns, item);
}

static int bridge_dns(LoadContext *ctx, void *t, const ConfEntry *e) {
        Bridge *b = t;
        if (isempty(e->value)) {
                b->dns = strv_free(b->dns);
                return 0;
        }
        return for_each_item(ctx, t, e, bridge_dns_item);
}

static int bridge_close_nfs_on_item(LoadContext *ctx, void *t, const ConfEntry *e, const char *item) {
        Bridge *b = t;
        if (!ifname_is_valid(item))
                return conf_error(ctx, e->line, "CloseNFSOn= names must be 1 to 15 characters of A-Z a-z 0-9 _ . - each."), 0;
        if (strv_contains(b->close_nfs_on, item))
                return 0;
        return strv_extend(&b->close_nfs_on, item);
}

static int bridge_close_nfs_on(LoadContext *ctx, void *t, const ConfEntry *e) {
        Bridge *b = t;
        if (isempty(e->value)) {
                b->close_nfs_on = strv_free(b->close_nfs_on);
                return 0;
        }
        /* the last assignment is where a clash with Interface= is reported */
        b->close_nfs_on_source = ctx->file;
        b->close_nfs_on_line = e->line;
        return for_each_item(ctx, t, e, bridge_close_nfs_on_item);
}

/* ---- [NFS] ---- */

/* A port key of [NFS], remembering where it was set: an nfs.conf pin that disagrees is reported
 * there (host_check()). An empty value returns to the default, which conflicts with nothing. */
static int set_nfs_port(LoadContext *ctx, uint16_t *field, KeyOrigin *at, uint16_t dflt, const ConfEntry *e) {
        *at = isempty(e->value) ? (KeyOrigin) {} : (KeyOrigin) { .source = ctx->file, .line = e->line };
        return set_port(ctx, field, dflt, e);
}
static int nfs_mountd_port(LoadContext *ctx, void *t, const ConfEntry *e) {
        NfsSettings *n = t;
        return set_nfs_port(ctx, &n->mountd_port, &n->mountd_at, DEFAULT_MOUNTD_PORT, e);
}
static int nfs_statd_port(LoadContext *ctx, void *t, const ConfEntry *e) {
        NfsSettings *n = t;
        return set_nfs_port(ctx, &n->statd_port, &n->statd_at, DEFAULT_STATD_PORT, e);
}
static int nfs_statd_outgoing_port(LoadContext *ctx, void *t, const ConfEntry *e) {
        NfsSettings *n = t;
        return set_nfs_port(ctx, &n->statd_outgoing_port, &n->statd_outgoing_at, DEFAULT_STATD_OUTGOING_PORT, e);
}
static int nfs_lockd_port(LoadContext *ctx, void *t, const ConfEntry *e) {
        NfsSettings *n = t;
        return set_nfs_port(ctx, &n->lockd_port, &n->lockd_at, DEFAULT_LOCKD_PORT, e);
}
static int nfs_max_block_size(LoadContext *ctx, void *t, const ConfEntry *e) {
        NfsSettings *n = t;
        int r = set_unsigned(ctx, &n->max_block_size, 0, 4096, 1048576, e);
        /* nfsd(7): max_block_size is a power of two between 4 KiB and 1 MiB. */
        if (r == 0 && n->max_block_size && (n->max_block_size & (n->max_block_size - 1)))
                conf_error(ctx, e->line, "MaxBlockSize= must be a power of two (4096 ... 1048576).");
        return r;
}

/* ---- [Export] ---- */

static int export_path(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_path(ctx, &((Export *) t)->path, e);
}

static int export_peer_item(LoadContext *ctx, void *t, const ConfEntry *e, const char *item) {
        Export *x = t;
        if (streq(item, "*")) {
                x->all_peers = true;
                return 0;
        }
        if (!name_is_valid(item))
                return conf_error(ctx, e->line, "Peers= '%s' is not a peer name ([a-z0-9][a-z0-9-]{0,31}) or *.",
                                  EXCERPT(item)),
                       0;
        if (strv_contains(x->peers, item))
                return 0;
        return strv_extend(&x->peers, item);
}

static int export_peers(LoadContext *ctx, void *t, const ConfEntry *e) {
        Export *x = t;
        x->peers_line = e->line;
        if (isempty(e->value)) {
                x->peers = strv_free(x->peers);
                x->all_peers = false;
                return 0;
        }
        return for_each_item(ctx, t, e, export_peer_item);
}

static int export_read_only(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_bool(ctx, &((Export *) t)->read_only, false, e);
}

static int export_squash(LoadContext *ctx, void *t, const ConfEntry *e) {
        Export *x = t;
        if (isempty(e->value) || streq(e->value, "root"))
                x->squash = SQUASH_ROOT;
        else if (streq(e->value, "all"))
                x->squash = SQUASH_ALL;
        else if (streq(e->value, "none"))
                x->squash = SQUASH_NONE;
        else
                conf_error(ctx, e->line, "Squash= must be root, all or none, not '%s'.", EXCERPT(e->value));
        return 0;
}

static int export_insecure(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_bool(ctx, &((Export *) t)->insecure, false, e);
}

static int export_anon_uid(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_id(ctx, &((Export *) t)->anon_uid, e);
}
static int export_anon_gid(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_id(ctx, &((Export *) t)->anon_gid, e);
}

/* ---- [Peer] ---- */

static int peer_name(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_string(ctx, &((Peer *) t)->name, e, name_is_valid,
                          "must be 1 to 32 characters: a lowercase letter or digit, then lowercase letters, digits or -");
}

static int peer_public_key(LoadContext *ctx, void *t, const ConfEntry *e) {
        Peer *p = t;
        p->public_key_source = ctx->file;
        p->public_key_line = e->line;
        return set_key(ctx, p->public_key, &p->public_key_set, e);
}

static int peer_address(LoadContext *ctx, void *t, const ConfEntry *e) {
        Peer *p = t;
        p->address_source = ctx->file;
        p->address_line = e->line;
        return set_prefix_list(ctx, &p->addresses, &p->n_addresses, e, true, false);
}

static int peer_allowed_ips(LoadContext *ctx, void *t, const ConfEntry *e) {
        Peer *p = t;
        return set_prefix_list(ctx, &p->allowed_ips, &p->n_allowed_ips, e, true, true);
}

static int peer_psk_file(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_path(ctx, &((Peer *) t)->preshared_key_file, e);
}

static int peer_keepalive(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_unsigned(ctx, &((Peer *) t)->persistent_keepalive, 0, 0, 65535, e);
}

static int peer_endpoint(LoadContext *ctx, void *t, const ConfEntry *e) {
        Peer *p = t;
        return set_endpoint_list(ctx, &p->endpoints, &p->n_endpoints, e);
}

static int peer_disabled(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_bool(ctx, &((Peer *) t)->disabled, false, e);
}

static int peer_expires(LoadContext *ctx, void *t, const ConfEntry *e) {
        Peer *p = t;
        if (isempty(e->value)) {
                p->expires = 0;
                return 0;
        }
        /* One form only, the one `nfswg peer add --expires` writes: no time zone to guess. */
        if (parse_utc_timestamp(e->value, &p->expires) < 0)
                conf_error(ctx, e->line, "Expires= must be a UTC time as YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-12-31T23:59:59Z), not '%s'.",
                           EXCERPT(e->value));
        return 0;
}

/* ---- [Forward] ---- */

static int forward_to(LoadContext *ctx, void *t, const ConfEntry *e) {
        Forward *f = t;
        free(f->to_bridge);
        f->to_bridge = NULL;
        f->to = (IpPrefix) {};
        if (isempty(e->value))
                return 0;
        if (e->value[0] == '@') {
                if (!name_is_valid(e->value + 1))
                        return conf_error(ctx, e->line, "To= '%s' does not name a bridge (@NAME).", EXCERPT(e->value)), 0;
                f->to_bridge = strdup(e->value + 1);
                return f->to_bridge ? 0 : -ENOMEM;
        }
        IpPrefix *arr = NULL;
        size_t n = 0;
        int r = push_prefix(ctx, &arr, &n, e, e->value, false, true);
        if (n == 1)
                f->to = arr[0];
        free(arr);
        return r;
}

static int forward_masquerade(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_bool(ctx, &((Forward *) t)->masquerade, true, e);
}

static int forward_ports(LoadContext *ctx, void *t, const ConfEntry *e) {
        Forward *f = t;
        if (isempty(e->value) || streq(e->value, "nfs"))
                f->ports = FORWARD_PORTS_NFS;
        else if (streq(e->value, "all"))
                f->ports = FORWARD_PORTS_ALL;
        else
                conf_error(ctx, e->line, "Ports= must be nfs or all, not '%s'.", EXCERPT(e->value));
        return 0;
}

static int forward_nas_port_item(LoadContext *ctx, void *t, const ConfEntry *e, const char *item) {
        Forward *f = t;
        uint16_t port;
        if (parse_port(item, &port) < 0)
                return conf_error(ctx, e->line, "NASPorts= '%s' is not a port number between 1 and 65535.", EXCERPT(item)), 0;
        uint16_t *slot = ARRAY_PUSH(f->nas_ports, f->n_nas_ports);
        if (!slot)
                return -ENOMEM;
        *slot = port;
        return 0;
}

static int forward_nas_ports(LoadContext *ctx, void *t, const ConfEntry *e) {
        Forward *f = t;
        if (isempty(e->value)) {
                free(f->nas_ports);
                f->nas_ports = NULL;
                f->n_nas_ports = 0;
                return 0;
        }
        return for_each_item(ctx, t, e, forward_nas_port_item);
}

/* ---- [Server] ---- */

static int server_public_key(LoadContext *ctx, void *t, const ConfEntry *e) {
        Server *s = t;
        s->public_key_source = ctx->file;
        s->public_key_line = e->line;
        return set_key(ctx, s->public_key, &s->set, e);
}

static int server_endpoint(LoadContext *ctx, void *t, const ConfEntry *e) {
        Server *v = t;
        return set_endpoint_list(ctx, &v->endpoints, &v->n_endpoints, e);
}

static int server_allowed_ips(LoadContext *ctx, void *t, const ConfEntry *e) {
        Server *v = t;
        return set_prefix_list(ctx, &v->allowed_ips, &v->n_allowed_ips, e, true, true);
}

static int server_keepalive(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_unsigned(ctx, &((Server *) t)->persistent_keepalive, 0, 0, 65535, e);
}

static int server_psk_file(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_path(ctx, &((Server *) t)->preshared_key_file, e);
}

/* ---- [Mount] ---- */

static int mount_what(LoadContext *ctx, void *t, const ConfEntry *e) {
        Mount *m = t;
        free(m->what);
        free(m->what_host);
        free(m->what_path);
        m->what = m->what_host = m->what_path = NULL;
        if (isempty(e->value))
                return 0;

        /* systemd.mount(5) What= for NFS: "HOST:/path", an IPv6 host in brackets. */
        const char *v = e->value, *sep;
        _cleanup_free_ char *host = NULL;
        if (v[0] == '[') {
                const char *close = strchr(v, ']');
                if (!close || close[1] != ':')
                        return conf_error(ctx, e->line, "What= '%s' is not SERVER:/PATH.", EXCERPT(v)), 0;
                host = strndup(v + 1, (size_t) (close - v - 1));
                sep = close + 1;
        } else {
                sep = strchr(v, ':');
                if (!sep)
                        return conf_error(ctx, e->line, "What= '%s' is not SERVER:/PATH.", EXCERPT(v)), 0;
                host = strndup(v, (size_t) (sep - v));
        }
        if (!host)
                return -ENOMEM;
        int family;
        InAddrUnion a;
        if (ip_address_parse(host, &family, &a) < 0 && !hostname_is_valid(host))
                return conf_error(ctx, e->line, "What= server '%s' is not a host name or address.", EXCERPT(host)), 0;
        if (v[0] == '[' && family != AF_INET6)
                return conf_error(ctx, e->line, "What= '%s': only IPv6 addresses go in brackets.", EXCERPT(v)), 0;
        if (!path_is_safe(sep + 1))
                return conf_error(ctx, e->line,
                                  "What= path '%s' must be absolute and normalised, of letters, digits and /_.+@:%%- only.",
                                  EXCERPT(sep + 1)),
                       0;
        if (!(m->what = strdup(v)) || !(m->what_path = strdup(sep + 1)))
                return -ENOMEM;
        m->what_host = TAKE_PTR(host);
        return 0;
}

static int mount_where(LoadContext *ctx, void *t, const ConfEntry *e) {
        Mount *m = t;
        int r = set_path(ctx, &m->where, e);
        if (r == 0 && m->where && streq(m->where, "/")) {
                conf_error(ctx, e->line, "Where= cannot be the root directory.");
                free(m->where);
                m->where = NULL;
        }
        return r;
}

static bool mount_options_valid(const char *s) {
        /* nfs(5) options: comma separated key or key=value; nothing that could end a unit line,
         * start another option list or reach a shell. */
        if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(",=._:-/", *p))
                        return false;
        return true;
}

static int mount_options(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_string(ctx, &((Mount *) t)->options, e, mount_options_valid,
                          "must be comma-separated mount options of letters, digits and =._:-/ only");
}

static int mount_automount(LoadContext *ctx, void *t, const ConfEntry *e) {
        return set_bool(ctx, &((Mount *) t)->automount, true, e);
}

static const KeyDef key_table[] = {
        { SECTION_BRIDGE, "Mode", bridge_mode, false },
        { SECTION_BRIDGE, "Backend", bridge_backend, false },
        { SECTION_BRIDGE, "Interface", bridge_interface, false },
        { SECTION_BRIDGE, "Address", bridge_address, true },
        { SECTION_BRIDGE, "ListenPort", bridge_listen_port, false },
        { SECTION_BRIDGE, "Endpoint", bridge_endpoint, false },
        { SECTION_BRIDGE, "MTU", bridge_mtu, false },
        { SECTION_BRIDGE, "PrivateKeyFile", bridge_private_key_file, false },
        { SECTION_BRIDGE, "MetricsFile", bridge_metrics_file, false },
        { SECTION_BRIDGE, "NFSVersions", bridge_nfs_versions, false },
        { SECTION_BRIDGE, "DNS", bridge_dns, true },
        { SECTION_BRIDGE, "CloseNFSOn", bridge_close_nfs_on, true },
        { SECTION_NFS, "MountdPort", nfs_mountd_port, false },
        { SECTION_NFS, "StatdPort", nfs_statd_port, false },
        { SECTION_NFS, "StatdOutgoingPort", nfs_statd_outgoing_port, false },
        { SECTION_NFS, "LockdPort", nfs_lockd_port, false },
        { SECTION_NFS, "MaxBlockSize", nfs_max_block_size, false },
        { SECTION_EXPORT, "Path", export_path, false },
        { SECTION_EXPORT, "Peers", export_peers, true },
        { SECTION_EXPORT, "ReadOnly", export_read_only, false },
        { SECTION_EXPORT, "Squash", export_squash, false },
        { SECTION_EXPORT, "Insecure", export_insecure, false },
        { SECTION_EXPORT, "AnonUID", export_anon_uid, false },
        { SECTION_EXPORT, "AnonGID", export_anon_gid, false },
        { SECTION_PEER, "Name", peer_name, false },
        { SECTION_PEER, "PublicKey", peer_public_key, false },
        { SECTION_PEER, "Address", peer_address, true },
        { SECTION_PEER, "AllowedIPs", peer_allowed_ips, true },
        { SECTION_PEER, "PresharedKeyFile", peer_psk_file, false },
        { SECTION_PEER, "PersistentKeepalive", peer_keepalive, false },
        { SECTION_PEER, "Endpoint", peer_endpoint, true },
        { SECTION_PEER, "Disabled", peer_disabled, false },
        { SECTION_PEER, "Expires", peer_expires, false },
        { SECTION_FORWARD, "To", forward_to, false },
        { SECTION_FORWARD, "Masquerade", forward_masquerade, false },
        { SECTION_FORWARD, "Ports", forward_ports, false },
        { SECTION_FORWARD, "NASPorts", forward_nas_ports, true },
        { SECTION_SERVER, "PublicKey", server_public_key, false },
        { SECTION_SERVER, "Endpoint", server_endpoint, true },
        { SECTION_SERVER, "AllowedIPs", server_allowed_ips, true },
        { SECTION_SERVER, "PersistentKeepalive", server_keepalive, false },
        { SECTION_SERVER, "PresharedKeyFile", server_psk_file, false },
        { SECTION_MOUNT, "What", mount_what, false },
        { SECTION_MOUNT, "Where", mount_where, false },
        { SECTION_MOUNT, "Options", mount_options, false },
        { SECTION_MOUNT, "Automount", mount_automount, false },
};

static const KeyDef *key_lookup(SectionKind s, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(key_table); i++)
                if (key_table[i].section == s && streq(key_table[i].key, key))
                        return &key_table[i];
        return NULL;
}

/* A new repeatable-section item, with its defaults. */
static void *section_new_item(LoadContext *ctx, SectionKind kind, unsigned line) {
        Bridge *b = ctx->bridge;
        switch (kind) {
        case SECTION_EXPORT: {
                Export *x = ARRAY_PUSH(b->exports, b->n_exports);
                if (x) {
                        x->squash = SQUASH_ROOT;
                        x->anon_uid = x->anon_gid = DEFAULT_ANON_ID;
                        x->source = ctx->file;
                        x->line = line;
                }
                return x;
        }
        case SECTION_PEER: {
                Peer *p = ARRAY_PUSH(b->peers, b->n_peers);
                if (p) {
                        p->source = ctx->file;
                        p->line = line;
                }
                return p;
        }
        case SECTION_FORWARD: {
                Forward *f = ARRAY_PUSH(b->forwards, b->n_forwards);
                if (f) {
                        f->masquerade = true;
                        f->ports = FORWARD_PORTS_NFS;
                        f->source = ctx->file;
                        f->line = line;
                }
                return f;
        }
        case SECTION_MOUNT: {
                Mount *m = ARRAY_PUSH(b->mounts, b->n_mounts);
                if (m) {
                        m->automount = true;
                        m->source = ctx->file;
                        m->line = line;
                }
                return m;
        }
        case SECTION_BRIDGE:
                if (!ctx->bridge_source) {
                        ctx->bridge_source = ctx->file;
                        ctx->bridge_line = line;
                }
                return b;
        case SECTION_NFS:
                if (!b->nfs.set) {
                        b->nfs.set = true;
                        b->nfs.source = ctx->file;
                        b->nfs.line = line;
                }
                return &b->nfs;
        case SECTION_SERVER:
                return &b->server;
        default:
                return NULL;
        }
}

int bridge_apply_file(LoadContext *ctx, const ConfFile *f) {
        /* Single-valued keys seen in this file, per singular section, to refuse duplicates. */
        char **seen_singular[_SECTION_MAX] = {};
        int r = 0;

        for (size_t i = 0; i < f->n_sections && r >= 0; i++) {
                const ConfSection *s = &f->sections[i];
                SectionKind kind = _SECTION_MAX;
                for (SectionKind k = 0; k < _SECTION_MAX; k++)
                        if (streq(s->name, section_names[k]))
                                kind = k;
                if (kind == _SECTION_MAX) {
                        conf_error(ctx, s->line,
                                   "unknown section [%s] (known: Bridge, NFS, Export, Peer, Forward, Server, Mount).",
                                   EXCERPT(s->name));
                        continue;
                }
                void *target = section_new_item(ctx, kind, s->line);
                if (!target) {
                        r = -ENOMEM;
                        break;
                }
                bool singular = kind == SECTION_BRIDGE || kind == SECTION_NFS || kind == SECTION_SERVER;
                char **seen_local = NULL;
                char ***seen = singular ? &seen_singular[kind] : &seen_local;

                for (size_t j = 0; j < s->n_entries && r >= 0; j++) {
                        const ConfEntry *e = &s->entries[j];
                        const KeyDef *d = key_lookup(kind, e->key);
                        if (!d) {
                                conf_error(ctx, e->line, "unknown key %s= in section [%s].", EXCERPT(e->key), s->name);
                                continue;
                        }
                        if (!d->list) {
                                if (strv_contains(*seen, e->key)) {
                                        conf_error(ctx, e->line, "%s= is set twice in [%s] of this file.", e->key,
                                                   s->name);
                                        continue;
                                }
                                r = strv_extend(seen, e->key);
                                if (r < 0)
                                        break;
                        }
                        r = d->parse(ctx, target, e);
                }
                strv_free(seen_local);
        }
        for (SectionKind k = 0; k < _SECTION_MAX; k++)
                strv_free(seen_singular[k]);
        return r;
}
