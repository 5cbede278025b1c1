/*
 * powercut.so: an LD_PRELOAD layer that keeps, for every file under $POWERCUT_DIR, what a power
 * cut would leave of it: the "durable image" <file>.durable holds only data the process made
 * durable with fsync/fdatasync (or sync_file_range is not counted). Writes go to the real file
 * as usual; each sync copies the ranges written since the previous sync of that file, and its
 * size, into the image. After SIGKILL, Benchmarks/power-loss.sh puts every image in place of its
 * file: the state the disk would hold had the power gone at that instant (page cache lost, the
 * device honouring flushes). A file created and never synced comes back empty; a file's entry in
 * its folder counts as durable once created (the journal syncs its folder; SQLite's files exist
 * before the load starts).
 *
 * Intercepted: open/open64/openat/openat64/creat (to learn a tracked file's descriptor), write,
 * pwrite/pwrite64, writev/pwritev, ftruncate, fallocate/posix_fallocate, fsync, fdatasync,
 * close. Memory-mapped writes are not seen (SQLite's -shm index is rebuilt from the WAL, so it
 * is not tracked: files ending in -shm are skipped).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 65536
#define MAX_RANGES 4096

struct range { off_t start, end; };
struct tracked {
    int active;
    char path[PATH_MAX];
    int append;
    struct range dirty[MAX_RANGES];
    int count;
    int overflow;   /* too many ranges: copy the whole file at the next sync */
};

static struct tracked *files[MAX_FDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char root[PATH_MAX];
static size_t root_length;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);

/* The next definition of `name` (libc's), looked up on first use. */
#define REAL(name, type) do { if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name); } while (0)

static int under_root(const char *path) {
    if (!root_length) {
        const char *dir = getenv("POWERCUT_DIR");
        if (!dir || !realpath(dir, root)) return 0;
        root_length = strlen(root);
    }
    size_t length = strlen(path);
    if (length >= 4 && strcmp(path + length - 4, "-shm") == 0) return 0;
    if (length >= 8 && strcmp(path + length - 8, ".durable") == 0) return 0;
    return strncmp(path, root, root_length) == 0 && (path[root_length] == '/' || path[root_length] == 0);
}

#define IMAGE_MAX (PATH_MAX + 16)
static void image_path(const char *path, char *out) { snprintf(out, IMAGE_MAX, "%s.durable", path); }

/* Starts tracking `fd`, opened from `given` (relative to `dirfd`). */
static void track(int fd, int dirfd, const char *given, int flags) {
    if (fd < 0 || fd >= MAX_FDS) return;
    char full[PATH_MAX];
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, full, sizeof full - 1);
    (void)dirfd; (void)given;
    if (n <= 0) return;
    full[n] = 0;
    struct stat status;
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || !under_root(full)) return;
    struct tracked *file = calloc(1, sizeof *file);
    if (!file) return;
    file->active = 1;
    strcpy(file->path, full);
    file->append = (flags & O_APPEND) != 0;
    /* Truncated on opening: the next sync copies the whole file, so no old byte survives in the image. */
    file->overflow = (flags & O_TRUNC) != 0;
    /* A file without an image is as durable as it is now: it existed before this process (which
     * starts after a cut has put every image in place), or it was just created, empty. */
    char image[IMAGE_MAX];
    image_path(full, image);
    if (access(image, F_OK) != 0) {
        REAL(open, int (*)(const char *, int, ...));
        REAL(pwrite, ssize_t (*)(int, const void *, size_t, off_t));
        int out = real_open(image, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (out >= 0) {
            static char buffer[1 << 16];
            off_t at = 0;
            ssize_t got;
            while ((got = pread(fd, buffer, sizeof buffer, at)) > 0) {
                real_pwrite(out, buffer, (size_t)got, at);
                at += got;
            }
            close(out);
        }
    }
    pthread_mutex_lock(&lock);
    free(files[fd]);
    files[fd] = file;
    pthread_mutex_unlock(&lock);
}

static void dirty(int fd, off_t start, size_t length) {
    if (fd < 0 || fd >= MAX_FDS || length == 0) return;
    pthread_mutex_lock(&lock);
    struct tracked *file = files[fd];
    if (file) {
        off_t end = start + (off_t)length;
        if (file->count > 0 && file->dirty[file->count - 1].end == start) {
            file->dirty[file->count - 1].end = end;
        } else if (file->count < MAX_RANGES) {
            file->dirty[file->count++] = (struct range){start, end};
        } else {
            file->overflow = 1;
        }
    }
    pthread_mutex_unlock(&lock);
}

