/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <time.h>

#include "log-capture.h"
#include "emit/emit.h"
#include "model/bridge.h"
#include "shared/fileio.h"
#include "shared/key.h"

#define KEY_A "YZAhfZcZrK6gUBSw/WdXUvJ0e91CSW7ZCz1OV6EsNHw="
#define KEY_B "8NzSZ1CiffUGAQgGGyDxf5lPa7URfWWpkJGbd3pMt0w="
#define KEY_C "Ur7FrGunhpSM0AUpC3o+6rt6WH64fQ4yeGyl7v+ALnk="

static Bridge *load_ok(const char *text) {
        Bridge *b = NULL;
        log_capture_start();
        int r = bridge_load_string("t.conf", "t", text, &b);
        if (r < 0)
                fprintf(stderr, "unexpected errors:\n%s", captured_log);
        assert_int_equal(r, 0);
        assert_non_null(b);
        return b;
}

/* Loads text expecting rejection with a message containing needle. */
static void load_bad(const char *text, const char *needle) {
        Bridge *b = NULL;
        log_capture_start();
        assert_int_equal(bridge_load_string("t.conf", "t", text, &b), -EINVAL);
        assert_null(b);
        if (!log_captured(needle))
                fprintf(stderr, "expected '%s' in:\n%s", needle, captured_log);
        assert_true(log_captured(needle));
}

static void test_packaged_default(void **state) {
        Bridge *b = load_ok("[Bridge]\nMode=embedded\nAddress=10.8.0.1/24\nListenPort=51820\n"
                            "[Export]\nPath=/srv/nfswg\nPeers=*\nReadOnly=no\nSquash=root\n");
        assert_int_equal(b->mode, BRIDGE_MODE_EMBEDDED);
        assert_string_equal(b->interface, "nfswg-t");
        assert_int_equal(b->listen_port, 51820);
        assert_int_equal(b->mtu, DEFAULT_MTU);
        assert_string_equal(b->private_key_file, "/var/lib/nfswg/t/private.key");
        assert_int_equal(b->nfs_versions, NFS_V4_2);
        assert_int_equal(b->n_exports, 1);
        assert_true(b->exports[0].all_peers);
        assert_int_equal(b->exports[0].squash, SQUASH_ROOT);
        assert_int_equal(b->exports[0].anon_uid, 65534);
        assert_int_equal(b->nfs.mountd_port, DEFAULT_MOUNTD_PORT);
        assert_int_equal(b->nfs.lockd_port, DEFAULT_LOCKD_PORT);
        assert_null(b->endpoint.host);
        bridge_free(b);
}

static void test_every_bridge_key(void **state) {
        Bridge *b = load_ok("[Bridge]\nMode=nas\nBackend=userspace\nInterface=wg.nas_0\n"
                            "Address=10.8.0.1/24 fd00:8::1/64\nListenPort=51000\nEndpoint=[2001:db8::1]:51000\n"
                            "MTU=1420\nPrivateKeyFile=/etc/nfswg/keys/nas.key\nNFSVersions=4.1 3\nDNS=10.8.0.1 fd00:8::1\n"
                            "[NFS]\nMountdPort=20048\nStatdPort=662\nStatdOutgoingPort=2020\nLockdPort=32000\nMaxBlockSize=1048576\n"
                            "[Forward]\nTo=192.168.50.0/24\nMasquerade=no\nPorts=nfs\nNASPorts=892 32803\n");
        assert_int_equal(b->mode, BRIDGE_MODE_NAS);
        assert_int_equal(b->backend, BACKEND_USERSPACE);
        assert_string_equal(b->interface, "wg.nas_0");
        assert_int_equal(b->n_addresses, 2);
        assert_int_equal(b->addresses[1].family, AF_INET6);
        assert_string_equal(b->endpoint.host, "2001:db8::1");
        assert_int_equal(b->endpoint.port, 51000);
        assert_int_equal(b->mtu, 1420);
        assert_int_equal(b->nfs_versions, NFS_V4_1 | NFS_V3);
        assert_string_equal(b->dns[1], "fd00:8::1");
        assert_true(b->nfs.set);
        assert_int_equal(b->nfs.statd_port, 662);
        assert_int_equal(b->nfs.lockd_port, 32000);
        assert_int_equal(b->nfs.max_block_size, 1048576);
        assert_int_equal(b->n_forwards, 1);
        assert_false(b->forwards[0].masquerade);
        assert_int_equal(b->forwards[0].n_nas_ports, 2);
        assert_int_equal(b->forwards[0].nas_ports[1], 32803);
        bridge_free(b);
}

/* CloseNFSOn=: interface names as Interface= takes them, a list (space separated or repeated,
 * duplicates once), reset by an empty assignment; never the bridge's own tunnel */
static void test_close_nfs_on(void **state) {
        Bridge *b = load_ok("[Bridge]\nAddress=10.8.0.1/24\n");
        assert_null(b->close_nfs_on);
        bridge_free(b);

        b = load_ok("[Bridge]\nAddress=10.8.0.1/24\nCloseNFSOn=eth0 ens3\nCloseNFSOn=wan.7\nCloseNFSOn=eth0\n");
        assert_int_equal((int) strv_length(b->close_nfs_on), 3);
        assert_string_equal(b->close_nfs_on[0], "eth0");
        assert_string_equal(b->close_nfs_on[1], "ens3");
        assert_string_equal(b->close_nfs_on[2], "wan.7");
        bridge_free(b);

        b = load_ok("[Bridge]\nAddress=10.8.0.1/24\nCloseNFSOn=eth0\nCloseNFSOn=\nCloseNFSOn=ens3\n");
        assert_int_equal((int) strv_length(b->close_nfs_on), 1);
        assert_string_equal(b->close_nfs_on[0], "ens3");
        bridge_free(b);

        load_bad("[Bridge]\nAddress=10.8.0.1/24\nCloseNFSOn=eth0 this-name-is-too-long\n",
                 "t.conf:3: CloseNFSOn= names must be 1 to 15 characters");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n\nCloseNFSOn=eth0;rm\n", "t.conf:4: CloseNFSOn=");
        /* the bridge's own Interface=, given or the default nfswg-NAME, wherever it is set */
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nCloseNFSOn=eth0 wg0\nInterface=wg0\n",
                 "t.conf:3: CloseNFSOn= names wg0, the bridge's own Interface=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nCloseNFSOn=nfswg-t\n", "t.conf:3: CloseNFSOn= names nfswg-t, the bridge's own");
}

