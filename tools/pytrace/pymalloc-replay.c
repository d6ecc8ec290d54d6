/* pymalloc-replay — the physical anchor for pyheap's allocator benchmark.

   Replays a COMPILED allocation trace through the real CPython allocator
   (PyObject_Malloc / _Calloc / _Realloc / _Free, i.e. pymalloc) of an
   initialised interpreter and times the replay loop only.  pyheap's
   simulated allocator replays the same file; the ratio of the two times is
   what the benchmark reports.

   Usage: pymalloc-replay <compiled-trace> [--runs N]
   Output (one JSON line): {"events":E,"runs":[seconds,...],"python":"3.11.7"}

   Compiled trace (little-endian; written by `pyheap replay --write-compiled`):
       offset 0   8 bytes  magic "PYHTRC01"
              8   uint32   version = 1
             12   uint32   slotCount   slots the replay needs
             16   uint32   eventCount  echoed as "events"
             20   uint32   wordCount   uint32 words in the op stream
             24   wordCount × uint32   op stream:
         1 MALLOC       slot size
         2 CALLOC       slot nelem elsize
         3 REALLOC      oldSlot newSlot size   (oldSlot 0xFFFFFFFF = NULL)
         4 FREE         slot
         5 ARENA_ALLOC  addrLow32 addrHigh32   (ignored: pymalloc makes its own)
         6 ARENA_FREE   addrLow32 addrHigh32   (ignored)
         7 MARK         markIndex              (ignored)
   A slot id names one live block; ids are dense and reused, so the replay
   keeps a plain `void *slots[slotCount]` table.

   Method.  The file is read and VALIDATED first (opcodes, operand counts,
   slot ids), so the timed loop has no checks.  Each run: clock_gettime
   (CLOCK_MONOTONIC), replay every op, clock_gettime; then, untimed, every
   slot still live is freed so the next run starts from a comparable heap
   (the same arenas stay mapped: pymalloc keeps one wholly free arena, and
   the interpreter's own blocks are untouched). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    OP_MALLOC = 1,
    OP_CALLOC = 2,
    OP_REALLOC = 3,
    OP_FREE = 4,
    OP_ARENA_ALLOC = 5,
    OP_ARENA_FREE = 6,
    OP_MARK = 7,
};

#define NULL_SLOT 0xFFFFFFFFu
#define HEADER_BYTES 24

typedef struct {
    uint32_t slot_count;
    uint32_t event_count;
    uint32_t word_count;
    uint32_t *words;
} CompiledTrace;

static uint32_t
read_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
           | (uint32_t)p[3] << 24;
}

static int
fail(const char *path, const char *what)
{
    fprintf(stderr, "pymalloc-replay: %s: %s\n", path, what);
    return -1;
}

static int
load_trace(const char *path, CompiledTrace *t)
{
    FILE *fp = fopen(path, "rb");
    unsigned char header[HEADER_BYTES];
    uint64_t expected;
    long size;
    if (fp == NULL) {
        return fail(path, strerror(errno));
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0
        || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return fail(path, "cannot determine the file size");
    }
    if (size < HEADER_BYTES || fread(header, 1, HEADER_BYTES, fp) != HEADER_BYTES) {
        fclose(fp);
        return fail(path, "shorter than the 24-byte header");
    }
    if (memcmp(header, "PYHTRC01", 8) != 0) {
        fclose(fp);
        return fail(path, "not a compiled pyheap trace (magic is not PYHTRC01)");
    }
    if (read_u32le(header + 8) != 1) {
        fclose(fp);
        return fail(path, "unsupported version (expected 1)");
    }
    t->slot_count = read_u32le(header + 12);
    t->event_count = read_u32le(header + 16);
    t->word_count = read_u32le(header + 20);
    expected = HEADER_BYTES + 4 * (uint64_t)t->word_count;
    if ((uint64_t)size != expected) {
        char msg[128];
        snprintf(msg, sizeof msg, "size %ld bytes, header says %llu", size,
                 (unsigned long long)expected);
        fclose(fp);
        return fail(path, msg);
    }
    t->words = malloc(4 * (size_t)t->word_count + 4);
    if (t->words == NULL) {
        fclose(fp);
        return fail(path, "out of memory");
    }
    if (fread(t->words, 4, t->word_count, fp) != t->word_count) {
        fclose(fp);
        return fail(path, "truncated op stream");
    }
    fclose(fp);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (uint32_t i = 0; i < t->word_count; i++) {
        t->words[i] = __builtin_bswap32(t->words[i]);
    }
#endif
    return 0;
}

/* Every op well-formed and every slot id in range, so replay() can trust it. */
static int
validate(const char *path, const CompiledTrace *t)
{
    static const uint32_t operands[8] = {0, 2, 3, 3, 1, 2, 2, 1};
    const uint32_t *w = t->words, *end = t->words + t->word_count;
    char msg[160];
    while (w < end) {
        uint32_t op = w[0];
        size_t at = (size_t)(w - t->words);
        if (op < OP_MALLOC || op > OP_MARK) {
            snprintf(msg, sizeof msg, "word %zu: unknown opcode %u", at, op);
            return fail(path, msg);
        }
        if ((size_t)(end - w) < 1 + (size_t)operands[op]) {
            snprintf(msg, sizeof msg, "word %zu: opcode %u truncated", at, op);
            return fail(path, msg);
        }
        int bad = 0;
        switch (op) {
        case OP_MALLOC:
        case OP_CALLOC:
        case OP_FREE:
            bad = w[1] >= t->slot_count;
            break;
        case OP_REALLOC:
            bad = (w[1] != NULL_SLOT && w[1] >= t->slot_count)
                  || w[2] >= t->slot_count;
            break;
        default:
            break;
        }
        if (bad) {
            snprintf(msg, sizeof msg, "word %zu: slot id out of range"
                     " (slotCount %u)", at, t->slot_count);
            return fail(path, msg);
        }
        w += 1 + operands[op];
    }
    return 0;
}

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The timed loop.  A freed slot is cleared so that the untimed clean-up
   knows what is still live. */
