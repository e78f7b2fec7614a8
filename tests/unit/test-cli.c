/* SPDX-License-Identifier: MIT */
/* The CLI's pure parts: address allocation, peer checks and drop-ins, status JSON, QR codes.
 * tests/meson.build links libnfswg only, so the CLI sources under test are compiled in here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "shared/strbuf.h"
#include "cli/peer-address.h"
#include "cli/peer-dropin.h"
#include "cli/qr.h"
#include "cli/status.h"

#include "shared/log.h"

/* ---- helpers ---- */

static IpPrefix prefix(const char *s) {
        IpPrefix p;
        assert_int_equal(ip_prefix_parse(s, true, &p), 0);
        return p;
}

static void assert_prefix(const IpPrefix *p, const char *expected) {
        char buf[IP_PREFIX_STRLEN];
        assert_string_equal(ip_prefix_format(p, buf), expected);
}

static unsigned log_errors;
static char last_log[2048];
static void count_log(int level, const char *message, void *userdata) {
        if (level <= LOG_ERR)
                log_errors++;
        snprintf(last_log, sizeof last_log, "%s", message);
}

static Bridge *load(const char *text) {
        Bridge *b = NULL;
        int r = bridge_load_string("/etc/nfswg/t.conf", "t", text, &b);
        assert_int_equal(r, 0);
        return b;
}

static const char *const KEY1 = "FzB/cJ3TdUSElPLebSrZQMkGebTATK9ZFYE/9fNDTzY=";
static const char *const KEY2 = "eEf4xJbysSXH+XKko52POQZeZ5KQlTtqMGeyfBoJjy8=";
static const char *const KEY3 = "T6LqaGeII0NtEfEUAgC2thr+sO9Vj/Pde3e3q9l3JEE=";

/* ---- address allocation ---- */

static void test_next_free_first_and_gaps(void **state) {
        IpPrefix net = prefix("10.8.0.0/24"), got;
        IpPrefix used[] = { prefix("10.8.0.1/32"), prefix("10.8.0.2/32"), prefix("10.8.0.4/32") };

        assert_int_equal(peer_address_next_free(&net, used, 1, &got), 0);
        assert_prefix(&got, "10.8.0.2/32");
        /* .3 was freed by a removed peer: it is handed out again before .5 */
        assert_int_equal(peer_address_next_free(&net, used, 3, &got), 0);
        assert_prefix(&got, "10.8.0.3/32");
        /* order of the used list does not matter */
        IpPrefix shuffled[] = { used[2], used[0], used[1], prefix("10.8.0.3/32") };
        assert_int_equal(peer_address_next_free(&net, shuffled, 4, &got), 0);
        assert_prefix(&got, "10.8.0.5/32");
}

static void test_next_free_skips_ranges_and_other_families(void **state) {
        IpPrefix net = prefix("10.8.0.0/24"), got;
        /* a site peer holding 10.8.0.0/28 (as written, host bits kept), plus addresses of another
         * network and family that must be ignored */
        IpPrefix used[] = { prefix("10.8.0.1/28"), prefix("10.9.0.16/32"), prefix("fd00::11/128") };
        assert_int_equal(peer_address_next_free(&net, used, 3, &got), 0);
        assert_prefix(&got, "10.8.0.16/32");
}

static void test_next_free_full_network(void **state) {
        IpPrefix net = prefix("10.8.0.0/29"), got;
        /* usable: .1 - .6 (.0 network, .7 broadcast) */
        IpPrefix used[6];
        char s[32];
        for (unsigned i = 0; i < 6; i++) {
                snprintf(s, sizeof s, "10.8.0.%u/32", i + 1);
                used[i] = prefix(s);
        }
        assert_int_equal(peer_address_next_free(&net, used, 5, &got), 0);
        assert_prefix(&got, "10.8.0.6/32");
        /* never the broadcast address */
        assert_int_equal(peer_address_next_free(&net, used, 6, &got), -ENOSPC);
        /* a range covering the rest of the network */
        IpPrefix wide[] = { prefix("10.8.0.1/32"), prefix("10.8.0.4/30") };
        IpPrefix two[] = { prefix("10.8.0.1/32"), prefix("10.8.0.2/31") };
        assert_int_equal(peer_address_next_free(&net, wide, 2, &got), 0);
        assert_prefix(&got, "10.8.0.2/32");
        IpPrefix all[] = { wide[0], wide[1], two[1] };
        assert_int_equal(peer_address_next_free(&net, all, 3, &got), -ENOSPC);
        /* host and /31 networks */
        IpPrefix host = prefix("10.8.0.1/32");
        assert_int_equal(peer_address_next_free(&host, NULL, 0, &got), -ENOSPC);
        IpPrefix p2p = prefix("10.8.0.0/31");
        IpPrefix p2p_used[] = { prefix("10.8.0.0/32") };
        assert_int_equal(peer_address_next_free(&p2p, p2p_used, 1, &got), 0);
        assert_prefix(&got, "10.8.0.1/32");
}

