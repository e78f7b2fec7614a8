/* SPDX-License-Identifier: MIT */
#include "cli/peer-address.h"
#include <time.h>

#include "cli/peer-dropin.h"
#include "shared/escape.h"
#include "shared/log.h"
#include "shared/parse.h"
#include "shared/strbuf.h"

int peer_request_check(const Bridge *b, const PeerRequest *req) {
        char key[WG_KEY_B64_LEN + 1];
        int r;

        if (!name_is_valid(req->name))
                return log_error_errno(EINVAL, "Invalid peer name '%s': it must match [a-z0-9][a-z0-9-]{0,31}.",
                                       EXCERPT(req->name));
        if (wg_key_is_zero(req->public_key))
                return log_error_errno(EINVAL, "Peer '%s': the public key is all zeros.", req->name);
        if (req->n_addresses == 0)
                return log_error_errno(EINVAL, "Peer '%s' has no tunnel address.", req->name);

        for (size_t i = 0; i < bridge_n_peers_any(b); i++) {
                const Peer *p = bridge_peer_any(b, i);
                if (streq(p->name, req->name))
                        return log_error_errno(EEXIST, "Bridge '%s' already has a peer named '%s' (%s:%u).",
                                               b->name, req->name, strempty(p->source), p->line);
                if (memcmp(p->public_key, req->public_key, WG_KEY_LEN) == 0) {
                        wg_key_to_base64(key, req->public_key);
                        return log_error_errno(EEXIST, "Public key %s is already used by peer '%s' (%s:%u).",
                                               key, p->name, strempty(p->source), p->line);
                }
        }

        for (size_t i = 0; i < req->n_addresses; i++) {
                r = peer_address_check(b, &req->addresses[i]);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (ip_prefix_overlaps(&req->addresses[i], &req->addresses[j])) {
                                char s[IP_PREFIX_STRLEN];
                                return log_error_errno(EINVAL, "Address %s is given twice.",
                                                       ip_prefix_format(&req->addresses[i], s));
                        }
        }
        return 0;
}

char *peer_dropin_format(const Bridge *b, const PeerRequest *req) {
        StrBuf s = {};
        char key[WG_KEY_B64_LEN + 1], a[IP_PREFIX_STRLEN];

        wg_key_to_base64(key, req->public_key);
        /* The first line marks the file as nfswg's for the package's purge (debian/postrm): keep it. */
        strbuf_appendf(&s,
                       "# Peer '%s' of bridge '%s', written by 'nfswg peer add'.\n"
                       "# Remove it with 'nfswg peer remove %s %s'.\n"
                       "[Peer]\n"
                       "Name=%s\n"
                       "PublicKey=%s\n",
                       req->name, b->name, b->name, req->name, req->name, key);
        for (size_t i = 0; i < req->n_addresses; i++)
                strbuf_appendf(&s, "Address=%s\n", ip_prefix_format(&req->addresses[i], a));
        if (req->persistent_keepalive > 0)
                strbuf_appendf(&s, "PersistentKeepalive=%u\n", req->persistent_keepalive);
        if (req->preshared_key_file)
                strbuf_appendf(&s, "PresharedKeyFile=%s\n", req->preshared_key_file);
        if (req->expires > 0) {
                char when[UTC_TIMESTAMP_MAX];
                strbuf_appendf(&s, "Expires=%s\n", format_utc_timestamp(req->expires, when));
        }
        return strbuf_finish(&s);
}

char *peer_dropin_filename(const char *peer) {
        char *s;
        if (asprintf(&s, "peer-%s.conf", peer) < 0)
                return NULL;
        return s;
}

char *peer_dropin_set_key(const char *text, const char *key, const char *value) {
        StrBuf s = {};
        size_t kl = strlen(key);
        bool done = false;
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                size_t l = nl ? (size_t) (nl - line) + 1 : strlen(line);
                const char *k = line;
                while (*k == ' ' || *k == '\t')
                        k++;
                const char *after = k + kl;
                bool match = strncmp(k, key, kl) == 0 && (size_t) (after - line) < l;
                if (match)
                        while (*after == ' ' || *after == '\t')
                                after++;
                if (!(match && *after == '='))
                        strbuf_appendf(&s, "%.*s%s", (int) l, line, nl ? "" : "\n");
                else if (value && !done) {
                        /* the first assignment is replaced where it stands, later ones dropped */
                        strbuf_appendf(&s, "%s=%s\n", key, value);
                        done = true;
                }
                line += l;
        }
        if (value && !done)
                strbuf_appendf(&s, "%s=%s\n", key, value);
        return strbuf_finish(&s);
}

int peer_expires_parse(const char *s, int64_t *ret) {
        static const char *const local_formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d" };

        if (parse_utc_timestamp(s, ret) >= 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(local_formats); i++) {
                struct tm tm = {}, back;
                const char *end = strptime(s, local_formats[i], &tm);
                if (!end || *end)
                        continue;
                struct tm want = tm;
                tm.tm_isdst = -1;
                time_t t = mktime(&tm);
                /* mktime() normalises 02-30 into 03-02: a date that does not read back was no date.
                 * (A time skipped by a DST change moves by the change; it is still that moment.) */
                if (t <= 0 || !localtime_r(&t, &back) || back.tm_year != want.tm_year || back.tm_mon != want.tm_mon ||
                    back.tm_mday != want.tm_mday)
                        return -EINVAL;
                *ret = t;
                return 0;
        }
        return -EINVAL;
}
