/* SPDX-License-Identifier: MIT */
/* nfswg-nft-tool: the nftables part of the library on its own, for tests/netns/nft.sh and the
 * benchmarks. Exit 0 success, 1 failure, 2 usage. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "model/bridge.h"
#include "nft/nft.h"
#include "shared/log.h"
#include "shared/macro.h"

static int load(const char *root, const char *name, Host **ret_host, const Bridge **ret_bridge) {
        Host *h = NULL;
        int r = host_load(root, &h);
        const Bridge *b = h ? host_find_bridge(h, name) : NULL;
        if (!b) {
                host_free(h);
                return log_error_errno(r < 0 ? r : -ENOENT, "Bridge %s not loaded from %s/etc/nfswg: %m", name, root);
        }
        *ret_host = h;
        *ret_bridge = b;
        return 0;
}

static int cmd_apply(int argc, char **argv) {
        _cleanup_(host_freep) Host *h = NULL;
        const Bridge *b;
        int r = load(argv[1], argv[2], &h, &b);
        if (r < 0)
                return r;
        r = nft_apply_bridge(h, b);
        if (r < 0)
                return log_error_errno(r, "Failed to apply table inet " NFT_TABLE_PREFIX "%s: %m", b->name);
        return 0;
}

static int cmd_remove(int argc, char **argv) {
        int r = nft_remove_bridge(argv[1]);
        if (r < 0)
                return log_error_errno(r, "Failed to remove table inet " NFT_TABLE_PREFIX "%s: %m", argv[1]);
        return 0;
}

static int cmd_counters(int argc, char **argv) {
        NftCounters c;
        int r = nft_read_counters(argv[1], &c);
        if (r < 0)
                return log_error_errno(r, "Failed to read counters of inet " NFT_TABLE_PREFIX "%s: %m", argv[1]);
        printf("accepted_packets=%" PRIu64 "\naccepted_bytes=%" PRIu64 "\n"
               "refused_packets=%" PRIu64 "\nrefused_bytes=%" PRIu64 "\n"
               "forward_accepted_packets=%" PRIu64 "\nforward_accepted_bytes=%" PRIu64 "\n"
               "forward_refused_packets=%" PRIu64 "\nforward_refused_bytes=%" PRIu64 "\n"
               "spoofed_packets=%" PRIu64 "\nspoofed_bytes=%" PRIu64 "\n",
               c.accepted_packets, c.accepted_bytes, c.refused_packets, c.refused_bytes,
               c.forward_accepted_packets, c.forward_accepted_bytes, c.forward_refused_packets,
               c.forward_refused_bytes, c.spoofed_packets, c.spoofed_bytes);
        return 0;
}

/* add-peer|del-peer NAME ADDR/LEN...: one peer holding the addresses. */
static int cmd_peer(int argc, char **argv) {
        _cleanup_free_ IpPrefix *addrs = NULL;
        size_t n = 0;
        bool add = streq(argv[0], "add-peer");

        for (int i = 2; i < argc; i++) {
                IpPrefix *p = ARRAY_PUSH(addrs, n);
                if (!p)
                        return log_oom();
                if (ip_prefix_parse(argv[i], true, p) < 0)
                        return log_error_errno(-EINVAL, "Not an address: %s", argv[i]);
        }
        Peer peer = { .name = (char *) "tool", .addresses = addrs, .n_addresses = n };
        Bridge b = { .name = argv[1] };
        const Peer *list[] = { &peer };
        int r = nft_update_peer_sets(&b, add ? list : NULL, add ? 1 : 0, add ? NULL : list, add ? 0 : 1);
        if (r < 0)
                return log_error_errno(r, "Failed to %s peer addresses in inet " NFT_TABLE_PREFIX "%s: %m",
                                       add ? "add" : "remove", argv[1]);
        return 0;
}

/* Appends the messages of batch src between its begin and end to dst. */
static int splice_inner(char *dst, size_t *dst_len, const char *src, size_t src_len) {
        const struct nlmsghdr *first = (const struct nlmsghdr *) src, *last = NULL;
        int rem = (int) src_len;
        for (const struct nlmsghdr *nlh = first; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem))
                last = nlh;
        if (!last || last == first || first->nlmsg_type != NFNL_MSG_BATCH_BEGIN || last->nlmsg_type != NFNL_MSG_BATCH_END)
                return -EBADMSG;
        size_t start = NLMSG_ALIGN(first->nlmsg_len), end = (size_t) ((const char *) last - src);
        memcpy(dst + *dst_len, src + start, end - start);
        *dst_len += end - start;
        return 0;
}

