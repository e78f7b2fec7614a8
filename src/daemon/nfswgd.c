/* SPDX-License-Identifier: MIT */
/* nfswgd: one bridge's daemon, run as nfswg@NAME.service (Type=notify). It makes the host match
 * /etc/nfswg/NAME.conf (key, WireGuard link, nftables table, exports), reports peers coming and
 * going in the journal, applies reloads as differences, and takes everything away on stop; a
 * restart leaves it all up for the next daemon, which adopts it (nfswgd(8)). */
#include <getopt.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "daemon/endpoint.h"
#include "daemon/event.h"
#include "daemon/last-good.h"
#include "daemon/manager.h"
#include "daemon/userspace.h"
#include "wg/wg.h"
#include "shared/escape.h"
#include "shared/log.h"
#include "shared/parse.h"
#include "shared/strbuf.h"

#define DEFAULT_POLL_SEC 5
#define DEFAULT_LINK_TIMEOUT_SEC 30

/* LSB's "program is not configured" (systemd.exec(5), EXIT_NOTCONFIGURED): the unit has
 * RestartPreventExitStatus=6, so a bad file is not restarted until the start limit hits. */
#define EXIT_NOT_CONFIGURED 6

static void help(void) {
        printf("Usage: nfswgd [OPTIONS] NAME\n"
               "\n"
               "Runs the nfswg bridge NAME (/etc/nfswg/NAME.conf); normally started as nfswg@NAME.service.\n"
               "SIGHUP reloads the configuration live. SIGTERM removes what the daemon set up, unless\n"
               "systemd is restarting the unit: then the bridge stays up for the next start to adopt.\n"
               "\n"
               "  -h --help            Show this help\n"
               "     --version         Show the version\n"
               "     --root DIR        Read DIR/etc/nfswg and write every file under DIR (tests)\n"
               "     --uapi-dir DIR    Where userspace WireGuard UAPI sockets live (default /run/wireguard)\n"
               "     --no-networkd     Test mode: do not use systemd-networkd. The WireGuard interface must\n"
               "                       exist already (e.g. made by wireguard-go); the daemon sets its\n"
               "                       addresses, MTU and up state itself over rtnetlink and, on stop,\n"
               "                       removes its addresses but leaves the interface (it is not ours).\n"
               "                       Backend=userspace in the configuration needs no networkd either:\n"
               "                       the daemon then starts wireguard-go itself and stops it on exit.\n"
               "\n"
               "Environment (tests): NFSWG_POLL_SEC (peer poll interval, default %d),\n"
               "NFSWG_LINK_TIMEOUT_SEC (wait for networkd's link, default %d), NFSWG_EXPORTFS (exportfs\n"
               "program, default /usr/sbin/exportfs), NFSWG_WIREGUARD_GO (default wireguard-go),\n"
               "NFSWG_STALE_SEC (a dialled peer, Endpoint=, with no handshake and nothing received for this\n"
               "long is stale, default %d) and NFSWG_FAILOVER_GRACE_SEC (a stale peer we sent to that\n"
               "still has no handshake after this long gets its next Endpoint=, or its one Endpoint=\n"
               "looked up again, default %d), NFSWG_NAS_RETRY_SEC (nas mode: a failed rpcbind query for the\n"
               "NAS's NFSv3 ports, or one without mountd, is tried again after this long, default %d),\n"
               "NFSWG_NAS_REFRESH_SEC (a complete answer is asked again after this long, default %d),\n"
               "NFSWG_RESOLVE_TIMEOUT_SEC (give up on a DNS name in Endpoint= after this long, 1-60,\n"
               "default %u), NFSWG_STOP_INTENT_FILE (stand-in for systemd's pending job at SIGTERM: when\n"
               "set, the file existing and saying \"restart\" means a restart that leaves the bridge up,\n"
               "anything else a real stop; systemd is not asked then).\n",
               DEFAULT_POLL_SEC, DEFAULT_LINK_TIMEOUT_SEC, ENDPOINT_STALE_SEC, ENDPOINT_GRACE_SEC,
               NAS_RETRY_SEC_DEFAULT, NAS_REFRESH_SEC_DEFAULT, WG_RESOLVE_TIMEOUT_SEC);
}

