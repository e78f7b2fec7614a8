/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A client config as a QR code (libqrencode), for the WireGuard mobile apps' "scan from QR code":
 * as UTF-8 half blocks for a terminal, or as a PNG (libpng). */

#define QR_QUIET_ZONE 4 /* modules of light border, ISO/IEC 18004 section 6.3.8 */
#define QR_PNG_SCALE 8  /* pixels per module */

typedef struct QrBitmap {
        size_t width;    /* modules per side, quiet zone not included */
        uint8_t *dark;   /* width * width, 1 = dark module */
} QrBitmap;

void qr_bitmap_done(QrBitmap *q);

/* Encodes text (byte mode where needed, error correction level L, the smallest version that fits). */
int qr_encode(const char *text, QrBitmap *ret);

/* Two module rows per text line: light modules are painted with U+2580/U+2584/U+2588, dark ones
 * are left as spaces. With ansi, each line sets a black background and white foreground so the code
 * is dark-on-light on any terminal; without, it is right on the usual light-on-dark terminal. The
 * quiet zone is included. */
char *qr_format_utf8(const QrBitmap *q, bool ansi);
/* The terminal columns qr_format_utf8() takes: one per module, quiet zone included. */
size_t qr_utf8_columns(const QrBitmap *q);
/* How many columns a code printed to fd may take: the terminal's width (TIOCGWINSZ, else
 * $COLUMNS); 0, no limit, when fd is not a terminal or its width is unknown. */
unsigned qr_terminal_columns(int fd);

/* A grayscale PNG, QR_PNG_SCALE pixels per module, with the quiet zone, written atomically with
 * mode 0600 (the code holds a private key). */
int qr_write_png(const QrBitmap *q, const char *path);

/* What the QR code of a wg-quick config holds: the text without comment lines and leading blank
 * lines (the apps ignore them; a smaller code scans more easily from a terminal). NULL on OOM. */
char *qr_config_payload(const char *text);
