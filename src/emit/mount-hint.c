/* SPDX-License-Identifier: MIT */
#include <sys/socket.h>

#include "emit/emit.h"
#include "emit/emit-internal.h"

/* Mount points are /mnt/nfswg-COMPONENT: a path component is at most 255 bytes. */
#define PATH_MAX_HINT 300

int mount_hint_os_from_string(const char *s, MountHintOs *ret) {
        static const char *const names[] = {
                [MOUNT_HINT_LINUX] = "linux",
                [MOUNT_HINT_MACOS] = "macos",
                [MOUNT_HINT_WINDOWS] = "windows",
        };
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i])) {
                        *ret = (MountHintOs) i;
                        return 0;
                }
        return -EINVAL;
}

/* One share the peer can mount: SERVER:PATH, where it goes on the peer, and what to say about it. */
typedef struct Share {
        char server[IP_PREFIX_STRLEN + 16];
        const char *path;
        const Export *export; /* NULL for a share on a NAS behind the bridge */
        const IpPrefix *nas_network; /* a NAS share whose address the user fills in: the To= network */
} Share;

/* The bridge's tunnel address the peer reaches: the first of the peer's own address family. */
static const char *bridge_address_for(const Bridge *b, const Peer *p, char buf[IP_PREFIX_STRLEN]) {
        int family = p->n_addresses > 0 ? p->addresses[0].family : AF_INET;
        for (size_t i = 0; i < b->n_addresses; i++)
                if (b->addresses[i].family == family)
                        return format_prefix_address(&b->addresses[i], buf);
        if (b->n_addresses > 0)
                return format_prefix_address(&b->addresses[0], buf);
        return "BRIDGE-ADDRESS";
}

static size_t collect_shares(const Bridge *b, const Peer *p, Share **ret) {
        Share *v = NULL;
        size_t n = 0;
        char addr[IP_PREFIX_STRLEN];

        for (size_t i = 0; i < b->n_exports; i++) {
                if (!export_allows_peer(&b->exports[i], p))
                        continue;
                Share *s = ARRAY_PUSH(v, n);
                if (!s)
                        goto oom;
                const char *a = bridge_address_for(b, p, addr);
                /* mount.nfs(8) and systemd.mount(5) want an IPv6 server in brackets. */
                snprintf(s->server, sizeof s->server, strchr(a, ':') ? "[%s]" : "%s", a);
                s->path = b->exports[i].path;
                s->export = &b->exports[i];
        }
        /* nas mode: the shares live on the NAS behind the bridge. A To= that is a single host is
         * the NAS itself; for a network the user fills in the NAS's address. */
        if (b->mode == BRIDGE_MODE_NAS)
                for (size_t i = 0; i < b->n_forwards; i++) {
                        const Forward *f = &b->forwards[i];
                        if (f->to_bridge)
                                continue;
                        Share *s = ARRAY_PUSH(v, n);
                        if (!s)
                                goto oom;
                        if (f->to.prefixlen == ip_family_bits(f->to.family)) {
                                const char *a = format_prefix_address(&f->to, addr);
                                snprintf(s->server, sizeof s->server, strchr(a, ':') ? "[%s]" : "%s", a);
                        } else {
                                snprintf(s->server, sizeof s->server, "NAS-ADDRESS");
                                s->nas_network = &f->to;
                        }
                        s->path = "/PATH-EXPORTED-BY-THE-NAS";
                }
        *ret = v;
        return n;
oom:
        free(v);
        *ret = NULL;
        return SIZE_MAX;
}

/* What the user fills in before running a NAS share's commands: the path the NAS exports, and its
 * address when the To= network does not name it. Nothing for an export of the bridge itself. */
static void append_nas_note(StrBuf *s, const Share *sh) {
        char buf[IP_PREFIX_STRLEN];
        if (sh->export)
                return;
        if (sh->nas_network)
                strbuf_appendf(s, "# Replace NAS-ADDRESS with the NAS's address in %s and %s with the path it exports.\n",
                               ip_prefix_format(sh->nas_network, buf), sh->path);
        else
                strbuf_appendf(s, "# Replace %s with the path the NAS at %s exports.\n", sh->path, sh->server);
}

/* A word as bash(1) reads it back unchanged: as is when it holds only characters without meaning
 * to the shell, else in single quotes (a quote inside becomes '\''). systemd-escape(1) output
 * such as mnt-nfswg\x2dphotos.mount needs them: unquoted, bash drops the backslash. */
