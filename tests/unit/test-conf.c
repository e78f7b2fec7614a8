/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <time.h>

#include "conf/ini.h"
#include "log-capture.h"

static void test_sections_keys_and_comments(void **state) {
        ConfFile *f = NULL;
        const char *text = "# leading comment\n"
                           "; another\n"
                           "[Bridge]\n"
                           "  Mode = embedded  \n"
                           "Address=10.8.0.1/24 # not a comment: kept in the value\n"
                           "\n"
                           "[Peer]\n"
                           "Name=laptop\n"
                           "   # indented comment\n"
                           "Address=10.8.0.2/32 \\\n"
                           "  10.8.0.3/32\n";
        log_capture_start();
        assert_int_equal(conf_parse_string("t.conf", text, &f), 0);
        assert_int_equal(f->n_sections, 2);
        assert_string_equal(f->sections[0].name, "Bridge");
        assert_int_equal(f->sections[0].line, 3);
        assert_int_equal(f->sections[0].n_entries, 2);
        assert_string_equal(f->sections[0].entries[0].key, "Mode");
        assert_string_equal(f->sections[0].entries[0].value, "embedded");
        assert_int_equal(f->sections[0].entries[0].line, 4);
        assert_string_equal(f->sections[0].entries[1].value, "10.8.0.1/24 # not a comment: kept in the value");
        assert_string_equal(f->sections[1].entries[1].key, "Address");
        assert_string_equal(f->sections[1].entries[1].value, "10.8.0.2/32  10.8.0.3/32");
        assert_int_equal(f->sections[1].entries[1].line, 10);
        conf_file_free(f);
}

static void test_syntax_errors_name_file_and_line(void **state) {
        ConfFile *f = NULL;
        log_capture_start();
        assert_int_equal(conf_parse_string("x.conf", "Key=outside\n[Bridge\n[Bridge]\nnovalue\nBad Key=1\n", &f), 4);
        assert_true(log_captured("x.conf:1: Key= outside of any section."));
        assert_true(log_captured("x.conf:2: invalid section header"));
        assert_true(log_captured("x.conf:4: missing '='"));
        assert_true(log_captured("x.conf:5: invalid key name 'Bad Key'"));
        conf_file_free(f);
}

static void test_carriage_return_inside_line_refused(void **state) {
        ConfFile *f = NULL;
        log_capture_start();
        assert_int_equal(conf_parse_string("cr.conf", "[Bridge]\r\nMode=a\rb\n", &f), 1);
        assert_true(log_captured("cr.conf:2: stray carriage return"));
        /* A CRLF line ending is accepted and stripped. */
        assert_string_equal(f->sections[0].name, "Bridge");
        conf_file_free(f);
}

static void test_empty_value_kept(void **state) {
        ConfFile *f = NULL;
        log_capture_start();
        assert_int_equal(conf_parse_string("e.conf", "[Bridge]\nAddress=\n", &f), 0);
        assert_string_equal(f->sections[0].entries[0].value, "");
        conf_file_free(f);
}

/* The one line of the captured log that contains needle, or NULL. */
static const char *captured_line(const char *needle, char *buf, size_t size) {
        const char *hit = strstr(captured_log, needle);
        if (!hit)
                return NULL;
        const char *start = hit;
        while (start > captured_log && start[-1] != '\n')
                start--;
        size_t l = strcspn(start, "\n");
        snprintf(buf, size, "%.*s", (int) MIN(l, size - 1), start);
        return buf;
}

static void test_message_quotes_short_escaped_excerpt(void **state) {
        ConfFile *f = NULL;
        char line[8192];

        /* A terminal escape sequence in a line reaches the message escaped. */
        log_capture_start();
        assert_int_equal(conf_parse_string("esc.conf", "[Bridge]\nMode\x1b]0;owned\x07\n", &f), 1);
        conf_file_free(f);
        assert_true(log_captured("esc.conf:2: missing '=' in line 'Mode\\x1b]0;owned\\x07'."));
        assert_null(strchr(captured_log, '\x1b'));
        assert_null(strchr(captured_log, '\x07'));

        /* A 5 kB line (a password hash file behind a symlink, say): its first words only. */
        char text[6000] = "[Bridge]\n";
        size_t l = strlen(text);
        memset(text + l, 'h', 5000);
        text[l + 5000] = '\0';
        log_capture_start();
        assert_int_equal(conf_parse_string("long.conf", text, &f), 1);
        conf_file_free(f);
        assert_non_null(captured_line("long.conf:2: missing '='", line, sizeof line));
        assert_true(strlen(line) < 120);
        assert_non_null(strstr(line, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh…'"));

        /* Section headers and key names are quoted the same way. */
        log_capture_start();
        assert_int_equal(conf_parse_string("k.conf", "[Bri\x1b[2Jdge\n[Bridge]\nK\xc2\x9b" "ey=1\n", &f), 2);
        conf_file_free(f);
        assert_true(log_captured("k.conf:1: invalid section header '[Bri\\x1b[2Jdge'."));
        assert_true(log_captured("k.conf:3: invalid key name 'K\\xc2\\x9bey'."));
}

static void test_parse_file_refuses_fifo_and_devices(void **state) {
        char dir[] = "/tmp/nfswg-test-conf-XXXXXX", path[256];
        ConfFile *f = NULL;
        assert_non_null(mkdtemp(dir));
        alarm(10); /* a blocking open fails the test instead of hanging it */
        time_t start = time(NULL);

        snprintf(path, sizeof path, "%s/x.conf", dir);
        assert_int_equal(mkfifo(path, 0644), 0);
        log_capture_start();
        assert_int_equal(conf_parse_file(path, &f), -EBADFD);
        assert_true(log_captured("/x.conf: cannot read: not a regular file"));
        unlink(path);

        assert_int_equal(symlink("/dev/zero", path), 0);
        log_capture_start();
        assert_int_equal(conf_parse_file(path, &f), -EBADFD);
        assert_true(log_captured("/x.conf: cannot read: not a regular file"));
        unlink(path);

        assert_int_equal(mkdir(path, 0755), 0);
        log_capture_start();
        assert_int_equal(conf_parse_file(path, &f), -EISDIR);
        assert_true(log_captured("/x.conf: cannot read: a directory"));
        rmdir(path);

        assert_true(time(NULL) - start < 3);
        alarm(0);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sections_keys_and_comments),
                cmocka_unit_test(test_syntax_errors_name_file_and_line),
                cmocka_unit_test(test_carriage_return_inside_line_refused),
                cmocka_unit_test(test_empty_value_kept),
                cmocka_unit_test(test_message_quotes_short_escaped_excerpt),
                cmocka_unit_test(test_parse_file_refuses_fifo_and_devices),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
