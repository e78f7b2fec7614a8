/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "shared/escape.h"
#include "shared/fileio.h"
#include "shared/ipaddr.h"
#include "shared/key-file.h"
#include "shared/key.h"
#include "shared/parse.h"
#include "shared/strbuf.h"

static void test_ip_prefix(void **state) {
        IpPrefix a, b;
        char buf[IP_PREFIX_STRLEN];
        assert_int_equal(ip_prefix_parse("10.8.0.1/24", false, &a), 0);
        assert_int_equal(a.prefixlen, 24);
        assert_string_equal(ip_prefix_format(&a, buf), "10.8.0.1/24");
        IpPrefix n = ip_prefix_network(&a);
        assert_string_equal(ip_prefix_format(&n, buf), "10.8.0.0/24");
        assert_int_equal(ip_prefix_parse("10.8.0.77", true, &b), 0);
        assert_int_equal(b.prefixlen, 32);
        assert_true(ip_prefix_contains(&a, &b));
        assert_int_equal(ip_prefix_parse("10.8.1.77/32", false, &b), 0);
        assert_false(ip_prefix_contains(&a, &b));
        assert_int_equal(ip_prefix_parse("10.8.0.0/23", false, &b), 0);
        assert_false(ip_prefix_contains(&a, &b));
        assert_true(ip_prefix_overlaps(&a, &b));
        assert_int_equal(ip_prefix_parse("fd00:8::1/64", false, &a), 0);
        assert_int_equal(a.family, AF_INET6);
        assert_int_equal(ip_prefix_parse("fd00:8::ffff/128", false, &b), 0);
        assert_true(ip_prefix_contains(&a, &b));
        assert_int_equal(ip_prefix_parse("fd00:9::1/128", false, &b), 0);
        assert_false(ip_prefix_contains(&a, &b));
        assert_int_equal(ip_prefix_parse("10.8.0.1", false, &a), -EINVAL);
        assert_int_equal(ip_prefix_parse("10.8.0.1/", false, &a), -EINVAL);
        assert_int_equal(ip_prefix_parse("10.8.0.1/33", false, &a), -EINVAL);
        assert_int_equal(ip_prefix_parse("fd00::1/129", false, &a), -EINVAL);
        assert_int_equal(ip_prefix_parse("/24", false, &a), -EINVAL);
        assert_int_equal(ip_prefix_parse("10.8.0.1/2 4", false, &a), -EINVAL);
        assert_int_equal(ip_prefix_parse("10.8.0.1/+4", false, &a), -EINVAL);
}

static void test_parse_values(void **state) {
        unsigned u;
        uint16_t port;
        bool b;
        assert_int_equal(parse_unsigned("42", 0, 100, &u), 0);
        assert_int_equal(u, 42);
        assert_int_equal(parse_unsigned("101", 0, 100, &u), -ERANGE);
        assert_int_equal(parse_unsigned("-1", 0, 100, &u), -EINVAL);
        assert_int_equal(parse_unsigned(" 1", 0, 100, &u), -EINVAL);
        assert_int_equal(parse_unsigned("99999999999999999999", 0, 100, &u), -ERANGE);
        assert_int_equal(parse_port("0", &port), -ERANGE);
        assert_int_equal(parse_port("65535", &port), 0);
        assert_int_equal(parse_boolean("Yes", &b), 0);
        assert_true(b);
        assert_int_equal(parse_boolean("off", &b), 0);
        assert_false(b);
        assert_int_equal(parse_boolean("maybe", &b), -EINVAL);

        char *host = NULL;
        assert_int_equal(parse_endpoint("vpn.example.com:51820", &host, &port), 0);
        assert_string_equal(host, "vpn.example.com");
        assert_int_equal(port, 51820);
        free(host);
        assert_int_equal(parse_endpoint("[2001:db8::1]:1", &host, &port), 0);
        assert_string_equal(host, "2001:db8::1");
        free(host);
        assert_int_equal(parse_endpoint("2001:db8::1:1", &host, &port), -EINVAL);
        assert_int_equal(parse_endpoint("[10.0.0.1]:1", &host, &port), -EINVAL);
        assert_int_equal(parse_endpoint("a b:1", &host, &port), -EINVAL);
        assert_int_equal(parse_endpoint("host:", &host, &port), -EINVAL);

        assert_true(ifname_is_valid("nfswg-bridge"));
        assert_false(ifname_is_valid("0123456789abcdef"));
        assert_false(ifname_is_valid(".."));
        assert_false(ifname_is_valid("a/b"));
        assert_true(name_is_valid("laptop-2"));
        assert_false(name_is_valid("Laptop"));
        assert_false(name_is_valid("-x"));
        assert_false(name_is_valid("123456789012345678901234567890123"));
        assert_true(path_is_safe("/"));
        assert_true(path_is_safe("/srv/nfs_share-1.d/a@b"));
        assert_false(path_is_safe("srv"));
        assert_false(path_is_safe("/srv/./x"));
        assert_false(path_is_safe("/srv/x/.."));
        assert_false(path_is_safe("/srv/a,b"));
        assert_false(path_is_safe("/srv/a\nb"));
        assert_true(value_is_safe("abc=1"));
        assert_false(value_is_safe("a\"b"));
        assert_false(value_is_safe("a b"));
}