static void test_peers_and_exports(void **state) {
        Bridge *b = load_ok("[Bridge]\nAddress=10.8.0.1/24\n"
                            "[Peer]\nName=laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.2\nPersistentKeepalive=25\n"
                            "PresharedKeyFile=/var/lib/nfswg/t/peers/laptop.psk\n"
                            "[Peer]\nName=phone\nPublicKey=" KEY_B "\nAddress=10.8.0.3/32\nEndpoint=vpn.example.com:51820\n"
                            "[Export]\nPath=/srv/a\nPeers=laptop\nReadOnly=yes\nSquash=all\nInsecure=yes\nAnonUID=1000\nAnonGID=100\n");
        assert_int_equal(b->n_peers, 2);
        assert_int_equal(b->peers[0].addresses[0].prefixlen, 32);
        assert_int_equal(b->peers[0].persistent_keepalive, 25);
        assert_string_equal(b->peers[0].preshared_key_file, "/var/lib/nfswg/t/peers/laptop.psk");
        assert_string_equal(b->peers[1].endpoints[0].host, "vpn.example.com");
        assert_int_equal(b->peers[0].line, 3);
        const Export *x = &b->exports[0];
        assert_false(x->all_peers);
        assert_string_equal(x->peers[0], "laptop");
        assert_true(x->read_only);
        assert_int_equal(x->squash, SQUASH_ALL);
        assert_true(x->insecure);
        assert_int_equal(x->anon_uid, 1000);
        assert_int_equal(x->anon_gid, 100);
        assert_true(export_allows_peer(x, &b->peers[0]));
        assert_false(export_allows_peer(x, &b->peers[1]));
        bridge_free(b);
}

static void test_client_mode(void **state) {
        Bridge *b = load_ok("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n"
                            "[Server]\nPublicKey=" KEY_A "\nEndpoint=vpn.example.com:51820 198.51.100.7:51820\n"
                            "[Mount]\nWhat=10.8.0.1:/srv/nfswg\nWhere=/mnt/nfswg\n"
                            "[Mount]\nWhat=[fd00::1]:/srv/b\nWhere=/mnt/b\nOptions=vers=4.2,ro\nAutomount=no\n");
        assert_int_equal(b->listen_port, 0);
        assert_int_equal(b->server.n_endpoints, 2);
        assert_int_equal(b->server.persistent_keepalive, 0);
        /* AllowedIPs= from the mounts: 10.8.0.1 is in this host's network, fd00::1 outside it */
        assert_int_equal(b->server.n_allowed_ips, 2);
        char buf[IP_PREFIX_STRLEN];
        assert_string_equal(ip_prefix_format(&b->server.allowed_ips[0], buf), "10.8.0.0/24");
        assert_string_equal(ip_prefix_format(&b->server.allowed_ips[1], buf), "fd00::1/128");
        assert_string_equal(b->mounts[0].what_host, "10.8.0.1");
        assert_string_equal(b->mounts[0].what_path, "/srv/nfswg");
        assert_string_equal(b->mounts[0].options, DEFAULT_MOUNT_OPTIONS);
        assert_true(b->mounts[0].automount);
        assert_string_equal(b->mounts[1].what_host, "fd00::1");
        assert_false(b->mounts[1].automount);
        bridge_free(b);
}

/* [Server] AllowedIPs= unset: the networks the [Mount] servers are in, never only this host's
 * own /32 (which left the server unreachable); required when a server is named, not numbered. */
static void test_client_default_allowed_ips(void **state) {
#define CLIENT(addr) "[Bridge]\nMode=client\nAddress=" addr "\n[Server]\nPublicKey=" KEY_A "\nEndpoint=vpn.example.com:51820\n"
        char buf[IP_PREFIX_STRLEN];
        /* the address 'nfswg peer add' gives: a host route; the server is outside it */
        Bridge *b = load_ok(CLIENT("10.8.0.9/32") "[Mount]\nWhat=10.8.0.1:/srv/a\nWhere=/mnt/a\n"
                            "[Mount]\nWhat=10.8.0.1:/srv/b\nWhere=/mnt/b\n");
        assert_int_equal(b->server.n_allowed_ips, 1);
        assert_string_equal(ip_prefix_format(&b->server.allowed_ips[0], buf), "10.8.0.1/32");
        bridge_free(b);
        /* inside this host's network: that network, once */
        b = load_ok(CLIENT("10.8.0.9/24") "[Mount]\nWhat=10.8.0.1:/srv/a\nWhere=/mnt/a\n"
                    "[Mount]\nWhat=192.168.7.3:/export\nWhere=/mnt/nas\n[Mount]\nWhat=10.8.0.1:/srv/b\nWhere=/mnt/b\n");
        assert_int_equal(b->server.n_allowed_ips, 2);
        assert_string_equal(ip_prefix_format(&b->server.allowed_ips[0], buf), "10.8.0.0/24");
        assert_string_equal(ip_prefix_format(&b->server.allowed_ips[1], buf), "192.168.7.3/32");
        bridge_free(b);
        /* given: as given */
        b = load_ok(CLIENT("10.8.0.9/32") "AllowedIPs=10.8.0.0/24\n[Mount]\nWhat=nas.example.com:/srv\nWhere=/mnt/a\n");
        assert_int_equal(b->server.n_allowed_ips, 1);
        assert_string_equal(ip_prefix_format(&b->server.allowed_ips[0], buf), "10.8.0.0/24");
        bridge_free(b);
        /* no mounts: the Address= networks wider than a host */
        b = load_ok(CLIENT("10.8.0.9/24"));
        assert_int_equal(b->server.n_allowed_ips, 1);
        assert_string_equal(ip_prefix_format(&b->server.allowed_ips[0], buf), "10.8.0.0/24");
        bridge_free(b);
        /* nothing to derive it from: FILE:LINE naming the key */
        load_bad(CLIENT("10.8.0.9/24") "[Mount]\nWhat=10.8.0.1:/srv/a\nWhere=/mnt/a\n[Mount]\nWhat=nas.example.com:/srv\nWhere=/mnt/b\n",
                 "t.conf:10: What= names the server 'nas.example.com', not its address");
        assert_true(log_captured("set AllowedIPs= in [Server]"));
        load_bad(CLIENT("10.8.0.9/32"), "t.conf:1: Mode=client needs AllowedIPs= in [Server]");
#undef CLIENT
}

/* Backend=: auto unless set; auto, kernel and userspace as written; empty is auto. */
static void test_backend(void **state) {
        static const struct {
                const char *line;
                Backend want;
        } cases[] = {
                { "", BACKEND_AUTO },
                { "Backend=auto\n", BACKEND_AUTO },
                { "Backend=kernel\n", BACKEND_KERNEL },
                { "Backend=userspace\n", BACKEND_USERSPACE },
                { "Backend=\n", BACKEND_AUTO },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = NULL;
                assert_true(asprintf(&text, "[Bridge]\n%sAddress=10.8.0.1/24\n", cases[i].line) > 0);
                Bridge *b = NULL;
                log_capture_start();
                assert_int_equal(bridge_load_string("t.conf", "t", text, &b), 0);
                assert_int_equal(b->backend, cases[i].want);
                bridge_free(b);
        }
}

