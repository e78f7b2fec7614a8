/* SPDX-License-Identifier: MIT */
/* nfswg-bench-config: writes a bridge with N peers under a fake root, the way an administrator's
 * host would look after `nfswg init` and N times `nfswg peer add`:
 *
 *   ROOT/etc/nfswg/NAME.conf                      [Bridge] + [Export]
 *   ROOT/etc/nfswg/NAME.conf.d/peer-pI.conf       one [Peer] each (the CLI's drop-in layout), or
 *   ROOT/etc/nfswg/NAME.conf.d/peers.conf         all of them in one file (--single)
 *
 * Peers get real WireGuard public keys (32 random bytes: a peer's public key needs no private key
 * here) and one address each in 10.8.0.0/16, so up to 65 000 peers fit. Usage:
 *
 *   nfswg-bench-config ROOT NAME N [--single] [--interface IF] [--listen-port P] [--userspace]
 *                      [--private-key-file PATH]
 *
 * Exit 0 success, 1 failure, 2 usage. */
#include <getopt.h>
#include <stdint.h>
#include <sys/stat.h>

#include "shared/fileio.h" /* mkdir_p */
#include "shared/key.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strbuf.h"

#define PEERS_MAX 65000u

/* The i-th peer (0-based) is host i+2 of 10.8.0.0/16: 10.8.0.1 is the bridge. */
static void peer_address(unsigned i, char buf[static 16]) {
        unsigned host = i + 2;
        snprintf(buf, 16, "10.8.%u.%u", host >> 8, host & 0xff);
}

static int write_peer(StrBuf *s, const char *name, unsigned i) {
        WgKey key;
        char b64[WG_KEY_B64_LEN + 1], addr[16];
        /* 32 random bytes are a valid Curve25519 public key for WireGuard's purposes. */
        int r = wg_key_generate_preshared(key);
        if (r < 0)
                return r;
        wg_key_to_base64(b64, key);
        peer_address(i, addr);
        strbuf_appendf(s,
                       "# Peer 'p%u' of bridge '%s', written by nfswg-bench-config.\n"
                       "[Peer]\nName=p%u\nPublicKey=%s\nAddress=%s/32\n",
                       i, name, i, b64, addr);
        return 0;
}

static int write_text(const char *path, StrBuf *s) {
        _cleanup_free_ char *text = strbuf_finish(s);
        if (!text)
                return log_oom();
        /* Plain writes, no fsync: 10 000 drop-ins must be quick to make, and they are test input. */
        _cleanup_fclose_ FILE *f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fflush(f) != 0)
                return log_error_errno(errno ?: EIO, "Cannot write %s: %m", path);
        return 0;
}

static int help(void) {
        printf("nfswg-bench-config ROOT NAME N [--single] [--interface IF] [--listen-port P]\n"
               "                   [--userspace] [--private-key-file PATH]\n");
        return 2;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "single", no_argument, NULL, 's' },
                { "interface", required_argument, NULL, 'i' },
                { "listen-port", required_argument, NULL, 'p' },
                { "userspace", no_argument, NULL, 'u' },
                { "private-key-file", required_argument, NULL, 'k' },
                {}
        };
        const char *interface = NULL, *listen_port = "51820", *key_file = NULL;
        bool single = false, userspace = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 's': single = true; break;
                case 'i': interface = optarg; break;
                case 'p': listen_port = optarg; break;
                case 'u': userspace = true; break;
                case 'k': key_file = optarg; break;
                default: return help();
                }
        if (argc - optind != 3)
                return help();
        const char *root = argv[optind], *name = argv[optind + 1];
        char *end;
        unsigned long n = strtoul(argv[optind + 2], &end, 10);
        if (*end || n > PEERS_MAX) {
                log_error("N must be 0..%u peers.", PEERS_MAX);
                return 2;
        }

        _cleanup_free_ char *dir = NULL, *dropins = NULL, *main_path = NULL;
        if (asprintf(&dir, "%s/etc/nfswg", root) < 0 || asprintf(&dropins, "%s/%s.conf.d", dir, name) < 0 ||
            asprintf(&main_path, "%s/%s.conf", dir, name) < 0)
                return log_oom(), 1;
        r = mkdir_p(dropins, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dropins), 1;

        StrBuf s = {};
        strbuf_appendf(&s,
                       "# Bridge '%s' with %lu peers, written by nfswg-bench-config.\n"
                       "[Bridge]\nMode=embedded\nAddress=10.8.0.1/16\nListenPort=%s\n",
                       name, n, listen_port);
        if (interface)
                strbuf_appendf(&s, "Interface=%s\n", interface);
        if (userspace)
                strbuf_append(&s, "Backend=userspace\n");
        if (key_file)
                strbuf_appendf(&s, "PrivateKeyFile=%s\n", key_file);
        strbuf_append(&s, "\n[Export]\nPath=/srv/nfswg\nPeers=*\nReadOnly=no\nSquash=root\n");
        if (write_text(main_path, &s) < 0)
                return 1;

        for (unsigned i = 0; i < n; i++) {
                r = write_peer(&s, name, i);
                if (r < 0)
                        return log_error_errno(r, "Cannot make a key: %m"), 1;
                if (single)
                        continue;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/peer-p%u.conf", dropins, i) < 0)
                        return log_oom(), 1;
                if (write_text(path, &s) < 0)
                        return 1;
        }
        if (single) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/peers.conf", dropins) < 0)
                        return log_oom(), 1;
                if (write_text(path, &s) < 0)
                        return 1;
        }
        strbuf_done(&s);
        return 0;
}