/* Copies what `fd`'s file holds in its dirty ranges, and its size, into its image. */
static void make_durable(int fd) {
    if (fd < 0 || fd >= MAX_FDS) return;
    pthread_mutex_lock(&lock);
    struct tracked *file = files[fd];
    if (file) {
        char image[IMAGE_MAX];
        image_path(file->path, image);
        REAL(open, int (*)(const char *, int, ...));
        REAL(pwrite, ssize_t (*)(int, const void *, size_t, off_t));
        int out = real_open(image, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        struct stat status;
        if (out >= 0 && fstat(fd, &status) == 0) {
            static char buffer[1 << 16];
            struct range whole = {0, status.st_size};
            struct range *ranges = file->overflow ? &whole : file->dirty;
            int count = file->overflow ? 1 : file->count;
            for (int i = 0; i < count; i++) {
                off_t at = ranges[i].start;
                off_t end = ranges[i].end < status.st_size ? ranges[i].end : status.st_size;
                while (at < end) {
                    size_t want = (size_t)(end - at) < sizeof buffer ? (size_t)(end - at) : sizeof buffer;
                    ssize_t got = pread(fd, buffer, want, at);
                    if (got <= 0) break;
                    real_pwrite(out, buffer, (size_t)got, at);
                    at += got;
                }
            }
            ftruncate(out, status.st_size);
            file->count = 0;
            file->overflow = 0;
        }
        if (out >= 0) close(out);
    }
    pthread_mutex_unlock(&lock);
}

static int opened(int fd, int dirfd, const char *path, int flags) {
    int saved = errno;
    if (fd >= 0) track(fd, dirfd, path, flags);
    errno = saved;
    return fd;
}

int open(const char *path, int flags, ...) {
    REAL(open, int (*)(const char *, int, ...));
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list a; va_start(a, flags); mode = va_arg(a, mode_t); va_end(a); }
    return opened(real_open(path, flags, mode), AT_FDCWD, path, flags);
}
int open64(const char *path, int flags, ...) {
    REAL(open64, int (*)(const char *, int, ...));
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list a; va_start(a, flags); mode = va_arg(a, mode_t); va_end(a); }
    return opened(real_open64(path, flags, mode), AT_FDCWD, path, flags);
}
int openat(int dirfd, const char *path, int flags, ...) {
    REAL(openat, int (*)(int, const char *, int, ...));
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list a; va_start(a, flags); mode = va_arg(a, mode_t); va_end(a); }
    return opened(real_openat(dirfd, path, flags, mode), dirfd, path, flags);
}
int openat64(int dirfd, const char *path, int flags, ...) {
    REAL(openat64, int (*)(int, const char *, int, ...));
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list a; va_start(a, flags); mode = va_arg(a, mode_t); va_end(a); }
    return opened(real_openat64(dirfd, path, flags, mode), dirfd, path, flags);
}
int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

ssize_t write(int fd, const void *data, size_t length) {
    REAL(write, ssize_t (*)(int, const void *, size_t));
    off_t at = (fd >= 0 && fd < MAX_FDS && files[fd]) ? lseek(fd, 0, SEEK_CUR) : -1;
    ssize_t written = real_write(fd, data, length);
    if (written > 0 && at >= 0) {
        if (files[fd] && files[fd]->append) at = lseek(fd, 0, SEEK_CUR) - written;
        dirty(fd, at, (size_t)written);
    }
    return written;
}
ssize_t pwrite(int fd, const void *data, size_t length, off_t at) {
    REAL(pwrite, ssize_t (*)(int, const void *, size_t, off_t));
    ssize_t written = real_pwrite(fd, data, length, at);
    if (written > 0) dirty(fd, at, (size_t)written);
    return written;
}
ssize_t pwrite64(int fd, const void *data, size_t length, off_t at) {
    REAL(pwrite64, ssize_t (*)(int, const void *, size_t, off_t));
    ssize_t written = real_pwrite64(fd, data, length, at);
    if (written > 0) dirty(fd, at, (size_t)written);
    return written;
}
ssize_t writev(int fd, const struct iovec *parts, int count) {
    REAL(writev, ssize_t (*)(int, const struct iovec *, int));
    off_t at = (fd >= 0 && fd < MAX_FDS && files[fd]) ? lseek(fd, 0, SEEK_CUR) : -1;
    ssize_t written = real_writev(fd, parts, count);
    if (written > 0 && at >= 0) dirty(fd, at, (size_t)written);
    return written;
}
ssize_t pwritev(int fd, const struct iovec *parts, int count, off_t at) {
    REAL(pwritev, ssize_t (*)(int, const struct iovec *, int, off_t));
    ssize_t written = real_pwritev(fd, parts, count, at);
    if (written > 0) dirty(fd, at, (size_t)written);
    return written;
}
int fsync(int fd) {
    REAL(fsync, int (*)(int));
    int result = real_fsync(fd);
    if (result == 0) make_durable(fd);
    return result;
}
int fdatasync(int fd) {
    REAL(fdatasync, int (*)(int));
    int result = real_fdatasync(fd);
    if (result == 0) make_durable(fd);
    return result;
}
int close(int fd) {
    REAL(close, int (*)(int));
    if (fd >= 0 && fd < MAX_FDS && files[fd]) {
        pthread_mutex_lock(&lock);
        free(files[fd]);
        files[fd] = NULL;
        pthread_mutex_unlock(&lock);
    }
    return real_close(fd);
}
