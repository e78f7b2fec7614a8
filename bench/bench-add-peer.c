/* SPDX-License-Identifier: MIT */
/* nfswg-bench-add-peer: the cost of adding one peer to a running bridge, incrementally and by
 * re-applying everything.
 *
 *   nfswg-bench-add-peer ROOT NAME RUNS [UAPI_DIR]
 *
 * ROOT/etc/nfswg/NAME.conf holds N+1 peers; the running bridge is the first N (a shallow copy of
 * the model with n_peers - 1), the last peer is the one added. The WireGuard interface
 * (Interface= of the config) must be served by a userspace implementation (wireguard-go) with its
 * UAPI socket in UAPI_DIR (default /run/wireguard); run it in a network namespace of its own. Each
 * run starts from the N-peer state and times, per path (RUNS times; the sync and full paths fewer
 * once $NFSWG_BENCH_BUDGET_SEC, default 5, is spent):
 *
 *   incremental  nft_update_peer_sets(+1 peer), wg_device_set() of that one peer over UAPI, and
 *                the exports fragment rewritten (emit_exports + write_file_atomic, as the daemon)
 *   sync         the same, but the WireGuard part as the daemon's reload does it: read the device
 *                (UAPI get), wg_device_diff() against the wanted peers, set the difference
 *   full         nft_apply_bridge() of the whole table, wg_device_set() of every peer with
 *                REPLACE_PEERS, and the exports fragment
 *
 * Undoing between runs is not timed. Neither path includes reading the configuration (printed once
 * as load_us) nor `exportfs -r` (no NFS server here). Prints KEY=VALUE lines (microseconds).
 * Exit 0 success, 1 failure, 2 usage. */
#include <time.h>

#include "bench.h"
#include "emit/emit.h"
#include "model/bridge.h"
#include "nft/nft.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "wg/wg.h"

typedef struct Ctx {
        const char *uapi_dir;
        const char *exports_path;
        const Bridge *full;  /* N+1 peers */
        Bridge base;         /* the first N */
        const Peer *added;   /* the last peer of full */
        WgDevice *dev_full;  /* every peer, REPLACE_PEERS */
        WgDevice *dev_base;
        WgDevice dev_one;    /* a view: the added peer only */
        WgPeer remove_one;   /* the added peer, WG_PEER_REMOVE_ME */
} Ctx;

typedef struct Path {
        BenchSamples nft, wg, exports, total;
} Path;

static int write_exports(const Ctx *c, const Bridge *b) {
        _cleanup_free_ char *text = emit_exports(b);
        if (!text)
                return -ENOMEM;
        int r = write_file_atomic(c->exports_path, text, 0644, (uid_t) -1, (gid_t) -1);
        return r < 0 ? r : 0;
}

/* Back to the N-peer state, untimed. */
static int reset(Ctx *c) {
        int r = nft_apply_bridge(NULL, &c->base);
        if (r < 0)
                return log_error_errno(r, "Cannot apply the base table: %m");
        r = wg_device_set(c->dev_base, c->uapi_dir);
        if (r < 0)
                return log_error_errno(r, "Cannot set the base device: %m");
        return write_exports(c, &c->base);
}

static int wg_set_one(Ctx *c, bool remove) {
        WgDevice d = { .peers = remove ? &c->remove_one : c->dev_one.peers, .n_peers = 1 };
        memcpy(d.ifname, c->dev_full->ifname, sizeof d.ifname);
        return wg_device_set(&d, c->uapi_dir);
}

/* The parts of the daemon's WireGuard sync, timed apart. */
static BenchSamples sync_get, sync_diff;

static int wg_sync(Ctx *c) {
        _cleanup_(wg_device_freep) WgDevice *cur = NULL, *diff = NULL;
        size_t changes;
        uint64_t t0 = bench_now_ns();
        int r = wg_device_get(c->dev_full->ifname, c->uapi_dir, &cur);
        if (r < 0)
                return r;
        uint64_t t1 = bench_now_ns();
        r = wg_device_diff(cur, c->dev_full, &diff, &changes);
        if (r < 0)
                return r;
        bench_add(&sync_get, (double) (t1 - t0) / 1000.0);
        bench_add(&sync_diff, bench_since_us(t1));
        if (changes != 1)
                return log_error_errno(EPROTO, "Expected one peer to change, the diff has %zu.", changes);
        return wg_device_set(diff, c->uapi_dir);
}

typedef enum Kind { KIND_INCREMENTAL, KIND_SYNC, KIND_FULL } Kind;