static void test_relay_site_peer(void **state) {
        Bridge *b = load_ok("[Bridge]\nMode=relay\nAddress=10.9.0.1/24\n"
                            "[Peer]\nName=site-a\nPublicKey=" KEY_A "\nAddress=10.9.0.2/32\nAllowedIPs=192.168.1.0/24\n"
                            "Endpoint=a.example.com:51820\nEndpoint=198.51.100.1:51820\nPersistentKeepalive=25\n"
                            "[Forward]\nTo=@roam\n");
        assert_int_equal(b->peers[0].n_endpoints, 2);
        assert_int_equal(b->peers[0].n_allowed_ips, 1);
        assert_string_equal(b->forwards[0].to_bridge, "roam");
        bridge_free(b);
}

static void test_rejections(void **state) {
        load_bad("[Bogus]\nA=1\n", "t.conf:1: unknown section [Bogus]");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nColour=blue\n", "t.conf:3: unknown key Colour= in section [Bridge]");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nListenPort=1\nListenPort=2\n", "t.conf:4: ListenPort= is set twice");
        load_bad("[Bridge]\nMode=server\nAddress=10.8.0.1/24\n", "t.conf:2: Mode= must be one of");
        load_bad("[Bridge]\nBackend=go\nAddress=10.8.0.1/24\n", "t.conf:2: Backend= must be auto, kernel or userspace");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nInterface=this-name-is-too-long\n", "t.conf:3: Interface= must be 1 to 15");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nInterface=wg0;rm\n", "t.conf:3: Interface=");
        load_bad("[Bridge]\nAddress=10.8.0.300/24\n", "t.conf:2: Address= '10.8.0.300/24' is not an IPv4 or IPv6 address");
        load_bad("[Bridge]\nAddress=10.8.0.1\n", "with a prefix length");
        load_bad("[Bridge]\nAddress=10.8.0.1/33\n", "t.conf:2: Address=");
        load_bad("[Bridge]\nMode=embedded\n", "Address= is required");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nListenPort=0\n", "t.conf:3: ListenPort= must be a port number");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nListenPort=65536\n", "t.conf:3: ListenPort= must be a port number");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nEndpoint=vpn.example.com\n", "t.conf:3: Endpoint= 'vpn.example.com' is not HOST:PORT");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nEndpoint=bad host:1\n", "t.conf:3: Endpoint=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nMTU=100\n", "t.conf:3: MTU= must be a number between 576 and 9000");
        load_bad("[Bridge]\nAddress=fd00::1/64\nMTU=1000\n", "below 1280");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nPrivateKeyFile=relative/key\n", "t.conf:3: PrivateKeyFile= must be an absolute");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nPrivateKeyFile=/var/lib/../etc/shadow\n", "PrivateKeyFile= must be an absolute");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nMetricsFile=metrics/nfswg.prom\n", "t.conf:3: MetricsFile= must be an absolute");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nMetricsFile=/var/lib/metrics/nfswg.txt\n", "t.conf:3: MetricsFile= must name a file ending in .prom");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nNFSVersions=2\n", "t.conf:3: NFSVersions= '2' is not one of");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nDNS=one.one.one.one\n", "t.conf:3: DNS= 'one.one.one.one'");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nAddress=10.8.0.1/24\n", "given twice");
}

static void test_nfs_rejections(void **state) {
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[NFS]\nStatdPort=40000\n",
                 "t.conf:3: StatdPort=40000 lies in the kernel's ephemeral port range 32768-60999");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[NFS]\nMountdPort=4045\n", "MountdPort= and LockdPort= are both 4045");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[NFS]\nMountdPort=2049\n", "MountdPort=2049 collides with nfsd");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[NFS]\nLockdPort=70000\n", "t.conf:4: LockdPort= must be a port number");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[NFS]\nMaxBlockSize=5000\n", "t.conf:4: MaxBlockSize= must be a power of two");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[NFS]\nMaxBlockSize=2048\n", "t.conf:4: MaxBlockSize= must be a number between");
}

static void test_peer_rejections(void **state) {
        const char *base = "[Bridge]\nAddress=10.8.0.1/24\n";
        char text[2048];
#define BAD(extra, needle)                                           \
        do {                                                         \
                snprintf(text, sizeof text, "%s%s", base, extra);     \
                load_bad(text, needle);                              \
        } while (0)
        BAD("[Peer]\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n", "t.conf:3: [Peer] needs Name=");
        /* found by the fuzzer: an export naming peers while a [Peer] has no Name= */
        BAD("[Export]\nPath=/srv\nPeers=laptop\n[Peer]\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n",
            "t.conf:6: [Peer] needs Name=");
        BAD("[Peer]\nName=Laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n", "t.conf:4: Name= must be 1 to 32");
        BAD("[Peer]\nName=-x\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n", "t.conf:4: Name=");
        BAD("[Peer]\nName=a\nPublicKey=abc\nAddress=10.8.0.2/32\n", "t.conf:5: PublicKey= is not 32 bytes of base64");
        BAD("[Peer]\nName=a\nPublicKey=YZAhfZcZrK6gUBSw/WdXUvJ0e91CSW7ZCz1OV6EsNH==\nAddress=10.8.0.2/32\n",
            "PublicKey= is not 32 bytes");
        BAD("[Peer]\nName=a\nAddress=10.8.0.2/32\n", "t.conf:3: [Peer] a needs PublicKey=");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\n", "[Peer] a needs Address=");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.9.0.2/32\n", "t.conf:6: [Peer] a: Address= 10.9.0.2/32 is outside the bridge's networks");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.0/30\n", "must be a single address (/32)");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.1/32\n", "is the bridge's own address");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n[Peer]\nName=a\nPublicKey=" KEY_B "\nAddress=10.8.0.3/32\n",
            "[Peer] Name=a is already used at t.conf:3");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n[Peer]\nName=b\nPublicKey=" KEY_A "\nAddress=10.8.0.3/32\n",
            "[Peer] b: PublicKey= is the same as peer a's");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n[Peer]\nName=b\nPublicKey=" KEY_B "\nAddress=10.8.0.2/32\n",
            "[Peer] b: 10.8.0.2/32 overlaps 10.8.0.2/32 of peer a");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\nPersistentKeepalive=70000\n",
            "PersistentKeepalive= must be a number between 0 and 65535");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\nEndpoint=host:0\n", "Endpoint= 'host:0' is not HOST:PORT");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\nAllowedIPs=192.168.1.0/24\n",
            "AllowedIPs= (networks behind a peer) is for Mode=relay only");
        BAD("[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\nPresharedKeyFile=/tmp/a b\n", "PresharedKeyFile=");
