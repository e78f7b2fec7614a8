/* SPDX-License-Identifier: MIT */
/* The daemon's pure parts: event texts and fields, the peer state machine, STATUS= and the reload
 * plan. They live in src/daemon/, outside libnfswg, so they are compiled in here directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <syslog.h>

#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rpc/rpc.h>
#include <rpc/pmap_prot.h>
#undef MAX /* tirpc's rpc/types.h has its own; shared/macro.h's are the ones used here */
#undef MIN

#include "daemon/endpoint.h"
#include "daemon/nas-ports.h"
#include "daemon/event.h"
#include "daemon/metrics.h"
#include "daemon/last-good.h"
#include "daemon/stop-intent.h"
#include "shared/fileio.h"
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>
#include "shared/macro.h"
#include "shared/log.h"
#include "shared/message-id.h"
#include "daemon/peer-watch.h"
#include "daemon/reload-plan.h"
#include "daemon/system-files.h"
#include "daemon/manager-internal.h"
#include "shared/fileio.h"

#define KEY_A "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define KEY_B "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
#define KEY_C "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="

#define BRIDGE_SECTION "[Bridge]\nMode=embedded\nInterface=nfswg-t\nAddress=10.8.0.1/24\nListenPort=51820\n"
#define EXPORT_ALL "[Export]\nPath=/srv/nfswg\nPeers=*\n"
#define BRIDGE_HEAD BRIDGE_SECTION EXPORT_ALL
#define PEER_LAPTOP "[Peer]\nName=laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n"
#define PEER_PHONE "[Peer]\nName=phone\nPublicKey=" KEY_B "\nAddress=10.8.0.3/32\n"
#define PEER_TABLET "[Peer]\nName=tablet\nPublicKey=" KEY_C "\nAddress=10.8.0.4/32\n"

static Host *host_of(const char *text) {
        Host *h = calloc(1, sizeof *h);
        Bridge *b = NULL;
        assert_non_null(h);
        assert_int_equal(bridge_load_string("/etc/nfswg/t.conf", "t", text, &b), 0);
        h->bridges = calloc(1, sizeof(Bridge *));
        assert_non_null(h->bridges);
        h->bridges[0] = b;
        h->n_bridges = 1;
        assert_int_equal(host_check(h), 0);
        return h;
}

static const char *field(const Event *e, const char *key) {
        size_t l = strlen(key);
        STRV_FOREACH(f, e->fields)
                if (strncmp(*f, key, l) == 0 && (*f)[l] == '=')
                        return *f + l + 1;
        return NULL;
}

/* ---- events ---- */

static void test_event_peer_up(void **state) {
        Event e = {};
        EventInfo i = { .bridge = "home", .interface = "nfswg0", .peer = "laptop", .public_key = KEY_A,
                        .endpoint = "192.0.2.7:51820", .handshake_age = 3 };

        assert_int_equal(event_build(EVENT_PEER_UP, &i, &e), 0);
        assert_string_equal(e.message, "Bridge home: peer laptop is up from 192.0.2.7:51820.");
        assert_string_equal(e.fields[0], "MESSAGE=Bridge home: peer laptop is up from 192.0.2.7:51820.");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_PEER_UP);
        assert_string_equal(field(&e, "PRIORITY"), "6");
        assert_string_equal(field(&e, "NFSWG_BRIDGE"), "home");
        assert_string_equal(field(&e, "NFSWG_INTERFACE"), "nfswg0");
        assert_string_equal(field(&e, "NFSWG_PEER"), "laptop");
        assert_string_equal(field(&e, "NFSWG_PUBLIC_KEY"), KEY_A);
        assert_string_equal(field(&e, "NFSWG_ENDPOINT"), "192.0.2.7:51820");
        /* Not a field of an up event, and nothing unset appears. */
        assert_null(field(&e, "NFSWG_HANDSHAKE_AGE"));
        assert_null(field(&e, "NFSWG_OLD_ENDPOINT"));
        event_done(&e);
}

static void test_event_stale_down_roamed(void **state) {
        Event e = {};
        EventInfo i = { .bridge = "home", .peer = "phone", .endpoint = "[2001:db8::1]:4000", .handshake_age = 200 };

        assert_int_equal(event_build(EVENT_PEER_STALE, &i, &e), 0);
        assert_string_equal(e.message, "Bridge home: peer phone is stale: last handshake 200s ago from [2001:db8::1]:4000.");
        assert_string_equal(field(&e, "NFSWG_HANDSHAKE_AGE"), "200");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_PEER_STALE);
        assert_string_equal(field(&e, "PRIORITY"), "5");
        event_done(&e);

        i.handshake_age = 600;
        assert_int_equal(event_build(EVENT_PEER_DOWN, &i, &e), 0);
        assert_string_equal(e.message, "Bridge home: peer phone is down: no handshake for 600s.");
        assert_string_equal(field(&e, "PRIORITY"), "4");
        event_done(&e);

        i.handshake_age = -1;
        assert_int_equal(event_build(EVENT_PEER_DOWN, &i, &e), 0);
        assert_string_equal(e.message, "Bridge home: peer phone is down: its session is gone.");
        assert_null(field(&e, "NFSWG_HANDSHAKE_AGE"));
        event_done(&e);

        i.old_endpoint = "198.51.100.2:1234";
        assert_int_equal(event_build(EVENT_PEER_ROAMED, &i, &e), 0);
        assert_string_equal(e.message, "Bridge home: peer phone roamed from 198.51.100.2:1234 to [2001:db8::1]:4000.");
        assert_string_equal(field(&e, "NFSWG_OLD_ENDPOINT"), "198.51.100.2:1234");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_PEER_ROAMED);
        event_done(&e);
}

static void test_event_lifecycle_texts(void **state) {
        Event e = {};
        EventInfo i = { .bridge = "b", .detail = "/etc/nfswg/b.conf.d/x.conf:3: PublicKey= is not 32 bytes of base64",
                        .handshake_age = -1 };

        assert_int_equal(event_build(EVENT_RELOAD_REFUSED, &i, &e), 0);
        assert_string_equal(e.message, "Bridge b: reload refused, the running configuration stays: "
                                       "/etc/nfswg/b.conf.d/x.conf:3: PublicKey= is not 32 bytes of base64");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_RELOAD_REFUSED);
        assert_string_equal(field(&e, "PRIORITY"), "3");
        assert_null(field(&e, "NFSWG_PEER"));
        event_done(&e);

        i.detail = "3 peers, 1 up, exporting /srv/nfswg";
        assert_int_equal(event_build(EVENT_READY, &i, &e), 0);
        assert_string_equal(e.message, "Bridge b: ready: 3 peers, 1 up, exporting /srv/nfswg.");
        event_done(&e);

        i.detail = "/var/lib/nfswg/b/private.key";
        i.public_key = KEY_A;
        assert_int_equal(event_build(EVENT_KEY_CREATED, &i, &e), 0);
        assert_string_equal(e.message, "Bridge b: created a new private key in /var/lib/nfswg/b/private.key; public key " KEY_A ".");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_KEY_CREATED);
        event_done(&e);

        /* Backend=auto's choice: the backend as a field of its own, the reason in the words */
        EventInfo bi = { .bridge = "b", .interface = "nfswg-b", .backend = "userspace",
                         .detail = "this kernel cannot make a wireguard link" };
        assert_int_equal(event_build(EVENT_BACKEND, &bi, &e), 0);
        assert_string_equal(e.message, "Bridge b: Backend=auto: userspace (wireguard-go) WireGuard: this kernel cannot make a wireguard link.");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_BACKEND);
        assert_string_equal(field(&e, "NFSWG_BACKEND"), "userspace");
        assert_string_equal(field(&e, "NFSWG_EVENT"), "backend");
        event_done(&e);

        /* Every kind has a message id and a name. */
        for (int k = 0; k < _EVENT_MAX; k++) {
                assert_non_null(event_kind_message_id(k));
                assert_int_equal(strlen(event_kind_message_id(k)), 32);
                assert_non_null(event_kind_to_string(k));
                assert_int_equal(event_build(k, &i, &e), 0);
                assert_true(startswith(e.message, "Bridge b: "));
                event_done(&e);
        }
        assert_int_equal(event_build(_EVENT_MAX, &i, &e), -EINVAL);
        assert_int_equal(event_build(EVENT_READY, &(EventInfo) {}, &e), -EINVAL);
}

static void capture_quiet(int level, const char *message, void *userdata) {
}

static char *captured;
static int captured_level;
static void capture(int level, const char *message, void *userdata) {
        free(captured);
        captured = strdup(message);
        captured_level = level;
}

static void test_event_send_stderr_same_words(void **state) {
        EventInfo i = { .bridge = "home", .peer = "laptop", .handshake_age = -1 };

        log_set_target(LOG_TARGET_STDERR);
        log_set_sink(capture, NULL);
        event_emit(EVENT_PEER_ADDED, &i);
        log_set_sink(NULL, NULL);
        assert_non_null(captured);
        assert_string_equal(captured, "Bridge home: peer laptop added.");
        assert_int_equal(captured_level, LOG_NOTICE);
        free(captured);
        captured = NULL;
}

