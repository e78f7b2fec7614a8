/* SPDX-License-Identifier: MIT */
#include <stdarg.h>

#include "model/values.h"
#include "shared/ipaddr.h"
#include "shared/key.h"
#include "shared/macro.h"
#include "shared/parse.h"
#include "shared/escape.h"

void log_conf_error(const char *file, unsigned line, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        log_error("%s:%u: %s", file, line, msg);
}


int set_string(LoadContext *ctx, char **field, const ConfEntry *e, bool (*valid)(const char *),
                      const char *what) {
        if (isempty(e->value)) {
                free(*field);
                *field = NULL;
                return 0;
        }
        if (!valid(e->value))
                return conf_error(ctx, e->line, "%s= %s.", e->key, what), 0;
        char *v = strdup(e->value);
        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

int set_path(LoadContext *ctx, char **field, const ConfEntry *e) {
        return set_string(ctx, field, e, path_is_safe,
                          "must be an absolute, normalised path of letters, digits and /_.+@:%- only "
                          "(no \"..\", whitespace, quotes or backslashes)");
}

int set_bool(LoadContext *ctx, bool *field, bool dflt, const ConfEntry *e) {
        if (isempty(e->value)) {
                *field = dflt;
                return 0;
        }
        if (parse_boolean(e->value, field) < 0)
                conf_error(ctx, e->line, "%s= must be a boolean (yes/no), not '%s'.", e->key, EXCERPT(e->value));
        return 0;
}

int set_port(LoadContext *ctx, uint16_t *field, uint16_t dflt, const ConfEntry *e) {
        if (isempty(e->value)) {
                *field = dflt;
                return 0;
        }
        if (parse_port(e->value, field) < 0)
                conf_error(ctx, e->line, "%s= must be a port number between 1 and 65535.", e->key);
        return 0;
}

int set_unsigned(LoadContext *ctx, unsigned *field, unsigned dflt, unsigned min, unsigned max,
                        const ConfEntry *e) {
        if (isempty(e->value)) {
                *field = dflt;
                return 0;
        }
        if (parse_unsigned(e->value, min, max, field) < 0)
                conf_error(ctx, e->line, "%s= must be a number between %u and %u.", e->key, min, max);
        return 0;
}

int set_key(LoadContext *ctx, WgKey key, bool *set, const ConfEntry *e) {
        if (isempty(e->value)) {
                wg_key_wipe(key);
                *set = false;
                return 0;
        }
        if (wg_key_from_base64(key, e->value) < 0)
                return conf_error(ctx, e->line, "%s= is not 32 bytes of base64.", e->key), 0;
        *set = true;
        return 0;
}

int for_each_item(LoadContext *ctx, void *target, const ConfEntry *e, ItemParser f) {
        _cleanup_free_ char *copy = strdup(e->value);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int r = f(ctx, target, e, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

int push_prefix(LoadContext *ctx, IpPrefix **arr, size_t *n, const ConfEntry *e, const char *item,
                       bool allow_bare, bool network) {
        IpPrefix p;
        if (ip_prefix_parse(item, allow_bare, &p) < 0)
                return conf_error(ctx, e->line, "%s= '%s' is not an IPv4 or IPv6 address%s.", e->key, EXCERPT(item),
                                  allow_bare ? "" : " with a prefix length (ADDRESS/LENGTH)"),
                       0;
        if (network) {
                IpPrefix net = ip_prefix_network(&p);
                if (!ip_prefix_equal(&net, &p)) {
                        char buf[IP_PREFIX_STRLEN];
                        return conf_error(ctx, e->line, "%s= '%s' has host bits set; the network is %s.", e->key,
                                          EXCERPT(item), ip_prefix_format(&net, buf)),
                               0;
                }
        }
        IpPrefix *slot = ARRAY_PUSH(*arr, *n);
        if (!slot)
                return -ENOMEM;
        *slot = p;
        return 0;
}

int push_endpoint(LoadContext *ctx, Endpoint **arr, size_t *n, const ConfEntry *e, const char *item) {
        char *host;
        uint16_t port;
        int r = parse_endpoint(item, &host, &port);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return conf_error(ctx, e->line, "%s= '%s' is not HOST:PORT (a DNS name or address, IPv6 in brackets).",
                                  e->key, EXCERPT(item)),
                       0;
        Endpoint *slot = ARRAY_PUSH(*arr, *n);
        if (!slot) {
                free(host);
                return -ENOMEM;
        }
        slot->host = host;
        slot->port = port;
        return 0;
}

void endpoints_free(Endpoint **arr, size_t *n) {
        for (size_t i = 0; i < *n; i++)
                free((*arr)[i].host);
        free(*arr);
        *arr = NULL;
        *n = 0;
}

/* A whitespace-separated list of prefixes; an empty assignment resets it (systemd.syntax(7)). */
int set_prefix_list(LoadContext *ctx, IpPrefix **arr, size_t *n, const ConfEntry *e, bool allow_bare,
                           bool network) {
        if (isempty(e->value)) {
                free(*arr);
                *arr = NULL;
                *n = 0;
                return 0;
        }
        _cleanup_free_ char *copy = strdup(e->value);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int r = push_prefix(ctx, arr, n, e, w, allow_bare, network);
                if (r < 0)
                        return r;
        }
        return 0;
}

int set_endpoint_list(LoadContext *ctx, Endpoint **arr, size_t *n, const ConfEntry *e) {
        if (isempty(e->value)) {
                endpoints_free(arr, n);
                return 0;
        }
        _cleanup_free_ char *copy = strdup(e->value);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int r = push_endpoint(ctx, arr, n, e, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

int set_id(LoadContext *ctx, uint32_t *field, const ConfEntry *e) {
        unsigned v;
        if (isempty(e->value)) {
                *field = DEFAULT_ANON_ID;
                return 0;
        }
        /* (uid_t) -1 is "no id" for the kernel. */
        if (parse_unsigned(e->value, 0, 4294967294u, &v) < 0)
                return conf_error(ctx, e->line, "%s= must be a numeric id between 0 and 4294967294.", e->key), 0;
        *field = v;
        return 0;
}