#undef BAD
}

/* Disabled= and Expires=: such a peer stays configured (validated, its name, key and address taken)
 * but is in no emitted file: not in the netdev, not in the exports. */
static void test_peer_lifecycle_keys(void **state) {
        const char *text = "[Bridge]\nAddress=10.8.0.1/24\nListenPort=51820\n"
                           "[Export]\nPath=/srv/a\nPeers=*\n"
                           "[Export]\nPath=/srv/b\nPeers=laptop\n"
                           "[Peer]\nName=laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\nDisabled=yes\n"
                           "[Peer]\nName=phone\nPublicKey=" KEY_B "\nAddress=10.8.0.3/32\nExpires=2099-12-31T23:59:59Z\n"
                           "[Peer]\nName=old\nPublicKey=" KEY_C "\nAddress=10.8.0.4/32\nExpires=2001-01-01T00:00:00Z\n";
        Bridge *b = load_ok(text);
        assert_int_equal(b->n_peers, 1);
        assert_string_equal(b->peers[0].name, "phone");
        assert_int_equal(b->peers[0].expires, 4102444799);
        assert_int_equal(b->next_expiry, 4102444799);
        assert_int_equal(b->n_inactive_peers, 2);
        assert_null(bridge_find_peer(b, "laptop"));
        const Peer *l = bridge_find_peer_any(b, "laptop"), *o = bridge_find_peer_any(b, "old");
        assert_non_null(l);
        assert_true(l->disabled);
        assert_false(l->expired);
        assert_non_null(o);
        assert_true(o->expired);
        assert_false(o->disabled);
        assert_int_equal(bridge_n_peers_any(b), 3);

        char *netdev = emit_netdev(b), *exports = emit_exports(b);
        assert_non_null(netdev);
        assert_non_null(exports);
        assert_null(strstr(netdev, KEY_A));
        assert_null(strstr(netdev, KEY_C));
        assert_non_null(strstr(netdev, KEY_B));
        assert_null(strstr(exports, "10.8.0.2/"));
        assert_null(strstr(exports, "10.8.0.4/"));
        assert_non_null(strstr(exports, "10.8.0.3/32("));
        /* /srv/b names only the disabled laptop: exported to nobody, never to the world */
        assert_non_null(strstr(exports, "# /srv/b"));
        assert_null(strstr(exports, "\n/srv/b"));
        free(netdev);
        free(exports);
        bridge_free(b);

        /* Disabled=no and an empty value are the default; the time the model compares with is
         * $NFSWG_NOW when set (tests). */
        b = load_ok("[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\nDisabled=no\n"
                    "Expires=2030-06-01T12:00:00Z\n");
        assert_int_equal(b->n_peers, 1);
        bridge_free(b);
        setenv("NFSWG_NOW", "1906545600", 1); /* 2030-06-01T12:00:00Z: expires exactly now */
        b = load_ok("[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n"
                    "Expires=2030-06-01T12:00:00Z\n");
        unsetenv("NFSWG_NOW");
        assert_int_equal(b->n_peers, 0);
        assert_true(b->inactive_peers[0].expired);
        assert_int_equal(b->next_expiry, 0);
        bridge_free(b);

        /* A disabled peer still holds its address and key. */
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\nDisabled=yes\n"
                 "[Peer]\nName=b\nPublicKey=" KEY_B "\nAddress=10.8.0.2/32\n",
                 "[Peer] b: 10.8.0.2/32 overlaps 10.8.0.2/32 of peer a");

        const char *base = "[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=a\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n";
        char t[512];
#define BAD_PEER(line, needle)                                   \
        do {                                                     \
                snprintf(t, sizeof t, "%s%s", base, line);       \
                load_bad(t, needle);                             \
        } while (0)
        BAD_PEER("Disabled=maybe\n", "t.conf:7: Disabled= must be a boolean (yes/no), not 'maybe'.");
        BAD_PEER("Expires=2026-12-31\n", "t.conf:7: Expires= must be a UTC time as YYYY-MM-DDTHH:MM:SSZ");
        BAD_PEER("Expires=2026-12-31 23:59:59\n", "t.conf:7: Expires=");
        BAD_PEER("Expires=2026-12-31T23:59:59+01:00\n", "t.conf:7: Expires=");
        BAD_PEER("Expires=2026-02-30T00:00:00Z\n", "t.conf:7: Expires= must be a UTC time");
        BAD_PEER("Expires=2026-12-31T24:00:00Z\n", "t.conf:7: Expires=");
        BAD_PEER("Expires=tomorrow\n",
                 "t.conf:7: Expires= must be a UTC time as YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-12-31T23:59:59Z), not 'tomorrow'.");
#undef BAD_PEER
}

static void test_export_rejections(void **state) {
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nReadOnly=yes\n", "t.conf:3: [Export] needs Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/a b\n", "t.conf:4: Path= must be an absolute");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/x(rw)\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/x,y\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/\"x\"\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/../etc\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/x/\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv//x\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\nPeers=ghost\n", "t.conf:5: [Export] /srv: Peers= names 'ghost'");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\nPeers=a(rw)\n", "t.conf:5: Peers= 'a(rw)' is not a peer name");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\nSquash=some\n", "t.conf:5: Squash= must be root, all or none");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\nReadOnly=maybe\n", "t.conf:5: ReadOnly= must be a boolean");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\nInsecure=2\n", "t.conf:5: Insecure= must be a boolean");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\nAnonUID=-1\n", "t.conf:5: AnonUID= must be a numeric id");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\nAnonGID=4294967295\n", "t.conf:5: AnonGID= must be a numeric id");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv\n[Export]\nPath=/srv\n", "t.conf:5: [Export] Path=/srv is already exported");
}