/* ---- peer state machine ---- */

static EventKind feed(PeerWatch *w, bool present, int64_t handshake, const char *endpoint, int64_t now, PeerChange *c) {
        PeerReading r = { .present = present, .last_handshake_sec = handshake, .endpoint = endpoint };
        peer_watch_update(w, &r, now, c);
        return c->event;
}

static void test_peer_up_stale_down(void **state) {
        PeerWatch w = {};
        PeerChange c;
        const int64_t t0 = 1700000000;

        /* Never a handshake: nothing to say. */
        assert_int_equal(feed(&w, true, 0, "", t0, &c), _EVENT_NONE);
        assert_int_equal(w.state, PEER_STATE_NEW);
        /* An old handshake of a peer we never saw up (daemon restarted long after): still nothing. */
        assert_int_equal(feed(&w, true, t0 - 1000, "192.0.2.1:1", t0, &c), _EVENT_NONE);

        assert_int_equal(feed(&w, true, t0 + 5, "192.0.2.1:1", t0 + 10, &c), EVENT_PEER_UP);
        assert_int_equal(c.handshake_age, 5);
        assert_true(peer_watch_is_up(&w));
        /* Staying up: quiet, also with a newer handshake (re-key every 120 s). */
        assert_int_equal(feed(&w, true, t0 + 5, "192.0.2.1:1", t0 + 100, &c), _EVENT_NONE);
        assert_int_equal(feed(&w, true, t0 + 125, "192.0.2.1:1", t0 + 130, &c), _EVENT_NONE);
        /* 179 s: up; 180 s: stale (REJECT_AFTER_TIME). */
        assert_int_equal(feed(&w, true, t0 + 125, "192.0.2.1:1", t0 + 125 + 179, &c), _EVENT_NONE);
        assert_int_equal(feed(&w, true, t0 + 125, "192.0.2.1:1", t0 + 125 + 180, &c), EVENT_PEER_STALE);
        assert_int_equal(c.handshake_age, 180);
        assert_int_equal(w.state, PEER_STATE_STALE);
        assert_int_equal(feed(&w, true, t0 + 125, "192.0.2.1:1", t0 + 125 + 300, &c), _EVENT_NONE);
        assert_int_equal(feed(&w, true, t0 + 125, "192.0.2.1:1", t0 + 125 + PEER_DOWN_AFTER_SEC, &c), EVENT_PEER_DOWN);
        assert_int_equal(w.state, PEER_STATE_DOWN);
        assert_int_equal(feed(&w, true, t0 + 125, "192.0.2.1:1", t0 + 5000, &c), _EVENT_NONE);
        /* Back. */
        assert_int_equal(feed(&w, true, t0 + 5001, "192.0.2.1:1", t0 + 5002, &c), EVENT_PEER_UP);
}

static void test_peer_down_without_stale(void **state) {
        PeerWatch w = {};
        PeerChange c;

        assert_int_equal(feed(&w, true, 1000, "192.0.2.1:1", 1001, &c), EVENT_PEER_UP);
        /* The machine slept through the stale window: straight to down. */
        assert_int_equal(feed(&w, true, 1000, "192.0.2.1:1", 1000 + 3600, &c), EVENT_PEER_DOWN);
        assert_int_equal(c.handshake_age, 3600);

        /* The device forgot the peer's session (re-created): down, age unknown. */
        PeerWatch w2 = {};
        assert_int_equal(feed(&w2, true, 1000, "192.0.2.1:1", 1001, &c), EVENT_PEER_UP);
        assert_int_equal(feed(&w2, false, 0, NULL, 1002, &c), EVENT_PEER_DOWN);
        assert_int_equal(c.handshake_age, -1);
        /* A handshake stamped ahead of our clock counts as fresh. */
        assert_int_equal(feed(&w2, true, 2000, "192.0.2.1:1", 1990, &c), EVENT_PEER_UP);
        assert_int_equal(c.handshake_age, 0);
}

static void test_peer_roaming(void **state) {
        PeerWatch w = {};
        PeerChange c;

        assert_int_equal(feed(&w, true, 100, "192.0.2.1:5000", 101, &c), EVENT_PEER_UP);
        assert_int_equal(feed(&w, true, 150, "198.51.100.9:6000", 151, &c), EVENT_PEER_ROAMED);
        assert_string_equal(c.old_endpoint, "192.0.2.1:5000");
        assert_string_equal(w.endpoint, "198.51.100.9:6000");
        /* An empty endpoint reading is no roam. */
        assert_int_equal(feed(&w, true, 150, "", 152, &c), _EVENT_NONE);
        assert_string_equal(w.endpoint, "198.51.100.9:6000");
        /* Coming back up from elsewhere is "up", not "roamed". */
        assert_int_equal(feed(&w, true, 150, "198.51.100.9:6000", 150 + 200, &c), EVENT_PEER_STALE);
        assert_int_equal(feed(&w, true, 400, "203.0.113.5:7000", 401, &c), EVENT_PEER_UP);
}

/* ---- STATUS= ---- */

static void test_status_text(void **state) {
        Host *h = host_of(BRIDGE_HEAD PEER_LAPTOP PEER_PHONE PEER_TABLET);
        char *s = status_format(h->bridges[0], 1);
        assert_string_equal(s, "3 peers, 1 up, exporting /srv/nfswg");
        free(s);
        host_free(h);

        h = host_of(BRIDGE_HEAD PEER_LAPTOP "[Export]\nPath=/srv/media\nPeers=laptop\nReadOnly=yes\n");
        s = status_format(h->bridges[0], 0);
        assert_string_equal(s, "1 peer, 0 up, exporting /srv/nfswg, /srv/media");
        free(s);
        host_free(h);

        h = host_of("[Bridge]\nMode=client\nAddress=10.20.0.5/32\n"
                    "[Server]\nPublicKey=" KEY_A "\nEndpoint=home.example.org:51821\nAllowedIPs=10.20.0.0/24\n"
                    "[Mount]\nWhat=10.20.0.1:/srv/share\nWhere=/mnt/nfswg\n");
        s = status_format(h->bridges[0], 1);
        assert_string_equal(s, "tunnel to home.example.org:51821 up, mounts /mnt/nfswg");
        free(s);
        s = status_format(h->bridges[0], 0);
        assert_string_equal(s, "tunnel to home.example.org:51821 not connected, mounts /mnt/nfswg");
        free(s);
        host_free(h);
}


/* ---- status file and Prometheus metrics ---- */

static void metrics_input(const Bridge *b, MetricsPeer peers[2], NftCounters *c, MetricsInput *in) {
        peers[0] = (MetricsPeer) { .name = "laptop", .peer = &b->peers[0], .endpoint = "192.0.2.7:40000", .present = true,
                                   .last_handshake_sec = 1714564758, .rx_bytes = 1234567890123ull, .tx_bytes = 77,
                                   .rx_rate = 2048, .tx_rate = 5, .up = true, .state = "up" };
        snprintf(peers[0].public_key, sizeof peers[0].public_key, "%s", KEY_A);
        /* Not a name the configuration allows: the escapes of both formats. */
        peers[1] = (MetricsPeer) { .name = "we\"ird\\\n", .peer = &b->peers[1], .state = "new" };
        snprintf(peers[1].public_key, sizeof peers[1].public_key, "%s", KEY_B);
        *c = (NftCounters) { .accepted_packets = 10, .refused_packets = 3, .forward_refused_packets = 4,
                             .spoofed_packets = 5, .forward_accepted_packets = 6 };
        *in = (MetricsInput) { .bridge = b, .public_key = KEY_C, .listen_port = 51820, .device = true, .counters = c,
                               .config_refused = true, .peers = peers, .n_peers = 2 };
}

