/* SPDX-License-Identifier: MIT */
#include <malloc.h>

#include "shared/macro.h"

void *array_push(void *array_ptr, size_t *n, size_t size) {
        void **a = array_ptr;
        char *p = *a;
        /* Grow geometrically, so n pushes cost O(n): a 10 000-peer bridge is 10 000 pushes. The
         * capacity is what the allocator really gave us, so arrays from malloc/calloc mix fine. */
        size_t capacity = p ? malloc_usable_size(p) / size : 0;
        if (*n + 1 > capacity) {
                size_t want = MAX(*n * 2, (size_t) 4);
                p = realloc(p, want * size);
                if (!p)
                        return NULL;
                *a = p;
        }
        memset(p + *n * size, 0, size);
        return p + (*n)++ * size;
}

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **s = l; *s; s++)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c = realloc(*l, (n + 2) * sizeof(char *));
        if (!c)
                return -ENOMEM;
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v = strdup(value);
        if (!v)
                return -ENOMEM;
        int r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}
