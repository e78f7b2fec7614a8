/* SPDX-License-Identifier: MIT */
#include "emit/emit.h"
#include "emit/emit-internal.h"

/* Drop-ins for the units nfs-utils ships on Debian 12 (nfs-common: rpc-statd.service;
 * nfs-kernel-server: nfs-mountd.service, nfs-server.service), and the environment file they read.
 *
 * The drop-ins are inert: they keep the packaged command (Debian 12: "ExecStart=/sbin/rpc.statd",
 * "ExecStart=/usr/sbin/rpc.mountd") and add only "$NFSWG_..." words, which systemd.service(5)
 * expands to nothing while the variable is unset. Only a running bridge sets them: nfswgd writes
 * /run/nfswg/NAME/nfs-utils.env (in the unit's RuntimeDirectory=, gone when the bridge stops), and
 * the drop-ins read it with "EnvironmentFile=-", whose "-" makes a missing file no error. So until
 * the administrator enables a bridge, nfs-utils' daemons run exactly as packaged, and nothing here
 * ever turns an NFS version off: an NFSv4-only bridge closes the side ports on its tunnel instead
 * (src/nft).
 *
 * The ports are pinned whenever a running bridge serves NFS from this host, even without NFSv3:
 * rpc-statd and nfs-mountd run anyway (nfs-server.service wants and requires them), and a fixed
 * port is never worse than the random one rpcbind would hand out, which could land on a port
 * another bridge or service relies on. Where the administrator pinned a port in nfs.conf(5), the
 * option is left out and their value stands (Host.nfs_conf, host.c). */

#define NFS_UTILS_ENV_DIR "/run/nfswg"

/* Every bridge that serves NFS from this host, sorted by name; *ret_n of them. */
static const Bridge **nfs_bridges(const Host *h, size_t *ret_n) {
        const Bridge **v = host_bridges_sorted(h);
        size_t n = 0;
        if (!v)
                return NULL;
        for (size_t i = 0; i < h->n_bridges; i++)
                if (bridge_serves_nfs(v[i]))
                        v[n++] = v[i];
        v[n] = NULL;
        *ret_n = n;
        return v;
}

char *nfs_utils_env_path(const char *bridge_name) {
        char *p;
        if (asprintf(&p, NFS_UTILS_ENV_DIR "/%s/nfs-utils.env", bridge_name) < 0)
                return NULL;
        return p;
}

/* The header, then After= and EnvironmentFile= for each bridge that serves NFS: ordered after the
 * bridges (ordering only, no Wants=) so that at boot their environment file exists when the daemon
 * starts; any bridge's file will do, since the values are host-wide. */
static void append_dropin_start(StrBuf *s, const Host *h, const char *daemon) {
        size_t n;
        _cleanup_free_ const Bridge **v = nfs_bridges(h, &n);
        if (!v) {
                s->oom = true;
                return;
        }
        emit_header_host(s, v, n);
        strbuf_appendf(s,
                       "# Inert until a bridge runs: the options below come from the environment file\n"
                       "# that nfswg@NAME.service writes while it runs. Without one, %s starts\n"
                       "# exactly as packaged (nfswg-generator(8)).\n"
                       "\n[Unit]\n",
                       daemon);
        for (size_t i = 0; i < n; i++)
                strbuf_appendf(s, "After=nfswg@%s.service\n", v[i]->name);
        strbuf_append(s, "\n[Service]\n");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = nfs_utils_env_path(v[i]->name);
                if (!path) {
                        s->oom = true;
                        return;
                }
                strbuf_appendf(s, "EnvironmentFile=-%s\n", path);
        }
}

/* rpc.statd(8) --port for its own RPC listener, --outgoing-port for the notifications it sends;
 * --nlm-port/--nlm-udp-port set the kernel lock manager's (lockd) ports before lockd starts. */
char *emit_statd_dropin(const Host *h) {
        _cleanup_(strbuf_done) StrBuf s = {};

        append_dropin_start(&s, h, "rpc.statd");
        strbuf_append(&s, "ExecStart=\nExecStart=/sbin/rpc.statd $NFSWG_STATD_ARGS\n");
        return strbuf_finish(&s);
}

