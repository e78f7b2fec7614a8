/* SPDX-License-Identifier: MIT */
#pragma once

/* Timing for the in-process benchmarks: CLOCK_MONOTONIC (clock_gettime(2)), repeated runs
 * reported as min and median in microseconds, printed as KEY=VALUE lines that bench/run reads. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

typedef struct BenchSamples {
        double *us;
        size_t n;
        size_t size;
} BenchSamples;

static inline uint64_t bench_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

static inline double bench_since_us(uint64_t start_ns) {
        return (double) (bench_now_ns() - start_ns) / 1000.0;
}

static inline void bench_add(BenchSamples *s, double us) {
        if (s->n == s->size) {
                size_t size = s->size ? s->size * 2 : 16;
                double *p = realloc(s->us, size * sizeof *p);
                if (!p) {
                        fprintf(stderr, "Out of memory.\n");
                        exit(1);
                }
                s->us = p;
                s->size = size;
        }
        s->us[s->n++] = us;
}

static inline int bench_cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

/* Prints PREFIX_min_us=… and PREFIX_median_us=…, then forgets the samples. */
static inline void bench_report(const char *prefix, BenchSamples *s) {
        if (s->n == 0) {
                printf("%s_min_us=nan\n%s_median_us=nan\n", prefix, prefix);
                return;
        }
        qsort(s->us, s->n, sizeof(double), bench_cmp_double);
        double median = s->n % 2 ? s->us[s->n / 2] : (s->us[s->n / 2 - 1] + s->us[s->n / 2]) / 2;
        printf("%s_min_us=%.1f\n%s_median_us=%.1f\n", prefix, s->us[0], prefix, median);
        free(s->us);
        *s = (BenchSamples) {};
}

/* Whether to stop repeating: RUNS done, or at least one run done and the time budget
 * ($NFSWG_BENCH_BUDGET_SEC, default 5 s) spent since start_ns. Keeps 10 000-peer cases within the
 * few minutes bench/run is allowed. */
static inline bool bench_done(int done, int runs, uint64_t start_ns) {
        if (done >= runs)
                return true;
        if (done < 1)
                return false;
        const char *e = getenv("NFSWG_BENCH_BUDGET_SEC");
        double budget = e ? atof(e) : 5.0;
        return (double) (bench_now_ns() - start_ns) / 1e9 > budget;
}

/* Peak resident set of this process so far, in KiB (getrusage(2) ru_maxrss). */
static inline long bench_maxrss_kib(void) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return -1;
        return ru.ru_maxrss;
}
