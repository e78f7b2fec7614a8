/* SPDX-License-Identifier: MIT */
/* The render lists (which files, where, with which mode) and writing them under a root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "emit/render.h"
#include "shared/fileio.h"
#include "shared/macro.h"

typedef struct Fixture {
        Bridge server, client;
        Bridge *bridges[2];
        Host h;
        IpPrefix saddr, caddr, paddr;
        Peer peer;
        Export export;
        Mount mounts[2];
} Fixture;

static void fixture_init(Fixture *f) {
        *f = (Fixture) {};
        assert_int_equal(ip_prefix_parse("10.8.0.1/24", false, &f->saddr), 0);
        assert_int_equal(ip_prefix_parse("10.8.0.2/32", false, &f->paddr), 0);
        assert_int_equal(ip_prefix_parse("10.9.0.2/24", false, &f->caddr), 0);
        f->peer = (Peer) { .name = (char *) "laptop", .addresses = &f->paddr, .n_addresses = 1 };
        f->export = (Export) { .path = (char *) "/srv/nfswg", .all_peers = true, .anon_uid = 65534, .anon_gid = 65534 };
        f->server = (Bridge) {
                .name = (char *) "bridge", .config_id = (char *) "/etc/nfswg/bridge.conf",
                .mode = BRIDGE_MODE_EMBEDDED, .interface = (char *) "nfswg0", .addresses = &f->saddr,
                .n_addresses = 1, .listen_port = 51820, .private_key_file = (char *) "/var/lib/nfswg/bridge/private.key",
                .nfs_versions = NFS_V4_2, .exports = &f->export, .n_exports = 1, .peers = &f->peer, .n_peers = 1,
        };
        f->mounts[0] = (Mount) { .what = (char *) "10.9.0.1:/srv/nfswg", .where = (char *) "/mnt/nfswg",
                                 .options = (char *) DEFAULT_MOUNT_OPTIONS, .automount = true };
        f->mounts[1] = (Mount) { .what = (char *) "10.9.0.1:/srv/media", .where = (char *) "/mnt/media files",
                                 .options = (char *) DEFAULT_MOUNT_OPTIONS };
        f->client = (Bridge) {
                .name = (char *) "office", .config_id = (char *) "/etc/nfswg/office.conf",
                .mode = BRIDGE_MODE_CLIENT, .interface = (char *) "nfswg-office", .addresses = &f->caddr,
                .n_addresses = 1, .private_key_file = (char *) "/var/lib/nfswg/office/private.key",
                .mounts = f->mounts, .n_mounts = 2,
        };
        /* deliberately not in name order: output must not depend on it */
        f->bridges[0] = &f->client;
        f->bridges[1] = &f->server;
        f->h = (Host) { .bridges = f->bridges, .n_bridges = 2,
                        .nfs = { .mountd_port = 20048, .statd_port = 32765, .statd_outgoing_port = 32766,
                                 .lockd_port = 4045, .lockd_udp_port = 4045 } };
}

static const RenderFile *find(const RenderList *l, const char *path) {
        for (size_t i = 0; i < l->n_files; i++)
                if (streq(l->files[i].path, path))
                        return &l->files[i];
        return NULL;
}

static void test_render_generator(void **state) {
        Fixture f;
        fixture_init(&f);
        _cleanup_(render_list_done) RenderList l = {};
        assert_int_equal(render_generator(&f.h, &l), 0);

        /* No enablement: nothing pulls a bridge (or a share) into multi-user.target, nfswg.target or
         * remote-fs.target; every Wants= link hangs below the bridge's own unit. */
        static const char *const expected[] = {
                "nfswg@bridge.service.wants/nfs-server.service",
                "mnt-nfswg.mount",
                "mnt-nfswg.automount",
                "mnt-media\\x20files.mount",
                "nfswg@office.service.wants/mnt-nfswg.automount",
                "nfswg@office.service.wants/mnt-media\\x20files.mount",
                "nfs-server.service.d/50-nfswg.conf",
                "nfs-mountd.service.d/50-nfswg.conf",
                "rpc-statd.service.d/50-nfswg.conf",
        };
        assert_int_equal(l.n_files, ELEMENTSOF(expected));
        for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
                const RenderFile *r = find(&l, expected[i]);
                assert_non_null(r);
                assert_int_equal(r->mode & 0777, r->kind == RENDER_SYMLINK ? 0777 : 0644);
        }
        for (size_t i = 0; i < l.n_files; i++) {
                assert_null(strstr(l.files[i].path, "multi-user.target"));
                assert_null(strstr(l.files[i].path, "nfswg.target"));
                assert_null(strstr(l.files[i].path, "remote-fs.target"));
        }
        /* the exporting bridge pulls in nfsd when it starts, the client-mode one does not */
        const RenderFile *r = find(&l, "nfswg@bridge.service.wants/nfs-server.service");
        assert_int_equal(r->kind, RENDER_SYMLINK);
        assert_string_equal(r->content, "/lib/systemd/system/nfs-server.service");
        assert_null(find(&l, "nfswg@office.service.wants/nfs-server.service"));
        /* enable --now nfswg@office arms its shares, and only that does */
        r = find(&l, "nfswg@office.service.wants/mnt-nfswg.automount");
        assert_string_equal(r->content, "../mnt-nfswg.automount");
        /* Automount=no: no .automount, the .mount itself is wanted */
        assert_null(find(&l, "mnt-media\\x20files.automount"));
}

