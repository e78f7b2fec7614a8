/* SPDX-License-Identifier: MIT */
#pragma once

/* Checked setters shared by the section parsers: each logs "FILE:LINE: Key= ..." through the
 * context on a bad value and leaves the field as it was; an empty value resets to the default
 * (systemd.syntax(7)). They return -ENOMEM only. */

#include "model/load-context.h"

/* Splits a list value at whitespace and hands each word to f. */
typedef int (*ItemParser)(LoadContext *ctx, void *target, const ConfEntry *e, const char *item);

int set_string(LoadContext *ctx, char **field, const ConfEntry *e, bool (*valid)(const char *), const char *what);
int set_path(LoadContext *ctx, char **field, const ConfEntry *e);
int set_bool(LoadContext *ctx, bool *field, bool dflt, const ConfEntry *e);
int set_port(LoadContext *ctx, uint16_t *field, uint16_t dflt, const ConfEntry *e);
int set_unsigned(LoadContext *ctx, unsigned *field, unsigned dflt, unsigned min, unsigned max, const ConfEntry *e);
int set_key(LoadContext *ctx, WgKey key, bool *set, const ConfEntry *e);
int for_each_item(LoadContext *ctx, void *target, const ConfEntry *e, ItemParser f);
int push_prefix(LoadContext *ctx, IpPrefix **arr, size_t *n, const ConfEntry *e, const char *item, bool allow_bare, bool network);
int push_endpoint(LoadContext *ctx, Endpoint **arr, size_t *n, const ConfEntry *e, const char *item);
void endpoints_free(Endpoint **arr, size_t *n);
int set_prefix_list(LoadContext *ctx, IpPrefix **arr, size_t *n, const ConfEntry *e, bool allow_bare, bool network);
int set_endpoint_list(LoadContext *ctx, Endpoint **arr, size_t *n, const ConfEntry *e);
int set_id(LoadContext *ctx, uint32_t *field, const ConfEntry *e);
