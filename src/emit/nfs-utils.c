/* SPDX-License-Identifier: MIT */
#include "emit/emit.h"
#include "emit/emit-internal.h"

/* Drop-ins for the units nfs-utils ships on Debian 12 (nfs-common: rpc-statd.service;
 * nfs-kernel-server: nfs-mountd.service, nfs-server.service). Each replaces ExecStart= with the
 * same binary and the same start semantics (both daemons are Type=forking there), adding only
 * the port options, so the rest of the packaged unit stays in force.
 *
 * The ports are pinned whenever this host serves NFS for a bridge, even when no bridge offers
 * NFSv3: rpc-statd and nfs-mountd run anyway (nfs-server.service wants and requires them), and a
 * fixed port is never worse than the random one rpcbind would hand out, which could land on a
 * port another bridge or service relies on. The firewall opens them only where v3 is offered. */

static void append_header(StrBuf *s, const Host *h) {
        _cleanup_free_ const Bridge **v = host_bridges_sorted(h);
        if (!v) {
                s->oom = true;
                return;
        }
        /* Only the configs the file depends on: those that serve NFS from this host. */
        size_t n = 0;
        for (size_t i = 0; i < h->n_bridges; i++)
                if (bridge_serves_nfs(v[i]))
                        v[n++] = v[i];
        emit_header_host(s, v, n);
}

/* rpc.statd(8): --port for its own RPC listener, --outgoing-port for the notifications it sends
 * (via sm-notify), --nlm-port/--nlm-udp-port set the kernel lock manager's (lockd) ports before
 * lockd starts. */
char *emit_statd_dropin(const Host *h) {
        _cleanup_(strbuf_done) StrBuf s = {};

        append_header(&s, h);
        strbuf_appendf(&s,
                       "\n[Service]\n"
                       "ExecStart=\n"
                       "ExecStart=/sbin/rpc.statd --port %u --outgoing-port %u --nlm-port %u --nlm-udp-port %u\n",
                       (unsigned) h->nfs.statd_port, (unsigned) h->nfs.statd_outgoing_port,
                       (unsigned) h->nfs.lockd_port, (unsigned) h->nfs.lockd_port);
        return strbuf_finish(&s);
}

/* rpc.mountd(8) --port. */
char *emit_mountd_dropin(const Host *h) {
        _cleanup_(strbuf_done) StrBuf s = {};

        append_header(&s, h);
        strbuf_appendf(&s, "\n[Service]\nExecStart=\nExecStart=/usr/sbin/rpc.mountd --port %u\n",
                       (unsigned) h->nfs.mountd_port);
        return strbuf_finish(&s);
}

/* nfs-server.service starts after the bridges that export through it, so their
 * /etc/exports.d fragments are in place when its ExecStartPre= runs `exportfs -r`. Ordering only
 * (After=): the bridges are enabled on their own, and restarting the NFS server must not start a
 * bridge the administrator stopped. */
char *emit_nfs_server_dropin(const Host *h) {
        _cleanup_(strbuf_done) StrBuf s = {};
        _cleanup_free_ const Bridge **v = host_bridges_sorted(h);
        unsigned versions = 0;

        if (!v)
                return NULL;

        append_header(&s, h);
        strbuf_append(&s, "\n[Unit]\n");
        for (size_t i = 0; i < h->n_bridges; i++)
                if (bridge_serves_nfs(v[i])) {
                        strbuf_appendf(&s, "After=nfswg@%s.service\n", v[i]->name);
                        versions |= v[i]->nfs_versions;
                }

        strbuf_append(&s, "\n[Service]\n");
        if (h->nfs.max_block_size > 0)
                /* nfsd(7): max_block_size can only change while no nfsd thread runs, which is the
                 * case before rpc.nfsd starts them. A failure must not keep the server down, hence
                 * "-" (systemd logs it). */
                strbuf_appendf(&s, "ExecStartPre=-/bin/sh -c 'echo %u >/proc/fs/nfsd/max_block_size'\n",
                               h->nfs.max_block_size);
        if (!(versions & NFS_V3))
                /* rpc.nfsd(8) --no-nfs-version 3: only NFSv4 over 2049, no side ports needed. The
                 * thread count still comes from nfs.conf(5). */
                strbuf_append(&s, "ExecStart=\nExecStart=/usr/sbin/rpc.nfsd --no-nfs-version 3\n");
        else
                strbuf_append(&s, "# A bridge offers NFSv3 (NFSVersions=3): rpc.nfsd starts as packaged.\n");

        return strbuf_finish(&s);
}