static void test_next_free_ipv6(void **state) {
        IpPrefix net = prefix("fd00:8::/64"), got;
        IpPrefix used[] = { prefix("fd00:8::1/128"), prefix("fd00:8::2/128"), prefix("fd00:8::4/128") };
        assert_int_equal(peer_address_next_free(&net, used, 1, &got), 0);
        assert_prefix(&got, "fd00:8::2/128");
        assert_int_equal(peer_address_next_free(&net, used, 3, &got), 0);
        assert_prefix(&got, "fd00:8::3/128");

        /* the subnet-router anycast address ::0 is skipped; IPv6 has no broadcast */
        IpPrefix small = prefix("fd00:9::/126"); /* ::0 - ::3 */
        assert_int_equal(peer_address_next_free(&small, NULL, 0, &got), 0);
        assert_prefix(&got, "fd00:9::1/128");
        IpPrefix small_used[] = { prefix("fd00:9::1/128"), prefix("fd00:9::2/128") };
        assert_int_equal(peer_address_next_free(&small, small_used, 2, &got), 0);
        assert_prefix(&got, "fd00:9::3/128");
        IpPrefix small_full[] = { small_used[0], small_used[1], prefix("fd00:9::3/128") };
        assert_int_equal(peer_address_next_free(&small, small_full, 3, &got), -ENOSPC);

        /* crossing a 64-bit boundary inside the 128-bit arithmetic */
        IpPrefix wide = prefix("fd00:a::/63");
        IpPrefix wide_used[] = { prefix("fd00:a::/64") };
        assert_int_equal(peer_address_next_free(&wide, wide_used, 1, &got), 0);
        assert_prefix(&got, "fd00:a:0:1::/128");
}

static void test_next_free_many_peers(void **state) {
        IpPrefix net = prefix("10.8.0.0/16"), got;
        size_t n = 10000;
        IpPrefix *used = calloc(n, sizeof(IpPrefix));
        assert_non_null(used);
        for (size_t i = 0; i < n; i++) {
                char s[32];
                snprintf(s, sizeof s, "10.8.%zu.%zu/32", (i + 1) / 256, (i + 1) % 256);
                used[n - 1 - i] = prefix(s);
        }
        assert_int_equal(peer_address_next_free(&net, used, n, &got), 0);
        assert_prefix(&got, "10.8.39.17/32"); /* 10001 = 39 * 256 + 17 */
        free(used);
}

static void test_allocate_from_bridge(void **state) {
        _cleanup_(bridge_freep) Bridge *b = NULL;
        _cleanup_free_ char *text = NULL;
        IpPrefix got;

        assert_true(asprintf(&text,
                             "[Bridge]\nAddress=10.8.0.1/24\nAddress=fd00:8::1/64\n"
                             "[Peer]\nName=a\nPublicKey=%s\nAddress=10.8.0.2/32\nAddress=fd00:8::2/128\n"
                             "[Peer]\nName=b\nPublicKey=%s\nAddress=10.8.0.4/32\n",
                             KEY1, KEY2) > 0);
        b = load(text);
        assert_int_equal(peer_address_allocate(b, AF_INET, &got), 0);
        assert_prefix(&got, "10.8.0.3/32");
        assert_int_equal(peer_address_allocate(b, AF_INET6, &got), 0);
        assert_prefix(&got, "fd00:8::3/128");

        _cleanup_(bridge_freep) Bridge *v4only = load("[Bridge]\nAddress=10.8.0.1/24\n");
        assert_int_equal(peer_address_allocate(v4only, AF_INET6, &got), -ENOENT);
}

static void test_address_check(void **state) {
        _cleanup_(bridge_freep) Bridge *b = NULL;
        _cleanup_free_ char *text = NULL;
        assert_true(asprintf(&text, "[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=a\nPublicKey=%s\nAddress=10.8.0.2/32\n",
                             KEY1) > 0);
        b = load(text);

        log_set_sink(count_log, NULL);
        IpPrefix ok = prefix("10.8.0.9"), outside = prefix("10.9.0.9"), own = prefix("10.8.0.1"),
                 taken = prefix("10.8.0.2"), net = prefix("10.8.0.0"), bcast = prefix("10.8.0.255"),
                 wide = prefix("10.8.0.0/30");
        assert_int_equal(peer_address_check(b, &ok), 0);
        assert_int_equal(peer_address_check(b, &outside), -EINVAL);
        assert_non_null(strstr(last_log, "outside"));
        assert_int_equal(peer_address_check(b, &own), -EADDRINUSE);
        assert_int_equal(peer_address_check(b, &taken), -EADDRINUSE);
        assert_non_null(strstr(last_log, "peer 'a'"));
        assert_int_equal(peer_address_check(b, &net), -EINVAL);
        assert_int_equal(peer_address_check(b, &bcast), -EINVAL);
        assert_int_equal(peer_address_check(b, &wide), -EINVAL);
        log_set_sink(NULL, NULL);
}

/* ---- peer names, keys, drop-ins ---- */

static Bridge *bridge_with_peer_a(void) {
        _cleanup_free_ char *text = NULL;
        assert_true(asprintf(&text, "[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=a\nPublicKey=%s\nAddress=10.8.0.2/32\n",
                             KEY1) > 0);
        return load(text);
}

