/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>

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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ip_prefix), cmocka_unit_test(test_parse_values), cmocka_unit_test(test_keys),
                cmocka_unit_test(test_atomic_write), cmocka_unit_test(test_private_key_file),
                cmocka_unit_test(test_strbuf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