static void test_metrics_prometheus(void **state) {
        Host *h = host_of(BRIDGE_HEAD PEER_LAPTOP PEER_PHONE);
        MetricsPeer peers[2];
        NftCounters c;
        MetricsInput in;
        metrics_input(h->bridges[0], peers, &c, &in);

        char *s = metrics_format_prometheus(&in);
        assert_string_equal(
                s,
                "# HELP nfswg_peer_last_handshake_seconds Unix time of the latest WireGuard handshake with the peer (0: never).\n"
                "# TYPE nfswg_peer_last_handshake_seconds gauge\n"
                "nfswg_peer_last_handshake_seconds{bridge=\"t\",peer=\"laptop\"} 1714564758\n"
                "nfswg_peer_last_handshake_seconds{bridge=\"t\",peer=\"we\\\"ird\\\\\\n\"} 0\n"
                "# HELP nfswg_peer_receive_bytes_total Bytes received from the peer.\n"
                "# TYPE nfswg_peer_receive_bytes_total counter\n"
                "nfswg_peer_receive_bytes_total{bridge=\"t\",peer=\"laptop\"} 1234567890123\n"
                "nfswg_peer_receive_bytes_total{bridge=\"t\",peer=\"we\\\"ird\\\\\\n\"} 0\n"
                "# HELP nfswg_peer_transmit_bytes_total Bytes sent to the peer.\n"
                "# TYPE nfswg_peer_transmit_bytes_total counter\n"
                "nfswg_peer_transmit_bytes_total{bridge=\"t\",peer=\"laptop\"} 77\n"
                "nfswg_peer_transmit_bytes_total{bridge=\"t\",peer=\"we\\\"ird\\\\\\n\"} 0\n"
                "# HELP nfswg_peer_up 1 when the peer had a handshake within the last 180 seconds, else 0.\n"
                "# TYPE nfswg_peer_up gauge\n"
                "nfswg_peer_up{bridge=\"t\",peer=\"laptop\"} 1\n"
                "nfswg_peer_up{bridge=\"t\",peer=\"we\\\"ird\\\\\\n\"} 0\n"
                "# HELP nfswg_peers Peers configured on the bridge.\n"
                "# TYPE nfswg_peers gauge\n"
                "nfswg_peers{bridge=\"t\"} 2\n"
                "# HELP nfswg_exports Exports of the bridge.\n"
                "# TYPE nfswg_exports gauge\n"
                "nfswg_exports{bridge=\"t\"} 1\n"
                "# HELP nfswg_firewall_dropped_packets_total Packets the bridge's nftables table dropped, by reason.\n"
                "# TYPE nfswg_firewall_dropped_packets_total counter\n"
                "nfswg_firewall_dropped_packets_total{bridge=\"t\",reason=\"nfs_refused\"} 3\n"
                "nfswg_firewall_dropped_packets_total{bridge=\"t\",reason=\"forward_refused\"} 4\n"
                "nfswg_firewall_dropped_packets_total{bridge=\"t\",reason=\"spoofed\"} 5\n"
                "# HELP nfswg_config_refused 1 while a newer configuration is refused and an older one is served.\n"
                "# TYPE nfswg_config_refused gauge\n"
                "nfswg_config_refused{bridge=\"t\"} 1\n");
        free(s);

        /* No peers, no table: the per-peer families and the firewall one are left out, not empty. */
        in.n_peers = 0;
        in.counters = NULL;
        in.config_refused = false;
        s = metrics_format_prometheus(&in);
        assert_null(strstr(s, "nfswg_peer_"));
        assert_null(strstr(s, "nfswg_firewall"));
        assert_non_null(strstr(s, "\nnfswg_peers{bridge=\"t\"} 0\n"));
        assert_non_null(strstr(s, "\nnfswg_config_refused{bridge=\"t\"} 0\n"));
        free(s);
        host_free(h);
}

static void test_metrics_status_json(void **state) {
        Host *h = host_of(BRIDGE_HEAD PEER_LAPTOP PEER_PHONE);
        MetricsPeer peers[2];
        NftCounters c;
        MetricsInput in;
        metrics_input(h->bridges[0], peers, &c, &in);

        char *s = metrics_format_status_json(&in);
        assert_string_equal(
                s,
                "{\"bridge\":\"t\",\"mode\":\"embedded\",\"interface\":\"nfswg-t\",\"listen_port\":51820,\"endpoint\":null,"
                "\"public_key\":\"" KEY_C "\",\"device\":true,\"peers_up\":1,\"exports\":1,\"config_refused\":true,"
                "\"firewall\":{\"nfs_accepted_packets\":10,\"nfs_refused_packets\":3,\"forward_accepted_packets\":6,"
                "\"forward_refused_packets\":4,\"spoofed_packets\":5},\"peers\":[\n"
                "{\"name\":\"laptop\",\"public_key\":\"" KEY_A "\",\"addresses\":[\"10.8.0.2/32\"],"
                "\"endpoint\":\"192.0.2.7:40000\",\"latest_handshake\":1714564758,\"rx_bytes\":1234567890123,"
                "\"tx_bytes\":77,\"rx_rate\":2048,\"tx_rate\":5,\"up\":true,\"state\":\"up\"},\n"
                "{\"name\":\"we\\\"ird\\\\\\n\",\"public_key\":\"" KEY_B "\",\"addresses\":[\"10.8.0.3/32\"],"
                "\"endpoint\":null,\"latest_handshake\":0,\"rx_bytes\":0,\"tx_bytes\":0,\"rx_rate\":0,\"tx_rate\":0,"
                "\"up\":false,\"state\":\"new\"}]}\n");
        free(s);
        host_free(h);
}

static void test_metrics_rates(void **state) {
        assert_int_equal(metrics_rate(0, 5000, 0, 1000000), 0);               /* no earlier sample */
        assert_int_equal(metrics_rate(1000, 6000, 1000000, 3000000), 2500);   /* 5000 B in 2 s */
        assert_int_equal(metrics_rate(6000, 100, 1000000, 3000000), 0);       /* counter reset */
        assert_int_equal(metrics_rate(1000, 6000, 3000000, 3000000), 0);      /* no time passed */
        /* 1 TiB in 1 s: no overflow of delta * 10^6. */
        assert_true(metrics_rate(0, 1ull << 40, 1, 1000001) == 1ull << 40);

        PeerWatch w = {};
        peer_watch_sample(&w, true, 100, 200, 5000000);
        assert_true(w.rx_rate == 0 && w.tx_rate == 0 && w.rx_bytes == 100);
        peer_watch_sample(&w, true, 5100, 1200, 10000000);
        assert_true(w.rx_rate == 1000 && w.tx_rate == 200);
        peer_watch_sample(&w, false, 0, 0, 15000000);
        assert_true(w.rx_rate == 0 && w.sample_usec == 0 && w.rx_bytes == 0);
}

/* ---- reload plan ---- */

static void plan_of(const char *old_text, const char *new_text, Host **ret_old, Host **ret_new, ReloadPlan *p) {
        *ret_old = host_of(old_text);
        *ret_new = host_of(new_text);
        assert_int_equal(reload_plan_build(*ret_old, (*ret_old)->bridges[0], *ret_new, (*ret_new)->bridges[0], p), 0);
}

static void test_plan_add_peer(void **state) {
        Host *o, *n;
        ReloadPlan p;
        char buf[IP_PREFIX_STRLEN];

        plan_of(BRIDGE_HEAD PEER_LAPTOP, BRIDGE_HEAD PEER_LAPTOP PEER_PHONE, &o, &n, &p);
        assert_int_equal(p.n_added, 1);
        assert_string_equal(p.added[0]->name, "phone");
        assert_int_equal(p.n_removed, 0);
        assert_int_equal(p.n_changed, 0);
        assert_false(p.nft_full);
        assert_null(p.restart_reason);
        assert_int_equal(p.nft_add.n_addresses, 1);
        assert_string_equal(ip_prefix_format(&p.nft_add.addresses[0], buf), "10.8.0.3/32");
        assert_int_equal(p.nft_remove.n_addresses, 0);
        char *s = reload_plan_summary(&p);
        assert_string_equal(s, "1 peer added (phone)");
        free(s);
        reload_plan_done(&p);
        host_free(o);
        host_free(n);
}

static void test_plan_remove_and_change(void **state) {
        Host *o, *n;
        ReloadPlan p;
        char buf[IP_PREFIX_STRLEN];

        /* phone goes; laptop moves to 10.8.0.9 and keeps its key. */
        plan_of(BRIDGE_HEAD PEER_LAPTOP PEER_PHONE,
                BRIDGE_HEAD "[Peer]\nName=laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.9/32\n", &o, &n, &p);
        assert_int_equal(p.n_added, 0);
        assert_int_equal(p.n_removed, 1);
        assert_string_equal(p.removed[0]->name, "phone");
        assert_int_equal(p.n_changed, 1);
        assert_string_equal(p.changed[0]->name, "laptop");
        assert_false(p.nft_full);
        assert_int_equal(p.nft_add.n_addresses, 1);
        assert_string_equal(ip_prefix_format(&p.nft_add.addresses[0], buf), "10.8.0.9/32");
        assert_int_equal(p.nft_remove.n_addresses, 2);
        char *s = reload_plan_summary(&p);
        assert_string_equal(s, "1 peer removed (phone), 1 peer changed (laptop)");
        free(s);
        reload_plan_done(&p);
        host_free(o);
        host_free(n);

        /* An address that moves from a removed peer to a new one leaves the sets as they are. */
        plan_of(BRIDGE_HEAD PEER_PHONE,
                BRIDGE_HEAD "[Peer]\nName=tablet\nPublicKey=" KEY_C "\nAddress=10.8.0.3/32\n", &o, &n, &p);
        assert_int_equal(p.n_added, 1);
        assert_int_equal(p.n_removed, 1);
        assert_int_equal(p.nft_add.n_addresses, 0);
        assert_int_equal(p.nft_remove.n_addresses, 0);
        reload_plan_done(&p);
        host_free(o);
        host_free(n);
}

