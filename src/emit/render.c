/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include "emit/emit.h"
#include "emit/emit-internal.h"
#include "emit/render.h"
#include "shared/fileio.h"
#include "shared/log.h"

#define GENERATOR_DIR "/run/systemd/generator"
#define NETWORKD_DIR "/run/systemd/network"
#define EXPORTS_DIR "/etc/exports.d"

void render_list_done(RenderList *l) {
        for (size_t i = 0; i < l->n_files; i++) {
                free(l->files[i].path);
                free(l->files[i].content);
        }
        free(l->files);
        *l = (RenderList) {};
}

/* Takes content (NULL means the emitter ran out of memory). */
static int render_add(RenderList *l, char *path, char *content, RenderKind kind, mode_t mode, bool network_group) {
        if (!path || !content) {
                free(path);
                free(content);
                return -ENOMEM;
        }
        RenderFile *f = ARRAY_PUSH(l->files, l->n_files);
        if (!f) {
                free(path);
                free(content);
                return -ENOMEM;
        }
        *f = (RenderFile) {
                .path = path,
                .content = content,
                .kind = kind,
                .mode = mode,
                .network_group = network_group,
        };
        return 0;
}

static char *path_join(const char *a, const char *b) {
        char *p;
        if (asprintf(&p, "%s/%s", a, b) < 0)
                return NULL;
        return p;
}

static int render_add_symlink(RenderList *l, const char *dir, const char *name, const char *target) {
        char *path;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        return render_add(l, path, strdup(target), RENDER_SYMLINK, 0777, false);
}

/* Client mode: a .mount per [Mount], its .automount when Automount=yes, and the symlink that
 * pulls one of them into nfswg@NAME.service, and only there: not into remote-fs.target (as
 * systemd-fstab-generator would for fstab), so a bridge the administrator did not enable mounts
 * nothing. `systemctl enable --now nfswg@NAME` (enable reloads the manager, which runs this
 * generator) arms the shares with the tunnel, and so does every boot that starts the bridge. No
 * ordering comes with that Wants=: the .mount is ordered after the service by itself. */
