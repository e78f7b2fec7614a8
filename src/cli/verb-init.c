/* SPDX-License-Identifier: MIT */
/* nfswg init NAME: a new bridge config that validates, and its key. */
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/state-files.h"
#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/parse.h"
#include "shared/strbuf.h"

typedef struct InitArgs {
        const char *name;
        const char *interface; /* --interface, or the derived name when nfswg-NAME is too long */
        char interface_buf[IFNAMSIZ];
        bool interface_derived;
        BridgeMode mode;
        char **addresses;
        uint16_t port;
        const char *endpoint;
        char **exports;
        char **forwards;
        const char *server_key;
        char **allowed_ips;
        char **close_nfs_on;
} InitArgs;

static void init_args_done(InitArgs *a) {
        strv_free(a->addresses);
        strv_free(a->exports);
        strv_free(a->forwards);
        strv_free(a->allowed_ips);
        strv_free(a->close_nfs_on);
}

static int parse_mode(const char *s, BridgeMode *ret) {
        for (BridgeMode m = 0; m < _BRIDGE_MODE_MAX; m++)
                if (streq(bridge_mode_to_string(m), s)) {
                        *ret = m;
                        return 0;
                }
        return -EINVAL;
}

static int parse_args(int argc, char *argv[], CliContext *ctx, InitArgs *a) {
        enum { ARG_ROOT = 0x100, ARG_MODE, ARG_ADDRESS, ARG_PORT, ARG_ENDPOINT, ARG_EXPORT, ARG_FORWARD,
               ARG_SERVER_KEY, ARG_ALLOWED_IPS, ARG_INTERFACE, ARG_CLOSE_NFS_ON };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "mode", required_argument, NULL, ARG_MODE },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "port", required_argument, NULL, ARG_PORT },
                { "endpoint", required_argument, NULL, ARG_ENDPOINT },
                { "export", required_argument, NULL, ARG_EXPORT },
                { "forward", required_argument, NULL, ARG_FORWARD },
                { "server-key", required_argument, NULL, ARG_SERVER_KEY },
                { "allowed-ips", required_argument, NULL, ARG_ALLOWED_IPS },
                { "interface", required_argument, NULL, ARG_INTERFACE },
                { "close-nfs-on", required_argument, NULL, ARG_CLOSE_NFS_ON },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        cli_getopt_reset(argc, argv, "nfswg init");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        if (cli_set_root(ctx, optarg) < 0)
                                return EXIT_USAGE;
                        break;
                case ARG_MODE:
                        if (parse_mode(optarg, &a->mode) < 0)
                                return cli_usage_error("init: --mode must be embedded, nas, relay or client, not '%s'.",
                                                       EXCERPT(optarg));
                        break;
                case ARG_ADDRESS:
                        if (strv_extend(&a->addresses, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_PORT:
                        if (parse_port(optarg, &a->port) < 0)
                                return cli_usage_error("init: --port must be a port number 1-65535, not '%s'.", EXCERPT(optarg));
                        break;
                case ARG_ENDPOINT:
                        a->endpoint = optarg;
                        break;
                case ARG_EXPORT:
                        if (strv_extend(&a->exports, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_FORWARD:
                        if (strv_extend(&a->forwards, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_SERVER_KEY:
                        a->server_key = optarg;
                        break;
                case ARG_ALLOWED_IPS:
                        if (strv_extend(&a->allowed_ips, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_INTERFACE:
                        if (!ifname_is_valid(optarg))
                                return cli_usage_error("init: --interface must be 1 to 15 letters, digits, '_', '.' or '-', "
                                                       "not '%s'.", EXCERPT(optarg));
                        a->interface = optarg;
                        break;
                case ARG_CLOSE_NFS_ON:
                        if (strv_extend(&a->close_nfs_on, optarg) < 0)
                                return log_oom();
                        break;
                case 'h':
                        help_print(help_init);
                        return CLI_PARSE_DONE;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1)
                return cli_usage_error("init: expected exactly one bridge NAME.");
        a->name = argv[optind];
        if (a->mode == BRIDGE_MODE_CLIENT) {
                if (!a->server_key || !a->endpoint || !a->addresses)
                        return cli_usage_error("init: --mode client needs --server-key, --endpoint and --address "
                                               "(this machine's tunnel address).");
        } else if (a->server_key || a->allowed_ips)
                return cli_usage_error("init: --server-key and --allowed-ips are for --mode client.");
        if (a->mode == BRIDGE_MODE_CLIENT && a->close_nfs_on)
                return cli_usage_error("init: --close-nfs-on is for a bridge that serves (client mode has no table).");
        if ((a->mode == BRIDGE_MODE_NAS || a->mode == BRIDGE_MODE_RELAY) && !a->forwards)
                return cli_usage_error("init: --mode %s needs --forward NET (or @BRIDGE for relay).",
                                       bridge_mode_to_string(a->mode));
        return 0;
}

static bool port_taken(const Host *h, uint16_t port) {
        for (size_t i = 0; h && i < h->n_bridges; i++)
                if (h->bridges[i]->listen_port == port)
                        return true;
        return false;
}

static bool network_taken(const Host *h, const IpPrefix *p) {
        for (size_t i = 0; h && i < h->n_bridges; i++)
                for (size_t j = 0; j < h->bridges[i]->n_addresses; j++)
                        if (ip_prefix_overlaps(&h->bridges[i]->addresses[j], p))
                                return true;
        return false;
}

/* Defaults that do not clash with the host's other bridges: 51820 and up, 10.8.0.1/24 and up. */
static uint16_t default_port(const Host *h) {
        for (unsigned p = DEFAULT_LISTEN_PORT; p < DEFAULT_LISTEN_PORT + 100; p++)
                if (!port_taken(h, (uint16_t) p))
                        return (uint16_t) p;
        return DEFAULT_LISTEN_PORT;
}

static void default_address(const Host *h, char buf[IP_PREFIX_STRLEN]) {
        for (unsigned n = 0; n < 256; n++) {
                IpPrefix p;
                snprintf(buf, IP_PREFIX_STRLEN, "10.8.%u.1/24", n);
                if (ip_prefix_parse(buf, false, &p) == 0 && !network_taken(h, &p))
                        return;
        }
        snprintf(buf, IP_PREFIX_STRLEN, "10.8.0.1/24");
}

static char *config_format(const InitArgs *a, const Host *h) {
        StrBuf s = {};
        char addr[IP_PREFIX_STRLEN];

        strbuf_appendf(&s,
                       "# nfswg bridge '%s', written by 'nfswg init'. Keys and their meaning: nfswg.conf(5).\n"
                       "# Peers added with 'nfswg peer add' go to %s/%s.conf.d/, not here.\n"
                       "\n"
                       "[Bridge]\n"
                       "Mode=%s\n",
                       a->name, CLI_CONFIG_DIR, a->name, bridge_mode_to_string(a->mode));
        if (a->interface_derived)
                strbuf_appendf(&s, "# nfswg-%s would be longer than the kernel's 15 characters:\n", a->name);
        if (a->interface)
                strbuf_appendf(&s, "Interface=%s\n", a->interface);
        if (a->addresses)
                STRV_FOREACH(ad, a->addresses)
                        strbuf_appendf(&s, "Address=%s\n", *ad);
        else {
                default_address(h, addr);
                strbuf_appendf(&s, "Address=%s\n", addr);
        }
        if (a->mode != BRIDGE_MODE_CLIENT) {
                strbuf_appendf(&s, "ListenPort=%u\n", a->port ? a->port : default_port(h));
                STRV_FOREACH(i, a->close_nfs_on)
                        strbuf_appendf(&s, "CloseNFSOn=%s\n", *i);
                if (a->endpoint)
                        strbuf_appendf(&s, "Endpoint=%s\n", a->endpoint);
                else
                        strbuf_append(&s,
                                      "# What clients dial (HOST:PORT); client configs need it:\n"
                                      "#Endpoint=vpn.example.com:51820\n");
        }

        if (a->mode == BRIDGE_MODE_CLIENT) {
                strbuf_appendf(&s, "\n[Server]\nPublicKey=%s\nEndpoint=%s\n", a->server_key, a->endpoint);
                if (a->allowed_ips)
                        STRV_FOREACH(n, a->allowed_ips)
                                strbuf_appendf(&s, "AllowedIPs=%s\n", *n);
                else
                        STRV_FOREACH(ad, a->addresses) {
                                IpPrefix p;
                                if (ip_prefix_parse(*ad, false, &p) < 0)
                                        continue; /* the model reports it */
                                /* A host route would reach only this host: the bridge is elsewhere.
                                 * Without a wider Address= the model asks for AllowedIPs=. */
                                if (p.prefixlen == ip_family_bits(p.family))
                                        continue;
                                p = ip_prefix_network(&p);
                                strbuf_appendf(&s, "AllowedIPs=%s\n", ip_prefix_format(&p, addr));
                        }
                strbuf_appendf(&s, "PersistentKeepalive=%u\n", DEFAULT_KEEPALIVE);
        }

        if (a->mode != BRIDGE_MODE_CLIENT) {
                char *const dflt[] = { (char *) "/srv/nfswg", NULL };
                char *const *exports = a->exports ?: (a->mode == BRIDGE_MODE_EMBEDDED ? dflt : NULL);
                STRV_FOREACH(e, exports)
                        strbuf_appendf(&s, "\n[Export]\nPath=%s\nPeers=*\n", *e);
        }
        STRV_FOREACH(f, a->forwards)
                strbuf_appendf(&s, "\n[Forward]\nTo=%s\n", *f);
        return strbuf_finish(&s);
}

/* Whether a is reachable from the internet at large: not private (RFC 1918), shared (RFC 6598),
 * loopback, link-local, "this network", documentation, benchmarking, multicast or reserved for
 * IPv4; inside 2000::/3 (RFC 4291 global unicast) and not documentation (RFC 3849) for IPv6. */
static bool address_is_public(int family, const InAddrUnion *a) {
        const uint8_t *b = a->bytes;
        if (family == AF_INET6)
                return (b[0] & 0xe0) == 0x20 && !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8);
        return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 ||
                 (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254) ||
                 (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
                 (b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && (b[1] & 0xfe) == 18) ||
                 (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113));
}

/* The interfaces holding a public address, space separated ("" when none): from getifaddrs(3),
 * or, for tests, from NFSWG_IFADDRS="IFACE=ADDRESS ...". */
static char *public_interfaces(void) {
        StrBuf s = {};
        _cleanup_strv_free_ char **seen = NULL;
        const char *fake = getenv("NFSWG_IFADDRS");

        if (fake) {
                _cleanup_free_ char *copy = strdup(fake);
                char *save = NULL;
                for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save)) {
                        char *eq = strchr(w, '=');
                        int family;
                        InAddrUnion a;
                        if (!eq)
                                continue;
                        *eq = 0;
                        if (ip_address_parse(eq + 1, &family, &a) == 0 && address_is_public(family, &a) &&
                            ifname_is_valid(w) && !strv_contains(seen, w) && strv_extend(&seen, w) >= 0)
                                strbuf_appendf(&s, "%s%s", s.len ? " " : "", w);
                }
                return strbuf_finish(&s);
        }

        struct ifaddrs *list;
        if (getifaddrs(&list) < 0)
                return strbuf_finish(&s);
        for (struct ifaddrs *i = list; i; i = i->ifa_next) {
                InAddrUnion a = {};
                int family = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;
                if (family == AF_INET)
                        memcpy(&a, &((const struct sockaddr_in *) i->ifa_addr)->sin_addr, 4);
                else if (family == AF_INET6)
                        memcpy(&a, &((const struct sockaddr_in6 *) i->ifa_addr)->sin6_addr, 16);
                else
                        continue;
                if (!(i->ifa_flags & IFF_LOOPBACK) && address_is_public(family, &a) && ifname_is_valid(i->ifa_name) &&
                    !strv_contains(seen, i->ifa_name) && strv_extend(&seen, i->ifa_name) >= 0)
                        strbuf_appendf(&s, "%s%s", s.len ? " " : "", i->ifa_name);
        }
        freeifaddrs(list);
        return strbuf_finish(&s);
}

static void discard_log(int level, const char *message, void *userdata) {
}

static bool interface_taken(const Host *h, const char *ifname) {
        for (size_t i = 0; h && i < h->n_bridges; i++)
                if (h->bridges[i]->interface && streq(h->bridges[i]->interface, ifname))
                        return true;
        return false;
}

/* When nfswg-NAME (the model's default) exceeds the 15 characters of IFNAMSIZ: nfswg-, the first
 * four characters of NAME, -, and four hex digits of a hash of NAME (FNV-1a, salted until the name
 * is not another bridge's). The same NAME gets the same interface on every host. */
static int derive_interface(const Host *h, const char *name, char ret[IFNAMSIZ]) {
        for (uint32_t salt = 0; salt < 64; salt++) {
                uint32_t hash = 2166136261u ^ salt;
                for (const char *c = name; *c; c++)
                        hash = (hash ^ (uint8_t) *c) * 16777619u;
                int prefix = 4;
                while (prefix > 1 && name[prefix - 1] == '-')
                        prefix--;
                snprintf(ret, IFNAMSIZ, "nfswg-%.*s-%04x", prefix, name, (unsigned) ((hash ^ (hash >> 16)) & 0xffff));
                if (!interface_taken(h, ret))
                        return 0;
        }
        return -EEXIST;
}

/* The model's messages about the config init is about to write name a FILE:LINE that does not
 * exist yet: collected while it is checked, then logged as "init: message". Messages about other
 * files stay as they are. */
typedef struct InitMessages {
        const char *label; /* the path the new config is checked under */
        char **lines;
        bool oom;
} InitMessages;

static void init_messages_collect(int level, const char *message, void *userdata) {
        InitMessages *m = userdata;
        const char *rest = startswith(message, m->label);
        _cleanup_free_ char *line = NULL;

        if (rest && rest[0] == ':' && rest[1] >= '0' && rest[1] <= '9') {
                rest += 1 + strspn(rest + 1, "0123456789");
                if (rest[0] == ':' && rest[1] == ' ')
                        message = rest + 2;
        }
        if (asprintf(&line, "%c%s", '0' + (level & 7), message) < 0 || strv_extend(&m->lines, line) < 0)
                m->oom = true;
}

static void init_messages_flush(InitMessages *m) {
        log_set_sink(NULL, NULL);
        STRV_FOREACH(l, m->lines)
                log_internal((*l)[0] - '0', 0, "init: %s", *l + 1);
        m->lines = strv_free(m->lines);
        if (m->oom)
                log_oom();
        m->oom = false;
}

int verb_init(int argc, char *argv[], const CliContext *ctx_in) {
        CliContext ctx = *ctx_in;
        _cleanup_(init_args_done) InitArgs a = {};
        int r;

        r = parse_args(argc, argv, &ctx, &a);
        if (r != 0)
                return r == CLI_PARSE_DONE ? 0 : r;
        r = cli_check_name("bridge", a.name);
        if (r < 0)
                return r;

        _cleanup_free_ char *dir = cli_root_path(&ctx, CLI_CONFIG_DIR), *path = NULL;
        if (!dir || asprintf(&path, "%s/%s.conf", dir, a.name) < 0)
                return log_oom();
        if (access(path, F_OK) == 0)
                return log_error_errno(EEXIST, "%s already exists; nfswg init never overwrites a config.", path);

        /* The other bridges, to choose defaults that do not clash and to run the host-wide checks.
         * Their own problems are theirs: 'nfswg check' reports them. */
        _cleanup_(host_freep) Host *h = NULL;
        log_set_sink(discard_log, NULL);
        (void) host_load(ctx.root, &h);
        log_set_sink(NULL, NULL);

        char default_ifname[64];
        snprintf(default_ifname, sizeof default_ifname, "nfswg-%s", a.name);
        if (!a.interface && !ifname_is_valid(default_ifname)) {
                if (derive_interface(h, a.name, a.interface_buf) < 0)
                        return log_error_errno(EEXIST, "The interface name %s would be longer than 15 characters and no "
                                               "shorter one is free: choose one with --interface IFACE.",
                                               default_ifname);
                a.interface = a.interface_buf;
                a.interface_derived = true;
        }

        _cleanup_free_ char *text = config_format(&a, h);
        if (!text)
                return log_oom();

        /* Validated exactly as the daemon will read it, before anything is written. */
        _cleanup_(bridge_freep) Bridge *owned = NULL;
        InitMessages msgs = { .label = path };
        log_set_sink(init_messages_collect, &msgs);
        r = bridge_load_string(path, a.name, text, &owned);
        init_messages_flush(&msgs);
        if (r < 0)
                return log_error_errno(r, "The new config for '%s' is not valid; nothing was written.%s", a.name,
                                       a.mode == BRIDGE_MODE_CLIENT && !a.allowed_ips
                                               ? " (--allowed-ips NET sets AllowedIPs= in [Server].)"
                                               : "");
        const Bridge *b = owned;
        if (h) {
                Bridge **slot = ARRAY_PUSH(h->bridges, h->n_bridges);
                if (!slot)
                        return log_oom();
                *slot = TAKE_PTR(owned); /* the host owns it now */
                log_set_sink(init_messages_collect, &msgs);
                r = host_check(h);
                init_messages_flush(&msgs);
                if (r < 0)
                        return log_error_errno(r, "The new bridge '%s' clashes with this host's other bridges; nothing was written.",
                                               a.name);
        }

        WgKey pub;
        bool created;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", dir);
        r = server_key_ensure(&ctx, b->private_key_file, pub, &created);
        if (r < 0)
                return r;
        /* An existing key (kept) may be the one --server-key names. */
        r = bridge_check_own_key(b, pub);
        if (r < 0)
                return log_error_errno(r, "The new config for '%s' is not valid; nothing was written.", a.name);

        r = write_file_new(path, text, 0644, (uid_t) -1, (gid_t) -1);
        if (r == -EEXIST)
                return log_error_errno(r, "%s was created meanwhile by someone else; left alone.", path);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", path);

        char pub_b64[WG_KEY_B64_LEN + 1];
        wg_key_to_base64(pub_b64, pub);
        /* Every path as written, below --root when it is given. */
        printf("Created %s (%s mode, interface %s).\n", path, bridge_mode_to_string(a.mode), b->interface);
        if (a.interface_derived)
                printf("%s would be longer than 15 characters: the interface is %s (--interface chooses another).\n",
                       default_ifname, b->interface);
        printf("%s key %s%s, public key %s\n", created ? "Created" : "Kept the existing", ctx.root,
               b->private_key_file, pub_b64);
        printf("\nNext:\n");
        if (a.mode == BRIDGE_MODE_CLIENT) {
                char addr[INET6_ADDRSTRLEN] = "ADDR";
                if (b->n_addresses > 0)
                        ip_address_format(b->addresses[0].family, &b->addresses[0].addr, addr);
                printf("  on the server: nfswg peer add BRIDGE %s --public-key %s --address %s\n", a.name, pub_b64, addr);
                printf("  add a [Mount] section (What=SERVER:/path, Where=/mnt/...) to %s\n", path);
                printf("  systemctl enable --now nfswg@%s   (the tunnel; each share then mounts on first access)\n",
                       a.name);
                return 0;
        }
        if (!b->endpoint.host)
                printf("  set Endpoint= in [Bridge] of %s to what clients dial (HOST:PORT)\n", path);
        for (size_t i = 0; i < b->n_exports; i++)
                printf("  mkdir -p %s%s   # the exported directory must exist\n", ctx.root, b->exports[i].path);
        if (!a.close_nfs_on) {
                /* A suggestion only: the host's firewall may shut NFS there already. */
                _cleanup_free_ char *pub_ifaces = public_interfaces();
                if (pub_ifaces && *pub_ifaces)
                        printf("  a public address is on %s: NFS there is the host firewall's business; to close it, "
                               "add CloseNFSOn=%s to [Bridge] of %s\n",
                               pub_ifaces, pub_ifaces, path);
        }
        printf("  systemctl enable --now nfswg@%s\n", a.name);
        printf("  nfswg peer add %s laptop --qr\n", a.name);
        return 0;
}