static int env_seconds(const char *name, unsigned def, uint64_t *ret) {
        const char *e = getenv(name);
        unsigned v = def;
        if (e && parse_unsigned(e, 1, 3600, &v) < 0)
                return log_error_errno(EINVAL, "$%s=%s is not a number of seconds (1..3600).", name, EXCERPT(e));
        *ret = (uint64_t) v * 1000000ULL;
        return 0;
}

static int parse_argv(int argc, char *argv[], Manager *m) {
        enum { ARG_VERSION = 0x100, ARG_ROOT, ARG_UAPI_DIR, ARG_NO_NETWORKD };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, ARG_ROOT },
                { "uapi-dir", required_argument, NULL, ARG_UAPI_DIR },
                { "no-networkd", no_argument, NULL, ARG_NO_NETWORKD },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("nfswgd " NFSWG_VERSION "\n");
                        return 0;
                case ARG_ROOT:
                        /* "/" and "" both mean the live system; a trailing slash would double up. */
                        m->root = streq(optarg, "/") ? "" : optarg;
                        break;
                case ARG_UAPI_DIR:
                        m->uapi_dir = optarg;
                        break;
                case ARG_NO_NETWORKD:
                        m->no_networkd = true;
                        break;
                default:
                        return -EINVAL;
                }

        if (optind + 1 != argc) {
                fprintf(stderr, "nfswgd: expected exactly one bridge NAME (see --help).\n");
                return -EINVAL;
        }
        m->name = argv[optind];
        if (!name_is_valid(m->name)) {
                fprintf(stderr, "nfswgd: '%s' is not a bridge name ([a-z0-9][a-z0-9-]*).\n", EXCERPT(m->name));
                return -EINVAL;
        }
        return 1;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) manager_poll(m);
        manager_update_status(m, true);
        (void) sd_event_source_set_time(s, usec + m->poll_usec);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) manager_reload(userdata);
        return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        const char *why = NULL;

        m->stop_intent = stop_intent_query(m->name, &why);
        if (m->stop_intent == STOP_INTENT_RESTART && !manager_restart_keeps(m))
                m->stop_intent = STOP_INTENT_STOP;
        log_info("SIGTERM: %s (%s).", m->stop_intent == STOP_INTENT_RESTART ? "restart, the bridge stays up" : "stop",
                 why);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_wireguard_go_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int status = wireguard_go_reap(&m->wireguard_go);

        if (status >= 0)
                log_error("wireguard-go for %s exited unexpectedly (status %d); stopping.", m->bridge->interface, status);
        else
                log_error("wireguard-go for %s (PID %d) exited unexpectedly; stopping.", m->bridge->interface,
                          (int) m->wireguard_go.pid);
        m->child_source = sd_event_source_unref(m->child_source);
        wireguard_go_release(&m->wireguard_go); /* gone: nothing to stop */
        return sd_event_exit(sd_event_source_get_event(s), EXIT_FAILURE);
}

/* The configuration on disk is invalid. A bridge left up by a daemon that exited for a restart (a
 * saved copy of what applied, and its link) keeps serving that copy: a typo followed by a restart
 * or an upgrade is no outage, and the unit stays active so that a stop still cleans up. Without
 * one, nothing is changed and the daemon exits 6. */
static int start_refused(Manager *m, char **reasons) {
        EventInfo info = { .bridge = m->name, .handshake_age = -1 };
        StrBuf sb = {};

        STRV_FOREACH(s, reasons)
                strbuf_appendf(&sb, "%s%s", s == reasons ? "" : " ", *s);
        _cleanup_free_ char *text = strbuf_finish(&sb);
        info.detail = text ?: "the configuration is invalid";

        if (last_good_exists(m->root, m->name) &&
            last_good_load(m->root, m->name, &m->host, &m->bridge) >= 0) {
                if (if_nametoindex(m->bridge->interface) > 0) {
                        m->serving_saved = true;
                        info.interface = m->bridge->interface;
                        event_emit(EVENT_CONFIG_REFUSED, &info);
                        manager_set_refused(m, reasons);
                        return 0;
                }
                log_info("The last good configuration of bridge %s is saved but its link %s is gone: "
                         "nothing to keep.", m->name, m->bridge->interface);
                m->host = host_free(m->host);
                m->bridge = NULL;
        }
        event_emit(EVENT_START_REFUSED, &info);
        (void) sd_notifyf(false, "STATUS=Invalid configuration: see 'journalctl -u nfswg@%s'.", m->name);
        return -EINVAL;
}