static void test_plan_unchanged(void **state) {
        Host *o, *n;
        ReloadPlan p;

        plan_of(BRIDGE_HEAD PEER_LAPTOP PEER_PHONE, BRIDGE_HEAD PEER_LAPTOP PEER_PHONE, &o, &n, &p);
        assert_int_equal(p.n_added + p.n_removed + p.n_changed, 0);
        assert_false(p.nft_full);
        assert_int_equal(p.nft_add.n_addresses + p.nft_remove.n_addresses, 0);
        char *s = reload_plan_summary(&p);
        assert_string_equal(s, "no peer or firewall change");
        free(s);
        reload_plan_done(&p);
        host_free(o);
        host_free(n);

        /* A new key for the same name and address: changed, no set work. */
        plan_of(BRIDGE_HEAD PEER_LAPTOP, BRIDGE_HEAD "[Peer]\nName=laptop\nPublicKey=" KEY_C "\nAddress=10.8.0.2/32\n",
                &o, &n, &p);
        assert_int_equal(p.n_changed, 1);
        assert_int_equal(p.nft_add.n_addresses + p.nft_remove.n_addresses, 0);
        assert_false(p.nft_full);
        reload_plan_done(&p);
        host_free(o);
        host_free(n);
}

static void test_plan_full_and_restart(void **state) {
        Host *o, *n;
        ReloadPlan p;

        /* NFSv3 adds the pinned side ports to the table: more than the peer sets changes. */
        plan_of(BRIDGE_HEAD PEER_LAPTOP, BRIDGE_SECTION "NFSVersions=4.2 3\n" EXPORT_ALL PEER_LAPTOP PEER_PHONE, &o, &n, &p);
        assert_true(p.nft_full);
        assert_int_equal(p.n_added, 1);
        char *s = reload_plan_summary(&p);
        assert_string_equal(s, "1 peer added (phone), firewall table replaced");
        free(s);
        reload_plan_done(&p);
        host_free(o);
        host_free(n);

        plan_of(BRIDGE_HEAD PEER_LAPTOP,
                "[Bridge]\nMode=embedded\nInterface=nfswg-u\nAddress=10.8.0.1/24\nListenPort=51820\n"
                "[Export]\nPath=/srv/nfswg\nPeers=*\n" PEER_LAPTOP,
                &o, &n, &p);
        assert_non_null(p.restart_reason);
        assert_string_equal(p.restart_reason, "Interface= changed from nfswg-t to nfswg-u");
        reload_plan_done(&p);
        host_free(o);
        host_free(n);
}

/* ---- endpoint failover ---- */

static const EndpointPolicy policy = { .stale_sec = ENDPOINT_STALE_SEC, .grace_sec = ENDPOINT_GRACE_SEC };

static bool dial(EndpointWatch *w, size_t n, int64_t handshake, uint64_t rx, uint64_t tx, int64_t now, size_t *index) {
        EndpointReading r = { .present = true, .last_handshake_sec = handshake, .rx_bytes = rx, .tx_bytes = tx };
        *index = (size_t) -1;
        return endpoint_watch_update(w, n, &r, now, &policy, index);
}

static void test_endpoint_healthy_and_idle(void **state) {
        EndpointWatch w = {};
        size_t i;

        /* No Endpoint=: never anything to do. */
        assert_false(dial(&w, 0, 0, 0, 5000, 100, &i));
        /* First reading: baselines only. */
        assert_false(dial(&w, 2, 1000, 500, 500, 1000, &i));
        /* Handshakes younger than 180 s: healthy, whatever we send. */
        assert_false(dial(&w, 2, 1000, 500, 900, 1179, &i));
        /* 180 s without a handshake or a byte received: stale, but idle (nothing sent): stays. */
        assert_false(dial(&w, 2, 1000, 500, 900, 1180, &i));
        assert_true(w.stale);
        assert_false(dial(&w, 2, 1000, 500, 900, 5000, &i));
        assert_int_equal(w.index, 0);

        /* Bytes received keep a peer alive without a handshake (the far end's keepalives). */
        EndpointWatch k = {};
        assert_false(dial(&k, 2, 1000, 100, 100, 1000, &i));
        for (int64_t t = 1000; t < 1500; t += 25)
                assert_false(dial(&k, 2, 1000, 100 + (uint64_t) t, 100 + (uint64_t) t, t, &i));
        assert_false(k.stale);
        assert_int_equal(k.index, 0);
        /* A device that lost the peer: nothing to judge. */
        EndpointReading gone = { .present = false };
        assert_false(endpoint_watch_update(&k, 2, &gone, 9999, &policy, &i));
}

static void test_endpoint_failover_order(void **state) {
        EndpointWatch w = {};
        size_t i;
        uint64_t tx = 1000;

        /* Never a handshake since start. */
        assert_false(dial(&w, 3, 0, 0, tx, 100, &i));
        /* The next reading: no sign of life ever = stale at once; tx baseline taken now. */
        assert_false(dial(&w, 3, 0, 0, tx, 105, &i));
        assert_true(w.stale);
        /* A handshake initiation goes out (tx grows): the attempt starts. */
        tx += 148;
        assert_false(dial(&w, 3, 0, 0, tx, 110, &i));
        assert_int_equal(w.trying_sec, 110);
        /* 14 s later still waiting, at 15 s give up: Endpoint= number 1. */
        tx += 148;
        assert_false(dial(&w, 3, 0, 0, tx, 124, &i));
        assert_true(dial(&w, 3, 0, 0, tx, 125, &i));
        assert_int_equal(i, 1);
        assert_int_equal(w.index, 1);
        /* The new endpoint gets its own grace, counted from the first packet sent to it. */
        assert_false(dial(&w, 3, 0, 0, tx, 135, &i));
        assert_int_equal(w.trying_sec, 0);
        tx += 148;
        assert_false(dial(&w, 3, 0, 0, tx, 140, &i));
        assert_false(dial(&w, 3, 0, 0, tx, 154, &i));
        assert_true(dial(&w, 3, 0, 0, tx, 155, &i));
        assert_int_equal(i, 2);
        /* Wrap around to the first. */
        tx += 148;
        assert_false(dial(&w, 3, 0, 0, tx, 160, &i));
        assert_true(dial(&w, 3, 0, 0, tx, 175, &i));
        assert_int_equal(i, 0);
        /* A handshake via it: healthy, no more switching however much we send. */
        tx += 148;
        assert_false(dial(&w, 3, 176, 92, tx, 177, &i));
        assert_false(w.stale);
        for (int64_t t = 180; t < 350; t += 5) {
                tx += 100;
                assert_false(dial(&w, 3, 176, 92, tx, t, &i));
        }
        assert_int_equal(w.index, 0);
}

static void test_endpoint_stale_after_session(void **state) {
        EndpointWatch w = {};
        size_t i;

        /* Up with a handshake at 1000; the path dies; we keep sending (keepalives) from 1100 on. */
        assert_false(dial(&w, 2, 1000, 5000, 5000, 1000, &i));
        assert_false(dial(&w, 2, 1000, 5100, 5100, 1050, &i));
        /* Last byte received at 1050: still alive at 1229, stale at 1230 (180 s after). */
        assert_false(dial(&w, 2, 1000, 5100, 5200, 1229, &i));
        assert_false(w.stale);
        assert_false(dial(&w, 2, 1000, 5100, 5200, 1230, &i));
        assert_true(w.stale);
        /* What was sent before going stale does not count; what is sent after does. */
        assert_false(dial(&w, 2, 1000, 5100, 5200, 1240, &i));
        assert_int_equal(w.trying_sec, 0);
        assert_false(dial(&w, 2, 1000, 5100, 5348, 1245, &i));
        assert_false(dial(&w, 2, 1000, 5100, 5496, 1259, &i));
        assert_true(dial(&w, 2, 1000, 5100, 5644, 1260, &i));
        assert_int_equal(i, 1);

        /* One Endpoint=: the same one, to be looked up again. */
        EndpointWatch one = {};
        assert_false(dial(&one, 1, 0, 0, 0, 0, &i));
        assert_false(dial(&one, 1, 0, 0, 0, 5, &i));
        assert_false(dial(&one, 1, 0, 0, 148, 10, &i));
        assert_true(dial(&one, 1, 0, 0, 296, 25, &i));
        assert_int_equal(i, 0);

        /* Small test thresholds (NFSWG_STALE_SEC=3, grace 3) with keepalives every second. */
        const EndpointPolicy fast = { .stale_sec = 3, .grace_sec = 3 };
        EndpointWatch f = {};
        EndpointReading r = { .present = true, .last_handshake_sec = 100, .rx_bytes = 32, .tx_bytes = 32 };
        int64_t t = 100, switched = 0;
        assert_false(endpoint_watch_update(&f, 2, &r, t, &fast, &i));
        for (t = 101; t < 110; t++) {
                r.rx_bytes += 32, r.tx_bytes += 32;
                assert_false(endpoint_watch_update(&f, 2, &r, t, &fast, &i));
        }
        /* rx stops at 109 (the path died); we keep sending. */
        for (t = 110; t < 130 && !switched; t++) {
                r.tx_bytes += 32;
                if (endpoint_watch_update(&f, 2, &r, t, &fast, &i))
                        switched = t;
        }
        /* stale at 112, trying from 113, switch at 116 */
        assert_int_equal(switched, 116);
        assert_int_equal(i, 1);
}

