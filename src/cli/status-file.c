/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "cli/status-file.h"
#include "shared/fileio.h"
#include "shared/strbuf.h"

/* Only the daemon's own layout is read: a value is found by its "key": on the line of its object
 * (a quote inside a string value is always escaped, so "key": cannot appear inside one). */
static const char *find_key(const char *line, const char *end, const char *key) {
        size_t n = strlen(key);
        for (const char *p = line; p && p + n + 3 <= end; p++) {
                p = memchr(p, '"', (size_t) (end - p));
                if (!p || p + n + 3 > end)
                        return NULL;
                if ((p == line || p[-1] != '\\') && strncmp(p + 1, key, n) == 0 && p[n + 1] == '"' && p[n + 2] == ':')
                        return p + n + 3;
        }
        return NULL;
}

static bool get_u64(const char *line, const char *end, const char *key, uint64_t *ret) {
        const char *v = find_key(line, end, key);
        if (!v || *v < '0' || *v > '9')
                return false;
        *ret = strtoull(v, NULL, 10);
        return true;
}

static bool get_bool(const char *line, const char *end, const char *key) {
        const char *v = find_key(line, end, key);
        return v && strncmp(v, "true", 4) == 0;
}

/* A JSON string value, unescaped (\uXXXX below 0x80 only, as the daemon writes), or NULL. */
static char *get_str_at(const char *v, const char *end, const char **ret_end) {
        if (!v || v >= end || *v != '"')
                return NULL;
        StrBuf sb = {};
        for (v++; v < end && *v != '"'; v++) {
                if (*v != '\\') {
                        strbuf_appendf(&sb, "%c", *v);
                        continue;
                }
                if (++v >= end)
                        break;
                if (*v == 'u' && v + 4 < end) {
                        char hex[5] = { v[1], v[2], v[3], v[4], 0 };
                        strbuf_appendf(&sb, "%c", (char) strtoul(hex, NULL, 16));
                        v += 4;
                } else
                        strbuf_appendf(&sb, "%c", *v == 'n' ? '\n' : *v == 't' ? '\t' : *v);
        }
        if (ret_end)
                *ret_end = v + 1;
        char *s = strbuf_finish(&sb);
        return s ?: strdup("");
}

static char *get_str(const char *line, const char *end, const char *key) {
        return get_str_at(find_key(line, end, key), end, NULL);
}

/* "A.B.C.D:PORT" or "[V6]:PORT" */
static void endpoint_parse(const char *s, WgEndpoint *ret) {
        char host[INET6_ADDRSTRLEN] = "";
        const char *colon = strrchr(s, ':');
        if (!colon)
                return;
        unsigned port = (unsigned) strtoul(colon + 1, NULL, 10);
        if (*s == '[' && colon > s + 1 && colon[-1] == ']' && (size_t) (colon - s - 2) < sizeof host) {
                memcpy(host, s + 1, (size_t) (colon - s - 2));
                if (inet_pton(AF_INET6, host, &ret->addr6.sin6_addr) == 1) {
                        ret->addr6.sin6_family = AF_INET6;
                        ret->addr6.sin6_port = htons((uint16_t) port);
                }
        } else if ((size_t) (colon - s) < sizeof host) {
                memcpy(host, s, (size_t) (colon - s));
                if (inet_pton(AF_INET, host, &ret->addr4.sin_addr) == 1) {
                        ret->addr4.sin_family = AF_INET;
                        ret->addr4.sin_port = htons((uint16_t) port);
                }
        }
}

static int parse_peer(StatusFile *f, const char *line, const char *end) {
        Bridge *b = f->bridge;
        Peer *p = &b->peers[b->n_peers];
        StatusFilePeer *sp = &f->peers[f->n_peers];
        WgPeer *wp = &f->device->peers[f->device->n_peers];
        _cleanup_free_ char *key = get_str(line, end, "public_key"), *endpoint = get_str(line, end, "endpoint");
        uint64_t v;

        p->name = get_str(line, end, "name");
        if (!p->name || !key || wg_key_from_base64(p->public_key, key) < 0) {
                free(p->name);
                p->name = NULL;
                return -EINVAL;
        }
        p->public_key_set = true;
        b->n_peers++;
        sp->name = p->name;
        memcpy(sp->public_key, p->public_key, sizeof(WgKey));
        (void) get_u64(line, end, "rx_rate", &sp->rx_rate);
        (void) get_u64(line, end, "tx_rate", &sp->tx_rate);
        f->n_peers++;

        /* addresses: ["A/N",...] */
        const char *a = find_key(line, end, "addresses");
        if (a && *a == '[')
                for (a++; a < end && *a == '"';) {
                        _cleanup_free_ char *s = get_str_at(a, end, &a);
                        IpPrefix *n = s ? realloc(p->addresses, (p->n_addresses + 1) * sizeof *n) : NULL;
                        if (!n)
                                return -ENOMEM;
                        p->addresses = n;
                        if (ip_prefix_parse(s, false, &p->addresses[p->n_addresses]) >= 0)
                                p->n_addresses++;
                        if (a < end && *a == ',')
                                a++;
                }

        memcpy(wp->public_key, p->public_key, sizeof(WgKey));
        if (get_u64(line, end, "latest_handshake", &v))
                wp->last_handshake_sec = (int64_t) v;
        (void) get_u64(line, end, "rx_bytes", &wp->rx_bytes);
        (void) get_u64(line, end, "tx_bytes", &wp->tx_bytes);
        if (endpoint)
                endpoint_parse(endpoint, &wp->endpoint);
        f->device->n_peers++;
        return 0;
}

