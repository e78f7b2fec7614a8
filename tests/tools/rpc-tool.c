/* SPDX-License-Identifier: MIT */
/* nfswg-rpc-tool: registers a program with the local rpcbind, as an NFS server's mountd does at
 * start, so tests/netns/modes.sh can give a stand-in NAS the rpcbind entries of a real one.
 *
 *   nfswg-rpc-tool set PROGRAM VERSION tcp|udp PORT
 *
 * pmap_set(3t) talks to rpcbind over its local socket (/run/rpcbind.sock): run it in the mount
 * namespace of the rpcbind it means. Exit 0 registered, 1 rpcbind said no, 2 usage. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpc/rpc.h>
#include <rpc/pmap_clnt.h>

static int number(const char *s, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (!*s || *end || v > max)
                return -1;
        *ret = v;
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned long prog, vers, port;

        if (argc != 6 || strcmp(argv[1], "set") != 0 || number(argv[2], 0xffffffffUL, &prog) < 0 ||
            number(argv[3], 0xffffffffUL, &vers) < 0 || number(argv[5], 65535, &port) < 0 ||
            (strcmp(argv[4], "tcp") != 0 && strcmp(argv[4], "udp") != 0)) {
                fprintf(stderr, "usage: nfswg-rpc-tool set PROGRAM VERSION tcp|udp PORT\n");
                return 2;
        }
        int proto = strcmp(argv[4], "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
        if (!pmap_set(prog, vers, proto, (unsigned short) port)) {
                fprintf(stderr, "nfswg-rpc-tool: rpcbind refused %lu v%lu %s port %lu\n", prog, vers, argv[4], port);
                return 1;
        }
        return 0;
}
