/* SPDX-License-Identifier: MIT */
/* nfswg-bench-render: what `nfswg render` and the generator do, in-process and timed apart.
 *
 *   nfswg-bench-render ROOT OUTDIR RUNS
 *
 * RUNS times (fewer when $NFSWG_BENCH_BUDGET_SEC, default 5, is spent): host_load(ROOT) (read + validate ROOT/etc/nfswg), render_all() (every emitter) and
 * render_list_write() under OUTDIR (atomic writes, as `nfswg render --root`). Then, as a floor for
 * the first, the same number of times: only open + read + close of every input file. Prints
 * KEY=VALUE lines (microseconds) and the peak RSS of the process. Exit 0 success, 1 failure, 2 usage. */
#include <dirent.h>
#include <fcntl.h>

#include "bench.h"
#include "emit/render.h"
#include "model/bridge.h"
#include "shared/log.h"
#include "shared/macro.h"

/* The floor under host_load() with one drop-in per peer: open, read and close every file of
 * ROOT/etc/nfswg and its *.conf.d directories, nothing else. Returns the number of files. */
static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static size_t read_all_files(const char *dir, bool descend) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;
        char buf[8192];

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                _cleanup_free_ char *path = NULL;
                if (de->d_name[0] == '.' || l <= 5)
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                        return n;
                if (streq(de->d_name + l - 5, ".conf")) {
                        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                continue;
                        while (read(fd, buf, sizeof buf) > 0)
                                ;
                        n++;
                } else if (descend && l > 7 && streq(de->d_name + l - 7, ".conf.d"))
                        n += read_all_files(path, false);
        }
        return n;
}

int main(int argc, char **argv) {
        BenchSamples load = {}, render = {}, write = {}, total = {};
        size_t peers = 0, files = 0, bytes = 0;

        if (argc != 4) {
                fprintf(stderr, "nfswg-bench-render ROOT OUTDIR RUNS\n");
                return 2;
        }
        int runs = atoi(argv[3]);
        if (runs < 1)
                return 2;

        uint64_t start = bench_now_ns();
        int done;
        for (done = 0; !bench_done(done, runs, start); done++) {
                _cleanup_(host_freep) Host *h = NULL;
                _cleanup_(render_list_done) RenderList l = {};

                uint64_t t0 = bench_now_ns();
                int r = host_load(argv[1], &h);
                if (r < 0)
                        return log_error_errno(r, "Cannot load %s/etc/nfswg: %m", argv[1]), 1;
                uint64_t t1 = bench_now_ns();
                r = render_all(h, &l);
                if (r < 0)
                        return log_error_errno(r, "Cannot render: %m"), 1;
                uint64_t t2 = bench_now_ns();
                r = render_list_write(&l, argv[2]);
                if (r < 0)
                        return 1;
                uint64_t t3 = bench_now_ns();

                bench_add(&load, (double) (t1 - t0) / 1000.0);
                bench_add(&render, (double) (t2 - t1) / 1000.0);
                bench_add(&write, (double) (t3 - t2) / 1000.0);
                bench_add(&total, (double) (t3 - t0) / 1000.0);

                peers = 0;
                for (size_t j = 0; j < h->n_bridges; j++)
                        peers += h->bridges[j]->n_peers;
                files = l.n_files;
                bytes = 0;
                for (size_t j = 0; j < l.n_files; j++)
                        bytes += strlen(l.files[j].content);
        }

        BenchSamples floor = {};
        _cleanup_free_ char *etc = NULL;
        size_t n_inputs = 0;
        if (asprintf(&etc, "%s/etc/nfswg", argv[1]) < 0)
                return log_oom(), 1;
        for (int i = 0; i < done; i++) {
                uint64_t t0 = bench_now_ns();
                n_inputs = read_all_files(etc, true);
                bench_add(&floor, bench_since_us(t0));
        }

        printf("peers=%zu\nruns=%d\ninput_files=%zu\nfiles=%zu\nbytes=%zu\n", peers, done, n_inputs, files, bytes);
        bench_report("read_floor", &floor);
        bench_report("load", &load);
        bench_report("render", &render);
        bench_report("write", &write);
        bench_report("total", &total);
        printf("maxrss_kib=%ld\n", bench_maxrss_kib());
        return 0;
}
