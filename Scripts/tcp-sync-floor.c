// The floor under `tcp-1ch` on this machine, with no Swift, SQLite or signatures: two
// processes on loopback TCP (TCP_NODELAY) play a sequential payment N times. The "client"
// writes one aligned 4 KiB block into its preallocated file opened O_DSYNC | O_DIRECT (the
// payment journal's durable write), sends 86 bytes; the "server" reads them, does the same
// write into its own file, answers 6 bytes. (Before the payment journal, the writes were a
// 24-byte header + 4 KiB, a WAL frame, then fdatasync.) `paychan bench` measures the same
// in-process as `tcp-1ch-floor`.
// Each side optionally spins for a given number of microseconds per message (the signature
// work: ~27 µs to sign, ~38 µs to verify with libsecp256k1 here).
// Usage: cc -O2 -o tcp-sync-floor Scripts/tcp-sync-floor.c
//        ./tcp-sync-floor DIR [COUNT] [CLIENT_SPIN_US] [SERVER_SPIN_US]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void spin(double us) {
    double end = now_us() + us;
    while (now_us() < end) {
    }
}

static int read_full(int fd, char *buf, int n) {
    int got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += (int)r;
    }
    return 0;
}

enum { FRAMES = 1000, FRAME = 4096 };
static char page[FRAME] __attribute__((aligned(FRAME)));

static int open_log(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int flags = O_CREAT | O_RDWR | O_TRUNC | O_DSYNC;
    int fd = open(path, flags | O_DIRECT, 0644);
    if (fd < 0 && errno == EINVAL) fd = open(path, flags, 0644); // no O_DIRECT (tmpfs)
    if (fd < 0) return -1;
    for (int i = 0; i < FRAMES; i++) pwrite(fd, page, FRAME, (off_t)i * FRAME);
    fsync(fd);
    return fd;
}

static void durable_write(int fd, int i) {
    if (pwrite(fd, page, FRAME, (off_t)(i % FRAMES) * FRAME) != FRAME) {
        perror("pwrite");
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [COUNT] [CLIENT_SPIN_US] [SERVER_SPIN_US]\n", argv[0]);
        return 2;
    }
    int count = argc > 2 ? atoi(argv[2]) : 3000;
    double client_spin = argc > 3 ? atof(argv[3]) : 0, server_spin = argc > 4 ? atof(argv[4]) : 0;
    if (count < 1) count = 1;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 1) ||
        getsockname(listener, (struct sockaddr *)&addr, &len)) {
        perror("listen");
        return 1;
    }
    int one = 1;
    char buf[128] = {0};
    pid_t child = fork();
    if (child == 0) {
        int fd = open_log(argv[1], "server-log");
        int s = accept(listener, NULL, NULL);
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        for (int i = 0; i < count; i++) {
            if (read_full(s, buf, 86)) return 1;
            spin(server_spin);
            durable_write(fd, i);
            if (write(s, buf, 6) != 6) return 1;
        }
        return 0;
    }
    int fd = open_log(argv[1], "client-log");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr)) {
        perror("connect");
        return 1;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    double start = 0;
    int warm = count / 10;
    for (int i = 0; i < count; i++) {
        if (i == warm) start = now_us();
        spin(client_spin);
        durable_write(fd, i);
        if (write(c, buf, 86) != 86 || read_full(c, buf, 6)) return 1;
    }
    double per = (now_us() - start) / (count - warm);
    waitpid(child, NULL, 0);
    printf("sequential payments, both sides durable, spin %.0f + %.0f us: %.1f us each = %.0f payments/s\n",
           client_spin, server_spin, per, 1e6 / per);
    return 0;
}