static void test_keys(void **state) {
        WgKey priv, pub, back;
        char b64[WG_KEY_B64_LEN + 1];
        assert_int_equal(wg_key_generate_private(priv), 0);
        assert_int_equal(priv[0] & 7, 0); /* clamped (RFC 7748) */
        assert_int_equal(priv[31] & 0xc0, 0x40);
        assert_int_equal(wg_key_public_from_private(pub, priv), 0);
        wg_key_to_base64(b64, pub);
        assert_int_equal(strlen(b64), 44);
        assert_int_equal(wg_key_from_base64(back, b64), 0);
        assert_memory_equal(back, pub, WG_KEY_LEN);
        /* A known pair (RFC 7748 section 6.1, Alice). */
        static const uint8_t alice_priv[32] = { 0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1,
                                                0x72, 0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0,
                                                0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a };
        static const uint8_t alice_pub[32] = { 0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d,
                                               0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38,
                                               0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a };
        assert_int_equal(wg_key_public_from_private(pub, alice_priv), 0);
        assert_memory_equal(pub, alice_pub, 32);
        assert_int_equal(wg_key_from_base64(back, "abc"), -EINVAL);
        assert_int_equal(wg_key_from_base64(back, "YZAhfZcZrK6gUBSw/WdXUvJ0e91CSW7ZCz1OV6EsNHw"), -EINVAL);
        assert_int_equal(wg_key_from_base64(back, "YZAhfZcZrK6gUBSw/WdXUvJ0e91CSW7ZCz1OV6EsN!w="), -EINVAL);
}