static void test_request_check(void **state) {
        _cleanup_(bridge_freep) Bridge *b = bridge_with_peer_a();
        IpPrefix addr = prefix("10.8.0.3/32");
        PeerRequest req = { .name = "laptop", .addresses = &addr, .n_addresses = 1 };
        assert_int_equal(wg_key_from_base64(req.public_key, KEY2), 0);

        log_set_sink(count_log, NULL);
        assert_int_equal(peer_request_check(b, &req), 0);

        static const char *const bad[] = { "", "Laptop", "-laptop", "lap_top", "lap top", "lap.top", "läptop",
                                           "a23456789012345678901234567890123" /* 33 */ };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                req.name = bad[i];
                assert_int_equal(peer_request_check(b, &req), -EINVAL);
        }
        req.name = "a2345678901234567890123456789012"; /* 32: the longest allowed */
        assert_int_equal(peer_request_check(b, &req), 0);
        req.name = "0-phone";
        assert_int_equal(peer_request_check(b, &req), 0);

        /* duplicate name, duplicate key */
        req.name = "a";
        assert_int_equal(peer_request_check(b, &req), -EEXIST);
        assert_non_null(strstr(last_log, "already has a peer named 'a'"));
        req.name = "laptop";
        assert_int_equal(wg_key_from_base64(req.public_key, KEY1), 0);
        assert_int_equal(peer_request_check(b, &req), -EEXIST);
        assert_non_null(strstr(last_log, "already used by peer 'a'"));
        /* the error names the key, which is public, never a private one */
        assert_non_null(strstr(last_log, KEY1));

        memset(req.public_key, 0, WG_KEY_LEN);
        assert_int_equal(peer_request_check(b, &req), -EINVAL);

        /* addresses: none, used, twice */
        assert_int_equal(wg_key_from_base64(req.public_key, KEY2), 0);
        req.n_addresses = 0;
        assert_int_equal(peer_request_check(b, &req), -EINVAL);
        IpPrefix twice[] = { prefix("10.8.0.7/32"), prefix("10.8.0.7/32") };
        req.addresses = twice;
        req.n_addresses = 2;
        assert_int_equal(peer_request_check(b, &req), -EINVAL);
        IpPrefix used = prefix("10.8.0.2/32");
        req.addresses = &used;
        req.n_addresses = 1;
        assert_int_equal(peer_request_check(b, &req), -EADDRINUSE);
        log_set_sink(NULL, NULL);

        /* the key checks the CLI relies on (--public-key) */
        WgKey k;
        assert_int_equal(wg_key_from_base64(k, "abc"), -EINVAL);
        assert_int_equal(wg_key_from_base64(k, "FzB/cJ3TdUSElPLebSrZQMkGebTATK9ZFYE/9fNDTzY"), -EINVAL);
        assert_int_equal(wg_key_from_base64(k, "FzB/cJ3TdUSElPLebSrZQMkGebTATK9ZFYE/9fNDTz!="), -EINVAL);
}

static void test_dropin_round_trip(void **state) {
        _cleanup_(bridge_freep) Bridge *b = bridge_with_peer_a();
        IpPrefix addrs[] = { prefix("10.8.0.3/32") };
        PeerRequest req = {
                .name = "laptop",
                .addresses = addrs,
                .n_addresses = 1,
                .persistent_keepalive = 25,
                .preshared_key_file = "/var/lib/nfswg/t/peers/laptop.psk",
        };
        assert_int_equal(wg_key_from_base64(req.public_key, KEY2), 0);

        _cleanup_free_ char *dropin = peer_dropin_format(b, &req);
        assert_non_null(dropin);
        _cleanup_free_ char *name = peer_dropin_filename("laptop");
        assert_string_equal(name, "peer-laptop.conf");

        /* The drop-in, appended as its own file would be read, gives exactly the requested peer. */
        _cleanup_free_ char *text = NULL;
        assert_true(asprintf(&text, "[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=a\nPublicKey=%s\nAddress=10.8.0.2/32\n%s",
                             KEY1, dropin) > 0);
        _cleanup_(bridge_freep) Bridge *nb = load(text);
        const Peer *p = bridge_find_peer(nb, "laptop");
        assert_non_null(p);
        assert_memory_equal(p->public_key, req.public_key, WG_KEY_LEN);
        assert_int_equal(p->n_addresses, 1);
        assert_prefix(&p->addresses[0], "10.8.0.3/32");
        assert_int_equal(p->persistent_keepalive, 25);
        assert_string_equal(p->preshared_key_file, "/var/lib/nfswg/t/peers/laptop.psk");

        /* keepalive 0 and no psk: the keys are left out */
        req.persistent_keepalive = 0;
        req.preshared_key_file = NULL;
        _cleanup_free_ char *plain = peer_dropin_format(b, &req);
        assert_null(strstr(plain, "PersistentKeepalive"));
        assert_null(strstr(plain, "PresharedKeyFile"));
}

/* ---- JSON: a small parser to read the output back ---- */

typedef enum JType { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } JType;
typedef struct JVal JVal;
struct JVal {
        JType type;
        char *str;       /* J_STR; J_NUM as text */
        char **keys;     /* J_OBJ, in order */
        JVal **items;    /* J_ARR, J_OBJ */
        size_t n;
};

