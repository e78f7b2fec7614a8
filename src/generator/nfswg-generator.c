/* SPDX-License-Identifier: MIT */
/* nfswg-generator NORMAL EARLY LATE (systemd.generator(7)).
 *
 * Reads every /etc/nfswg/ *.conf (or $NFSWG_ROOT/etc/nfswg, for tests) and writes into NORMAL only:
 * the nfs-utils drop-ins, the enablement symlinks of nfswg@NAME.service and client mode's mount
 * units. A config that fails validation is logged (one "FILE:LINE: message" line per problem,
 * to /dev/kmsg as generators must) and skipped; the others are still written. Nothing here may
 * block boot: no IPC, no network, and exit 0 unless called wrongly. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

#include "emit/render.h"
#include "model/bridge.h"
#include "shared/log.h"

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
static unsigned host_problems(Bridge **bridges, size_t n) {
        Host trial = { .bridges = bridges, .n_bridges = n };
        unsigned count = 0;

        log_set_sink(count_messages, &count);
        (void) host_check(&trial);
        log_set_sink(NULL, NULL);
        return count;
}

/* host_load() drops the configs that fail on their own, but keeps those that clash with each
 * other (ports, interfaces, [NFS] values, To=@OTHER naming a skipped bridge); host_check() has
 * logged those problems already. Remove bridges, one at a time, the one whose removal solves
 * most problems (on a tie the later name, so the config that was there first keeps working),
 * until the rest agree: a config in conflict gets nothing written, as an invalid one. */
static int host_drop_conflicting(Host *h) {
        unsigned problems = host_problems(h->bridges, h->n_bridges);

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
                        unsigned p = host_problems(rest, n);
                        if (p <= best) {
                                best = p;
                                victim = i;
                        }
                }

                Bridge *b = h->bridges[victim];
                log_error("%s: skipped, nothing generated for it: it conflicts with another bridge (see above).",
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

int main(int argc, char *argv[]) {
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