static void
replay(const uint32_t *w, const uint32_t *end, void **slots)
{
    while (w < end) {
        switch (w[0]) {
        case OP_MALLOC:
            slots[w[1]] = PyObject_Malloc(w[2]);
            w += 3;
            break;
        case OP_CALLOC:
            slots[w[1]] = PyObject_Calloc(w[2], w[3]);
            w += 4;
            break;
        case OP_REALLOC: {
            void *old = NULL;
            if (w[1] != NULL_SLOT) {
                old = slots[w[1]];
                slots[w[1]] = NULL;
            }
            slots[w[2]] = PyObject_Realloc(old, w[3]);
            w += 4;
            break;
        }
        case OP_FREE:
            PyObject_Free(slots[w[1]]);
            slots[w[1]] = NULL;
            w += 2;
            break;
        case OP_MARK:
            w += 2;
            break;
        default:                /* OP_ARENA_ALLOC, OP_ARENA_FREE */
            w += 3;
            break;
        }
    }
}

int
main(int argc, char **argv)
{
    const char *path = NULL;
    long runs = 5;
    CompiledTrace t;
    void **slots;
    double *seconds;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            char *endp;
            runs = strtol(argv[++i], &endp, 10);
            if (*endp != '\0' || runs < 1 || runs > 100000) {
                fprintf(stderr, "pymalloc-replay: --runs must be a positive"
                        " integer, got %s\n", argv[i]);
                return 2;
            }
        }
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: pymalloc-replay <compiled-trace> [--runs N]\n");
            return 0;
        }
        else if (argv[i][0] == '-' || path != NULL) {
            fprintf(stderr, "usage: pymalloc-replay <compiled-trace> [--runs N]\n");
            return 2;
        }
        else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: pymalloc-replay <compiled-trace> [--runs N]\n");
        return 2;
    }
    if (load_trace(path, &t) < 0 || validate(path, &t) < 0) {
        return 1;
    }

    /* memset touches every page now, not inside the timed loop. */
    slots = malloc(sizeof(void *) * ((size_t)t.slot_count + 1));
    seconds = malloc(sizeof(double) * (size_t)runs);
    if (slots == NULL || seconds == NULL) {
        fprintf(stderr, "pymalloc-replay: out of memory\n");
        return 1;
    }
    memset(slots, 0, sizeof(void *) * ((size_t)t.slot_count + 1));

    Py_Initialize();
    /* The ops run under the GIL, as CPython's own calls do. */
    for (long r = 0; r < runs; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        replay(t.words, t.words + t.word_count, slots);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seconds[r] = elapsed(&t0, &t1);
        for (uint32_t s = 0; s < t.slot_count; s++) {
            if (slots[s] != NULL) {
                PyObject_Free(slots[s]);
                slots[s] = NULL;
            }
        }
    }

    printf("{\"events\":%u,\"runs\":[", t.event_count);
    for (long r = 0; r < runs; r++) {
        printf("%s%.9f", r ? "," : "", seconds[r]);
    }
    /* Py_GetVersion() starts with the running version, "3.11.7 (main, ...". */
    const char *v = Py_GetVersion();
    printf("],\"python\":\"%.*s\"}\n", (int)strcspn(v, " "), v);
    fflush(stdout);
    if (Py_FinalizeEx() < 0) {
        return 120;
    }
    free(slots);
    free(seconds);
    free(t.words);
    return 0;
}
