/* SPDX-License-Identifier: MIT */
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>

#include "nft/nft.h"
#include "shared/log.h"
#include "shared/macro.h"

/* How long to wait for the kernel's answers; a transaction is done in milliseconds even for
 * 10 000 peers, so hitting this means something is badly wrong, not slow. */
#define NFT_REPLY_TIMEOUT_MS 10000
#define NFT_RECV_BUFFER (64u * 1024u)

static void mnl_socket_closep(struct mnl_socket **nl) {
        if (*nl)
                mnl_socket_close(*nl);
}

static int nft_socket_open(size_t send_size, size_t n_replies, struct mnl_socket **ret, uint32_t *ret_portid) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        int one = 1;

        nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
                return -errno;

        /* Errors then carry the failing message's header only, not a copy of a large element list;
         * the extended ACK adds the kernel's reason in words (netlink(7)). Both are hints: older
         * kernels without them still work. */
        (void) mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof one);
        (void) mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof one);

        /* A batch must arrive in one sendmsg(), which netlink refuses beyond the socket's send
         * buffer; and every ACK must fit in the receive buffer until read. The FORCE variants
         * (CAP_NET_ADMIN, which changing nftables needs anyway) pass net.core.[wr]mem_max. */
        int fd = mnl_socket_get_fd(nl);
        int snd = (int) (send_size + 64 * 1024 < INT32_MAX / 2 ? send_size + 64 * 1024 : INT32_MAX / 2);
        int rcv = (int) (n_replies * 512 + 256 * 1024 < INT32_MAX / 2 ? n_replies * 512 + 256 * 1024 : INT32_MAX / 2);
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);

        *ret_portid = mnl_socket_get_portid(nl);
        *ret = TAKE_PTR(nl);
        return 0;
}

static int nft_recv(struct mnl_socket *nl, void *buf, size_t size) {
        struct pollfd p = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };

        int r = poll(&p, 1, NFT_REPLY_TIMEOUT_MS);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        ssize_t n = mnl_socket_recvfrom(nl, buf, size);
        if (n < 0)
                return -errno;
        return (int) n;
}

static int seq_cmp(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

/* The kernel's words from an extended ACK (NLMSGERR_ATTR_MSG), or NULL. */
static const char *nlmsgerr_text(const struct nlmsghdr *nlh) {
        const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *a;
        size_t off = sizeof *err;

        if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
                return NULL;
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
                off += mnl_nlmsg_get_payload_len(&err->msg);
        if (MNL_ALIGN(off) + sizeof(struct nlmsghdr) > nlh->nlmsg_len)
                return NULL;
        mnl_attr_for_each(a, nlh, MNL_ALIGN(off))
                if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                        return mnl_attr_get_str(a);
        return NULL;
}

int nft_send_batch(const void *batch, size_t len) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        _cleanup_free_ uint32_t *seqs = NULL;
        _cleanup_free_ bool *acked = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n_seqs = 0, n_acked = 0;
        uint32_t portid, failed_seq = 0;
        int error = 0, r;

        /* Which messages asked for an ACK: each is answered by an NLMSG_ERROR, 0 or the error. */
        int rem = (int) len;
        for (const struct nlmsghdr *nlh = batch; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
                if (!(nlh->nlmsg_flags & NLM_F_ACK))
                        continue;
                uint32_t *s = ARRAY_PUSH(seqs, n_seqs);
                if (!s)
                        return -ENOMEM;
                *s = nlh->nlmsg_seq;
        }
        if (rem != 0)
                return -EINVAL;
        qsort(seqs, n_seqs, sizeof *seqs, seq_cmp);
        acked = calloc(n_seqs + 1, sizeof *acked);
        buf = malloc(NFT_RECV_BUFFER);
        if (!acked || !buf)
                return -ENOMEM;

        r = nft_socket_open(len, n_seqs, &nl, &portid);
        if (r < 0)
                return r;

        ssize_t sent = mnl_socket_sendto(nl, batch, len);
        if (sent < 0)
                return -errno;
        if ((size_t) sent != len)
                return -EIO;

        while (n_acked < n_seqs) {
                int n = nft_recv(nl, buf, NFT_RECV_BUFFER);
                if (n < 0)
                        return n; /* -ENOBUFS: answers lost; the batch itself was taken or not whole */

                const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
                for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
                        if (nlh->nlmsg_pid != portid || nlh->nlmsg_type != NLMSG_ERROR)
                                continue;
                        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
                                return -EBADMSG;
                        const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
                        uint32_t *s = bsearch(&nlh->nlmsg_seq, seqs, n_seqs, sizeof *seqs, seq_cmp);
                        if (!s || acked[s - seqs])
                                continue;
                        acked[s - seqs] = true;
                        n_acked++;
                        /* The first failing message in batch order is the cause; later ones
                         * may only fail because of it. */
                        if (err->error != 0 && (error == 0 || nlh->nlmsg_seq < failed_seq)) {
                                const char *why = nlmsgerr_text(nlh);
                                error = err->error < 0 ? err->error : -err->error;
                                failed_seq = nlh->nlmsg_seq;
                                log_debug("nftables: batch message %u (type %u) refused: %s%s%s",
                                          (unsigned) nlh->nlmsg_seq, (unsigned) (err->msg.nlmsg_type & 0xff),
                                          strerror(-error), why ? ": " : "", strempty(why));
                        }
                }
        }
        return error;
}