static int run_loop(Manager *m) {
        uint64_t now;
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        /* SIGTERM asks systemd why (stop-intent.h); SIGINT (a terminal) is always a real stop: sd_event
         * exits the loop with 0 (sd_event_add_signal(3), NULL handler). */
        if (sd_event_add_signal(m->event, NULL, SIGTERM, on_sigterm, m) < 0 ||
            sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL) < 0 ||
            sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m) < 0)
                return log_error_errno(ENOMEM, "Cannot watch signals.");
        /* WATCHDOG=1 at half of $WATCHDOG_USEC, from the loop itself, so a stuck loop is noticed. */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the watchdog: %m");
        if (m->wireguard_go.pidfd >= 0) {
                r = sd_event_add_io(m->event, &m->child_source, m->wireguard_go.pidfd, EPOLLIN, on_wireguard_go_exit, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch wireguard-go: %m");
        }
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        r = sd_event_add_time(m->event, &m->poll_source, CLOCK_MONOTONIC, now + m->poll_usec, 0, on_poll, m);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the poll timer: %m");
        /* After READY=1: a NAS that is slow or down never holds up the start. */
        nas_discovery_start(&m->nas, m);
        manager_expiry_update(m);

        return sd_event_loop(m->event);
}

int main(int argc, char *argv[]) {
        Manager m = { .root = "", .wireguard_go = WIREGUARD_GO_NULL };
        char **reasons = NULL;
        sigset_t mask;
        uint64_t stale_usec, grace_usec;
        int r;

        log_set_ident("nfswgd");
        log_setup_auto();

        r = parse_argv(argc, argv, &m);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (env_seconds("NFSWG_POLL_SEC", DEFAULT_POLL_SEC, &m.poll_usec) < 0 ||
            env_seconds("NFSWG_LINK_TIMEOUT_SEC", DEFAULT_LINK_TIMEOUT_SEC, &m.link_timeout_usec) < 0 ||
            env_seconds("NFSWG_STALE_SEC", ENDPOINT_STALE_SEC, &stale_usec) < 0 ||
            env_seconds("NFSWG_FAILOVER_GRACE_SEC", ENDPOINT_GRACE_SEC, &grace_usec) < 0 ||
            env_seconds("NFSWG_NAS_RETRY_SEC", NAS_RETRY_SEC_DEFAULT, &m.nas_retry_usec) < 0 ||
            env_seconds("NFSWG_NAS_REFRESH_SEC", NAS_REFRESH_SEC_DEFAULT, &m.nas_refresh_usec) < 0)
                return 2;
        m.endpoint_policy = (EndpointPolicy) { .stale_sec = (int64_t) (stale_usec / 1000000ULL),
                                               .grace_sec = (int64_t) (grace_usec / 1000000ULL) };

        /* Signals are taken by sd-event's signalfd and SIGCHLD by its child watch: block them
         * before anything, so none arrives in between with its default action. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = manager_load_config(m.root, m.name, true, &m.host, &m.bridge, &reasons);
        if (r < 0) {
                r = start_refused(&m, reasons);
                strv_free(reasons);
                if (r < 0)
                        return EXIT_NOT_CONFIGURED;
        } else
                strv_free(reasons);

        /* State kept across restarts (sysctl originals) lives in /run: a reboot forgets it, as it
         * forgets the values themselves. */
        _cleanup_free_ char *state = NULL;
        if (asprintf(&state, "%s/run/nfswg/%s/sysctl", m.root, m.name) < 0 ||
            sysctl_saved_init(&m.sysctls, state) < 0) {
                log_oom();
                return EXIT_FAILURE;
        }

        r = manager_start(&m);
        if (r < 0) {
                /* Leave nothing half made; a key that was created stays (it is the bridge's identity). */
                (void) sd_notifyf(false, "STATUS=Failed to start: %s", strerror(-r));
                manager_stop(&m, false);
                manager_done(&m);
                return EXIT_FAILURE;
        }

        r = run_loop(&m);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        if (r == 0 && m.stop_intent == STOP_INTENT_RESTART)
                manager_leave(&m);
        else
                manager_stop(&m, true);
        manager_done(&m);
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