static void test_endpoint_helpers(void **state) {
        Endpoint a[] = { { .host = (char *) "site.example.org", .port = 51820 }, { .host = (char *) "2001:db8::1", .port = 1 } };
        Endpoint b[] = { { .host = (char *) "site.example.org", .port = 51820 }, { .host = (char *) "2001:db8::1", .port = 2 } };
        char buf[ENDPOINT_STRLEN];

        assert_true(endpoints_equal(a, 2, a, 2));
        assert_false(endpoints_equal(a, 2, b, 2));
        assert_false(endpoints_equal(a, 2, a, 1));
        assert_string_equal(endpoint_to_string(&a[0], buf, sizeof buf), "site.example.org:51820");
        assert_string_equal(endpoint_to_string(&a[1], buf, sizeof buf), "[2001:db8::1]:1");

        Event e = {};
        EventInfo info = { .bridge = "site-a", .interface = "nfswg-site-a", .peer = "gw-a", .public_key = KEY_A,
                           .endpoint = "site.example.org:51820", .old_endpoint = "198.51.100.41:51820",
                           .detail = "site.example.org:51820 is 192.0.2.9:51820", .handshake_age = 200 };
        assert_int_equal(event_build(EVENT_ENDPOINT_FAILOVER, &info, &e), 0);
        assert_string_equal(e.message, "Bridge site-a: peer gw-a: no handshake via 198.51.100.41:51820, trying "
                                       "site.example.org:51820 (site.example.org:51820 is 192.0.2.9:51820).");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_ENDPOINT_FAILOVER);
        assert_string_equal(field(&e, "NFSWG_PEER"), "gw-a");
        assert_string_equal(field(&e, "NFSWG_ENDPOINT"), "site.example.org:51820");
        assert_string_equal(field(&e, "NFSWG_OLD_ENDPOINT"), "198.51.100.41:51820");
        assert_string_equal(field(&e, "NFSWG_HANDSHAKE_AGE"), "200");
        event_done(&e);
}

/* ---- NAS ports from rpcbind ---- */

#define NAS_BRIDGE "[Bridge]\nMode=nas\nInterface=nfswg-t\nAddress=10.8.0.1/24\nListenPort=51820\n" PEER_LAPTOP

/* A pmap list as rpcbind's PMAPPROC_DUMP returns it, built by hand: nodes[i] links to nodes[i + 1]. */
static struct pmaplist *pmap_chain(struct pmaplist *nodes, size_t n) {
        for (size_t i = 0; i < n; i++)
                nodes[i].pml_next = i + 1 < n ? &nodes[i + 1] : NULL;
        return n > 0 ? nodes : NULL;
}

#define PMAP(prog, vers, prot, port) { .pml_map = { prog, vers, prot, port } }

static struct pmaplist rpcinfo_like[] = {
        PMAP(100000, 2, IPPROTO_TCP, 111),   /* portmapper: not an NFS program */
        PMAP(100000, 2, IPPROTO_UDP, 111),
        PMAP(100005, 1, IPPROTO_UDP, 20048), /* mountd: every version, both protocols, one port */
        PMAP(100005, 3, IPPROTO_UDP, 20048),
        PMAP(100005, 3, IPPROTO_TCP, 20048),
        PMAP(100024, 1, IPPROTO_UDP, 32766), /* status: UDP and TCP on different ports */
        PMAP(100024, 1, IPPROTO_TCP, 32765),
        PMAP(100003, 3, IPPROTO_TCP, 2049),  /* nfs on 2049: always open anyway */
        PMAP(100227, 3, IPPROTO_TCP, 2049),
        PMAP(100021, 4, IPPROTO_TCP, 4045),  /* nlockmgr */
        PMAP(100021, 4, IPPROTO_UDP, 4045),
        PMAP(100003, 3, IPPROTO_UDP, 2050),  /* nfs off 2049 (UDP) counts */
        PMAP(100011, 1, IPPROTO_UDP, 875),   /* rquotad: not asked for */
        PMAP(100005, 3, 132, 7777),          /* SCTP: not forwarded */
        PMAP(100005, 3, IPPROTO_TCP, 0),     /* unset */
        PMAP(100021, 4, IPPROTO_TCP, 70000), /* not a port */
        PMAP(100024, 1, IPPROTO_UDP, 111),   /* 111 stays out of the list */
};

static void test_nas_ports_from_pmaplist(void **state) {
        uint16_t *ports = NULL;
        size_t n = 99;
        bool mountd = false;

        assert_int_equal(
                nas_ports_from_pmaplist(pmap_chain(rpcinfo_like, ELEMENTSOF(rpcinfo_like)), &ports, &n, &mountd), 0);
        assert_true(mountd);
        assert_int_equal(n, 5);
        assert_int_equal(ports[0], 2050);
        assert_int_equal(ports[1], 4045);
        assert_int_equal(ports[2], 20048);
        assert_int_equal(ports[3], 32765);
        assert_int_equal(ports[4], 32766);
        StrBuf sb = {};
        nas_ports_format(&sb, ports, n);
        char *text = strbuf_finish(&sb);
        assert_string_equal(text, "2050 4045 20048 32765 32766");
        free(text);
        free(ports);

        /* An NFSv4-only NAS: rpcbind lists itself and nfs on 2049; nothing to add. */
        ports = (uint16_t *) 1;
        mountd = true;
        assert_int_equal(nas_ports_from_pmaplist(pmap_chain(rpcinfo_like, 2), &ports, &n, &mountd), 0);
        assert_int_equal(n, 0);
        assert_null(ports);
        assert_false(mountd);
        mountd = true;
        assert_int_equal(nas_ports_from_pmaplist(NULL, &ports, &n, &mountd), 0);
        assert_int_equal(n, 0);
        assert_null(ports);
        assert_false(mountd);

        /* rpcbind and lockd up, mountd not registered yet (a NAS still booting): the ports so far,
         * and no mountd, so the daemon asks again soon. A mountd entry with port 0 is not one. */
        static struct pmaplist booting[] = {
                PMAP(100000, 2, IPPROTO_TCP, 111),
                PMAP(100021, 4, IPPROTO_TCP, 4045),
                PMAP(100005, 3, IPPROTO_TCP, 0),
        };
        mountd = true;
        assert_int_equal(nas_ports_from_pmaplist(pmap_chain(booting, ELEMENTSOF(booting)), &ports, &n, &mountd), 0);
        assert_int_equal(n, 1);
        assert_int_equal(ports[0], 4045);
        assert_false(mountd);
        free(ports);
        /* The flag is optional. */
        assert_int_equal(nas_ports_from_pmaplist(pmap_chain(booting, ELEMENTSOF(booting)), &ports, &n, NULL), 0);
        free(ports);
}

/* A reply record as an rpcbind sends it: reply header + pmap list, split into fragments of at
 * most frag bytes, each with its record mark (RFC 5531 section 11). */
static size_t reply_record(uint32_t xid, enum accept_stat stat, struct pmaplist *list, size_t frag, uint8_t *out,
                           size_t size) {
        char body[4096];
        struct rpc_msg reply = {};
        XDR x;

        reply.rm_xid = xid;
        reply.rm_direction = REPLY;
        reply.rm_reply.rp_stat = MSG_ACCEPTED;
        reply.acpted_rply.ar_verf = _null_auth;
        reply.acpted_rply.ar_stat = stat;
        reply.acpted_rply.ar_results.where = (caddr_t) &list;
        reply.acpted_rply.ar_results.proc = (xdrproc_t) xdr_pmaplist_ptr;
        xdrmem_create(&x, body, sizeof body, XDR_ENCODE);
        assert_true(xdr_replymsg(&x, &reply));
        size_t len = xdr_getpos(&x), n = 0;
        xdr_destroy(&x);

        for (size_t off = 0; off < len; off += frag) {
                size_t l = MIN(frag, len - off);
                uint32_t mark = htonl((off + l == len ? 0x80000000u : 0) | (uint32_t) l);
                assert_true(n + 4 + l <= size);
                memcpy(out + n, &mark, 4);
                memcpy(out + n + 4, body + off, l);
                n += 4 + l;
        }
        return n;
}

