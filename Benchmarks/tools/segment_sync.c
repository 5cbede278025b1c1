/*
 * segment_sync: what one journal group's sync costs over a segment that is only preallocated
 * (posix_fallocate: unwritten extents, converted on first write) against one whose blocks
 * already hold zeros (what SegmentPreparer makes). Appends ROUNDS records of 3,000 bytes (about
 * one exchange's two records) to a 64 MiB segment in DIR, each followed by fdatasync, and prints
 * the latency percentiles and the process CPU per sync, for each kind in turn, twice.
 *
 *   gcc -O2 -o /tmp/segment_sync Benchmarks/tools/segment_sync.c && /tmp/segment_sync /var/tmp
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SEGMENT (64 << 20)
#define ROUNDS 2000
#define RECORD 3000

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_us(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(const char *folder, int zeroed) {
    char path[4096];
    snprintf(path, sizeof path, "%s/segment_sync.%d", folder, getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror(path); return 1; }
    if (posix_fallocate(fd, 0, SEGMENT) != 0) { perror("posix_fallocate"); return 1; }
    if (zeroed) {
        char *zeros = calloc(1, 1 << 20);
        for (off_t offset = 0; offset < SEGMENT; offset += 1 << 20)
            if (pwrite(fd, zeros, 1 << 20, offset) != 1 << 20) { perror("pwrite"); return 1; }
        free(zeros);
    }
    if (fsync(fd) != 0) { perror("fsync"); return 1; }
    char record[RECORD];
    memset(record, 'x', sizeof record);
    double latency[ROUNDS];
    double cpu = cpu_us();
    for (int i = 0; i < ROUNDS; i++) {
        double start = now_ms();
        if (pwrite(fd, record, RECORD, (off_t)i * RECORD) != RECORD || fdatasync(fd) != 0) { perror("append"); return 1; }
        latency[i] = now_ms() - start;
    }
    cpu = (cpu_us() - cpu) / ROUNDS;
    close(fd);
    unlink(path);
    qsort(latency, ROUNDS, sizeof latency[0], ascending);
    printf("%-12s p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  CPU %.0f us per sync\n", zeroed ? "zero-filled" : "preallocated",
           latency[ROUNDS / 2], latency[ROUNDS * 9 / 10], latency[ROUNDS * 99 / 100], cpu);
    return 0;
}

int main(int argc, char **argv) {
    const char *folder = argc > 1 ? argv[1] : ".";
    for (int round = 0; round < 2; round++)
        if (run(folder, 0) || run(folder, 1)) return 1;
    return 0;
}