static void test_render_generator_no_nfs_server(void **state) {
        Fixture f;
        fixture_init(&f);
        f.h.bridges[0] = &f.client;
        f.h.n_bridges = 1;
        _cleanup_(render_list_done) RenderList l = {};
        assert_int_equal(render_generator(&f.h, &l), 0);
        /* a client-only host leaves nfs-utils' units alone */
        for (size_t i = 0; i < l.n_files; i++)
                assert_null(strstr(l.files[i].path, "50-nfswg.conf"));
}

static void test_render_all(void **state) {
        Fixture f;
        fixture_init(&f);
        _cleanup_(render_list_done) RenderList l = {};
        assert_int_equal(render_all(&f.h, &l), 0);

        const RenderFile *r = find(&l, "/run/systemd/network/50-nfswg-bridge.netdev");
        assert_non_null(r);
        assert_int_equal(r->mode, 0640);
        assert_true(r->network_group);
        r = find(&l, "/run/systemd/network/50-nfswg-office.network");
        assert_non_null(r);
        assert_true(r->network_group);
        r = find(&l, "/etc/exports.d/nfswg-bridge.exports");
        assert_non_null(r);
        assert_int_equal(r->mode, 0644);
        assert_false(r->network_group);
        /* a client exports nothing */
        assert_null(find(&l, "/etc/exports.d/nfswg-office.exports"));
        assert_non_null(find(&l, "/run/systemd/generator/rpc-statd.service.d/50-nfswg.conf"));
        assert_non_null(find(&l, "/run/systemd/generator/nfswg@office.service.wants/mnt-nfswg.automount"));
        /* the environment file of nfs-utils' drop-ins: the exporting bridge's only */
        r = find(&l, "/run/nfswg/bridge/nfs-utils.env");
        assert_non_null(r);
        assert_int_equal(r->mode, 0644);
        assert_false(r->network_group);
        assert_non_null(strstr(r->content, "NFSWG_STATD_ARGS="));
        assert_null(find(&l, "/run/nfswg/office/nfs-utils.env"));
        for (size_t i = 0; i < l.n_files; i++)
                assert_true(l.files[i].path[0] == '/');
}

static void test_render_daemon_userspace_has_no_networkd_files(void **state) {
        Fixture f;
        fixture_init(&f);
        RenderList l = {};
        assert_int_equal(render_daemon(&f.h, &f.server, &l), 0);
        assert_non_null(find(&l, "/run/systemd/network/50-nfswg-bridge.netdev"));
        render_list_done(&l);

        f.server.backend = BACKEND_USERSPACE;
        assert_int_equal(render_daemon(&f.h, &f.server, &l), 0);
        assert_null(find(&l, "/run/systemd/network/50-nfswg-bridge.netdev"));
        assert_null(find(&l, "/run/systemd/network/50-nfswg-bridge.network"));
        assert_non_null(find(&l, "/etc/exports.d/nfswg-bridge.exports"));
        render_list_done(&l);
}

static void test_render_write(void **state) {
        Fixture f;
        fixture_init(&f);
        char tmp[] = "/tmp/nfswg-test-render-XXXXXX";
        assert_non_null(mkdtemp(tmp));
        char root[sizeof tmp + 8];
        snprintf(root, sizeof root, "%s/root", tmp);

        _cleanup_(render_list_done) RenderList l = {};
        assert_int_equal(render_all(&f.h, &l), 0);
        assert_int_equal(render_list_write(&l, root), 0);

        struct stat st, st2;
        char path[512], link[256];
        snprintf(path, sizeof path, "%s/run/systemd/network/50-nfswg-bridge.netdev", root);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        /* under a test root the group is left alone */
        assert_int_equal(st.st_gid, getegid());
        _cleanup_free_ char *content = NULL;
        assert_int_equal(read_full_file(path, &content, NULL), 0);
        assert_string_equal(content, find(&l, "/run/systemd/network/50-nfswg-bridge.netdev")->content);

        snprintf(path, sizeof path, "%s/run/systemd/generator/nfswg@bridge.service.wants/nfs-server.service", root);
        ssize_t n = readlink(path, link, sizeof link - 1);
        assert_true(n > 0);
        link[n] = '\0';
        assert_string_equal(link, "/lib/systemd/system/nfs-server.service");

        snprintf(path, sizeof path, "%s/run/systemd/generator", root);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0755);

        /* a second write changes nothing, not even the mtime */
        snprintf(path, sizeof path, "%s/etc/exports.d/nfswg-bridge.exports", root);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(render_list_write(&l, root), 0);
        assert_int_equal(stat(path, &st2), 0);
        assert_int_equal(st.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
        assert_int_equal(st.st_ino, st2.st_ino);

        /* relative paths (the generator's) land under the directory given */
        _cleanup_(render_list_done) RenderList g = {};
        assert_int_equal(render_generator(&f.h, &g), 0);
        snprintf(path, sizeof path, "%s/normal", tmp);
        assert_int_equal(render_list_write(&g, path), 0);
        snprintf(path, sizeof path, "%s/normal/nfs-server.service.d/50-nfswg.conf", tmp);
        assert_int_equal(stat(path, &st), 0);

        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render_generator),
                cmocka_unit_test(test_render_generator_no_nfs_server),
                cmocka_unit_test(test_render_all),
                cmocka_unit_test(test_render_daemon_userspace_has_no_networkd_files),
                cmocka_unit_test(test_render_write),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
