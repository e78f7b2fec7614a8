/* SPDX-License-Identifier: MIT */
#include "cli/peer-address.h"
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

        for (size_t i = 0; i < b->n_peers; i++) {
                const Peer *p = &b->peers[i];
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
        return strbuf_finish(&s);
}

char *peer_dropin_filename(const char *peer) {
        char *s;
        if (asprintf(&s, "peer-%s.conf", peer) < 0)
                return NULL;
        return s;
}