/* batch-fail ROOT NAME: the bridge's real batch, plus one more peer address, plus a message the
 * kernel refuses (deleting a set that does not exist): the whole batch must be rejected. */
static int cmd_batch_fail(int argc, char **argv) {
        _cleanup_(host_freep) Host *h = NULL;
        _cleanup_free_ void *real = NULL, *extra = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t real_len, extra_len, len = 0;
        const Bridge *b;
        int r;

        r = load(argv[1], argv[2], &h, &b);
        if (r < 0)
                return r;
        r = nft_build_bridge_batch(h, b, 1000, &real, &real_len);
        if (r < 0)
                return log_error_errno(r, "Failed to build the batch: %m");

        IpPrefix a;
        (void) ip_prefix_parse("10.254.254.254/32", true, &a);
        Peer peer = { .name = (char *) "extra", .addresses = &a, .n_addresses = 1 };
        const Peer *list[] = { &peer };
        r = nft_build_peer_sets_batch(b, list, 1, NULL, 0, 500000, &extra, &extra_len);
        if (r < 0)
                return log_error_errno(r, "Failed to build the batch: %m");

        buf = calloc(1, real_len + extra_len + 2 * MNL_SOCKET_BUFFER_SIZE);
        if (!buf)
                return log_oom();
        struct nlmsghdr *nlh = nftnl_batch_begin(buf, 999);
        len = NLMSG_ALIGN(nlh->nlmsg_len);
        if (splice_inner(buf, &len, real, real_len) < 0 || splice_inner(buf, &len, extra, extra_len) < 0)
                return log_error_errno(-EBADMSG, "Unexpected batch layout.");

        struct nftnl_set *s = nftnl_set_alloc();
        if (!s)
                return log_oom();
        char table[NFT_TABLE_MAXNAMELEN];
        (void) nft_table_name(b->name, table, sizeof table);
        nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
        nftnl_set_set_str(s, NFTNL_SET_NAME, "no_such_set");
        nlh = nftnl_nlmsg_build_hdr(buf + len, NFT_MSG_DELSET, NFPROTO_INET, NLM_F_ACK, 900000);
        nftnl_set_nlmsg_build_payload(nlh, s);
        nftnl_set_free(s);
        len += NLMSG_ALIGN(nlh->nlmsg_len);
        nlh = nftnl_batch_end(buf + len, 900001);
        len += NLMSG_ALIGN(nlh->nlmsg_len);

        r = nft_send_batch(buf, len);
        if (r == 0)
                return log_error_errno(-EPROTO, "The kernel took a batch it should have refused.");
        if (r != -ENOENT)
                return log_error_errno(r, "The batch failed, but not with ENOENT: %m");
        printf("refused: %s\n", strerror(-r));
        return 0;
}

static int help(void) {
        fprintf(stderr,
                "Usage: nfswg-nft-tool COMMAND ...\n"
                "  apply ROOT NAME              replace table inet nfswg_NAME from ROOT/etc/nfswg\n"
                "  remove NAME                  delete the table (missing is fine)\n"
                "  counters NAME                print the named counters\n"
                "  add-peer NAME ADDR/LEN...    add addresses to the peer sets\n"
                "  del-peer NAME ADDR/LEN...    remove addresses from the peer sets\n"
                "  batch-fail ROOT NAME         send the real batch plus a refused message\n");
        return 2;
}

int main(int argc, char **argv) {
        static const struct {
                const char *name;
                int (*fn)(int argc, char **argv);
                int min_args, max_args; /* after the command; -1: any number */
        } commands[] = {
                { "apply", cmd_apply, 2, 2 },       { "remove", cmd_remove, 1, 1 },
                { "counters", cmd_counters, 1, 1 }, { "add-peer", cmd_peer, 2, -1 },
                { "del-peer", cmd_peer, 2, -1 },    { "batch-fail", cmd_batch_fail, 2, 2 },
        };

        if (getenv("NFSWG_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        if (argc < 2)
                return help();
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[1], commands[i].name)) {
                        int n = argc - 2;
                        if (n < commands[i].min_args || (commands[i].max_args >= 0 && n > commands[i].max_args))
                                return help();
                        return commands[i].fn(argc - 1, argv + 1) < 0 ? 1 : 0;
                }
        return help();
}