static void test_nas_query_call_and_reply(void **state) {
        uint8_t call[NAS_CALL_MAX], rec[8192];
        size_t n = 0;

        /* The call: one last fragment holding a portmapper v2 DUMP with our xid, no arguments. */
        assert_int_equal(nas_query_build_call(0x12345678, call, &n), 0);
        uint32_t mark;
        memcpy(&mark, call, 4);
        assert_int_equal(ntohl(mark), 0x80000000u | (uint32_t) (n - 4));
        struct rpc_msg msg = {};
        XDR x;
        xdrmem_create(&x, (char *) call + 4, (u_int) (n - 4), XDR_DECODE);
        assert_true(xdr_callmsg(&x, &msg));
        assert_int_equal(xdr_getpos(&x), n - 4);
        xdr_destroy(&x);
        assert_int_equal(msg.rm_xid, 0x12345678);
        assert_int_equal(msg.rm_direction, CALL);
        assert_int_equal(msg.rm_call.cb_prog, 100000);
        assert_int_equal(msg.rm_call.cb_vers, 2);
        assert_int_equal(msg.rm_call.cb_proc, 4);

        /* The reply in 3 fragments: nothing until the last byte is there, then the ports. */
        size_t len = reply_record(0x12345678, SUCCESS, pmap_chain(rpcinfo_like, ELEMENTSOF(rpcinfo_like)), 100, rec,
                                  sizeof rec);
        assert_true(len > 2 * 104);
        uint16_t *ports = NULL;
        size_t n_ports = 0;
        bool mountd = false;
        for (size_t i = 0; i < len; i++)
                assert_int_equal(nas_query_parse_reply(rec, i, 0x12345678, &ports, &n_ports, &mountd), 0);
        assert_int_equal(nas_query_parse_reply(rec, len, 0x12345678, &ports, &n_ports, &mountd), 1);
        assert_true(mountd);
        assert_int_equal(n_ports, 5);
        assert_int_equal(ports[2], 20048);
        free(ports);

        /* Not our call's answer, not an answer at all, refused, too big. */
        assert_int_equal(nas_query_parse_reply(rec, len, 0x12345679, &ports, &n_ports, NULL), -EBADMSG);
        len = reply_record(7, PROC_UNAVAIL, NULL, 4096, rec, sizeof rec);
        assert_int_equal(nas_query_parse_reply(rec, len, 7, &ports, &n_ports, NULL), -EPROTO);
        const uint8_t garbage[] = { 0x80, 0, 0, 4, 'H', 'T', 'T', 'P' };
        assert_int_equal(nas_query_parse_reply(garbage, sizeof garbage, 7, &ports, &n_ports, NULL), -EBADMSG);
        const uint8_t huge[] = { 0x80, 0x10, 0, 0, 0, 0, 0, 0 };
        assert_int_equal(nas_query_parse_reply(huge, sizeof huge, 7, &ports, &n_ports, NULL), -EMSGSIZE);
}

static void test_nas_forward_wants_discovery(void **state) {
        static const struct {
                const char *forward;
                bool wanted;
        } cases[] = {
                { "[Forward]\nTo=192.168.50.2/32\nPorts=nfs\n", true },
                { "[Forward]\nTo=fd00:50::2/128\nPorts=nfs\n", true },
                { "[Forward]\nTo=192.168.50.2/32\nPorts=nfs\nNASPorts=20048\n", false },
                { "[Forward]\nTo=192.168.50.0/24\nPorts=nfs\n", false },
                { "[Forward]\nTo=192.168.50.2/32\nPorts=all\n", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char text[1024];
                snprintf(text, sizeof text, "%s%s", NAS_BRIDGE, cases[i].forward);
                Host *h = host_of(text);
                const Bridge *b = h->bridges[0];
                assert_int_equal(b->n_forwards, 1);
                if (nas_forward_wants_discovery(b, &b->forwards[0]) != cases[i].wanted)
                        fail_msg("case %zu (%s): expected %d", i, cases[i].forward, cases[i].wanted);
                host_free(h);
        }
}

static void test_nas_discovery_carry_and_status(void **state) {
        const char *text = NAS_BRIDGE "[Forward]\nTo=192.168.60.0/24\nPorts=nfs\n"
                                      "[Forward]\nTo=192.168.50.2/32\nPorts=nfs\n";
        Host *o = host_of(text), *n = host_of(text);
        NasDiscovery d = {}, d2 = {};

        /* Start: one target (the single host), nothing known, the model untouched. */
        assert_int_equal(nas_discovery_prepare(&d, NULL, o, o->bridges[0]), 0);
        assert_int_equal(d.n_targets, 1);
        assert_int_equal(d.targets[0].forward, 1);
        assert_string_equal(d.targets[0].nas_text, "192.168.50.2");
        assert_false(d.targets[0].known);
        assert_int_equal(o->bridges[0]->forwards[1].n_nas_ports, 0);
        StrBuf sb = {};
        nas_discovery_status(&d, &sb);
        char *s = strbuf_finish(&sb);
        assert_string_equal(s, ", NAS 192.168.50.2 v3 ports not known yet (rpcbind: asking)");
        free(s);

        /* As if rpcbind had answered; a reload carries the ports into the new model. */
        d.targets[0].known = true;
        d.targets[0].ports = calloc(2, sizeof(uint16_t));
        assert_non_null(d.targets[0].ports);
        d.targets[0].ports[0] = 4045;
        d.targets[0].ports[1] = 20048;
        d.targets[0].n_ports = 2;
        assert_int_equal(nas_discovery_prepare(&d2, &d, n, n->bridges[0]), 0);
        assert_int_equal(d2.n_targets, 1);
        assert_true(d2.targets[0].known);
        const Forward *f = &n->bridges[0]->forwards[1];
        assert_int_equal(f->n_nas_ports, 2);
        assert_int_equal(f->nas_ports[0], 4045);
        assert_int_equal(f->nas_ports[1], 20048);
        assert_int_equal(n->bridges[0]->forwards[0].n_nas_ports, 0);
        sb = (StrBuf) {};
        nas_discovery_status(&d2, &sb);
        s = strbuf_finish(&sb);
        assert_string_equal(s, ", NAS 192.168.50.2 v3 ports 4045 20048");
        free(s);

        nas_discovery_done(&d);
        nas_discovery_done(&d2);
        assert_int_equal(d2.n_targets, 0);
        host_free(o);
        host_free(n);
}

static void test_nas_ports_event(void **state) {
        const uint16_t ports[] = { 4045, 20048 };
        EventInfo info = { .bridge = "nas", .interface = "nfswg-nas", .handshake_age = -1 };
        Event e = {};

        assert_int_equal(nas_ports_event_build(&info, "192.168.50.2", ports, 2, &e), 0);
        assert_string_equal(e.message, "Bridge nas: rpcbind of NAS 192.168.50.2 lists its NFSv3 side ports 4045 20048; "
                                       "peers may reach them (with 2049 and 111) now.");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_NAS_PORTS);
        assert_string_equal(field(&e, "PRIORITY"), "6");
        assert_string_equal(field(&e, "NFSWG_EVENT"), "nas-ports");
        assert_string_equal(field(&e, "NFSWG_BRIDGE"), "nas");
        assert_string_equal(field(&e, "NFSWG_NAS"), "192.168.50.2");
        assert_string_equal(field(&e, "NFSWG_NAS_PORTS"), "4045 20048");
        event_done(&e);

        assert_int_equal(nas_ports_event_build(&info, "fd00::2", NULL, 0, &e), 0);
        assert_string_equal(e.message, "Bridge nas: rpcbind of NAS fd00::2 lists no NFSv3 side ports; peers reach "
                                       "2049 and 111 only (NFSv4).");
        assert_string_equal(field(&e, "NFSWG_NAS_PORTS"), "");
        event_done(&e);
}

/* ---- restart without outage (issue 14) ---- */

static void test_stop_intent_decision(void **state) {
        /* What systemd 252's JobType reads while the main process handles SIGTERM. */
        assert_int_equal(stop_intent_from_job_type("restart"), STOP_INTENT_RESTART);
        assert_int_equal(stop_intent_from_job_type("try-restart"), STOP_INTENT_RESTART);
        assert_int_equal(stop_intent_from_job_type("reload-or-restart"), STOP_INTENT_RESTART);
        assert_int_equal(stop_intent_from_job_type("stop"), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_job_type("start"), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_job_type("reload"), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_job_type("verify-active"), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_job_type(""), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_job_type(NULL), STOP_INTENT_STOP); /* no job: systemctl kill */

        assert_int_equal(stop_intent_from_hook_text("restart\n"), STOP_INTENT_RESTART);
        assert_int_equal(stop_intent_from_hook_text("  restart"), STOP_INTENT_RESTART);
        assert_int_equal(stop_intent_from_hook_text("restarting"), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_hook_text("stop"), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_hook_text(""), STOP_INTENT_STOP);
        assert_int_equal(stop_intent_from_hook_text(NULL), STOP_INTENT_STOP);
        assert_string_equal(stop_intent_to_string(STOP_INTENT_RESTART), "restart");
        assert_string_equal(stop_intent_to_string(STOP_INTENT_STOP), "stop");
}

