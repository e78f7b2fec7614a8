/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sections_keys_and_comments),
                cmocka_unit_test(test_syntax_errors_name_file_and_line),
                cmocka_unit_test(test_carriage_return_inside_line_refused),
                cmocka_unit_test(test_empty_value_kept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