int status_file_parse(const char *text, StatusFile *ret) {
        StatusFile f = {};
        _cleanup_free_ char *mode = NULL, *pub = NULL;
        const char *end = text + strlen(text), *nl = strchr(text, '\n') ?: end;
        size_t lines = 0;
        uint64_t v;
        int r = -EINVAL;

        if (strncmp(text, "{\"bridge\":", 10) != 0)
                return -EINVAL;
        for (const char *p = text; *p; p++)
                lines += *p == '\n';
        f.bridge = calloc(1, sizeof *f.bridge);
        f.device = calloc(1, sizeof *f.device);
        f.peers = calloc(lines + 1, sizeof *f.peers);
        if (!f.bridge || !f.device || !f.peers || !(f.bridge->peers = calloc(lines + 1, sizeof(Peer))) ||
            !(f.device->peers = calloc(lines + 1, sizeof(WgPeer))))
                goto fail;

        Bridge *b = f.bridge;
        mode = get_str(text, nl, "mode");
        b->name = get_str(text, nl, "bridge");
        b->interface = get_str(text, nl, "interface");
        if (!b->name || !b->interface || !mode)
                goto fail;
        b->mode = _BRIDGE_MODE_MAX;
        for (BridgeMode m = 0; m < _BRIDGE_MODE_MAX; m++)
                if (streq(bridge_mode_to_string(m), mode))
                        b->mode = m;
        if (b->mode == _BRIDGE_MODE_MAX)
                goto fail;
        if (get_u64(text, nl, "listen_port", &v))
                b->listen_port = f.device->listen_port = (uint16_t) v;
        pub = get_str(text, nl, "public_key");
        if (pub)
                (void) wg_key_from_base64(f.device->public_key, pub);
        f.config_refused = get_bool(text, nl, "config_refused");
        const char *fw = find_key(text, nl, "firewall");
        if (fw && *fw == '{') {
                f.has_counters = true;
                (void) get_u64(fw, nl, "nfs_accepted_packets", &f.counters.accepted_packets);
                (void) get_u64(fw, nl, "nfs_refused_packets", &f.counters.refused_packets);
                (void) get_u64(fw, nl, "forward_accepted_packets", &f.counters.forward_accepted_packets);
                (void) get_u64(fw, nl, "forward_refused_packets", &f.counters.forward_refused_packets);
                (void) get_u64(fw, nl, "spoofed_packets", &f.counters.spoofed_packets);
        }
        bool device = get_bool(text, nl, "device");

        for (const char *line = nl; line < end; line = nl) {
                line++;
                nl = strchr(line, '\n') ?: end;
                if (nl > line && *line == '{') {
                        r = parse_peer(&f, line, nl);
                        if (r < 0)
                                goto fail;
                }
        }
        if (!device)
                f.device = wg_device_free(f.device);
        *ret = f;
        return 0;
fail:
        status_file_done(&f);
        return r == -ENOMEM ? r : -EINVAL;
}

int status_file_read(const char *path, StatusFile *ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        return status_file_parse(text, ret);
}

void status_file_done(StatusFile *f) {
        bridge_free(f->bridge);
        wg_device_free(f->device);
        free(f->peers);
        *f = (StatusFile) {};
}

const StatusFilePeer *status_file_peer(const StatusFile *f, const WgKey key) {
        for (size_t i = 0; f && i < f->n_peers; i++)
                if (memcmp(f->peers[i].public_key, key, sizeof(WgKey)) == 0)
                        return &f->peers[i];
        return NULL;
}