static void test_stop_intent_query(void **state) {
        char dir[] = "/tmp/nfswg-test-intent.XXXXXX", path[64];
        const char *why = NULL;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/intent", dir);

        /* The tests' hook: absent means stop, "restart" a restart. */
        setenv("NFSWG_STOP_INTENT_FILE", path, 1);
        assert_int_equal(stop_intent_query("t", &why), STOP_INTENT_STOP);
        assert_int_equal(write_file_atomic(path, "restart\n", 0644, (uid_t) -1, (gid_t) -1), 1);
        assert_int_equal(stop_intent_query("t", &why), STOP_INTENT_RESTART);
        assert_int_equal(write_file_atomic(path, "stop\n", 0644, (uid_t) -1, (gid_t) -1), 1);
        assert_int_equal(stop_intent_query("t", &why), STOP_INTENT_STOP);
        unlink(path);
        rmdir(dir);
        unsetenv("NFSWG_STOP_INTENT_FILE");

        /* No systemd to ask: a real stop, the safe side (a stop must clean up). */
        assert_int_equal(stop_intent_query("t", &why), STOP_INTENT_STOP);
        char *old = getenv("DBUS_SYSTEM_BUS_ADDRESS") ? strdup(getenv("DBUS_SYSTEM_BUS_ADDRESS")) : NULL;
        setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/nfswg-test-bus", 1);
        log_set_sink(capture_quiet, NULL);
        assert_int_equal(stop_intent_ask_systemd("nfswg@t.service", &why), STOP_INTENT_STOP);
        log_set_sink(NULL, NULL);
        assert_string_equal(why, "systemd could not be asked");
        if (old)
                setenv("DBUS_SYSTEM_BUS_ADDRESS", old, 1);
        else
                unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        free(old);
}

/* A stand-in for systemd's D-Bus API on a private dbus-daemon(1): GetUnit, Unit.Job, Job.JobType,
 * so that stop_intent_ask_systemd() is tested on the wire, not only its decision. */
static int fake_get_unit(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name;
        int r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        if (!streq(name, "nfswg@t.service"))
                return sd_bus_error_set(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit not loaded.");
        return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/unit/nfswg_40t_2eservice");
}

static int fake_unit_job(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const char *type = userdata;
        return sd_bus_message_append(reply, "(uo)", type ? 42 : 0, type ? "/org/freedesktop/systemd1/job/42" : "/");
}

static int fake_job_type(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", (const char *) userdata);
}

static const sd_bus_vtable fake_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("GetUnit", "s", "o", fake_get_unit, 0),
        SD_BUS_VTABLE_END,
};
static const sd_bus_vtable fake_unit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Job", "(uo)", fake_unit_job, 0, 0),
        SD_BUS_VTABLE_END,
};
static const sd_bus_vtable fake_job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("JobType", "s", fake_job_type, 0, 0),
        SD_BUS_VTABLE_END,
};

/* Serves job_type (NULL: no job) on address until killed; returns once the name is owned. */
static pid_t fake_systemd_start(const char *address, const char *job_type) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                sd_bus *bus = NULL;
                void *ud = (void *) job_type;
                close(p[0]);
                if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_set_bus_client(bus, 1) < 0 ||
                    sd_bus_start(bus) < 0 ||
                    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                             fake_manager_vtable, NULL) < 0 ||
                    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1/unit/nfswg_40t_2eservice",
                                             "org.freedesktop.systemd1.Unit", fake_unit_vtable, ud) < 0 ||
                    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1/job/42", "org.freedesktop.systemd1.Job",
                                             fake_job_vtable, ud) < 0 ||
                    sd_bus_request_name(bus, "org.freedesktop.systemd1", 0) < 0)
                        _exit(1);
                (void) !write(p[1], "r", 1);
                close(p[1]);
                for (;;) {
                        int r = sd_bus_process(bus, NULL);
                        if (r < 0)
                                _exit(1);
                        if (r == 0)
                                (void) sd_bus_wait(bus, UINT64_MAX);
                }
        }
        close(p[1]);
        char c;
        assert_int_equal(read(p[0], &c, 1), 1);
        close(p[0]);
        return pid;
}

static void fake_systemd_stop(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static void test_stop_intent_over_dbus(void **state) {
        char address[256] = "", pid_text[32] = "";
        const char *why = NULL;

        FILE *f = popen("dbus-daemon --session --fork --print-address=1 --print-pid=1 2>/dev/null", "r");
        if (!f || !fgets(address, sizeof address, f) || !fgets(pid_text, sizeof pid_text, f)) {
                if (f)
                        pclose(f);
                skip(); /* no dbus-daemon here */
        }
        pclose(f);
        address[strcspn(address, "\n")] = '\0';
        pid_t bus_pid = (pid_t) atoi(pid_text);
        char *old = getenv("DBUS_SYSTEM_BUS_ADDRESS") ? strdup(getenv("DBUS_SYSTEM_BUS_ADDRESS")) : NULL;
        setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);

        static const struct {
                const char *job_type;
                StopIntent expect;
        } cases[] = {
                { "restart", STOP_INTENT_RESTART },   /* systemctl restart / try-restart, during the stop phase */
                { "stop", STOP_INTENT_STOP },         /* systemctl stop, disable --now, removal, shutdown */
                { "start", STOP_INTENT_STOP },
                { NULL, STOP_INTENT_STOP },           /* no job: systemctl kill, a stray SIGTERM */
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                pid_t fake = fake_systemd_start(address, cases[i].job_type);
                assert_int_equal(stop_intent_ask_systemd("nfswg@t.service", &why), cases[i].expect);
                fake_systemd_stop(fake);
        }

        /* An unknown unit, and nobody answering: a real stop. */
        log_set_sink(capture_quiet, NULL);
        pid_t fake = fake_systemd_start(address, "restart");
        assert_int_equal(stop_intent_ask_systemd("nfswg@other.service", &why), STOP_INTENT_STOP);
        fake_systemd_stop(fake);
        assert_int_equal(stop_intent_ask_systemd("nfswg@t.service", &why), STOP_INTENT_STOP);
        assert_string_equal(why, "systemd could not be asked");
        log_set_sink(NULL, NULL);

        kill(bus_pid, SIGTERM);
        if (old)
                setenv("DBUS_SYSTEM_BUS_ADDRESS", old, 1);
        else
                unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        free(old);
}

static void test_event_refusal_texts(void **state) {
        Event e = {};
        EventInfo i = { .bridge = "b", .interface = "nfswg-b",
                        .detail = "/etc/nfswg/b.conf.d/x.conf:5: unknown key Bogus= in section [Peer].",
                        .handshake_age = -1 };

        assert_int_equal(event_build(EVENT_CONFIG_REFUSED, &i, &e), 0);
        assert_string_equal(e.message, "Bridge b: newer configuration refused, serving the last good one: "
                                       "/etc/nfswg/b.conf.d/x.conf:5: unknown key Bogus= in section [Peer].");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_CONFIG_REFUSED);
        assert_string_equal(field(&e, "PRIORITY"), "3");
        assert_string_equal(field(&e, "NFSWG_EVENT"), "config-refused");
        event_done(&e);

        assert_int_equal(event_build(EVENT_START_REFUSED, &i, &e), 0);
        assert_string_equal(e.message, "Bridge b: configuration refused, not starting (no running bridge to keep): "
                                       "/etc/nfswg/b.conf.d/x.conf:5: unknown key Bogus= in section [Peer].");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_START_REFUSED);
        assert_string_equal(field(&e, "PRIORITY"), "3");
        event_done(&e);

        i.detail = NULL;
        assert_int_equal(event_build(EVENT_LEFT_UP, &i, &e), 0);
        assert_string_equal(e.message, "Bridge b: restart: leaving the bridge up for the next start (link, peers, "
                                       "firewall table and exports stay).");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_LEFT_UP);
        event_done(&e);

        i.peer = "laptop";
        i.detail = "2026-12-31T23:59:59Z";
        assert_int_equal(event_build(EVENT_PEER_EXPIRED, &i, &e), 0);
        assert_string_equal(e.message, "Bridge b: peer laptop expired (Expires=2026-12-31T23:59:59Z): it has no access.");
        assert_string_equal(field(&e, "MESSAGE_ID"), NFSWG_MESSAGE_PEER_EXPIRED);
        assert_string_equal(field(&e, "NFSWG_PEER"), "laptop");
        assert_string_equal(field(&e, "PRIORITY"), "5");
        event_done(&e);
        i.peer = NULL;

        /* New ids, distinct from every other. */
        assert_string_not_equal(NFSWG_MESSAGE_CONFIG_REFUSED, NFSWG_MESSAGE_RELOAD_REFUSED);
        for (int a = 0; a < _EVENT_MAX; a++)
                for (int b = a + 1; b < _EVENT_MAX; b++)
                        assert_string_not_equal(event_kind_message_id(a), event_kind_message_id(b));

        char *reasons[] = { (char *) "/etc/nfswg/b.conf.d/x.conf:5: unknown key Bogus= in section [Peer].", NULL };
        char *s = status_format_refused("1 peer, 1 up, exporting /srv/nfswg", reasons);
        assert_string_equal(s, "1 peer, 1 up, exporting /srv/nfswg; serving the last good configuration, newer one "
                               "refused: /etc/nfswg/b.conf.d/x.conf:5: unknown key Bogus= in section [Peer].");
        free(s);
}