static void jfree(JVal *v) {
        if (!v)
                return;
        for (size_t i = 0; i < v->n; i++) {
                jfree(v->items[i]);
                if (v->keys)
                        free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        free(v->str);
        free(v);
}

static void jws(const char **p) {
        while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r')
                (*p)++;
}

static char *jstring(const char **p) {
        if (**p != '"')
                return NULL;
        (*p)++;
        StrBuf s = {};
        while (**p && **p != '"') {
                unsigned char c = (unsigned char) **p;
                if (c < 0x20) {
                        strbuf_done(&s);
                        return NULL; /* raw control characters are not JSON */
                }
                if (c == '\\') {
                        (*p)++;
                        switch (**p) {
                        case '"': strbuf_append(&s, "\""); break;
                        case '\\': strbuf_append(&s, "\\"); break;
                        case '/': strbuf_append(&s, "/"); break;
                        case 'n': strbuf_append(&s, "\n"); break;
                        case 't': strbuf_append(&s, "\t"); break;
                        case 'r': strbuf_append(&s, "\r"); break;
                        case 'b': strbuf_append(&s, "\b"); break;
                        case 'f': strbuf_append(&s, "\f"); break;
                        case 'u': {
                                unsigned v;
                                if (sscanf(*p + 1, "%4x", &v) != 1 || v > 0x7f) {
                                        strbuf_done(&s);
                                        return NULL;
                                }
                                strbuf_appendf(&s, "%c", (char) v);
                                *p += 4;
                                break;
                        }
                        default:
                                strbuf_done(&s);
                                return NULL;
                        }
                        (*p)++;
                        continue;
                }
                strbuf_appendf(&s, "%c", (char) c);
                (*p)++;
        }
        if (**p != '"') {
                strbuf_done(&s);
                return NULL;
        }
        (*p)++;
        return strbuf_finish(&s);
}

static JVal *jparse(const char **p) {
        JVal *v = calloc(1, sizeof *v);
        assert_non_null(v);
        jws(p);
        if (**p == '{' || **p == '[') {
                bool obj = **p == '{';
                char close = obj ? '}' : ']';
                v->type = obj ? J_OBJ : J_ARR;
                (*p)++;
                jws(p);
                if (**p == close) {
                        (*p)++;
                        return v;
                }
                for (;;) {
                        char *key = NULL;
                        jws(p);
                        if (obj) {
                                key = jstring(p);
                                jws(p);
                                if (!key || **p != ':') {
                                        free(key);
                                        jfree(v);
                                        return NULL;
                                }
                                (*p)++;
                        }
                        JVal *item = jparse(p);
                        if (!item) {
                                free(key);
                                jfree(v);
                                return NULL;
                        }
                        v->items = realloc(v->items, (v->n + 1) * sizeof(JVal *));
                        if (obj)
                                v->keys = realloc(v->keys, (v->n + 1) * sizeof(char *)), v->keys[v->n] = key;
                        v->items[v->n++] = item;
                        jws(p);
                        if (**p == ',') {
                                (*p)++;
                                continue;
                        }
                        if (**p == close) {
                                (*p)++;
                                return v;
                        }
                        jfree(v);
                        return NULL;
                }
        }
        if (**p == '"') {
                v->type = J_STR;
                v->str = jstring(p);
                if (!v->str) {
                        jfree(v);
                        return NULL;
                }
                return v;
        }
        if (startswith(*p, "null")) {
                *p += 4;
                return v;
        }
        if (startswith(*p, "true") || startswith(*p, "false")) {
                v->type = J_BOOL;
                *p += **p == 't' ? 4 : 5;
                return v;
        }
        size_t l = strspn(*p, "-0123456789.eE+");
        if (l == 0) {
                jfree(v);
                return NULL;
        }
        v->type = J_NUM;
        v->str = strndup(*p, l);
        *p += l;
        return v;
}

static JVal *jparse_all(const char *text) {
        const char *p = text;
        JVal *v = jparse(&p);
        assert_non_null(v);
        jws(&p);
        assert_int_equal(*p, '\0'); /* nothing after the document */
        return v;
}

static const JVal *jget(const JVal *o, const char *key) {
        assert_int_equal(o->type, J_OBJ);
        for (size_t i = 0; i < o->n; i++)
                if (streq(o->keys[i], key))
                        return o->items[i];
        fail_msg("key %s missing", key);
        return NULL;
}

static void assert_keys(const JVal *o, const char *const *keys, size_t n) {
        assert_int_equal(o->type, J_OBJ);
        assert_int_equal(o->n, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(o->keys[i], keys[i]);
}

static void assert_jstr(const JVal *v, const char *s) {
        if (!s) {
                assert_int_equal(v->type, J_NULL);
                return;
        }
        assert_int_equal(v->type, J_STR);
        assert_string_equal(v->str, s);
}

static void assert_jnum(const JVal *v, const char *s) {
        if (!s) {
                assert_int_equal(v->type, J_NULL);
                return;
        }
        assert_int_equal(v->type, J_NUM);
        assert_string_equal(v->str, s);
}

static const char *const bridge_keys[] = { "name", "unit_state", "interface", "listen_port", "public_key",
                                           "peers", "exports", "nft" };
static const char *const peer_keys[] = { "name", "public_key", "addresses", "endpoint", "latest_handshake",
                                         "handshake_age_seconds", "rx_bytes", "tx_bytes", "rx_rate", "tx_rate" };

/* What nfswgd writes (src/daemon/metrics.h; its exact text is tested in test-daemon.c). */
static char *status_file_text(void) {
        char *s = NULL;
        assert_true(asprintf(&s,
                             "{\"bridge\":\"t\",\"mode\":\"embedded\",\"interface\":\"nfswg-t\",\"listen_port\":51820,\"endpoint\":null,"
                             "\"public_key\":\"%s\",\"device\":true,\"peers_up\":1,\"exports\":1,\"config_refused\":true,"
                             "\"firewall\":{\"nfs_accepted_packets\":10,\"nfs_refused_packets\":3,\"forward_accepted_packets\":6,"
                             "\"forward_refused_packets\":4,\"spoofed_packets\":5},\"peers\":[\n"
                             "{\"name\":\"laptop\",\"public_key\":\"%s\",\"addresses\":[\"10.8.0.2/32\",\"fd00:8::2/128\"],"
                             "\"endpoint\":\"[2001:db8::7]:40000\",\"latest_handshake\":1714564758,\"rx_bytes\":1234567890123,"
                             "\"tx_bytes\":77,\"rx_rate\":2048,\"tx_rate\":5,\"up\":true,\"state\":\"up\"}]}\n",
                             KEY3, KEY1) > 0);
        return s;
}

static void test_peer_list_json(void **state) {
        _cleanup_free_ char *conf = NULL, *published_text = status_file_text();
        assert_true(asprintf(&conf,
                             "[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/all\nPeers=*\n"
                             "[Peer]\nName=laptop\nPublicKey=%s\nAddress=10.8.0.2/32\n"
                             "[Peer]\nName=phone\nPublicKey=%s\nAddress=10.8.0.3/32\n",
                             KEY1, KEY2) > 0);
        _cleanup_(bridge_freep) Bridge *b = load(conf);
        StatusFile published = {};
        assert_int_equal(status_file_parse(published_text, &published), 0);
        time_t now = 1714564800;

        /* Not root: the device as the daemon published it. */
        StatusInput in = { .bridge = b, .device = published.device, .published = &published };
        _cleanup_free_ char *json = status_format_peers_json(&in, now);
        assert_non_null(json);
        JVal *root = jparse_all(json);
        static const char *const top_keys[] = { "bridge", "peers" };
        const JVal *top = root;
        assert_keys(top, top_keys, 2);
        assert_jstr(jget(top, "bridge"), "t");
        const JVal *jp = jget(top, "peers");
        assert_int_equal(jp->n, 2);
        assert_keys(jp->items[0], peer_keys, ELEMENTSOF(peer_keys));
        assert_jstr(jget(jp->items[0], "name"), "laptop");
        assert_jstr(jget(jp->items[0], "endpoint"), "[2001:db8::7]:40000");
        assert_jnum(jget(jp->items[0], "handshake_age_seconds"), "42");
        assert_jnum(jget(jp->items[0], "rx_bytes"), "1234567890123");
        assert_jnum(jget(jp->items[0], "rx_rate"), "2048");
        assert_jnum(jget(jp->items[0], "tx_rate"), "5");
        assert_keys(jp->items[1], peer_keys, ELEMENTSOF(peer_keys));
        assert_jstr(jget(jp->items[1], "name"), "phone");
        assert_jnum(jget(jp->items[1], "rx_bytes"), NULL);
        assert_jnum(jget(jp->items[1], "rx_rate"), NULL);
        jfree(root);

        /* status as text, as an unprivileged user sees it: figures and rates from the file. */
        in.unit_state = "active";
        _cleanup_free_ char *text = status_format_text(&in, 1, now);
        assert_non_null(strstr(text, "  peer laptop: 10.8.0.2/32\n    endpoint: [2001:db8::7]:40000\n"
                                     "    latest handshake: 42 s ago\n"
                                     "    transfer: 1.12 TiB received, 77 B sent\n"
                                     "    rate: 2.00 KiB/s received, 5 B/s sent\n"));
        assert_non_null(strstr(text, "  peer phone: 10.8.0.3/32\n    not on the interface\n"));
        status_file_done(&published);
}

static void test_status_file_parse(void **state) {
        StatusFile f = {};
        _cleanup_free_ char *text = status_file_text();
        assert_int_equal(status_file_parse(text, &f), 0);
        assert_string_equal(f.bridge->name, "t");
        assert_int_equal(f.bridge->mode, BRIDGE_MODE_EMBEDDED);
        assert_string_equal(f.bridge->interface, "nfswg-t");
        assert_int_equal(f.bridge->n_peers, 1);
        assert_string_equal(f.bridge->peers[0].name, "laptop");
        assert_int_equal(f.bridge->peers[0].n_addresses, 2);
        assert_true(f.has_counters && f.counters.refused_packets == 3 && f.counters.spoofed_packets == 5);
        assert_true(f.config_refused);
        assert_non_null(f.device);
        assert_int_equal(f.device->listen_port, 51820);
        assert_int_equal(f.device->n_peers, 1);
        assert_true(f.device->peers[0].last_handshake_sec == 1714564758 && f.device->peers[0].rx_bytes == 1234567890123ull);
        char ep[64];
        format_wg_endpoint(&f.device->peers[0].endpoint, ep, sizeof ep);
        assert_string_equal(ep, "[2001:db8::7]:40000");
        const StatusFilePeer *sp = status_file_peer(&f, f.bridge->peers[0].public_key);
        assert_true(sp && sp->rx_rate == 2048 && sp->tx_rate == 5);
        status_file_done(&f);

        assert_int_equal(status_file_parse("{\"bridges\":[]}\n", &f), -EINVAL);
        assert_int_equal(status_file_parse("", &f), -EINVAL);
}

static void test_status_json(void **state) {
        _cleanup_free_ char *text = NULL;
        assert_true(asprintf(&text,
                             "[Bridge]\nAddress=10.8.0.1/24\nAddress=fd00:8::1/64\nListenPort=51820\n"
                             "[Export]\nPath=/srv/all\nPeers=*\n"
                             "[Export]\nPath=/srv/laptop\nPeers=laptop\nReadOnly=yes\n"
                             "[Peer]\nName=laptop\nPublicKey=%s\nAddress=10.8.0.2/32\nAddress=fd00:8::2/128\n"
                             "[Peer]\nName=phone\nPublicKey=%s\nAddress=10.8.0.3/32\n",
                             KEY1, KEY2) > 0);
        _cleanup_(bridge_freep) Bridge *b = load(text);

        /* The device knows laptop (handshake 42 s ago) and a stranger; phone is absent. */
        WgPeer peers[2] = {};
        assert_int_equal(wg_key_from_base64(peers[0].public_key, KEY3), 0);
        assert_int_equal(wg_key_from_base64(peers[1].public_key, KEY1), 0);
        peers[1].endpoint.addr4.sin_family = AF_INET;
        peers[1].endpoint.addr4.sin_port = htons(40000);
        inet_pton(AF_INET, "192.0.2.7", &peers[1].endpoint.addr4.sin_addr);
        time_t now = 1714564800; /* 2024-05-01T12:00:00Z */
        peers[1].last_handshake_sec = now - 42;
        peers[1].rx_bytes = 1234567890123ull;
        peers[1].tx_bytes = 77;
        WgDevice dev = { .ifname = "nfswg-t", .listen_port = 51999, .peers = peers, .n_peers = 2 };
        NftCounters counters = { .accepted_packets = 10, .refused_packets = 3, .accepted_bytes = 999 };
        StatusFile published = {};
        _cleanup_free_ char *published_text = status_file_text();
        assert_int_equal(status_file_parse(published_text, &published), 0);

        StatusInput in[2] = {
                { .bridge = b, .unit_state = "active", .device = &dev, .public_key = KEY3, .counters = &counters,
                  .published = &published },
                { .bridge = b, .unit_state = "unknown" }, /* stopped: no device, key, or table */
        };
        _cleanup_free_ char *json = status_format_json(in, 2, now);
        assert_non_null(json);

        JVal *root = jparse_all(json);
        assert_int_equal(root->n, 1);
        const JVal *bridges = jget(root, "bridges");
        assert_int_equal(bridges->type, J_ARR);
        assert_int_equal(bridges->n, 2);

        /* running bridge */
        const JVal *jb = bridges->items[0];
        assert_keys(jb, bridge_keys, ELEMENTSOF(bridge_keys));
        assert_jstr(jget(jb, "name"), "t");
        assert_jstr(jget(jb, "unit_state"), "active");
        assert_jstr(jget(jb, "interface"), b->interface);
        assert_jnum(jget(jb, "listen_port"), "51999"); /* what the device says */
        assert_jstr(jget(jb, "public_key"), KEY3);

        const JVal *jp = jget(jb, "peers");
        assert_int_equal(jp->type, J_ARR);
        assert_int_equal(jp->n, 2);
        const JVal *laptop = jp->items[0], *phone = jp->items[1];
        assert_keys(laptop, peer_keys, ELEMENTSOF(peer_keys));
        assert_jstr(jget(laptop, "name"), "laptop");
        assert_jstr(jget(laptop, "public_key"), KEY1);
        const JVal *la = jget(laptop, "addresses");
        assert_int_equal(la->type, J_ARR);
        assert_int_equal(la->n, 2);
        assert_jstr(la->items[0], "10.8.0.2/32");
        assert_jstr(la->items[1], "fd00:8::2/128");
        assert_jstr(jget(laptop, "endpoint"), "192.0.2.7:40000");
        assert_jstr(jget(laptop, "latest_handshake"), "2024-05-01T11:59:18Z");
        assert_jnum(jget(laptop, "handshake_age_seconds"), "42");
        assert_jnum(jget(laptop, "rx_bytes"), "1234567890123");
        assert_jnum(jget(laptop, "tx_bytes"), "77");
        assert_jnum(jget(laptop, "rx_rate"), "2048");
        assert_jnum(jget(laptop, "tx_rate"), "5");

        assert_keys(phone, peer_keys, ELEMENTSOF(peer_keys));
        assert_jstr(jget(phone, "name"), "phone");
        assert_jstr(jget(phone, "public_key"), KEY2);
        assert_int_equal(jget(phone, "addresses")->n, 1);
        assert_jstr(jget(phone, "endpoint"), NULL);
        assert_jstr(jget(phone, "latest_handshake"), NULL);
        assert_jnum(jget(phone, "handshake_age_seconds"), NULL);
        assert_jnum(jget(phone, "rx_bytes"), NULL);
        assert_jnum(jget(phone, "tx_bytes"), NULL);
        assert_jnum(jget(phone, "rx_rate"), NULL);
        assert_jnum(jget(phone, "tx_rate"), NULL);

        const JVal *je = jget(jb, "exports");
        assert_int_equal(je->n, 2);
        static const char *const export_keys[] = { "path", "clients" };
        assert_keys(je->items[0], export_keys, 2);
        assert_jstr(jget(je->items[0], "path"), "/srv/all");
        const JVal *c0 = jget(je->items[0], "clients");
        assert_int_equal(c0->n, 3);
        assert_jstr(c0->items[0], "10.8.0.2/32");
        assert_jstr(c0->items[1], "fd00:8::2/128");
        assert_jstr(c0->items[2], "10.8.0.3/32");
        assert_jstr(jget(je->items[1], "path"), "/srv/laptop");
        const JVal *c1 = jget(je->items[1], "clients");
        assert_int_equal(c1->n, 2);
        assert_jstr(c1->items[0], "10.8.0.2/32");
        assert_jstr(c1->items[1], "fd00:8::2/128");

        const JVal *nft = jget(jb, "nft");
        static const char *const nft_keys[] = { "accepted_packets", "refused_packets" };
        assert_keys(nft, nft_keys, 2);
        assert_jnum(jget(nft, "accepted_packets"), "10");
        assert_jnum(jget(nft, "refused_packets"), "3");

        /* stopped bridge: the model's values, nulls for the rest */
        const JVal *js = bridges->items[1];
        assert_keys(js, bridge_keys, ELEMENTSOF(bridge_keys));
        assert_jstr(jget(js, "unit_state"), "unknown");
        assert_jnum(jget(js, "listen_port"), "51820");
        assert_jstr(jget(js, "public_key"), NULL);
        assert_int_equal(jget(js, "nft")->type, J_NULL);
        const JVal *sp = jget(js, "peers");
        assert_int_equal(sp->n, 2);
        for (size_t i = 0; i < sp->n; i++) {
                assert_jstr(jget(sp->items[i], "endpoint"), NULL);
                assert_jnum(jget(sp->items[i], "rx_bytes"), NULL);
        }
        jfree(root);
        status_file_done(&published);

        /* no bridges at all is still a document */
        _cleanup_free_ char *empty = status_format_json(NULL, 0, now);
        JVal *e = jparse_all(empty);
        assert_int_equal(jget(e, "bridges")->n, 0);
        jfree(e);
}

static void test_json_string_escaping(void **state) {
        StrBuf s = {};
        json_string(&s, "a\"b\\c\nd\te\x01" "f/ü");
        json_string(&s, NULL);
        _cleanup_free_ char *out = strbuf_finish(&s);
        assert_string_equal(out, "\"a\\\"b\\\\c\\nd\\te\\u0001f/ü\"null");

        /* and it reads back as the same string */
        const char *p = out;
        _cleanup_free_ char *back = jstring(&p);
        assert_string_equal(back, "a\"b\\c\nd\te\x01" "f/ü");
}

static void test_formats(void **state) {
        char buf[64];
        format_age(5, buf, sizeof buf);
        assert_string_equal(buf, "5 s");
        format_age(302, buf, sizeof buf);
        assert_string_equal(buf, "5 min 2 s");
        format_age(7260, buf, sizeof buf);
        assert_string_equal(buf, "2 h 1 min");
        format_age(2 * 86400 + 3 * 3600, buf, sizeof buf);
        assert_string_equal(buf, "2 d 3 h");
        format_bytes(512, buf, sizeof buf);
        assert_string_equal(buf, "512 B");
        format_bytes(1536, buf, sizeof buf);
        assert_string_equal(buf, "1.50 KiB");
        format_bytes(3ull << 30, buf, sizeof buf);
        assert_string_equal(buf, "3.00 GiB");

        WgEndpoint e6 = {};
        e6.addr6.sin6_family = AF_INET6;
        e6.addr6.sin6_port = htons(51820);
        inet_pton(AF_INET6, "2001:db8::1", &e6.addr6.sin6_addr);
        format_wg_endpoint(&e6, buf, sizeof buf);
        assert_string_equal(buf, "[2001:db8::1]:51820");
        WgEndpoint none = {};
        format_wg_endpoint(&none, buf, sizeof buf);
        assert_string_equal(buf, "");
}

/* ---- QR codes ---- */

static const char client_config[] =
        "# WireGuard config for peer laptop of nfswg bridge t, generated by nfswg from /etc/nfswg/t.conf.\n"
        "\n"
        "[Interface]\n"
        "PrivateKey = oLTCRfQhPS222kK+fCeIi6bc3KbWKzM7JNLBWvoQn1c=\n"
        "Address = 10.8.0.2/32, fd00:8::2/128\n"
        "MTU = 1380\n"
        "\n"
        "[Peer]\n"
        "PublicKey = T6LqaGeII0NtEfEUAgC2thr+sO9Vj/Pde3e3q9l3JEE=\n"
        "Endpoint = vpn.example.com:51820\n"
        "AllowedIPs = 10.8.0.0/24, fd00:8::/64\n"
        "PersistentKeepalive = 25\n";

static bool have_zbarimg(void) {
        return system("command -v zbarimg >/dev/null 2>&1") == 0;
}

/* zbarimg(1) --raw prints the symbol's data and a newline. */
static char *zbar_decode(const char *png) {
        _cleanup_free_ char *cmd = NULL;
        assert_true(asprintf(&cmd, "zbarimg --raw -q '%s' 2>/dev/null", png) > 0);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        StrBuf s = {};
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf - 1, f)) > 0) {
                buf[n] = '\0';
                strbuf_append(&s, buf);
        }
        int status = pclose(f);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        char *out = strbuf_finish(&s);
        size_t l = strlen(out);
        assert_true(l > 0 && out[l - 1] == '\n');
        out[l - 1] = '\0';
        return out;
}