static void test_atomic_write(void **state) {
        char dir[] = "/tmp/nfswg-test-shared-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[256];
        struct stat st, st2;
        snprintf(path, sizeof path, "%s/a/b/secret", dir);
        assert_int_equal(mkdir_parents(path, 0755), 0);
        assert_int_equal(write_file_atomic(path, "one\n", 0600, (uid_t) -1, (gid_t) -1), 1);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        /* The same content again changes nothing, not even the inode. */
        assert_int_equal(write_file_atomic(path, "one\n", 0600, (uid_t) -1, (gid_t) -1), 0);
        assert_int_equal(stat(path, &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);
        /* A different mode rewrites. */
        assert_int_equal(write_file_atomic(path, "one\n", 0640, (uid_t) -1, (gid_t) -1), 1);
        char *text = NULL;
        assert_int_equal(read_full_file(path, &text, NULL), 0);
        assert_string_equal(text, "one\n");
        free(text);
        /* write_file_new never replaces what is there. */
        snprintf(path, sizeof path, "%s/a/new", dir);
        assert_int_equal(write_file_new(path, "first\n", 0640, (uid_t) -1, (gid_t) -1), 0);
        assert_int_equal(write_file_new(path, "second\n", 0600, (uid_t) -1, (gid_t) -1), -EEXIST);
        assert_int_equal(read_full_file(path, &text, NULL), 0);
        assert_string_equal(text, "first\n");
        free(text);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        snprintf(path, sizeof path, "%s/link", dir);
        assert_int_equal(symlink_atomic("/lib/x", path), 1);
        assert_int_equal(symlink_atomic("/lib/x", path), 0);
        assert_int_equal(symlink_atomic("/lib/y", path), 1);
        assert_int_equal(unlink_if_exists(path), 1);
        assert_int_equal(unlink_if_exists(path), 0);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_private_key_file(void **state) {
        char dir[] = "/tmp/nfswg-test-key-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[256];
        struct stat st;
        WgKey k1, k2;
        bool created;
        snprintf(path, sizeof path, "%s/var/lib/nfswg/br/private.key", dir);
        assert_int_equal(private_key_load_or_create(path, k1, &created), 0);
        assert_true(created);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        snprintf(path, sizeof path, "%s/var/lib/nfswg/br", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        /* An existing key is read, never rewritten. */
        snprintf(path, sizeof path, "%s/var/lib/nfswg/br/private.key", dir);
        assert_int_equal(private_key_load_or_create(path, k2, &created), 0);
        assert_false(created);
        assert_memory_equal(k1, k2, WG_KEY_LEN);
        assert_int_equal(k1[0] & 7, 0);
        /* A file that is not a key is an error naming the file, not a reason to replace it. */
        assert_int_equal(write_file_atomic(path, "garbage\n", 0640, (uid_t) -1, (gid_t) -1), 1);
        assert_int_equal(private_key_load_or_create(path, k2, &created), -EINVAL);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_strbuf(void **state) {
        StrBuf b = {};
        for (int i = 0; i < 1000; i++)
                strbuf_appendf(&b, "%d,", i);
        strbuf_append(&b, "end");
        char *s = strbuf_finish(&b);
        assert_non_null(s);
        assert_true(strncmp(s, "0,1,2,", 6) == 0);
        assert_non_null(strstr(s, ",999,end"));
        free(s);
        assert_null(b.buf);

        /* A piece longer than the free space takes the grow-and-format-again path. */
        char big[5000];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        strbuf_append(&b, "a");
        strbuf_appendf(&b, "<%s>", big);
        s = strbuf_finish(&b);
        assert_int_equal(strlen(s), 1 + 2 + 4999);
        assert_int_equal(s[1], '<');
        assert_int_equal(s[5001], '>');
        free(s);
}

static void test_escape_excerpt(void **state) {
        assert_string_equal(EXCERPT("Mode=embedded"), "Mode=embedded");
        assert_string_equal(EXCERPT(NULL), "");
        /* A terminal's escape sequence, a bell, a tab, a newline, DEL. */
        assert_string_equal(EXCERPT("a\x1b[2Jb\x07\t\n\x7f"), "a\\x1b[2Jb\\x07\\x09\\x0a\\x7f");
        assert_string_equal(EXCERPT("a\\x1b"), "a\\\\x1b"); /* a backslash cannot fake an escape */
        /* Printable UTF-8 stays; stray bytes, overlong forms, surrogates and C1 controls do not. */
        assert_string_equal(EXCERPT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
        assert_string_equal(EXCERPT("\xff\xfe"), "\\xff\\xfe");
        assert_string_equal(EXCERPT("\xc0\xaf"), "\\xc0\\xaf");
        assert_string_equal(EXCERPT("\xed\xa0\x80"), "\\xed\\xa0\\x80");
        assert_string_equal(EXCERPT("\xc2\x9b" "31m"), "\\xc2\\x9b" "31m");
        assert_string_equal(EXCERPT("\xc3"), "\\xc3"); /* cut short by the end */
        /* Bidirectional override and zero-width space: text that shows other than it is. */
        assert_string_equal(EXCERPT("a\xe2\x80\xae" "b\xe2\x80\x8b"), "a\\xe2\\x80\\xae" "b\\xe2\\x80\\x8b");

        /* At most EXCERPT_CHARS characters, then an ellipsis. */
        char line[5000];
        memset(line, 'A', sizeof line - 1);
        line[sizeof line - 1] = '\0';
        const char *e = EXCERPT(line);
        assert_int_equal(strlen(e), EXCERPT_CHARS + strlen("…"));
        assert_true(strncmp(e, line, EXCERPT_CHARS) == 0);
        assert_string_equal(e + EXCERPT_CHARS, "…");
        line[EXCERPT_CHARS] = '\0';
        assert_string_equal(EXCERPT(line), line); /* exactly the limit: no ellipsis */
        /* The worst case fits the buffer: every character escaped. */
        memset(line, '\x01', 100);
        line[100] = '\0';
        e = EXCERPT(line);
        assert_int_equal(strlen(e), EXCERPT_CHARS * 4 + strlen("…"));
        assert_true(strlen(e) < EXCERPT_SIZE);
        memset(line, 0xe9, 100); /* Latin-1 bytes, not UTF-8 */
        assert_true(strncmp(EXCERPT(line), "\\xe9\\xe9", 8) == 0);

        assert_false(text_needs_escaping("/etc/nfswg/br.conf.d/10-peer-caf\xc3\xa9.conf"));
        assert_true(text_needs_escaping("x\x1b.conf"));
        assert_true(text_needs_escaping("a\\b"));
        /* A path stays whole when it is printable, however long. */
        memset(line, 'p', 200);
        line[200] = '\0';
        assert_string_equal(ESCAPE_PATH(line), line);
        assert_string_equal(ESCAPE_PATH("/etc/nfswg/\x1b[31m.conf"), "/etc/nfswg/\\x1b[31m.conf");
        /* A long directory stays whole; the file name is what gets escaped. */
        snprintf(line + 200, sizeof line - 200, "/x\x1b.conf");
        char want[300];
        snprintf(want, sizeof want, "%.200s/x\\x1b.conf", line);
        assert_string_equal(ESCAPE_PATH(line), want);
        assert_string_equal(ESCAPE_PATH("/tmp/\x1b/x.conf"), "/tmp/\\x1b/x.conf");
}

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void test_read_only_regular_files(void **state) {
        char dir[] = "/tmp/nfswg-test-read-XXXXXX", path[256], target[256];
        char *text = NULL;
        size_t n;
        assert_non_null(mkdtemp(dir));
        /* A read that blocks or loops fails the test instead of hanging it. */
        alarm(10);
        double start = now_seconds();

        /* A FIFO nobody writes to: refused at once, never waited on. */
        snprintf(path, sizeof path, "%s/fifo.conf", dir);
        assert_int_equal(mkfifo(path, 0644), 0);
        assert_int_equal(read_full_file(path, &text, &n), -EBADFD);
        assert_non_null(strstr(read_file_strerror(-EBADFD), "not a regular file"));

        /* A character device that never ends, directly and through a symlink. */
        assert_int_equal(read_full_file("/dev/zero", &text, &n), -EBADFD);
        snprintf(path, sizeof path, "%s/zero.conf", dir);
        assert_int_equal(symlink("/dev/zero", path), 0);
        assert_int_equal(read_full_file(path, &text, &n), -EBADFD);

        /* A directory named like a file. */
        snprintf(path, sizeof path, "%s/dir.conf", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(read_full_file(path, &text, &n), -EISDIR);
        assert_non_null(strstr(read_file_strerror(-EISDIR), "directory"));

        /* A socket. */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock.conf", dir);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(read_full_file(sa.sun_path, &text, &n), -EBADFD);
        close(fd);
        assert_true(now_seconds() - start < 2.0);

        /* The size limit: exactly READ_FILE_MAX is read, one byte more is refused. */
        _cleanup_free_ char *big = malloc(READ_FILE_MAX + 2);
        assert_non_null(big);
        memset(big, 'x', READ_FILE_MAX + 1);
        big[READ_FILE_MAX + 1] = '\0';
        snprintf(path, sizeof path, "%s/big.conf", dir);
        assert_true(write_file_atomic(path, big, 0644, (uid_t) -1, (gid_t) -1) >= 0);
        assert_int_equal(read_full_file(path, &text, &n), -EFBIG);
        assert_non_null(strstr(read_file_strerror(-EFBIG), "4 MiB"));
        big[READ_FILE_MAX] = '\0';
        assert_true(write_file_atomic(path, big, 0644, (uid_t) -1, (gid_t) -1) >= 0);
        assert_int_equal(read_full_file(path, &text, &n), 0);
        assert_int_equal(n, READ_FILE_MAX);
        free(text);
        /* What we write is not held to the reading limit: a larger file written twice the same
         * is left alone the second time. */
        _cleanup_free_ char *bigger = malloc(READ_FILE_MAX + READ_FILE_MAX / 2 + 1);
        assert_non_null(bigger);
        memset(bigger, 'y', READ_FILE_MAX + READ_FILE_MAX / 2);
        bigger[READ_FILE_MAX + READ_FILE_MAX / 2] = '\0';
        assert_int_equal(write_file_atomic(path, bigger, 0644, (uid_t) -1, (gid_t) -1), 1);
        assert_int_equal(write_file_atomic(path, bigger, 0644, (uid_t) -1, (gid_t) -1), 0);

        /* A symlink to a regular file is read (administrators link their drop-ins). */
        snprintf(target, sizeof target, "%s/real", dir);
        assert_true(write_file_atomic(target, "[Bridge]\n", 0644, (uid_t) -1, (gid_t) -1) >= 0);
        snprintf(path, sizeof path, "%s/link.conf", dir);
        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(read_full_file(path, &text, &n), 0);
        assert_string_equal(text, "[Bridge]\n");
        free(text);
        /* Files in /proc say size 0 and are read all the same. */
        assert_int_equal(read_full_file("/proc/self/stat", &text, &n), 0);
        assert_true(n > 0);
        free(text);
        assert_int_equal(read_full_file("/nonexistent/x.conf", &text, &n), -ENOENT);

        /* Key files are read the same way. */
        WgKey k;
        snprintf(path, sizeof path, "%s/fifo.conf", dir);
        assert_int_equal(wg_key_read_file(path, k), -EBADFD);
        assert_int_equal(wg_key_read_file("/dev/zero", k), -EBADFD);
        assert_int_equal(private_key_load_or_create(path, k, NULL), -EBADFD);
        alarm(0);

        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

/* The names in dir, other than "." and "..", joined by spaces. */
static void dir_list(const char *dir, char *buf, size_t size) {
        DIR *d = opendir(dir);
        assert_non_null(d);
        buf[0] = '\0';
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        snprintf(buf + strlen(buf), size - strlen(buf), "%s ", de->d_name);
        closedir(d);
}

/* A writer killed in the middle of its write: SIGXFSZ from RLIMIT_FSIZE stops it inside write(2)
 * as surely as a SIGKILL would, at a known point. */
static void write_killed(const char *path, bool new_file) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit rl = { 4096, 4096 };
                (void) prctl(PR_SET_DUMPABLE, 0); /* no core dump */
                (void) setrlimit(RLIMIT_FSIZE, &rl);
                static char content[65536];
                memset(content, 'k', sizeof content - 1);
                if (new_file)
                        (void) write_file_new(path, content, 0600, (uid_t) -1, (gid_t) -1);
                else
                        (void) write_file_atomic(path, content, 0600, (uid_t) -1, (gid_t) -1);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGXFSZ);
}

static void test_atomic_write_killed_leaves_nothing(void **state) {
        char dir[] = "/tmp/nfswg-test-kill-XXXXXX", path[256], names[1024];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/sysctl", dir);

        write_killed(path, false);
        dir_list(dir, names, sizeof names);
        assert_string_equal(names, "");
        write_killed(path, true);
        dir_list(dir, names, sizeof names);
        assert_string_equal(names, "");

        /* Killed while replacing: the old file stays whole, nothing beside it. */
        assert_int_equal(write_file_atomic(path, "old\n", 0644, (uid_t) -1, (gid_t) -1), 1);
        write_killed(path, false);
        dir_list(dir, names, sizeof names);
        assert_string_equal(names, "sysctl ");
        char *text = NULL;
        assert_int_equal(read_full_file(path, &text, NULL), 0);
        assert_string_equal(text, "old\n");
        free(text);

        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_stale_temporary_names_removed(void **state) {
        char dir[] = "/tmp/nfswg-test-stale-XXXXXX", path[256], names[1024];
        assert_non_null(mkdtemp(dir));

        /* A PID that is gone: a child that exited and was reaped. */
        pid_t dead = fork();
        assert_true(dead >= 0);
        if (dead == 0)
                _exit(0);
        assert_int_equal(waitpid(dead, NULL, 0), dead);

        char stale[2][64], kept[4][64];
        snprintf(stale[0], sizeof stale[0], ".#state~%d", (int) dead);
        snprintf(stale[1], sizeof stale[1], ".#stateAb3xYz"); /* mkostemp's, from earlier versions */
        snprintf(kept[0], sizeof kept[0], ".#state~%d", (int) getppid()); /* a live writer */
        snprintf(kept[1], sizeof kept[1], ".#other~%d", (int) dead);
        snprintf(kept[2], sizeof kept[2], ".#statefile~%d", (int) dead);
        snprintf(kept[3], sizeof kept[3], "state-notes");
        for (size_t i = 0; i < ELEMENTSOF(stale) + ELEMENTSOF(kept); i++) {
                snprintf(path, sizeof path, "%s/%s", dir, i < 2 ? stale[i] : kept[i - 2]);
                assert_true(write_file_new(path, "x", 0600, (uid_t) -1, (gid_t) -1) >= 0);
        }

        snprintf(path, sizeof path, "%s/state", dir);
        assert_int_equal(write_file_atomic(path, "a=1\n", 0644, (uid_t) -1, (gid_t) -1), 1);
        dir_list(dir, names, sizeof names);
        for (size_t i = 0; i < ELEMENTSOF(stale); i++)
                assert_null(strstr(names, stale[i]));
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                assert_non_null(strstr(names, kept[i]));

        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ip_prefix), cmocka_unit_test(test_parse_values), cmocka_unit_test(test_keys),
                cmocka_unit_test(test_atomic_write), cmocka_unit_test(test_private_key_file),
                cmocka_unit_test(test_strbuf), cmocka_unit_test(test_escape_excerpt),
                cmocka_unit_test(test_read_only_regular_files), cmocka_unit_test(test_atomic_write_killed_leaves_nothing),
                cmocka_unit_test(test_stale_temporary_names_removed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
