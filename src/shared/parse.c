/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <limits.h>
#include <time.h>

#include "shared/ipaddr.h"
#include "shared/macro.h"
#include "shared/parse.h"

int parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret) {
        unsigned long v = 0;
        if (!*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*p - '0');
                if (v > UINT_MAX)
                        return -ERANGE;
        }
        if (v < min || v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_port(const char *s, uint16_t *ret) {
        unsigned v;
        int r = parse_unsigned(s, 1, 65535, &v);
        if (r < 0)
                return r;
        *ret = (uint16_t) v;
        return 0;
}

int parse_utc_timestamp(const char *s, int64_t *ret) {
        struct tm tm = {};
        char again[UTC_TIMESTAMP_MAX];
        if (strlen(s) != UTC_TIMESTAMP_MAX - 1)
                return -EINVAL;
        const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (!end || *end)
                return -EINVAL;
        time_t t = timegm(&tm);
        if (t <= 0)
                return -EINVAL;
        /* timegm() normalises 02-30 into 03-02: a date that does not read back was no date. */
        if (!streq(format_utc_timestamp(t, again), s))
                return -EINVAL;
        *ret = t;
        return 0;
}

char *format_utc_timestamp(int64_t t, char buf[static UTC_TIMESTAMP_MAX]) {
        struct tm tm;
        time_t tt = (time_t) t;
        if (!gmtime_r(&tt, &tm) || strftime(buf, UTC_TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                buf[0] = 0;
        return buf;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

bool hostname_is_valid(const char *s) {
        size_t l = strlen(s), label = 0;
        if (l == 0 || l > 253 || s[0] == '.' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char) *p) && *p != '-')
                        return false;
                if (++label > 63)
                        return false;
        }
        return label > 0;
}

int parse_endpoint(const char *s, char **ret_host, uint16_t *ret_port) {
        const char *colon, *host_start = s, *host_end;
        if (s[0] == '[') {
                host_start = s + 1;
                host_end = strchr(s, ']');
                if (!host_end || host_end[1] != ':')
                        return -EINVAL;
                colon = host_end + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon || memchr(s, ':', (size_t) (colon - s)))
                        return -EINVAL;
                host_end = colon;
        }
        size_t l = (size_t) (host_end - host_start);
        if (l == 0 || l > 253)
                return -EINVAL;
        _cleanup_free_ char *host = strndup(host_start, l);
        if (!host)
                return -ENOMEM;
        int family;
        InAddrUnion a;
        if (s[0] == '[') {
                if (ip_address_parse(host, &family, &a) < 0 || family != AF_INET6)
                        return -EINVAL;
        } else if (ip_address_parse(host, &family, &a) < 0 && !hostname_is_valid(host))
                return -EINVAL;
        if (parse_port(colon + 1, ret_port) < 0)
                return -EINVAL;
        *ret_host = TAKE_PTR(host);
        return 0;
}

bool ifname_is_valid(const char *s) {
        size_t l = strlen(s);
        if (l == 0 || l > 15 || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("_.-", *p))
                        return false;
        return true;
}

bool name_is_valid(const char *s) {
        size_t l = strlen(s);
        if (l == 0 || l > 32)
                return false;
        if (!(islower((unsigned char) s[0]) || isdigit((unsigned char) s[0])))
                return false;
        for (const char *p = s; *p; p++)
                if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '-'))
                        return false;
        return true;
}

bool path_is_safe(const char *s) {
        if (s[0] != '/' || strlen(s) > 1024)
                return false;
        if (s[1] == '\0')
                return true;
        if (s[strlen(s) - 1] == '/')
                return false;
        for (const char *p = s; *p; p++) {
                if (!isalnum((unsigned char) *p) && !strchr("/_.+@:%-", *p))
                        return false;
                if (*p == '/') {
                        const char *c = p + 1;
                        size_t cl = strcspn(c, "/");
                        if (cl == 0 || (cl == 1 && c[0] == '.') || (cl == 2 && c[0] == '.' && c[1] == '.'))
                                return false;
                }
        }
        return true;
}

bool value_is_safe(const char *s) {
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f || strchr("\"'\\`$", *p))
                        return false;
        return true;
}
