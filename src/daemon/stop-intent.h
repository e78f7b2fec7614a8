/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

/* Why the daemon got SIGTERM: a restart of its unit (systemctl restart / try-restart, the package's
 * upgrade) leaves the bridge up for the next daemon to adopt; anything else is a real stop that
 * removes what the daemon set up. Only systemd knows, so the daemon asks it (nfswgd(8), RESTART,
 * UPGRADE AND REFUSED CONFIGURATIONS). */
typedef enum StopIntent {
        STOP_INTENT_STOP,    /* the safe default: a stop must clean up */
        STOP_INTENT_RESTART,
} StopIntent;

/* Bound on the whole D-Bus question: SIGTERM's stop timeout (90 s by default) is far, but a
 * restart should not wait on a dead bus. */
#define STOP_INTENT_TIMEOUT_USEC (2ULL * 1000 * 1000)

/* A unit's pending job type as systemd's D-Bus API reads it (org.freedesktop.systemd1.Job,
 * JobType); NULL = no job. */
StopIntent stop_intent_from_job_type(const char *job_type);
/* The netns tests' hook ($NFSWG_STOP_INTENT_FILE): the file's text, NULL when it does not exist.
 * "restart" as the first word means a restart. */
StopIntent stop_intent_from_hook_text(const char *text);
const char *stop_intent_to_string(StopIntent i);

/* Decides for bridge NAME: $NFSWG_STOP_INTENT_FILE when set, else systemd's pending job of our
 * unit over the system bus, at most STOP_INTENT_TIMEOUT_USEC. Every failure gives
 * STOP_INTENT_STOP, logged at debug level with its reason in *ret_why (static text). */
StopIntent stop_intent_query(const char *name, const char **ret_why);
/* The D-Bus half: the pending job of unit, STOP_INTENT_STOP on any failure (logged). */
StopIntent stop_intent_ask_systemd(const char *unit, const char **ret_why);
