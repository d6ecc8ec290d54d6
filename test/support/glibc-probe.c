/*
 * Runs a sequence of malloc/calloc/realloc/free calls through the real glibc
 * and reports, after each call, the program break relative to where it was at
 * start, whether the result is an mmapped chunk, and its usable size. Used by
 * test/unit/raw-allocator.test.ts as the oracle for pyheap's glibc model.
 *
 * Input (stdin), one call per line:  m ID SIZE | c ID NELEM ELSIZE | r ID SIZE | f ID | s
 * Output (stdout), one line per call: BRK_DELTA MMAPPED USABLE
 * (for `s`: BRK_DELTA HEAP_RSS_KIB 0, the resident size of the [heap] mapping).
 * Every block is written in full when it is allocated, as CPython writes the
 * objects it allocates, so resident pages are those a Python process has.
 *
 * No stdio: its buffers would come from the heap being measured.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUT (64 << 20)
#define MAX_IDS 1000000

static char input[MAX_INPUT];
static char output[MAX_INPUT];
static void *blocks[MAX_IDS];

static long parse(char **p) {
    while (**p == ' ') (*p)++;
    long v = 0;
    while (**p >= '0' && **p <= '9') v = v * 10 + (*(*p)++ - '0');
    return v;
}

static char smaps[1 << 20];

/* Rss of the [heap] mapping, in KiB, read from /proc/self/smaps without stdio. */
static long heap_rss_kib(void) {
    int fd = open("/proc/self/smaps", O_RDONLY);
    if (fd < 0) return -1;
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(smaps) - 1 && (n = read(fd, smaps + len, sizeof(smaps) - 1 - len)) > 0) len += (size_t)n;
    close(fd);
    smaps[len] = '\0';
    char *heap = strstr(smaps, "[heap]");
    if (heap == NULL) return 0;
    char *rss = strstr(heap, "\nRss:");
    if (rss == NULL) return -1;
    rss += 5;
    return parse(&rss);
}

static char *emit(char *out, long v) {
    char tmp[24];
    int n = 0;
    if (v < 0) { *out++ = '-'; v = -v; }
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *out++ = tmp[--n];
    return out;
}

int main(void) {
    char *start_brk = sbrk(0);
    size_t len = 0;
    ssize_t n;
    while ((n = read(0, input + len, MAX_INPUT - 1 - len)) > 0) len += (size_t)n;
    input[len] = '\0';
    char *p = input, *out = output;
    while (*p) {
        char op = *p++;
        long id = parse(&p);
        void *result = NULL;
        size_t size = 0;
        if (op == 's') {
            while (*p && *p != '\n') p++;
            if (*p) p++;
            out = emit(out, (char *)sbrk(0) - start_brk);
            *out++ = ' ';
            out = emit(out, heap_rss_kib());
            *out++ = ' '; *out++ = '0'; *out++ = '\n';
            continue;
        }
        if (op == 'm') result = blocks[id] = malloc(size = (size_t)parse(&p));
        else if (op == 'c') { long nelem = parse(&p); size = (size_t)nelem * (size_t)parse(&p); result = blocks[id] = calloc((size_t)nelem, size / (size_t)nelem); }
        else if (op == 'r') result = blocks[id] = realloc(blocks[id], size = (size_t)parse(&p));
        else if (op == 'f') { free(blocks[id]); blocks[id] = NULL; }
        if (result != NULL) memset(result, 0x5a, size);
        while (*p && *p != '\n') p++;
        if (*p) p++;
        out = emit(out, (char *)sbrk(0) - start_brk);
        *out++ = ' ';
        out = emit(out, result ? (long)((*(volatile size_t *)((uintptr_t)result - sizeof(size_t)) & 2) != 0) : 0);
        *out++ = ' ';
        out = emit(out, result ? (long)malloc_usable_size(result) : 0);
        *out++ = '\n';
    }
    for (char *w = output; w < out;) { ssize_t k = write(1, w, (size_t)(out - w)); if (k <= 0) return 1; w += k; }
    return 0;
}
