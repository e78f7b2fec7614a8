/* SPDX-License-Identifier: MIT */
#pragma once

/* Each verb's --help text: usage, what it does, every option with one line of explanation. */
extern const char help_init[];
extern const char help_peer_add[];
extern const char help_peer_remove[];
extern const char help_peer_list[];
extern const char help_peer_config[];
extern const char help_mount_hint[];
extern const char help_status[];
extern const char help_check[];
extern const char help_render[];

/* Prints text to stdout; returns 0. */
int help_print(const char *text);