int nft_apply_bridge(const Host *h, const Bridge *b) {
        _cleanup_free_ void *batch = NULL;
        size_t len;

        int r = nft_build_bridge_batch(h, b, (uint32_t) time(NULL), &batch, &len);
        if (r < 0)
                return r;
        return nft_send_batch(batch, len);
}

int nft_update_peer_sets(const Bridge *b, const Peer *const *added, size_t n_added,
                         const Peer *const *removed, size_t n_removed) {
        _cleanup_free_ void *batch = NULL;
        size_t len;

        if (n_added == 0 && n_removed == 0)
                return 0;
        int r = nft_build_peer_sets_batch(b, added, n_added, removed, n_removed, (uint32_t) time(NULL),
                                          &batch, &len);
        if (r < 0)
                return r;
        return nft_send_batch(batch, len);
}

int nft_remove_bridge(const char *bridge_name) {
        _cleanup_free_ void *batch = NULL;
        size_t len;

        int r = nft_build_remove_batch(bridge_name, (uint32_t) time(NULL), &batch, &len);
        if (r < 0)
                return r;
        r = nft_send_batch(batch, len);
        return r == -ENOENT ? 0 : r;
}

static int counter_cb(const struct nlmsghdr *nlh, void *userdata) {
        struct nftnl_obj *o = userdata;
        return nftnl_obj_nlmsg_parse(nlh, o) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* NFT_MSG_GETOBJ for one named counter of the table. */
static int read_counter(struct mnl_socket *nl, uint32_t portid, const char *table, const char *name,
                        uint32_t seq, uint64_t *ret_packets, uint64_t *ret_bytes) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nftnl_obj *o;
        int r;

        o = nftnl_obj_alloc();
        if (!o)
                return -ENOMEM;
        nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
        nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
        nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
        struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_ACK, seq);
        nftnl_obj_nlmsg_build_payload(nlh, o);
        nftnl_obj_free(o);

        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;

        o = nftnl_obj_alloc();
        if (!o)
                return -ENOMEM;
        /* The object, then the ACK (mnl_cb_run() returns MNL_CB_STOP = 0 on it) or an error. */
        do {
                r = nft_recv(nl, buf, sizeof buf);
                if (r < 0)
                        break;
                r = mnl_cb_run(buf, (size_t) r, seq, portid, counter_cb, o);
                if (r < 0)
                        r = -errno;
        } while (r > 0);

        if (r == 0) {
                if (!nftnl_obj_is_set(o, NFTNL_OBJ_CTR_PKTS))
                        r = -EBADMSG;
                else {
                        *ret_packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
                        *ret_bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
                }
        }
        nftnl_obj_free(o);
        return r;
}

int nft_read_counters(const char *bridge_name, NftCounters *ret) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char table[NFT_TABLE_MAXNAMELEN];
        NftCounters c = {};
        uint32_t portid, seq = (uint32_t) time(NULL);
        int r;

        r = nft_table_name(bridge_name, table, sizeof table);
        if (r < 0)
                return r;
        r = nft_socket_open(MNL_SOCKET_BUFFER_SIZE, 10, &nl, &portid);
        if (r < 0)
                return r;

        r = read_counter(nl, portid, table, NFT_COUNTER_NFS_ACCEPTED, seq++, &c.accepted_packets, &c.accepted_bytes);
        if (r < 0)
                return r;
        r = read_counter(nl, portid, table, NFT_COUNTER_NFS_REFUSED, seq++, &c.refused_packets, &c.refused_bytes);
        if (r < 0)
                return r;
        /* A table applied by an older nfswg may lack these (forward counters were nas/relay only). */
        r = read_counter(nl, portid, table, NFT_COUNTER_FWD_ACCEPTED, seq++, &c.forward_accepted_packets,
                         &c.forward_accepted_bytes);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_counter(nl, portid, table, NFT_COUNTER_FWD_REFUSED, seq++, &c.forward_refused_packets,
                         &c.forward_refused_bytes);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_counter(nl, portid, table, NFT_COUNTER_SPOOFED, seq++, &c.spoofed_packets, &c.spoofed_bytes);
        if (r < 0 && r != -ENOENT)
                return r;

        *ret = c;
        return 0;
}
