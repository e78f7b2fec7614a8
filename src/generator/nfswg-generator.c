/* SPDX-License-Identifier: MIT */
/* nfswg-generator NORMAL EARLY LATE (systemd.generator(7)).
 *
 * Reads every /etc/nfswg/ *.conf and /etc/nfs.conf (+ nfs.conf.d/; under $NFSWG_ROOT instead, for
 * tests) and writes into NORMAL only: the nfs-utils drop-ins, the Wants= symlinks below
 * nfswg@NAME.service and client mode's mount units. It never enables anything: all of it acts only
 * once the administrator enables or starts a bridge. A config that fails validation is logged (one
 * "FILE:LINE: message" line per problem, to /dev/kmsg as generators must) and skipped; the others
 * are still written. Nothing here may block boot: no IPC, no network, and exit 0 unless called
 * wrongly.
 *
 * nfswg-generator --nfsd-max-block-size: the ExecStartPre= of nfs-server.service's drop-in. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

#include "emit/render.h"
#include "model/bridge.h"
#include "shared/log.h"
#include "shared/parse.h"

static void log_setup_generator(const char *root) {
        log_set_ident("nfswg-generator");
        /* systemd.generator(7): generators log to the kernel log buffer; stderr is not collected
         * that early. A test (NFSWG_ROOT set) or a system without a writable /dev/kmsg reads
         * stderr. */
        if (!isempty(root) || access("/dev/kmsg", W_OK) < 0)
                log_set_target(LOG_TARGET_STDERR);
        else
                log_set_target(LOG_TARGET_KMSG);
}

static void count_messages(int level, const char *message, void *userdata) {
        (*(unsigned *) userdata)++;
}

/* The problems host_check() finds among these bridges, counted without logging them again. */
static unsigned host_problems(const Host *h, Bridge **bridges, size_t n) {
        /* The administrator's nfs.conf pins stay the host's, borrowed: trial is never freed. */
        Host trial = { .bridges = bridges, .n_bridges = n, .nfs_conf = h->nfs_conf };
        unsigned count = 0;

        log_set_sink(count_messages, &count);
        (void) host_check(&trial);
        log_set_sink(NULL, NULL);
        return count;
}

/* host_load() drops the configs that fail on their own, but keeps those that clash with each
 * other or with the administrator's nfs.conf (ports, interfaces, [NFS] values, To=@OTHER naming a
 * skipped bridge); host_check() has
 * logged those problems already. Remove bridges, one at a time, the one whose removal solves
 * most problems (on a tie the later name, so the config that was there first keeps working),
 * until the rest agree: a config in conflict gets nothing written, as an invalid one. */
static int host_drop_conflicting(Host *h) {
        unsigned problems = host_problems(h, h->bridges, h->n_bridges);

        while (problems > 0 && h->n_bridges > 0) {
                _cleanup_free_ Bridge **rest = calloc(h->n_bridges, sizeof(Bridge *));
                size_t victim = 0;
                unsigned best = UINT_MAX;

                if (!rest)
                        return log_oom();
                for (size_t i = 0; i < h->n_bridges; i++) {
                        size_t n = 0;
                        for (size_t j = 0; j < h->n_bridges; j++)
                                if (j != i)
                                        rest[n++] = h->bridges[j];
                        unsigned p = host_problems(h, rest, n);
                        if (p <= best) {
                                best = p;
                                victim = i;
                        }
                }

                Bridge *b = h->bridges[victim];
                log_error("%s: skipped, nothing generated for it: it conflicts with another bridge or with "
                          "nfs.conf (see above).",
                          b->sources[0]);
                bridge_free(b);
                memmove(h->bridges + victim, h->bridges + victim + 1,
                        (h->n_bridges - victim - 1) * sizeof(Bridge *));
                h->n_bridges--;
                problems = best;
        }

        /* Recompute the agreed host-wide values (h->nfs) for the bridges that remain. */
        unsigned count = 0;
        log_set_sink(count_messages, &count);
        int r = host_check(h);
        log_set_sink(NULL, NULL);
        return r;
}

static int run(const char *normal_dir) {
        const char *root = getenv("NFSWG_ROOT");
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_(render_list_done) RenderList l = {};
        int r;

        log_setup_generator(root);

        /* -EINVAL: some config is invalid, each problem logged already; h holds the valid ones. */
        r = host_load(strempty(root), &h);
        if (r < 0 && r != -EINVAL)
                return r;
        if (!h)
                return 0;
        if (r == -EINVAL) {
                r = host_drop_conflicting(h);
                if (r < 0)
                        return r;
        }

        r = render_generator(h, &l);
        if (r < 0)
                return log_error_errno(r, "Cannot render the generated units: %m");
        return render_list_write(&l, normal_dir);
}

/* nfsd(7) max_block_size from $NFSWG_MAX_BLOCK_SIZE, which only a running bridge's environment
 * file sets (nfs-utils.c): without it, nothing happens and the kernel's default stays. A program
 * rather than "sh -c 'echo'": the value is checked again here, and no shell parses anything.
 * $NFSWG_ROOT prefixes the path, for tests. */
static int set_nfsd_max_block_size(void) {
        const char *value = getenv("NFSWG_MAX_BLOCK_SIZE"), *root = getenv("NFSWG_ROOT");
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        char text[16];
        unsigned size;

        /* A unit's ExecStartPre=: stderr goes to the journal. */
        log_set_ident("nfswg-generator");
        log_set_target(LOG_TARGET_STDERR);

        if (isempty(value))
                return 0;
        if (parse_unsigned(value, 4096, 1048576, &size) < 0 || (size & (size - 1)) != 0)
                return log_error_errno(EINVAL, "NFSWG_MAX_BLOCK_SIZE= is not a power of two between 4096 and 1048576; "
                                       "max_block_size left alone.");
        if (asprintf(&path, "%s/proc/fs/nfsd/max_block_size", strempty(root)) < 0)
                return log_oom();

        /* An existing file only: /proc/fs/nfsd is mounted by proc-fs-nfsd.mount, which
         * nfs-server.service requires. */
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_TRUNC);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", path);
        int l = snprintf(text, sizeof text, "%u\n", size);
        ssize_t k = write(fd, text, (size_t) l);
        if (k < 0)
                /* EBUSY: nfsd threads are running (nfsd(7)); the next start of the server applies it. */
                return log_error_errno(errno, "Cannot write %u to %s: %m", size, path);
        if (k != l)
                return log_error_errno(EIO, "Short write of %u to %s.", size, path);
        log_info("NFS server: max_block_size set to %u bytes (MaxBlockSize=).", size);
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 2 && streq(argv[1], "--nfsd-max-block-size"))
                return set_nfsd_max_block_size() < 0 ? 1 : 0;

        /* systemd always passes three directories; one is accepted for running it by hand. */
        if (argc != 2 && argc != 4) {
                fprintf(stderr, "Usage: %s NORMAL-DIR [EARLY-DIR LATE-DIR]\n", argv[0]);
                return 2;
        }
        if (isempty(argv[1])) {
                fprintf(stderr, "%s: the output directory must not be empty.\n", argv[0]);
                return 2;
        }
        return run(argv[1]) < 0 ? 1 : 0;
}