static int render_mounts(const Bridge *b, RenderList *out) {
        _cleanup_free_ char *service_wants = NULL;
        if (b->n_mounts > 0 && asprintf(&service_wants, "nfswg@%s.service.wants", b->name) < 0)
                return -ENOMEM;

        for (size_t i = 0; i < b->n_mounts; i++) {
                const Mount *m = &b->mounts[i];
                _cleanup_free_ char *mount_name = NULL, *automount_name = NULL, *target = NULL;
                int r;

                r = unit_name_from_path(m->where, "mount", &mount_name);
                if (r < 0)
                        return r;
                r = unit_name_from_path(m->where, "automount", &automount_name);
                if (r < 0)
                        return r;

                r = render_add(out, strdup(mount_name), emit_mount_unit(b, m), RENDER_FILE, 0644, false);
                if (r < 0)
                        return r;
                if (m->automount) {
                        r = render_add(out, strdup(automount_name), emit_automount_unit(b, m), RENDER_FILE, 0644,
                                       false);
                        if (r < 0)
                                return r;
                }
                const char *wanted = m->automount ? automount_name : mount_name;
                target = path_join("..", wanted);
                if (!target)
                        return -ENOMEM;
                r = render_add_symlink(out, service_wants, wanted, target);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* systemd.generator(7) allows a generator to enable units; this one never does. Everything it
 * writes acts only once the administrator enabled or started a bridge (`systemctl enable --now
 * nfswg@NAME`, the one switch; `disable` then works as for any unit): the Wants= symlinks hang
 * below nfswg@NAME.service, and the nfs-utils drop-ins are inert without a running bridge. */
int render_generator(const Host *h, RenderList *out) {
        _cleanup_free_ const Bridge **v = host_bridges_sorted(h);
        bool serves_nfs = false;
        int r;

        if (!v)
                return -ENOMEM;

        for (size_t i = 0; i < h->n_bridges; i++) {
                const Bridge *b = v[i];

                /* A bridge that exports pulls in the NFS server when it starts; the template cannot
                 * say so itself, since a client-mode bridge must not start nfsd. */
                if (bridge_serves_nfs(b)) {
                        _cleanup_free_ char *wants = NULL;
                        if (asprintf(&wants, "nfswg@%s.service.wants", b->name) < 0)
                                return -ENOMEM;
                        r = render_add_symlink(out, wants, "nfs-server.service", NFSWG_UNITDIR "/nfs-server.service");
                        if (r < 0)
                                return r;
                }

                if (b->mode == BRIDGE_MODE_CLIENT) {
                        r = render_mounts(b, out);
                        if (r < 0)
                                return r;
                }
                serves_nfs = serves_nfs || bridge_serves_nfs(b);
        }

        /* The NFS server's units are only touched on a host that serves NFS for a bridge. */
        if (serves_nfs) {
                r = render_add(out, strdup("nfs-server.service.d/50-nfswg.conf"), emit_nfs_server_dropin(h),
                               RENDER_FILE, 0644, false);
                if (r < 0)
                        return r;
                r = render_add(out, strdup("nfs-mountd.service.d/50-nfswg.conf"), emit_mountd_dropin(h), RENDER_FILE,
                               0644, false);
                if (r < 0)
                        return r;
                r = render_add(out, strdup("rpc-statd.service.d/50-nfswg.conf"), emit_statd_dropin(h), RENDER_FILE,
                               0644, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

int render_daemon(const Host *h, const Bridge *b, RenderList *out) {
        char *path;
        int r;

        /* systemd.network(5): 0640 root:systemd-network, as networkd reads them and they name key
         * files (DESIGN.md). With Backend=userspace wireguard-go owns the device and the daemon
         * sets its addresses itself: networkd must not try to create a kernel device of the name.
         * Backend=auto renders as kernel: which one the daemon takes depends on the kernel it runs
         * on, and with userspace it writes no networkd file. */
        if (b->backend != BACKEND_USERSPACE) {
                if (asprintf(&path, NETWORKD_DIR "/50-nfswg-%s.netdev", b->name) < 0)
                        return -ENOMEM;
                r = render_add(out, path, emit_netdev(b), RENDER_FILE, 0640, true);
                if (r < 0)
                        return r;
                if (asprintf(&path, NETWORKD_DIR "/50-nfswg-%s.network", b->name) < 0)
                        return -ENOMEM;
                r = render_add(out, path, emit_network(h, b), RENDER_FILE, 0640, true);
                if (r < 0)
                        return r;
        }

        if (b->n_exports > 0) {
                if (asprintf(&path, EXPORTS_DIR "/nfswg-%s.exports", b->name) < 0)
                        return -ENOMEM;
                r = render_add(out, path, emit_exports(b), RENDER_FILE, 0644, false);
                if (r < 0)
                        return r;
        }

        /* What nfs-utils' daemons read through the generator's drop-ins while this bridge runs. */
        if (bridge_serves_nfs(b)) {
                r = render_add(out, nfs_utils_env_path(b->name), emit_nfs_utils_env(h, b), RENDER_FILE, 0644, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

int render_all(const Host *h, RenderList *out) {
        _cleanup_(render_list_done) RenderList gen = {};
        _cleanup_free_ const Bridge **v = host_bridges_sorted(h);
        int r;

        if (!v)
                return -ENOMEM;

        r = render_generator(h, &gen);
        if (r < 0)
                return r;
        for (size_t i = 0; i < gen.n_files; i++) {
                RenderFile *f = &gen.files[i];
                r = render_add(out, path_join(GENERATOR_DIR, f->path), TAKE_PTR(f->content), f->kind, f->mode,
                               f->network_group);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < h->n_bridges; i++) {
                r = render_daemon(h, v[i], out);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int render_file_write(const RenderFile *f, const char *root) {
        _cleanup_free_ char *full = NULL;
        int r;

        /* Paths are absolute (render_all, render_daemon) or relative to a directory given as root
         * (the generator's output directory). */
        if (asprintf(&full, "%s%s%s", root, f->path[0] == '/' ? "" : "/", f->path) < 0)
                return log_oom();

        r = mkdir_parents(full, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create the directories for %s: %m", full);

        if (f->kind == RENDER_SYMLINK) {
                r = symlink_atomic(f->content, full);
                if (r < 0)
                        return log_error_errno(r, "Cannot link %s to %s: %m", full, f->content);
                return 0;
        }

        /* Group systemd-network only on the live system: under a test root, or when not root, or
         * where the group does not exist, the files keep the writer's group. */
        gid_t gid = (gid_t) -1;
        if (f->network_group && isempty(root) && geteuid() == 0)
                gid = systemd_network_gid();

        r = write_file_atomic(full, f->content, f->mode, (uid_t) -1, gid);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m", full);
        return 0;
}

int render_list_write(const RenderList *l, const char *root) {
        root = strempty(root);
        for (size_t i = 0; i < l->n_files; i++) {
                int r = render_file_write(&l->files[i], root);
                if (r < 0)
                        return r;
        }
        return 0;
}
