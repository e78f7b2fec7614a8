/* SPDX-License-Identifier: MIT */
#include <png.h>
#include <qrencode.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "cli/qr.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/strbuf.h"

char *qr_config_payload(const char *text) {
        StrBuf s = {};
        for (const char *line = text; *line;) {
                size_t l = strcspn(line, "\n");
                if (line[0] != '#' && !(l == 0 && s.len == 0))
                        strbuf_appendf(&s, "%.*s\n", (int) l, line);
                line += l;
                if (*line)
                        line++;
        }
        return strbuf_finish(&s);
}

void qr_bitmap_done(QrBitmap *q) {
        free(q->dark);
        *q = (QrBitmap) {};
}

int qr_encode(const char *text, QrBitmap *ret) {
        /* version 0: the smallest symbol that holds the text; case-sensitive 8-bit where needed. */
        QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
        if (!code)
                return errno > 0 ? -errno : -EINVAL; /* ERANGE: too long for any version */

        size_t w = (size_t) code->width;
        uint8_t *dark = malloc(w * w);
        if (!dark) {
                QRcode_free(code);
                return -ENOMEM;
        }
        /* qrencode.h: bit 0 of each byte is the module's colour, 1 = black. */
        for (size_t i = 0; i < w * w; i++)
                dark[i] = code->data[i] & 1;
        QRcode_free(code);
        *ret = (QrBitmap) { .width = w, .dark = dark };
        return 0;
}

/* Dark with the quiet zone around the symbol. */
static bool module_dark(const QrBitmap *q, long x, long y) {
        long w = (long) q->width;
        x -= QR_QUIET_ZONE;
        y -= QR_QUIET_ZONE;
        if (x < 0 || y < 0 || x >= w || y >= w)
                return false;
        return q->dark[(size_t) y * q->width + (size_t) x];
}

unsigned qr_terminal_columns(int fd) {
        struct winsize ws = {};
        unsigned c;

        if (!isatty(fd))
                return 0;
        if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        const char *e = getenv("COLUMNS");
        if (e && sscanf(e, "%u", &c) == 1)
                return c;
        return 0;
}

size_t qr_utf8_columns(const QrBitmap *q) {
        return q->width + 2 * QR_QUIET_ZONE;
}

char *qr_format_utf8(const QrBitmap *q, bool ansi) {
        StrBuf s = {};
        long side = (long) qr_utf8_columns(q);

        for (long y = 0; y < side; y += 2) {
                if (ansi)
                        strbuf_append(&s, "\033[40;97m");
                for (long x = 0; x < side; x++) {
                        bool top_light = !module_dark(q, x, y);
                        bool bottom_light = y + 1 < side ? !module_dark(q, x, y + 1) : false;
                        if (top_light && bottom_light)
                                strbuf_append(&s, "\u2588"); /* █ */
                        else if (top_light)
                                strbuf_append(&s, "\u2580"); /* ▀ */
                        else if (bottom_light)
                                strbuf_append(&s, "\u2584"); /* ▄ */
                        else
                                strbuf_append(&s, " ");
                }
                if (ansi)
                        strbuf_append(&s, "\033[0m");
                strbuf_append(&s, "\n");
        }
        return strbuf_finish(&s);
}

static int png_write_stream(const QrBitmap *q, FILE *f) {
        size_t side = (q->width + 2 * QR_QUIET_ZONE) * QR_PNG_SCALE;
        png_structp png = NULL;
        png_infop info = NULL;
        _cleanup_free_ png_bytep row = malloc(side);
        if (!row)
                return -ENOMEM;

        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
        if (!png)
                return -ENOMEM;
        info = png_create_info_struct(png);
        if (!info) {
                png_destroy_write_struct(&png, NULL);
                return -ENOMEM;
        }
        /* libpng reports errors by longjmp (png(3), "Setting up error handling"). */
        if (setjmp(png_jmpbuf(png))) {
                png_destroy_write_struct(&png, &info);
                return -EIO;
        }
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32) side, (png_uint_32) side, 8, PNG_COLOR_TYPE_GRAY,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (size_t py = 0; py < side; py++) {
                long y = (long) (py / QR_PNG_SCALE);
                for (size_t px = 0; px < side; px++)
                        row[px] = module_dark(q, (long) (px / QR_PNG_SCALE), y) ? 0x00 : 0xff;
                png_write_row(png, row);
        }
        png_write_end(png, info);
        png_destroy_write_struct(&png, &info);
        return 0;
}

int qr_write_png(const QrBitmap *q, const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&data, &size);
        if (!f)
                return -errno;
        int r = png_write_stream(q, f);
        if (fclose(f) != 0 && r >= 0)
                r = -errno;
        /* 0600 before the first byte: the picture holds a private key. */
        if (r >= 0)
                r = write_file_atomic_data(path, data, size, 0600, (uid_t) -1, (gid_t) -1);
        if (data)
                explicit_bzero(data, size);
        return r < 0 ? r : 0;
}
