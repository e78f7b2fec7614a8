/* SPDX-License-Identifier: MIT */
#include <net/if.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "daemon/userspace.h"
#include "shared/log.h"
#include "shared/macro.h"

#define WAIT_STEP_USEC (50 * 1000)
#define WAIT_STEPS 100 /* 5 s */

static bool socket_exists(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int wireguard_go_start(const char *ifname, const char *uapi_dir, pid_t *ret_pid) {
        const char *program = getenv("NFSWG_WIREGUARD_GO") ?: "wireguard-go";
        _cleanup_free_ char *sock = NULL;
        pid_t parent = getpid(), pid;
        int status;

        if (asprintf(&sock, "%s/%s.sock", uapi_dir ?: "/var/run/wireguard", ifname) < 0)
                return log_oom();

        /* A wireguard-go of a daemon that was just killed is still shutting down: give it a moment. */
        for (int i = 0; i < WAIT_STEPS && if_nametoindex(ifname) > 0; i++)
                usleep(WAIT_STEP_USEC);
        if (if_nametoindex(ifname) > 0)
                return log_error_errno(EEXIST, "Interface %s exists already and is not ours; "
                                       "Backend=userspace creates it with wireguard-go.", ifname);

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Cannot fork for wireguard-go: %m");
        if (pid == 0) {
                sigset_t all;
                sigfillset(&all);
                sigprocmask(SIG_UNBLOCK, &all, NULL);
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                setenv("WG_PROCESS_FOREGROUND", "1", 1);
                execlp(program, program, "-f", ifname, (char *) NULL);
                fprintf(stderr, "Cannot run %s: %m\n", program);
                _exit(127);
        }

        for (int i = 0; i < WAIT_STEPS; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return log_error_errno(EIO, "wireguard-go exited before %s came up (%s %d).", ifname,
                                               WIFEXITED(status) ? "exit status" : "signal",
                                               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                if (if_nametoindex(ifname) > 0 && socket_exists(sock)) {
                        log_info("Started wireguard-go for %s (PID %d).", ifname, (int) pid);
                        *ret_pid = pid;
                        return 0;
                }
                usleep(WAIT_STEP_USEC);
        }
        wireguard_go_stop(pid);
        return log_error_errno(ETIMEDOUT, "wireguard-go did not bring up %s and %s within 5 s.", ifname, sock);
}

void wireguard_go_stop(pid_t pid) {
        int status;

        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        for (int i = 0; i < 60; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return;
                usleep(WAIT_STEP_USEC);
        }
        log_warning("wireguard-go (PID %d) did not stop within 3 s, killing it.", (int) pid);
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
}