static void test_last_good_copy(void **state) {
        char root[] = "/tmp/nfswg-test-lastgood.XXXXXX", path[256];
        _cleanup_(bridge_freep) Bridge *b = NULL;
        Host *h = NULL;
        const Bridge *saved = NULL;
        struct stat st;

        assert_non_null(mkdtemp(root));
        snprintf(path, sizeof path, "%s/etc/nfswg/t.conf.d/peer-phone.conf", root);
        assert_int_equal(mkdir_parents(path, 0755), 0);
        assert_int_equal(write_file_atomic(path, PEER_PHONE, 0644, (uid_t) -1, (gid_t) -1), 1);
        snprintf(path, sizeof path, "%s/etc/nfswg/t.conf", root);
        assert_int_equal(write_file_atomic(path, BRIDGE_HEAD PEER_LAPTOP, 0644, (uid_t) -1, (gid_t) -1), 1);
        assert_int_equal(bridge_load(root, "t", &b), 0);

        assert_false(last_good_exists(root, "t"));
        assert_int_equal(last_good_save(root, b), 0);
        assert_true(last_good_exists(root, "t"));
        snprintf(path, sizeof path, "%s/run/nfswg/t/last-good/etc/nfswg/t.conf.d/peer-phone.conf", root);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* The drop-in breaks: the copy still loads, as the bridge it was, under its own name. */
        snprintf(path, sizeof path, "%s/etc/nfswg/t.conf.d/peer-phone.conf", root);
        assert_int_equal(write_file_atomic(path, PEER_PHONE "Bogus=1\n", 0644, (uid_t) -1, (gid_t) -1), 1);
        assert_int_equal(last_good_load(root, "t", &h, &saved), 0);
        assert_int_equal(saved->n_peers, 2);
        assert_string_equal(saved->config_id, "/etc/nfswg/t.conf");
        assert_string_equal(saved->interface, "nfswg-t");
        assert_int_equal(h->n_bridges, 1);
        host_free(h);

        /* A second save replaces the first whole (the drop-in removed goes from the copy too). */
        unlink(path);
        bridge_free(b);
        b = NULL;
        assert_int_equal(bridge_load(root, "t", &b), 0);
        assert_int_equal(last_good_save(root, b), 0);
        snprintf(path, sizeof path, "%s/run/nfswg/t/last-good/etc/nfswg/t.conf.d/peer-phone.conf", root);
        assert_int_not_equal(access(path, F_OK), 0);

        char *reasons[] = { (char *) "/etc/nfswg/t.conf:9: bad", NULL };
        _cleanup_free_ char *text = NULL;
        assert_int_equal(refused_write(root, "t", LAST_GOOD_DIR, reasons), 0);
        snprintf(path, sizeof path, "%s/run/nfswg/t/refused", root);
        assert_int_equal(read_full_file(path, &text, NULL), 0);
        assert_string_equal(text, "live=last-good\n/etc/nfswg/t.conf:9: bad\n");

        /* A real stop forgets both. */
        last_good_forget(root, "t");
        assert_false(last_good_exists(root, "t"));
        assert_int_not_equal(access(path, F_OK), 0);

        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
}

/* ---- system files: the nfs-utils environment file goes with the exports fragment ---- */

static void test_system_files_nfs_utils_env(void **state) {
        Host *h = host_of(BRIDGE_HEAD);
        _cleanup_(render_list_done) RenderList l = {};
        char root[] = "/tmp/nfswg-test-sysfiles-XXXXXX", path[256];
        assert_non_null(mkdtemp(root));
        assert_int_equal(render_daemon(h, h->bridges[0], &l), 0);

        snprintf(path, sizeof path, "%s/run/nfswg/t/nfs-utils.env", root);
        /* networkd's files are written on their own, earlier: not the environment file */
        assert_true(system_files_write(&l, SYSTEM_FILE_NETWORKD, root) >= 0);
        assert_int_equal(access(path, F_OK), -1);
        /* with the exports (before READY=1, for nfs-utils' daemons ordered after the bridge) */
        assert_int_equal(system_files_write(&l, SYSTEM_FILE_EXPORTS, root), 1);
        _cleanup_free_ char *text = NULL;
        assert_int_equal(read_full_file(path, &text, NULL), 0);
        assert_non_null(strstr(text, "\nNFSWG_STATD_ARGS=\"--port 32765 --outgoing-port 32766 --nlm-port 4045 --nlm-udp-port 4045\"\n"));
        assert_non_null(strstr(text, "\nNFSWG_MOUNTD_ARGS=\"--port 20048\"\n"));
        assert_int_equal(system_files_write(&l, SYSTEM_FILE_EXPORTS, root), 0);
        /* and gone on stop, with the exports */
        assert_int_equal(system_files_remove(&l, SYSTEM_FILE_EXPORTS, root), 1);
        assert_int_equal(access(path, F_OK), -1);

        host_free(h);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
}

/* A reload that removes the bridge's last [Export] takes away the exports fragment and the
 * nfs-utils environment file with it (the bridge pins nothing for nfs-utils any more). */
static void test_exports_gone_take_env_file(void **state) {
        char root[] = "/tmp/nfswg-test-noexport-XXXXXX", path[256];
        assert_non_null(mkdtemp(root));
        Manager m = { .name = "t", .root = root };
        RenderList none = {};

        snprintf(path, sizeof path, "%s/run/nfswg/t/nfs-utils.env", root);
        assert_int_equal(mkdir_parents(path, 0755), 0);
        assert_int_equal(write_file_atomic(path, "NFSWG_MOUNTD_ARGS=\"--port 20048\"\n", 0644, (uid_t) -1, (gid_t) -1), 1);
        char frag[256];
        snprintf(frag, sizeof frag, "%s/etc/exports.d/nfswg-t.exports", root);
        assert_int_equal(mkdir_parents(frag, 0755), 0);
        assert_int_equal(write_file_atomic(frag, "/srv/nfswg 10.8.0.2(rw)\n", 0644, (uid_t) -1, (gid_t) -1), 1);

        setenv("NFSWG_EXPORTFS", "/bin/true", 1);
        assert_int_equal(manager_apply_exports(&m, &none, false), 0);
        unsetenv("NFSWG_EXPORTFS");
        assert_int_not_equal(access(frag, F_OK), 0);
        assert_int_not_equal(access(path, F_OK), 0);

        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exports_gone_take_env_file),
                cmocka_unit_test(test_event_peer_up),
                cmocka_unit_test(test_event_stale_down_roamed),
                cmocka_unit_test(test_event_lifecycle_texts),
                cmocka_unit_test(test_event_send_stderr_same_words),
                cmocka_unit_test(test_peer_up_stale_down),
                cmocka_unit_test(test_peer_down_without_stale),
                cmocka_unit_test(test_peer_roaming),
                cmocka_unit_test(test_status_text),
                cmocka_unit_test(test_metrics_prometheus),
                cmocka_unit_test(test_metrics_status_json),
                cmocka_unit_test(test_metrics_rates),
                cmocka_unit_test(test_plan_add_peer),
                cmocka_unit_test(test_plan_remove_and_change),
                cmocka_unit_test(test_plan_unchanged),
                cmocka_unit_test(test_plan_full_and_restart),
                cmocka_unit_test(test_endpoint_healthy_and_idle),
                cmocka_unit_test(test_endpoint_failover_order),
                cmocka_unit_test(test_endpoint_stale_after_session),
                cmocka_unit_test(test_endpoint_helpers),
                cmocka_unit_test(test_nas_ports_from_pmaplist),
                cmocka_unit_test(test_nas_query_call_and_reply),
                cmocka_unit_test(test_nas_forward_wants_discovery),
                cmocka_unit_test(test_nas_discovery_carry_and_status),
                cmocka_unit_test(test_nas_ports_event),
                cmocka_unit_test(test_stop_intent_decision),
                cmocka_unit_test(test_stop_intent_query),
                cmocka_unit_test(test_stop_intent_over_dbus),
                cmocka_unit_test(test_event_refusal_texts),
                cmocka_unit_test(test_last_good_copy),
                cmocka_unit_test(test_system_files_nfs_utils_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
