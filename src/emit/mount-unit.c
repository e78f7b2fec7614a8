/* SPDX-License-Identifier: MIT */
#include "emit/emit.h"
#include "emit/emit-internal.h"

/* How long a mount may take before systemd gives up on it, so a dead server never holds up
 * boot or `systemctl` (systemd.mount(5) TimeoutSec=, x-systemd.mount-timeout=). */
#define MOUNT_TIMEOUT_SEC 30
/* An idle automounted share is unmounted after this long (systemd.automount(5)). */
#define AUTOMOUNT_IDLE_SEC 600

static bool options_have(const char *options, const char *opt) {
        size_t l = strlen(opt);
        for (const char *p = options; p && *p;) {
                const char *end = strchr(p, ',');
                size_t n = end ? (size_t) (end - p) : strlen(p);
                if (n == l && strncmp(p, opt, l) == 0)
                        return true;
                if (n > l && strncmp(p, opt, l) == 0 && p[l] == '=')
                        return true;
                p += n + (end ? 1 : 0);
        }
        return false;
}

static void append_unit_section(StrBuf *s, const Bridge *b, const Mount *m) {
        emit_header_generator(s, b);
        strbuf_appendf(s,
                       "\n[Unit]\n"
                       "Description=nfswg share %s of %s\n"
                       "SourcePath=%s\n",
                       m->what, b->name, b->config_id);
}

/* systemd.mount(5). A native unit rather than an fstab line, so it can require the tunnel it
 * travels through: Requires= + After= nfswg@NAME.service. Type=nfs and _netdev make systemd treat
 * it as a network mount (ordered after network-online.target, before remote-fs.target).
 * x-systemd.mount-timeout= repeats TimeoutSec= for a reader used to fstab; mount(8) passes no
 * x-* option to mount.nfs. */
char *emit_mount_unit(const Bridge *b, const Mount *m) {
        _cleanup_(strbuf_done) StrBuf s = {};
        const char *options = m->options ?: DEFAULT_MOUNT_OPTIONS;

        append_unit_section(&s, b, m);
        strbuf_appendf(&s,
                       "Requires=nfswg@%s.service\n"
                       "After=nfswg@%s.service\n"
                       "\n[Mount]\n"
                       "What=%s\n"
                       "Where=%s\n"
                       "Type=nfs\n"
                       "Options=%s",
                       b->name, b->name, m->what, m->where, options);
        if (!options_have(options, "_netdev"))
                strbuf_append(&s, ",_netdev");
        if (!options_have(options, "x-systemd.mount-timeout"))
                strbuf_appendf(&s, ",x-systemd.mount-timeout=%u", MOUNT_TIMEOUT_SEC);
        strbuf_appendf(&s, "\nTimeoutSec=%u\n", MOUNT_TIMEOUT_SEC);

        return strbuf_finish(&s);
}

/* systemd.automount(5): the share is mounted on first access, so boot never waits for the
 * server, and unmounted again when idle. */
char *emit_automount_unit(const Bridge *b, const Mount *m) {
        _cleanup_(strbuf_done) StrBuf s = {};

        append_unit_section(&s, b, m);
        strbuf_appendf(&s,
                       "Before=remote-fs.target\n"
                       "\n[Automount]\n"
                       "Where=%s\n"
                       "TimeoutIdleSec=%u\n",
                       m->where, AUTOMOUNT_IDLE_SEC);

        return strbuf_finish(&s);
}