static char *shell_word(const char *w) {
        StrBuf s = {};
        if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_.,+@:%=-") == strlen(w))
                return strdup(w);
        strbuf_append(&s, "'");
        for (const char *c = w; *c; c++)
                strbuf_append(&s, *c == '\'' ? "'\\''" : (char[]) { *c, '\0' });
        strbuf_append(&s, "'");
        return strbuf_finish(&s);
}

/* The mount point on the peer: /mnt/nfswg for a single share, /mnt/nfswg-LAST-COMPONENT otherwise. */
static void mount_point(const Share *shares, size_t n, size_t i, char *buf, size_t size) {
        if (n == 1) {
                snprintf(buf, size, "/mnt/nfswg");
                return;
        }
        const char *base = strrchr(shares[i].path, '/');
        base = base && base[1] ? base + 1 : "root";
        snprintf(buf, size, "/mnt/nfswg-%s", base);
        /* Two exports ending in the same component: number them. */
        for (size_t j = 0; j < i; j++) {
                const char *other = strrchr(shares[j].path, '/');
                other = other && other[1] ? other + 1 : "root";
                if (streq(other, base)) {
                        snprintf(buf, size, "/mnt/nfswg-%s-%zu", base, i + 1);
                        break;
                }
        }
}

static const char *share_access(const Share *sh) {
        if (!sh->export)
                return "on the NAS";
        return sh->export->read_only ? "read-only" : "read-write";
}

/* A share's words for a shell command line: SERVER:PATH and the mount point, quoted as needed. */
typedef struct ShareWords {
        char *what;
        char *where;
} ShareWords;

static void share_words_done(ShareWords *w) {
        free(w->what);
        free(w->where);
}

static int share_words(const Share *sh, const char *where, ShareWords *ret) {
        _cleanup_free_ char *what = NULL;
        if (asprintf(&what, "%s:%s", sh->server, sh->path) < 0)
                return -ENOMEM;
        *ret = (ShareWords) { .what = shell_word(what), .where = shell_word(where) };
        if (!ret->what || !ret->where) {
                share_words_done(ret);
                return -ENOMEM;
        }
        return 0;
}

static void append_linux(StrBuf *s, const Bridge *b, const Share *shares, size_t n) {
        const char *rest = strchr(DEFAULT_MOUNT_OPTIONS, ',');
        _cleanup_free_ char *options = NULL;
        char where[PATH_MAX_HINT];

        if (asprintf(&options, "vers=%s%s,nconnect=4", bridge_best_nfs_version(b), rest ?: "") < 0) {
                s->oom = true;
                return;
        }
        strbuf_append(s, "# nconnect=4 opens four TCP connections (Linux 5.3 or later; drop it on older kernels).\n");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *unit = NULL, *unit_word = NULL, *unit_path = NULL, *unit_path_word = NULL;
                _cleanup_(share_words_done) ShareWords w = {};
                mount_point(shares, n, i, where, sizeof where);
                if (unit_name_from_path(where, "mount", &unit) < 0 || !(unit_word = shell_word(unit)) ||
                    asprintf(&unit_path, "/etc/systemd/system/%s", unit) < 0 ||
                    !(unit_path_word = shell_word(unit_path)) || share_words(&shares[i], where, &w) < 0) {
                        s->oom = true;
                        return;
                }
                strbuf_appendf(s, "\n# %s (%s). Mount it now:\n", shares[i].path, share_access(&shares[i]));
                append_nas_note(s, &shares[i]);
                strbuf_appendf(s,
                               "sudo mkdir -p %s\n"
                               "sudo mount -t nfs -o %s %s %s\n"
                               "# or at every boot, with this line in /etc/fstab:\n"
                               "#   %s:%s %s nfs %s,_netdev,x-systemd.automount,x-systemd.mount-timeout=30 0 0\n"
                               "# or with a systemd unit (then: sudo systemctl enable --now %s):\n"
                               "sudo tee %s >/dev/null <<'EOF'\n"
                               "[Unit]\n"
                               "Description=nfswg share %s:%s\n"
                               "Wants=network-online.target\n"
                               "After=network-online.target\n"
                               "\n[Mount]\n"
                               "What=%s:%s\n"
                               "Where=%s\n"
                               "Type=nfs\n"
                               "Options=%s,_netdev\n"
                               "TimeoutSec=30\n"
                               "\n[Install]\n"
                               "WantedBy=remote-fs.target\n"
                               "EOF\n",
                               w.where, options, w.what, w.where, shares[i].server, shares[i].path, where, options,
                               unit_word, unit_path_word, shares[i].server, shares[i].path, shares[i].server,
                               shares[i].path, where, options);
        }
}