/* rpc.mountd(8) --port. */
char *emit_mountd_dropin(const Host *h) {
        _cleanup_(strbuf_done) StrBuf s = {};

        append_dropin_start(&s, h, "rpc.mountd");
        strbuf_append(&s, "ExecStart=\nExecStart=/usr/sbin/rpc.mountd $NFSWG_MOUNTD_ARGS\n");
        return strbuf_finish(&s);
}

/* nfs-server.service starts after the bridges that export through it, so their
 * /etc/exports.d fragments are in place when its ExecStartPre= runs `exportfs -r`. Ordering only
 * (After=): restarting the NFS server must not start a bridge the administrator stopped.
 * ExecStart= stays as packaged (rpc.nfsd with nfs.conf's versions and threads). nfsd(7):
 * max_block_size can only change while no nfsd thread runs, which is the case before rpc.nfsd
 * starts them; "-": a failure must not keep the server down (systemd logs it). */
char *emit_nfs_server_dropin(const Host *h) {
        _cleanup_(strbuf_done) StrBuf s = {};

        append_dropin_start(&s, h, "the NFS server");
        strbuf_append(&s, "ExecStartPre=-" NFSWG_GENERATORDIR "/nfswg-generator --nfsd-max-block-size\n");
        return strbuf_finish(&s);
}

/* One option per pin the administrator left to nfswg. */
static void append_option(StrBuf *s, bool *first, const NfsConf *c, NfsConfKey key, const char *option,
                          unsigned port) {
        if (c->pins[key].port)
                return;
        strbuf_appendf(s, "%s%s %u", *first ? "" : " ", option, port);
        *first = false;
}

static void append_pinned_notes(StrBuf *s, const NfsConf *c) {
        for (NfsConfKey k = 0; k < _NFS_CONF_KEY_MAX; k++) {
                const NfsConfPin *p = &c->pins[k];
                if (!p->port)
                        continue;
                strbuf_appendf(s, "# %s=%u is the administrator's", nfs_conf_key_name(k), (unsigned) p->port);
                if (p->id)
                        strbuf_appendf(s, " (%s:%u)", p->id, p->line);
                strbuf_append(s, ": no option for it here.\n");
        }
}

/* systemd.exec(5) EnvironmentFile=: one VAR="value" per line; the values are port numbers and
 * option names, so they need no escaping. */
char *emit_nfs_utils_env(const Host *h, const Bridge *b) {
        _cleanup_(strbuf_done) StrBuf s = {};
        const NfsConf *c = &h->nfs_conf;
        const NfsSettings *n = &h->nfs;
        bool first = true;

        emit_header_daemon(&s, b);
        strbuf_append(&s,
                      "# Read by rpc-statd.service, nfs-mountd.service and nfs-server.service through\n"
                      "# nfswg-generator's drop-ins when they start; the values are host-wide.\n");
        append_pinned_notes(&s, c);

        strbuf_append(&s, "NFSWG_STATD_ARGS=\"");
        append_option(&s, &first, c, NFS_CONF_STATD_PORT, "--port", n->statd_port);
        append_option(&s, &first, c, NFS_CONF_STATD_OUTGOING_PORT, "--outgoing-port", n->statd_outgoing_port);
        append_option(&s, &first, c, NFS_CONF_LOCKD_PORT, "--nlm-port", n->lockd_port);
        append_option(&s, &first, c, NFS_CONF_LOCKD_UDP_PORT, "--nlm-udp-port", n->lockd_udp_port);
        strbuf_append(&s, "\"\n");

        first = true;
        strbuf_append(&s, "NFSWG_MOUNTD_ARGS=\"");
        append_option(&s, &first, c, NFS_CONF_MOUNTD_PORT, "--port", n->mountd_port);
        strbuf_append(&s, "\"\n");

        if (n->max_block_size > 0)
                strbuf_appendf(&s, "NFSWG_MAX_BLOCK_SIZE=%u\n", n->max_block_size);
        return strbuf_finish(&s);
}