static int run_once(Ctx *c, Kind kind, Path *p) {
        const Peer *added[] = { c->added };
        uint64_t t0, t1, t2, t3;
        int r;

        t0 = bench_now_ns();
        if (kind == KIND_FULL)
                r = nft_apply_bridge(NULL, c->full);
        else
                r = nft_update_peer_sets(c->full, added, 1, NULL, 0);
        if (r < 0)
                return log_error_errno(r, "nftables: %m");
        t1 = bench_now_ns();
        if (kind == KIND_FULL)
                r = wg_device_set(c->dev_full, c->uapi_dir);
        else if (kind == KIND_SYNC)
                r = wg_sync(c);
        else
                r = wg_set_one(c, false);
        if (r < 0)
                return log_error_errno(r, "WireGuard: %m");
        t2 = bench_now_ns();
        r = write_exports(c, c->full);
        if (r < 0)
                return log_error_errno(r, "exports: %m");
        t3 = bench_now_ns();

        bench_add(&p->nft, (double) (t1 - t0) / 1000.0);
        bench_add(&p->wg, (double) (t2 - t1) / 1000.0);
        bench_add(&p->exports, (double) (t3 - t2) / 1000.0);
        bench_add(&p->total, (double) (t3 - t0) / 1000.0);

        /* Undo, untimed: the incremental paths take the peer out again the incremental way (which
         * is also checked to work), the full path re-applies the base. */
        if (kind == KIND_FULL)
                return reset(c);
        r = nft_update_peer_sets(c->full, NULL, 0, added, 1);
        if (r < 0)
                return log_error_errno(r, "nftables (undo): %m");
        r = wg_set_one(c, true);
        if (r < 0)
                return log_error_errno(r, "WireGuard (undo): %m");
        return write_exports(c, &c->base);
}

static void report(const char *name, Path *p) {
        char k[64];
        snprintf(k, sizeof k, "%s_nft", name);
        bench_report(k, &p->nft);
        snprintf(k, sizeof k, "%s_wg", name);
        bench_report(k, &p->wg);
        snprintf(k, sizeof k, "%s_exports", name);
        bench_report(k, &p->exports);
        snprintf(k, sizeof k, "%s_total", name);
        bench_report(k, &p->total);
}

int main(int argc, char **argv) {
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_free_ char *exports_path = NULL;
        Path incremental = {}, sync = {}, full = {};
        WgKey private_key;
        Ctx c = {};
        int r;

        if (argc < 4 || argc > 5) {
                fprintf(stderr, "nfswg-bench-add-peer ROOT NAME RUNS [UAPI_DIR]\n");
                return 2;
        }
        int runs = atoi(argv[3]);
        if (runs < 1)
                return 2;
        c.uapi_dir = argc == 5 ? argv[4] : NULL;

        uint64_t t = bench_now_ns();
        r = host_load(argv[1], &h);
        double load_us = bench_since_us(t);
        c.full = h ? host_find_bridge(h, argv[2]) : NULL;
        if (!c.full) {
                log_error_errno(r < 0 ? r : -ENOENT, "Bridge %s not loaded from %s/etc/nfswg: %m", argv[2], argv[1]);
                return 1;
        }
        if (c.full->n_peers < 2) {
                log_error("The configuration needs at least 2 peers (N + the one added).");
                return 1;
        }
        c.base = *c.full;
        c.base.n_peers--;
        c.added = &c.full->peers[c.full->n_peers - 1];

        if (asprintf(&exports_path, "%s/etc/exports.d/nfswg-%s.exports", argv[1], c.full->name) < 0)
                return log_oom(), 1;
        c.exports_path = exports_path;
        r = mkdir_parents(exports_path, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create the parent of %s: %m", exports_path), 1;

        r = wg_key_generate_private(private_key);
        if (r < 0)
                return log_error_errno(r, "Cannot make a key: %m"), 1;
        r = wg_device_from_bridge(c.full, private_key, &c.dev_full);
        if (r >= 0)
                r = wg_device_from_bridge(&c.base, private_key, &c.dev_base);
        wg_key_wipe(private_key);
        if (r < 0)
                return log_error_errno(r, "Cannot describe the device: %m"), 1;
        c.dev_full->flags |= WG_DEVICE_REPLACE_PEERS;
        c.dev_base->flags |= WG_DEVICE_REPLACE_PEERS;
        c.dev_one.peers = &c.dev_full->peers[c.dev_full->n_peers - 1];
        c.dev_one.n_peers = 1;
        memcpy(c.remove_one.public_key, c.added->public_key, WG_KEY_LEN);
        c.remove_one.flags = WG_PEER_REMOVE_ME;

        if (reset(&c) < 0)
                return 1;
        /* Interleaved, so drift of the machine (other load, caches) hits every path alike; the
         * slow paths stop repeating once the time budget is spent, the incremental one does not. */
        uint64_t start = bench_now_ns();
        int done, done_slow = 0;
        for (done = 0; done < runs; done++) {
                if (run_once(&c, KIND_INCREMENTAL, &incremental) < 0)
                        return 1;
                if (bench_done(done_slow, runs, start))
                        continue;
                if (run_once(&c, KIND_SYNC, &sync) < 0 || run_once(&c, KIND_FULL, &full) < 0)
                        return 1;
                done_slow++;
        }

        printf("peers=%zu\nruns=%d\nruns_slow=%d\nload_us=%.1f\n", c.base.n_peers, done, done_slow, load_us);
        report("incremental", &incremental);
        report("sync", &sync);
        bench_report("sync_get", &sync_get);
        bench_report("sync_diff", &sync_diff);
        report("full", &full);
        wg_device_free(c.dev_full);
        wg_device_free(c.dev_base);
        return 0;
}