static void append_macos(StrBuf *s, const Bridge *b, const Share *shares, size_t n) {
        /* macOS's client speaks NFSv4.0 at most, and uses a non-reserved source port unless
         * mounted with resvport (which needs root), while exports(5) "secure" (our default)
         * refuses such ports. */
        const char *vers = (b->nfs_versions & NFS_V4_ANY) || !(b->nfs_versions & NFS_V3) ? "4" : "3";
        char where[PATH_MAX_HINT];

        strbuf_append(s, "# macOS speaks NFSv4.0 at most. resvport makes it use a reserved source port (below 1024),\n"
                         "# which the export requires unless it has Insecure=yes.\n");
        for (size_t i = 0; i < n; i++) {
                _cleanup_(share_words_done) ShareWords w = {};
                mount_point(shares, n, i, where, sizeof where);
                char volume[PATH_MAX_HINT + 16];
                snprintf(volume, sizeof volume, "/Volumes/%s", where + strlen("/mnt/"));
                if (share_words(&shares[i], volume, &w) < 0) {
                        s->oom = true;
                        return;
                }
                strbuf_appendf(s, "\n# %s (%s)%s:\n", shares[i].path, share_access(&shares[i]),
                               shares[i].export && shares[i].export->insecure
                                       ? "; the export has Insecure=yes, so resvport may be left out"
                                       : "");
                append_nas_note(s, &shares[i]);
                strbuf_appendf(s, "sudo mkdir -p %s\nsudo mount -t nfs -o vers=%s,resvport,hard %s %s\n", w.where, vers,
                               w.what, w.where);
        }
}

bool mount_hint_os_supported(const Bridge *b, MountHintOs os) {
        return os != MOUNT_HINT_WINDOWS || (b->nfs_versions & NFS_V3);
}

static void append_windows(StrBuf *s, const Bridge *b, const Share *shares, size_t n) {
        strbuf_append(s,
                      "# Windows' \"Client for NFS\" (Pro, Enterprise, Server) speaks NFSv3 only. Turn it on in an\n"
                      "# administrator PowerShell:\n"
                      "#   Enable-WindowsOptionalFeature -Online -FeatureName ServicesForNFS-ClientOnly, ClientForNFS-Infrastructure\n");
        if (!mount_hint_os_supported(b, MOUNT_HINT_WINDOWS)) {
                /* No command that cannot work: nfswg mount-hint refuses before it gets here. */
                strbuf_appendf(s, "# This bridge does not offer NFSv3: add 3 to NFSVersions= in [Bridge] of %s first.\n",
                               b->config_id);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                char drive = (char) ('Z' - (i % 24));
                strbuf_appendf(s, "\n# %s (%s):\n", shares[i].path, share_access(&shares[i]));
                append_nas_note(s, &shares[i]);
                strbuf_appendf(s, "mount -o anon,mtype=hard \\\\%s", shares[i].server);
                for (const char *c = shares[i].path; *c; c++)
                        strbuf_appendf(s, "%c", *c == '/' ? '\\' : *c);
                strbuf_appendf(s, " %c:\n", drive);
        }
}

char *emit_mount_hint(const Bridge *b, const Peer *p, MountHintOs os) {
        _cleanup_(strbuf_done) StrBuf s = {};
        _cleanup_free_ Share *shares = NULL;
        static const char *const os_names[] = {
                [MOUNT_HINT_LINUX] = "Linux",
                [MOUNT_HINT_MACOS] = "macOS",
                [MOUNT_HINT_WINDOWS] = "Windows",
        };

        size_t n = collect_shares(b, p, &shares);
        if (n == SIZE_MAX)
                return NULL;

        strbuf_appendf(&s,
                       "# Mounting the shares of nfswg bridge %s on %s, as peer %s (generated by nfswg from %s).\n"
                       "# Bring the WireGuard tunnel up first (nfswg peer config %s %s prints its config).\n",
                       b->name, os_names[os], p->name, b->config_id, b->name, p->name);
        if (n == 0) {
                strbuf_appendf(&s, "# No export of bridge %s is open to peer %s (see Peers= in [Export]).\n", b->name,
                               p->name);
                return strbuf_finish(&s);
        }

        switch (os) {
        case MOUNT_HINT_MACOS:
                append_macos(&s, b, shares, n);
                break;
        case MOUNT_HINT_WINDOWS:
                append_windows(&s, b, shares, n);
                break;
        case MOUNT_HINT_LINUX:
        default:
                append_linux(&s, b, shares, n);
        }

        return strbuf_finish(&s);
}