static void test_qr_payload(void **state) {
        _cleanup_free_ char *payload = qr_config_payload(client_config);
        assert_non_null(payload);
        assert_null(strchr(payload, '#'));
        assert_true(startswith(payload, "[Interface]\nPrivateKey = oLTC"));
        assert_non_null(strstr(payload, "\n\n[Peer]\n"));
        assert_non_null(strstr(payload, "PersistentKeepalive = 25\n"));
}

static void test_qr_png_decodes(void **state) {
        if (!have_zbarimg())
                skip();
        _cleanup_free_ char *payload = qr_config_payload(client_config);
        _cleanup_(qr_bitmap_done) QrBitmap q = {};
        assert_int_equal(qr_encode(payload, &q), 0);
        assert_true(q.width >= 21 && (q.width - 17) % 4 == 0); /* versions 1-40: 17 + 4v */

        char dir[] = "/tmp/nfswg-test-cli-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *png = NULL;
        assert_true(asprintf(&png, "%s/laptop.png", dir) > 0);
        assert_int_equal(qr_write_png(&q, png), 0);

        struct stat st;
        assert_int_equal(stat(png, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        _cleanup_free_ char *decoded = zbar_decode(png);
        /* byte for byte, the final newline included */
        assert_string_equal(decoded, payload);

        unlink(png);
        rmdir(dir);
}

/* The terminal rendering, read back module by module: U+2588 both light, U+2580 top light,
 * U+2584 bottom light, space both dark. */
static void test_qr_utf8_matches_modules(void **state) {
        _cleanup_free_ char *payload = qr_config_payload(client_config);
        _cleanup_(qr_bitmap_done) QrBitmap q = {};
        assert_int_equal(qr_encode(payload, &q), 0);
        _cleanup_free_ char *text = qr_format_utf8(&q, false);
        assert_non_null(text);

        size_t side = q.width + 2 * QR_QUIET_ZONE;
        uint8_t *dark = calloc(side * (side + 1), 1);
        assert_non_null(dark);
        size_t row = 0;
        for (const char *p = text; *p; row += 2) {
                size_t col = 0;
                while (*p && *p != '\n') {
                        bool top_light, bottom_light;
                        if (startswith(p, "\u2588")) {
                                top_light = bottom_light = true;
                                p += 3;
                        } else if (startswith(p, "\u2580")) {
                                top_light = true, bottom_light = false;
                                p += 3;
                        } else if (startswith(p, "\u2584")) {
                                top_light = false, bottom_light = true;
                                p += 3;
                        } else {
                                assert_int_equal(*p, ' ');
                                top_light = bottom_light = false;
                                p++;
                        }
                        assert_true(col < side);
                        dark[row * side + col] = !top_light;
                        dark[(row + 1) * side + col] = !bottom_light;
                        col++;
                }
                assert_int_equal(col, side);
                assert_int_equal(*p, '\n');
                p++;
        }
        assert_int_equal(row, (side + 1) / 2 * 2);

        /* quiet zone light, symbol identical */
        for (size_t y = 0; y < side; y++)
                for (size_t x = 0; x < side; x++) {
                        bool in = x >= QR_QUIET_ZONE && y >= QR_QUIET_ZONE && x < QR_QUIET_ZONE + q.width &&
                                  y < QR_QUIET_ZONE + q.width;
                        uint8_t want = in ? q.dark[(y - QR_QUIET_ZONE) * q.width + (x - QR_QUIET_ZONE)] : 0;
                        assert_int_equal(dark[y * side + x], want);
                }

        /* and what was read back from the text scans as the payload */
        if (have_zbarimg()) {
                QrBitmap back = { .width = q.width, .dark = malloc(q.width * q.width) };
                assert_non_null(back.dark);
                for (size_t y = 0; y < q.width; y++)
                        for (size_t x = 0; x < q.width; x++)
                                back.dark[y * q.width + x] = dark[(y + QR_QUIET_ZONE) * side + x + QR_QUIET_ZONE];
                char dir[] = "/tmp/nfswg-test-cli-XXXXXX";
                assert_non_null(mkdtemp(dir));
                _cleanup_free_ char *png = NULL;
                assert_true(asprintf(&png, "%s/terminal.png", dir) > 0);
                assert_int_equal(qr_write_png(&back, png), 0);
                _cleanup_free_ char *decoded = zbar_decode(png);
                assert_string_equal(decoded, payload);
                unlink(png);
                rmdir(dir);
                qr_bitmap_done(&back);
        }
        free(dark);

        /* with ANSI colours every line is wrapped in black background / white foreground */
        _cleanup_free_ char *ansi = qr_format_utf8(&q, true);
        assert_true(startswith(ansi, "\033[40;97m"));
        assert_non_null(strstr(ansi, "\033[0m\n"));
}

/* The width a terminal QR code may take: TIOCGWINSZ, else $COLUMNS, and no limit off a terminal;
 * qr_utf8_columns() is what qr_format_utf8() really prints per line. */
static void test_qr_terminal_width(void **state) {
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(master >= 0);
        assert_int_equal(grantpt(master), 0);
        assert_int_equal(unlockpt(master), 0);
        int tty = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(tty >= 0);

        struct winsize ws = { .ws_row = 24, .ws_col = 57 };
        assert_int_equal(ioctl(tty, TIOCSWINSZ, &ws), 0);
        setenv("COLUMNS", "33", 1);
        assert_int_equal(qr_terminal_columns(tty), 57);
        ws.ws_col = 0; /* a terminal that does not know its size */
        assert_int_equal(ioctl(tty, TIOCSWINSZ, &ws), 0);
        assert_int_equal(qr_terminal_columns(tty), 33);
        unsetenv("COLUMNS");
        assert_int_equal(qr_terminal_columns(tty), 0);
        close(tty);
        close(master);

        int pipe_fds[2];
        assert_int_equal(pipe(pipe_fds), 0);
        setenv("COLUMNS", "10", 1);
        assert_int_equal(qr_terminal_columns(pipe_fds[1]), 0); /* not a terminal: no limit */
        unsetenv("COLUMNS");
        close(pipe_fds[0]);
        close(pipe_fds[1]);

        _cleanup_free_ char *payload = qr_config_payload(client_config);
        _cleanup_(qr_bitmap_done) QrBitmap q = {};
        assert_int_equal(qr_encode(payload, &q), 0);
        _cleanup_free_ char *text = qr_format_utf8(&q, false);
        size_t columns = 0;
        for (const char *p = text; *p != '\n'; p += (*p & 0x80) ? 3 : 1)
                columns++;
        assert_int_equal(qr_utf8_columns(&q), columns);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_next_free_first_and_gaps),
                cmocka_unit_test(test_next_free_skips_ranges_and_other_families),
                cmocka_unit_test(test_next_free_full_network),
                cmocka_unit_test(test_next_free_ipv6),
                cmocka_unit_test(test_next_free_many_peers),
                cmocka_unit_test(test_allocate_from_bridge),
                cmocka_unit_test(test_address_check),
                cmocka_unit_test(test_request_check),
                cmocka_unit_test(test_dropin_round_trip),
                cmocka_unit_test(test_status_json),
                cmocka_unit_test(test_status_file_parse),
                cmocka_unit_test(test_peer_list_json),
                cmocka_unit_test(test_json_string_escaping),
                cmocka_unit_test(test_formats),
                cmocka_unit_test(test_qr_payload),
                cmocka_unit_test(test_qr_png_decodes),
                cmocka_unit_test(test_qr_utf8_matches_modules),
                cmocka_unit_test(test_qr_terminal_width),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
