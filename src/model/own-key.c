/* SPDX-License-Identifier: MIT */
#include "model/bridge.h"
#include "shared/key.h"
#include "shared/log.h"
#include "shared/macro.h"

int bridge_check_own_key(const Bridge *b, const WgKey own_public) {
        int r = 0;

        for (size_t i = 0; i < b->n_peers; i++) {
                const Peer *p = &b->peers[i];
                if (!p->public_key_set || memcmp(p->public_key, own_public, WG_KEY_LEN) != 0)
                        continue;
                log_error("%s:%u: [Peer] %s: PublicKey= is this bridge's own public key (of PrivateKeyFile=%s); "
                          "a peer needs a key pair of its own ('nfswg peer add' makes one).",
                          strempty(p->public_key_source), p->public_key_line, strempty(p->name),
                          strempty(b->private_key_file));
                r = -EINVAL;
        }
        if (b->mode == BRIDGE_MODE_CLIENT && b->server.set &&
            memcmp(b->server.public_key, own_public, WG_KEY_LEN) == 0) {
                log_error("%s:%u: [Server] PublicKey= is this host's own public key (of PrivateKeyFile=%s); "
                          "it must be the public key of the bridge this host dials.",
                          strempty(b->server.public_key_source), b->server.public_key_line,
                          strempty(b->private_key_file));
                r = -EINVAL;
        }
        return r;
}

int bridge_check_own_key_file(const char *root, const Bridge *b) {
        _cleanup_free_ char *path = NULL;
        WgKey private, public;

        if (!b->private_key_file)
                return 0;
        if (asprintf(&path, "%s%s", strempty(root), b->private_key_file) < 0)
                return log_oom();
        int r = wg_key_read_file(path, private);
        if (r >= 0)
                r = wg_key_public_from_private(public, private);
        wg_key_wipe(private);
        /* Not there yet, not ours to read, or not a key: the daemon says so when it needs it. */
        if (r < 0)
                return 0;
        return bridge_check_own_key(b, public);
}
