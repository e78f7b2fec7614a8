/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "daemon/userspace.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/parse.h"

#define WAIT_STEP_USEC (50 * 1000)
#define WAIT_STEPS 100 /* 5 s */

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open_pid(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int pidfd, int sig) {
        return (int) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static char *uapi_socket_path(const char *ifname, const char *uapi_dir) {
        char *sock = NULL;
        if (asprintf(&sock, "%s/%s.sock", uapi_dir ?: "/var/run/wireguard", ifname) < 0)
                return NULL;
        return sock;
}

static bool socket_exists(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The PID that listens on the UAPI socket (SO_PEERCRED: the listener's credentials, socket(7)). */
static int uapi_socket_pid(const char *sock, pid_t *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct ucred cred;
        socklen_t l = sizeof cred;

        if (strlen(sock) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, sock);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0)
                return -errno;
        *ret = cred.pid;
        return 0;
}

static bool process_is_wireguard_go(pid_t pid) {
        _cleanup_free_ char *path = NULL, *comm = NULL;
        if (asprintf(&path, "/proc/%d/comm", (int) pid) < 0 || read_full_file(path, &comm, NULL) < 0)
                return false;
        comm[strcspn(comm, "\n")] = '\0';
        /* The kernel keeps 15 characters of the name (proc(5)); a test's stand-in may be named
         * otherwise, so $NFSWG_WIREGUARD_GO's base name counts too. */
        const char *program = getenv("NFSWG_WIREGUARD_GO") ?: "wireguard-go";
        const char *base = strrchr(program, '/');
        base = base ? base + 1 : program;
        return streq(comm, "wireguard-go") || strncmp(comm, base, 15) == 0;
}

static int pid_file_write(const char *pid_file, pid_t pid, const char *ifname) {
        char text[64];
        snprintf(text, sizeof text, "%d %s\n", (int) pid, ifname);
        int r = mkdir_parents(pid_file, 0700);
        if (r >= 0)
                r = write_file_atomic(pid_file, text, 0644, (uid_t) -1, (gid_t) -1);
        return r < 0 ? r : 0;
}

int wireguard_go_adopt(const char *ifname, const char *uapi_dir, const char *pid_file, WireguardGo *w) {
        _cleanup_free_ char *sock = uapi_socket_path(ifname, uapi_dir), *text = NULL;
        unsigned saved = 0;
        pid_t listener = 0;

        if (!sock)
                return log_oom();
        if (if_nametoindex(ifname) == 0)
                return 0;
        if (read_full_file(pid_file, &text, NULL) >= 0) {
                text[strcspn(text, " \n")] = '\0';
                (void) parse_unsigned(text, 1, INT32_MAX, &saved);
        }
        /* The PID must be the one serving IFNAME's UAPI socket, and a wireguard-go: a PID file
         * that outlived its process, or a device someone else made, is not ours to take. */
        if (saved == 0 || uapi_socket_pid(sock, &listener) < 0 || listener != (pid_t) saved ||
            !process_is_wireguard_go(listener))
                return log_error_errno(EEXIST, "Interface %s exists already and is not a wireguard-go this bridge "
                                       "started (%s); Backend=userspace creates it with wireguard-go.",
                                       ifname, saved == 0 ? "no PID saved" : "the saved PID does not serve its socket");
        int pidfd = pidfd_open_pid(listener);
        if (pidfd < 0)
                return log_error_errno(errno, "Cannot open wireguard-go (PID %d): %m", (int) listener);
        /* Checked again through the pidfd: the process may have gone between the two looks. */
        if (pidfd_signal(pidfd, 0) < 0) {
                close(pidfd);
                return log_error_errno(ESRCH, "wireguard-go (PID %d) exited while being adopted.", (int) listener);
        }
        w->pid = listener;
        w->pidfd = pidfd;
        w->pid_file = strdup(pid_file);
        if (!w->pid_file)
                return log_oom();
        log_info("Adopted wireguard-go for %s (PID %d), its sessions untouched.", ifname, (int) listener);
        return 1;
}

int wireguard_go_start(const char *ifname, const char *uapi_dir, const char *pid_file, WireguardGo *w) {
        const char *program = getenv("NFSWG_WIREGUARD_GO") ?: "wireguard-go";
        _cleanup_free_ char *sock = uapi_socket_path(ifname, uapi_dir);
        pid_t pid;
        int status, r;

        if (!sock)
                return log_oom();

        /* A wireguard-go that was just stopped is still shutting down: give it a moment. */
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
                /* Its own session: no terminal's or process group's signals reach it, and a daemon
                 * leaving for a restart leaves it running (no PR_SET_PDEATHSIG). */
                (void) setsid();
                setenv("WG_PROCESS_FOREGROUND", "1", 1);
                execlp(program, program, "-f", ifname, (char *) NULL);
                fprintf(stderr, "Cannot run %s: %m\n", program);
                _exit(127);
        }

        int pidfd = pidfd_open_pid(pid);
        if (pidfd < 0) {
                r = -errno;
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, &status, 0);
                return log_error_errno(r, "Cannot open a pidfd for wireguard-go: %m");
        }
        *w = (WireguardGo) { .pid = pid, .pidfd = pidfd, .pid_file = strdup(pid_file) };
        if (!w->pid_file) {
                wireguard_go_stop(w);
                return log_oom();
        }

        for (int i = 0; i < WAIT_STEPS; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        close(w->pidfd);
                        free(w->pid_file);
                        *w = WIREGUARD_GO_NULL;
                        return log_error_errno(EIO, "wireguard-go exited before %s came up (%s %d).", ifname,
                                               WIFEXITED(status) ? "exit status" : "signal",
                                               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                }
                if (if_nametoindex(ifname) > 0 && socket_exists(sock)) {
                        r = pid_file_write(pid_file, pid, ifname);
                        if (r < 0)
                                log_warning_errno(r, "Cannot record wireguard-go's PID in %s (%m): a restart "
                                                  "will not find it.", pid_file);
                        log_info("Started wireguard-go for %s (PID %d).", ifname, (int) pid);
                        return 0;
                }
                usleep(WAIT_STEP_USEC);
        }
        wireguard_go_stop(w);
        return log_error_errno(ETIMEDOUT, "wireguard-go did not bring up %s and %s within 5 s.", ifname, sock);
}

int wireguard_go_reap(WireguardGo *w) {
        siginfo_t si = {};
        if (w->pidfd < 0)
                return -1;
        /* Ours when this daemon started it; an adopted one is reaped by whoever is its parent now. */
        if (waitid(P_PIDFD, (id_t) w->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid > 0)
                return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        return -1;
}

static bool wait_exit(int pidfd, int timeout_ms) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return poll(&p, 1, timeout_ms) > 0;
}

void wireguard_go_stop(WireguardGo *w) {
        if (w->pidfd >= 0) {
                (void) pidfd_signal(w->pidfd, SIGTERM);
                if (!wait_exit(w->pidfd, 3000)) {
                        log_warning("wireguard-go (PID %d) did not stop within 3 s, killing it.", (int) w->pid);
                        (void) pidfd_signal(w->pidfd, SIGKILL);
                        (void) wait_exit(w->pidfd, 3000);
                }
                (void) wireguard_go_reap(w);
        }
        if (w->pid_file)
                (void) unlink_if_exists(w->pid_file);
        wireguard_go_release(w);
}

void wireguard_go_release(WireguardGo *w) {
        if (w->pidfd >= 0)
                close(w->pidfd);
        free(w->pid_file);
        *w = WIREGUARD_GO_NULL;
}