static void test_mode_rejections(void **state) {
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Forward]\nTo=192.168.50.0/24\n", "[Forward] needs Mode=nas or Mode=relay");
        load_bad("[Bridge]\nMode=nas\nAddress=10.8.0.1/24\n", "Mode=nas needs a [Forward]");
        load_bad("[Bridge]\nMode=nas\nAddress=10.8.0.1/24\n[Forward]\nTo=192.168.50.1/24\n",
                 "t.conf:5: To= '192.168.50.1/24' has host bits set; the network is 192.168.50.0/24");
        load_bad("[Bridge]\nMode=nas\nAddress=10.8.0.1/24\n[Forward]\nTo=@other\n", "forwarding to another bridge needs Mode=relay");
        load_bad("[Bridge]\nMode=relay\nAddress=10.8.0.1/24\n[Forward]\nTo=@t\n", "names this bridge itself");
        load_bad("[Bridge]\nMode=relay\nAddress=10.8.0.1/24\n[Forward]\nTo=@Bad!\n", "t.conf:5: To= '@Bad!' does not name a bridge");
        load_bad("[Bridge]\nMode=nas\nAddress=10.8.0.1/24\n[Forward]\nTo=10.8.0.0/16\n", "overlaps the tunnel network");
        load_bad("[Bridge]\nMode=nas\nAddress=10.8.0.1/24\n[Forward]\nTo=192.168.50.0/24\nPorts=some\n", "t.conf:6: Ports= must be nfs or all");
        load_bad("[Bridge]\nMode=nas\nAddress=10.8.0.1/24\n[Forward]\nTo=192.168.50.0/24\nMasquerade=perhaps\n", "Masquerade= must be a boolean");
        load_bad("[Bridge]\nMode=nas\nAddress=10.8.0.1/24\n[Forward]\nTo=192.168.50.0/24\nNASPorts=x\n", "NASPorts= 'x' is not a port");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Server]\nPublicKey=" KEY_A "\n", "[Server] is only for Mode=client");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Mount]\nWhat=a:/b\nWhere=/c\n", "t.conf:3: [Mount] is only for Mode=client");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nEndpoint=a.example:1\n", "Mode=client needs [Server] with PublicKey=");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nPublicKey=" KEY_A "\n", "needs [Server] Endpoint=");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nPublicKey=" KEY_A "\nEndpoint=a.example:1\n"
                 "[Mount]\nWhat=nohostpath\nWhere=/mnt\n", "t.conf:8: What= 'nohostpath' is not SERVER:/PATH");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nPublicKey=" KEY_A "\nEndpoint=a.example:1\n"
                 "[Mount]\nWhat=h:/x\nWhere=/\n", "t.conf:9: Where= cannot be the root directory");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nPublicKey=" KEY_A "\nEndpoint=a.example:1\n"
                 "[Mount]\nWhat=h:/x\nWhere=/mnt\nOptions=ro,\"x\n", "t.conf:10: Options= must be comma-separated");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nPublicKey=" KEY_A "\nEndpoint=a.example:1\n"
                 "[Mount]\nWhat=h:/x\nWhere=/mnt\nOptions=ro x\n", "Options= must be");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nPublicKey=" KEY_A "\nEndpoint=a.example:1\n"
                 "[Mount]\nWhat=h:/x\n", "[Mount] needs What= (SERVER:/PATH) and Where=");
        load_bad("[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nPublicKey=" KEY_A "\nEndpoint=a.example:1\n"
                 "[Peer]\nName=a\nPublicKey=" KEY_B "\nAddress=10.8.0.3/32\n", "Mode=client takes [Server] and [Mount]");
}

static void test_injection_refused(void **state) {
        /* Values that would end a line, open an option list or quote in a generated file. */
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/a\\b\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nInterface=wg0 x\n", "t.conf:3: Interface=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/a'b\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/$(reboot)\n", "t.conf:4: Path=");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/a\tb\n", "Path=");
}

