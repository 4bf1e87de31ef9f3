// The disk's sync latency, the floor under every durable payment: writes one 4 KiB page of a
// preallocated file (as SQLite's WAL is rewritten in place) and fdatasync()s it, N times.
// Usage: cc -O2 -o sync-latency Scripts/sync-latency.c && ./sync-latency FILE 2000
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [COUNT]\n", argv[0]);
        return 2;
    }
    int count = argc > 2 ? atoi(argv[2]) : 2000;
    if (count < 1) count = 1;
    int fd = open(argv[1], O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    char page[4096];
    memset(page, 1, sizeof page);
    for (int i = 0; i < 256; i++) {
        if (write(fd, page, sizeof page) != (ssize_t)sizeof page) return 1;
    }
    fsync(fd);
    double *latency = malloc(sizeof(double) * (size_t)count);
    if (latency == NULL) return 1;
    double total = 0;
    for (int i = 0; i < count; i++) {
        double start = now_us();
        if (pwrite(fd, page, sizeof page, (off_t)(i % 256) * 4096) != (ssize_t)sizeof page || fdatasync(fd) != 0) {
            perror("write/fdatasync");
            return 1;
        }
        latency[i] = now_us() - start;
        total += latency[i];
    }
    qsort(latency, (size_t)count, sizeof(double), compare);
    printf("write+fdatasync of 4 KiB, %d times: mean %.1f us, p50 %.1f, p90 %.1f, p99 %.1f\n", count,
           total / count, latency[count / 2], latency[count * 9 / 10], latency[count * 99 / 100]);
    close(fd);
    unlink(argv[1]);
    free(latency);
    return 0;
}
