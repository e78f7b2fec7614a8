/* SPDX-License-Identifier: MIT */
/* nfswg-bench-nft: times the firewall apply in-process, as the daemon does it.
 *
 *   nfswg-bench-nft ROOT NAME RUNS
 *
 * Loads ROOT/etc/nfswg (host_load, timed once), then RUNS times: builds the libnftnl batch that
 * replaces table inet nfswg_NAME (nft_build_bridge_batch) and sends it with every ACK read
 * (nft_send_batch) — together what nft_apply_bridge() does. The table stays in place afterwards so
 * bench/run can list it for `nft -f`. Run it in a network namespace of its own. Prints KEY=VALUE
 * lines (microseconds). Exit 0 success, 1 failure, 2 usage. */
#include <time.h>

#include "bench.h"
#include "model/bridge.h"
#include "nft/nft.h"
#include "shared/log.h"
#include "shared/macro.h"

int main(int argc, char **argv) {
        _cleanup_(host_freep) Host *h = NULL;
        BenchSamples build = {}, send = {}, apply = {};
        size_t batch_len = 0;
        int r;

        if (argc != 4) {
                fprintf(stderr, "nfswg-bench-nft ROOT NAME RUNS\n");
                return 2;
        }
        int runs = atoi(argv[3]);
        if (runs < 1)
                return 2;

        uint64_t t = bench_now_ns();
        r = host_load(argv[1], &h);
        double load_us = bench_since_us(t);
        const Bridge *b = h ? host_find_bridge(h, argv[2]) : NULL;
        if (!b) {
                log_error_errno(r < 0 ? r : -ENOENT, "Bridge %s not loaded from %s/etc/nfswg: %m", argv[2], argv[1]);
                return 1;
        }

        for (int i = 0; i < runs; i++) {
                _cleanup_free_ void *batch = NULL;

                uint64_t t0 = bench_now_ns();
                r = nft_build_bridge_batch(h, b, (uint32_t) time(NULL), &batch, &batch_len);
                if (r < 0)
                        return log_error_errno(r, "Cannot build the batch: %m"), 1;
                uint64_t t1 = bench_now_ns();
                r = nft_send_batch(batch, batch_len);
                if (r < 0)
                        return log_error_errno(r, "Cannot apply table inet " NFT_TABLE_PREFIX "%s: %m", b->name), 1;
                uint64_t t2 = bench_now_ns();
                bench_add(&build, (double) (t1 - t0) / 1000.0);
                bench_add(&send, (double) (t2 - t1) / 1000.0);
                bench_add(&apply, (double) (t2 - t0) / 1000.0);
        }

        printf("peers=%zu\nruns=%d\nbatch_bytes=%zu\nload_us=%.1f\n", b->n_peers, runs, batch_len, load_us);
        bench_report("build", &build);
        bench_report("send", &send);
        bench_report("apply", &apply);
        printf("maxrss_kib=%ld\n", bench_maxrss_kib());
        return 0;
}