static void test_dropins_merge(void **state) {
        char dir[] = "/tmp/nfswg-test-model-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char p[512];
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf.d", dir);
        assert_int_equal(mkdir_p(p, 0755), 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf", dir);
        assert_true(write_file_atomic(p, "[Bridge]\nAddress=10.8.0.1/24\nListenPort=51820\nDNS=10.8.0.1\n"
                                         "[Export]\nPath=/srv/a\n", 0644, (uid_t) -1, (gid_t) -1) >= 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf.d/10-port.conf", dir);
        assert_true(write_file_atomic(p, "[Bridge]\nListenPort=51999\nDNS=\nDNS=10.8.0.53\n", 0644, (uid_t) -1, (gid_t) -1) >= 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf.d/20-peer.conf", dir);
        assert_true(write_file_atomic(p, "[Peer]\nName=laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n", 0600,
                                      (uid_t) -1, (gid_t) -1) >= 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf.d/ignored.txt", dir);
        assert_true(write_file_atomic(p, "garbage", 0644, (uid_t) -1, (gid_t) -1) >= 0);

        Bridge *b = NULL;
        log_capture_start();
        assert_int_equal(bridge_load(dir, "br", &b), 0);
        assert_int_equal(b->listen_port, 51999);              /* later file wins */
        assert_string_equal(b->dns[0], "10.8.0.53");         /* empty assignment reset the list */
        assert_null(b->dns[1]);
        assert_int_equal(b->n_peers, 1);                      /* repeatable section appended */
        assert_string_equal(b->config_id, "/etc/nfswg/br.conf");
        assert_int_equal((int) strv_length(b->sources), 3);
        assert_non_null(strstr(b->peers[0].source, "20-peer.conf"));
        bridge_free(b);

        /* A bad drop-in names itself. */
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf.d/30-bad.conf", dir);
        assert_true(write_file_atomic(p, "[Bridge]\nMTU=1\n", 0644, (uid_t) -1, (gid_t) -1) >= 0);
        log_capture_start();
        assert_int_equal(bridge_load(dir, "br", &b), -EINVAL);
        assert_true(log_captured("/etc/nfswg/br.conf.d/30-bad.conf:2: MTU= must be"));

        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_host_checks(void **state) {
        char dir[] = "/tmp/nfswg-test-host-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char p[512];
        snprintf(p, sizeof p, "%s/etc/nfswg", dir);
        assert_int_equal(mkdir_p(p, 0755), 0);
#define PUT(name, text)                                                                            \
        do {                                                                                       \
                snprintf(p, sizeof p, "%s/etc/nfswg/%s", dir, name);                               \
                assert_true(write_file_atomic(p, text, 0644, (uid_t) -1, (gid_t) -1) >= 0);       \
        } while (0)
        PUT("site-a.conf", "[Bridge]\nMode=relay\nAddress=10.9.1.1/24\nListenPort=51821\n[NFS]\nMountdPort=20048\n");
        PUT("roam.conf", "[Bridge]\nMode=relay\nAddress=10.9.0.1/24\nNFSVersions=3 4.2\n[Forward]\nTo=@site-a\n");
        Host *h = NULL;
        log_capture_start();
        assert_int_equal(host_load(dir, &h), 0);
        assert_int_equal(h->n_bridges, 2);
        assert_string_equal(h->bridges[0]->name, "roam"); /* lexical order */
        assert_int_equal(h->nfs_versions, NFS_V3 | NFS_V4_2);
        assert_non_null(host_find_bridge(h, "site-a"));
        host_free(h);

        PUT("site-b.conf", "[Bridge]\nMode=relay\nAddress=10.9.1.129/25\nListenPort=51821\nInterface=nfswg-site-a\n"
                           "[NFS]\nMountdPort=20049\n[Forward]\nTo=@nowhere\n");
        PUT("broken.conf", "[Bridge]\nAddress=nope\n");
        log_capture_start();
        assert_int_equal(host_load(dir, &h), -EINVAL);
        assert_non_null(h);
        assert_int_equal(h->n_bridges, 3); /* the valid ones are still there for the generator */
        assert_null(host_find_bridge(h, "broken"));
        assert_true(log_captured("broken.conf:2: Address= 'nope'"));
        if (!log_captured("site-b.conf:6: [NFS] differs from")) fprintf(stderr, "%s", captured_log);
        assert_true(log_captured("site-b.conf:6: [NFS] differs from"));
        assert_true(log_captured("Interface=nfswg-site-a is also used by"));
        assert_true(log_captured("ListenPort=51821 is also used by"));
        assert_true(log_captured("overlaps Address=10.9.1.1/24"));
        assert_true(log_captured("site-b.conf:8: [Forward] To=@nowhere names no bridge"));
        host_free(h);

        /* CloseNFSOn= naming another bridge's tunnel would shut that bridge's peers out. */
        snprintf(p, sizeof p, "%s/etc/nfswg/site-b.conf", dir);
        assert_int_equal(unlink(p), 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/broken.conf", dir);
        assert_int_equal(unlink(p), 0);
        PUT("vps.conf", "[Bridge]\nAddress=10.9.5.1/24\nListenPort=51830\nCloseNFSOn=eth0 nfswg-roam\n");
        log_capture_start();
        assert_int_equal(host_load(dir, &h), -EINVAL);
        assert_true(log_captured("vps.conf:4: CloseNFSOn= names nfswg-roam, the tunnel of bridge roam"));
        host_free(h);
        snprintf(p, sizeof p, "%s/etc/nfswg/vps.conf", dir);
        assert_int_equal(unlink(p), 0);

        /* An empty host is fine. */
        snprintf(p, sizeof p, "rm -rf '%s'/etc", dir);
        assert_int_equal(system(p), 0);
        assert_int_equal(host_load(dir, &h), 0);
        assert_int_equal(h->n_bridges, 0);
        host_free(h);
        snprintf(p, sizeof p, "rm -rf '%s'", dir);
        assert_int_equal(system(p), 0);
#undef PUT
}


/* The administrator's port pins in nfs.conf(5), read as nfs-utils reads them, win over nfswg's
 * [NFS] values; a bridge that says otherwise explicitly is an error at its key. */
static void test_nfs_conf_pins(void **state) {
        char dir[] = "/tmp/nfswg-test-nfsconf-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char p[1024], conf[256];
        snprintf(p, sizeof p, "%s/etc/nfswg", dir);
        assert_int_equal(mkdir_p(p, 0755), 0);
        snprintf(p, sizeof p, "%s/etc/nfs.conf.d", dir);
        assert_int_equal(mkdir_p(p, 0755), 0);
#define PUT(name, text)                                                                            \
        do {                                                                                       \
                snprintf(p, sizeof p, "%s/etc/%s", dir, name);                                     \
                assert_true(write_file_atomic(p, text, 0644, (uid_t) -1, (gid_t) -1) >= 0);       \
        } while (0)

        /* No nfs.conf at all: no pins. */
        NfsConf c;
        assert_int_equal(nfs_conf_load(dir, &c), 0);
        for (size_t k = 0; k < _NFS_CONF_KEY_MAX; k++)
                assert_int_equal(c.pins[k].port, 0);
        nfs_conf_done(&c);

        PUT("nfs.conf",
            "# the administrator's\n"                      /* 1 */
            "[general]\n"                                  /* 2 */
            "pipefs-directory = /run/rpc_pipefs\n"         /* 3 */
            " [ Mountd ]\n"                                /* 4 */
            "  Port = 892   # trailing comment\n"          /* 5 */
            "[statd]\n"                                    /* 6 */
            "port=662\n"                                   /* 7 */
            "outgoing-port = \"2020\"\n"                   /* 8 */
            "[statd \"node1\"]\n"                          /* 9: a subsection answers no daemon */
            "outgoing-port = 1\n"                          /* 10 */
            "[environment]\n"                              /* 11 */
            "lockport = 4001\n"                            /* 12 */
            "[nfsd]\n"                                     /* 13 */
            "vers3 = y\n"                                  /* 14 */
            "include = -extra.conf\n"                      /* 15 */
            "include = -missing.conf\n"                    /* 16 */
            "threads = \\\n"                               /* 17 */
            "  8\n");                                      /* 18 */
        PUT("extra.conf", "[lockd]\nport = $lockport\n");
        PUT("nfs.conf.d/x.conf",
            "[statd]\n"
            "port = 663\n"                                 /* 2: later files win */
            "[mountd]\n"
            "port =\n"                                     /* empty: ignored, not a reset */
            "[lockd]\n"
            "udp-port = abc\n");                           /* not a port: pins nothing */
        PUT("nfs.conf.d/y.conf.disabled", "[lockd]\nudp-port = 4002\n");
        /* A FIFO is not configuration: skipped, without blocking. */
        snprintf(p, sizeof p, "%s/etc/nfs.conf.d/z.conf", dir);
        assert_int_equal(mkfifo(p, 0644), 0);

        assert_int_equal(nfs_conf_load(dir, &c), 0);
        snprintf(conf, sizeof conf, "%s/etc/nfs.conf", dir);
        assert_int_equal(c.pins[NFS_CONF_MOUNTD_PORT].port, 892);
        assert_string_equal(c.pins[NFS_CONF_MOUNTD_PORT].source, conf);
        assert_string_equal(c.pins[NFS_CONF_MOUNTD_PORT].id, "/etc/nfs.conf");
        assert_int_equal(c.pins[NFS_CONF_MOUNTD_PORT].line, 5);
        assert_int_equal(c.pins[NFS_CONF_STATD_PORT].port, 663);
        assert_string_equal(c.pins[NFS_CONF_STATD_PORT].id, "/etc/nfs.conf.d/x.conf");
        assert_int_equal(c.pins[NFS_CONF_STATD_PORT].line, 2);
        assert_int_equal(c.pins[NFS_CONF_STATD_OUTGOING_PORT].port, 2020);
        assert_int_equal(c.pins[NFS_CONF_STATD_OUTGOING_PORT].line, 8);
        assert_int_equal(c.pins[NFS_CONF_LOCKD_PORT].port, 4001);
        assert_string_equal(c.pins[NFS_CONF_LOCKD_PORT].id, "/etc/extra.conf");
        assert_int_equal(c.pins[NFS_CONF_LOCKD_UDP_PORT].port, 0);
        nfs_conf_done(&c);

        /* The host model: the administrator's ports, nfswg's for the rest (LockdPort= gives lockd's
         * UDP port, which nfs.conf leaves alone here). A bridge that agrees is fine. */
        PUT("nfswg/br.conf", "[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/x\n[NFS]\nStatdPort=663\n");
        Host *h = NULL;
        log_capture_start();
        assert_int_equal(host_load(dir, &h), 0);
        assert_int_equal(h->nfs.mountd_port, 892);
        assert_int_equal(h->nfs.statd_port, 663);
        assert_int_equal(h->nfs.statd_outgoing_port, 2020);
        assert_int_equal(h->nfs.lockd_port, 4001);
        assert_int_equal(h->nfs.lockd_udp_port, DEFAULT_LOCKD_PORT);
        host_free(h);
        h = NULL;

        /* LockdPort= sets both of lockd's ports: it disagrees with [lockd] port. */
        PUT("nfswg/br.conf", "[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/x\n[NFS]\nStatdPort=663\nLockdPort=4045\n");
        log_capture_start();
        assert_int_equal(host_load(dir, &h), -EINVAL);
        host_free(h);
        h = NULL;
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf:7: LockdPort=4045 conflicts with [lockd] port=4001 in %s/etc/extra.conf:2",
                 dir, dir);
        if (!log_captured(p))
                fprintf(stderr, "expected '%s' in:\n%s", p, captured_log);
        assert_true(log_captured(p));
        assert_false(log_captured("udp-port")); /* not pinned: no conflict there */

        /* A bridge key that disagrees: an error at that key, naming the nfs.conf file. */
        PUT("nfswg/br.conf", "[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/x\n[NFS]\nMountdPort=20048\n");
        log_capture_start();
        assert_int_equal(host_load(dir, &h), -EINVAL);
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf:6: MountdPort=20048 conflicts with [mountd] port=892 in %s:5", dir,
                 conf);
        if (!log_captured(p))
                fprintf(stderr, "expected '%s' in:\n%s", p, captured_log);
        assert_true(log_captured(p));
        host_free(h);
        h = NULL;

        /* A pin on a port nfswg gives another daemon (StatdPort= default 32765): two daemons would
         * fight over it, an error for the bridge that serves NFS. */
        PUT("nfswg/br.conf", "[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/x\n");
        PUT("nfs.conf", "[mountd]\nport = 32765\n");
        PUT("nfs.conf.d/x.conf", "\n");
        log_capture_start();
        assert_int_equal(host_load(dir, &h), -EINVAL);
        assert_true(log_captured("br.conf:1: [mountd] port=32765 in "));
        assert_true(log_captured("is also StatdPort=; set StatdPort= to another port in [NFS]"));
        host_free(h);

        snprintf(p, sizeof p, "rm -rf '%s'", dir);
        assert_int_equal(system(p), 0);
#undef PUT
}

static void test_messages_quote_escaped_excerpts(void **state) {
        /* An escape sequence in a value is shown escaped; the terminal never sees it. */
        load_bad("[Bridge]\nMode=\x1b]0;owned\x07\nAddress=10.8.0.1/24\n",
                 "t.conf:2: Mode= must be one of embedded, nas, relay, client; not '\\x1b]0;owned\\x07'.");
        assert_null(strchr(captured_log, '\x1b'));
        load_bad("[Bridge]\nAddress=10.8.0.1/24 \x1b[2J\n", "t.conf:2: Address= '\\x1b[2J' is not an IPv4 or IPv6 address");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[X\x1b[1m]\n", "t.conf:3: unknown section [X\\x1b[1m]");
        load_bad("[Bridge]\nAddress=10.8.0.1/24\nK\xff=1\n", "t.conf:3: invalid key name 'K\\xff'");

        /* A long value: its first 40 characters and an ellipsis. */
        load_bad("[Bridge]\nAddress=10.8.0.1/24\n[Export]\nPath=/srv/a\nSquash=ssssssssssssssssssssssssssssssssssssssssssssssss"
                 "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\n",
                 "t.conf:5: Squash= must be root, all or none, not 'ssssssssssssssssssssssssssssssssssssssss…'.");
        /* A 5 kB one: the whole message stays short. */
        char big[6000];
        int l = snprintf(big, sizeof big, "[Bridge]\nAddress=10.8.0.1/24\nMode=");
        memset(big + l, 'm', 5000);
        big[l + 5000] = '\0';
        load_bad(big, "t.conf:3: Mode= must be one of embedded, nas, relay, client; not 'mmmm");
        assert_true(strlen(captured_log) < 300);
}

static void test_dropins_only_regular_files(void **state) {
        char dir[] = "/tmp/nfswg-test-read-XXXXXX", p[512];
        assert_non_null(mkdtemp(dir));
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf.d", dir);
        assert_int_equal(mkdir_p(p, 0755), 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/br.conf", dir);
        assert_true(write_file_atomic(p, "[Bridge]\nAddress=10.8.0.1/24\n", 0644, (uid_t) -1, (gid_t) -1) >= 0);
        /* An administrator's symlinked drop-in is read. */
        snprintf(p, sizeof p, "%s/peer.real", dir);
        assert_true(write_file_atomic(p, "[Peer]\nName=laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n", 0644,
                                      (uid_t) -1, (gid_t) -1) >= 0);
        char link[512];
        snprintf(link, sizeof link, "%s/etc/nfswg/br.conf.d/10-peer.conf", dir);
        assert_int_equal(symlink(p, link), 0);
        Bridge *b = NULL;
        log_capture_start();
        assert_int_equal(bridge_load(dir, "br", &b), 0);
        assert_int_equal(b->n_peers, 1);
        bridge_free(b);

        alarm(10); /* a FIFO that blocks fails the test instead of hanging it */
        time_t start = time(NULL);
        static const struct {
                const char *name;
                const char *kind; /* "fifo", "zero", "dir" */
                const char *message;
        } bad[] = {
                { "x.conf", "fifo", "/etc/nfswg/br.conf.d/x.conf: cannot read: not a regular file" },
                { "z.conf", "zero", "/etc/nfswg/br.conf.d/z.conf: cannot read: not a regular file" },
                { "d.conf", "dir", "/etc/nfswg/br.conf.d/d.conf: cannot read: a directory" },
                { "\x1b[2J.conf", "file", "/etc/nfswg/br.conf.d/\\x1b[2J.conf: a drop-in's name must be printable text" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(p, sizeof p, "%s/etc/nfswg/br.conf.d/%s", dir, bad[i].name);
                if (streq(bad[i].kind, "fifo"))
                        assert_int_equal(mkfifo(p, 0644), 0);
                else if (streq(bad[i].kind, "zero"))
                        assert_int_equal(symlink("/dev/zero", p), 0);
                else if (streq(bad[i].kind, "dir"))
                        assert_int_equal(mkdir(p, 0755), 0);
                else
                        assert_true(write_file_atomic(p, "[Bridge]\n", 0644, (uid_t) -1, (gid_t) -1) >= 0);
                log_capture_start();
                assert_true(bridge_load(dir, "br", &b) < 0);
                if (!log_captured(bad[i].message))
                        fprintf(stderr, "for drop-in %zu got:\n%s", i, captured_log);
                assert_true(log_captured(bad[i].message));
                assert_null(strchr(captured_log, '\x1b'));
                assert_int_equal(streq(bad[i].kind, "dir") ? rmdir(p) : unlink(p), 0);
        }

        /* A drop-in directory that cannot be listed is an error, not a bridge without its peers. */
        snprintf(p, sizeof p, "%s/etc/nfswg/solo.conf", dir);
        assert_true(write_file_atomic(p, "[Bridge]\nAddress=10.9.0.1/24\nListenPort=51821\n", 0644, (uid_t) -1,
                                      (gid_t) -1) >= 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/solo.conf.d", dir);
        assert_true(write_file_atomic(p, "[Peer]\n", 0644, (uid_t) -1, (gid_t) -1) >= 0);
        log_capture_start();
        assert_int_equal(bridge_load(dir, "solo", &b), -EINVAL);
        assert_true(log_captured("/etc/nfswg/solo.conf.d: cannot read directory: Not a directory"));
        assert_int_equal(unlink(p), 0);
        snprintf(p, sizeof p, "%s/etc/nfswg/solo.conf", dir);
        assert_int_equal(unlink(p), 0);

        /* The same for a bridge's main file found by host_load() (the generator's and the daemon's way). */
        snprintf(p, sizeof p, "%s/etc/nfswg/fifo.conf", dir);
        assert_int_equal(mkfifo(p, 0644), 0);
        Host *h = NULL;
        log_capture_start();
        assert_int_equal(host_load(dir, &h), -EINVAL);
        assert_true(log_captured("/etc/nfswg/fifo.conf: cannot read: not a regular file"));
        assert_non_null(host_find_bridge(h, "br"));
        host_free(h);
        assert_true(time(NULL) - start < 3);
        alarm(0);

        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_own_key_refused_as_peer_key(void **state) {
        WgKey priv, pub;
        char pub_b64[WG_KEY_B64_LEN + 1], priv_b64[WG_KEY_B64_LEN + 2], text[1024];
        assert_int_equal(wg_key_generate_private(priv), 0);
        assert_int_equal(wg_key_public_from_private(pub, priv), 0);
        wg_key_to_base64(pub_b64, pub);

        snprintf(text, sizeof text,
                 "[Bridge]\nAddress=10.8.0.1/24\n[Peer]\nName=laptop\nPublicKey=" KEY_A "\nAddress=10.8.0.2/32\n"
                 "[Peer]\nName=mirror\nAddress=10.8.0.3/32\nPublicKey=%s\n",
                 pub_b64);
        Bridge *b = load_ok(text);
        log_capture_start();
        assert_int_equal(bridge_check_own_key(b, pub), -EINVAL);
        assert_true(log_captured("t.conf:10: [Peer] mirror: PublicKey= is this bridge's own public key"));
        assert_false(log_captured("laptop"));
        WgKey other;
        assert_int_equal(wg_key_from_base64(other, KEY_B), 0);
        assert_int_equal(bridge_check_own_key(b, other), 0);

        /* From the key file under a root, as the daemon and `nfswg check` read it; a missing file
         * (before the first start) is no error. */
        char dir[] = "/tmp/nfswg-test-ownkey-XXXXXX", p[512];
        assert_non_null(mkdtemp(dir));
        log_capture_start();
        assert_int_equal(bridge_check_own_key_file(dir, b), 0);
        snprintf(p, sizeof p, "%s%s", dir, b->private_key_file);
        assert_int_equal(mkdir_parents(p, 0755), 0);
        wg_key_to_base64(priv_b64, priv);
        strcat(priv_b64, "\n");
        assert_true(write_file_atomic(p, priv_b64, 0600, (uid_t) -1, (gid_t) -1) >= 0);
        log_capture_start();
        assert_int_equal(bridge_check_own_key_file(dir, b), -EINVAL);
        assert_true(log_captured("t.conf:10: [Peer] mirror: PublicKey= is this bridge's own public key"));
        bridge_free(b);

        /* Client mode: the [Server] key must not be this host's own. */
        snprintf(text, sizeof text,
                 "[Bridge]\nMode=client\nAddress=10.8.0.2/24\n[Server]\nEndpoint=vpn.example.com:51820\nPublicKey=%s\n"
                 "[Mount]\nWhat=10.8.0.1:/srv/nfswg\nWhere=/mnt/nfswg\n",
                 pub_b64);
        b = load_ok(text);
        log_capture_start();
        assert_int_equal(bridge_check_own_key(b, pub), -EINVAL);
        assert_true(log_captured("t.conf:6: [Server] PublicKey= is this host's own public key"));
        bridge_free(b);
        wg_key_wipe(priv);
        explicit_bzero(priv_b64, sizeof priv_b64);

        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_packaged_default),  cmocka_unit_test(test_every_bridge_key),
                cmocka_unit_test(test_close_nfs_on),
                cmocka_unit_test(test_peers_and_exports), cmocka_unit_test(test_client_mode),
                cmocka_unit_test(test_relay_site_peer),   cmocka_unit_test(test_rejections),
                cmocka_unit_test(test_nfs_rejections),    cmocka_unit_test(test_peer_rejections),
                cmocka_unit_test(test_export_rejections), cmocka_unit_test(test_mode_rejections),
                cmocka_unit_test(test_injection_refused), cmocka_unit_test(test_dropins_merge),
                cmocka_unit_test(test_host_checks),       cmocka_unit_test(test_nfs_conf_pins),
                cmocka_unit_test(test_messages_quote_escaped_excerpts),
                cmocka_unit_test(test_dropins_only_regular_files),
                cmocka_unit_test(test_own_key_refused_as_peer_key),
                cmocka_unit_test(test_client_default_allowed_ips),
                cmocka_unit_test(test_backend),
                cmocka_unit_test(test_peer_lifecycle_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
