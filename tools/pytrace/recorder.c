/* pytrace — record what a Python script asks of CPython's pymalloc.

   pytrace embeds CPython, wraps its allocators with PEP 445 hooks before the
   interpreter exists, runs a script as __main__ and writes every allocator
   call of the MEM and OBJ domains, and every arena the object allocator
   obtains from or returns to the OS, as a pyheap allocation trace
   (DESIGN.md, "Allocation trace, version 1"):

       # pyheap-trace 1
       # python 3.11.7 arena_size 1048576 pool_size 16384 alignment 16 small_threshold 512
       A 7f2a3c600000            arena obtained (only pymalloc arenas, see below)
       m 7f2a3c604030 56         PyMem_Malloc / PyObject_Malloc returned
       c 7f2a3c6040f0 4 8        ... _Calloc(nelem, elsize) returned
       r 7f2a3c604030 5601f0 600 ... _Realloc(old, size) returned new
       f 7f2a3c6040f0            ... _Free(p) returned (free(NULL) is not written)
       R 7f2a3c600000            arena returned to the OS
       # mark request 100        _pytrace.mark("request 100")

   Layers, and where the hooks sit (CPython 3.11 Objects/obmalloc.c; the same
   shape since 3.4):

       PyMem_Malloc ──┐                          ┌─ pymalloc_alloc ─ new_arena ─┐
                      ├─ hook (this file) ─ orig ┤                             │
       PyObject_Malloc┘                          └─ PyMem_RawMalloc (> 512 B)   │
                                                                               │
       _PyObject_Arena.alloc  ◄─────────── hook (this file) ◄──────────────────┘
                                   also: 3.11 frame data-stack chunks
                                   (_PyObject_VirtualAlloc, Python/pystate.c
                                   allocate_chunk), called outside any
                                   MEM/OBJ call

   Every event is written when the wrapped call RETURNS.  A MEM/OBJ call that
   made pymalloc carve a new arena therefore appears as `A` then `m`, and a
   free that emptied an arena as `R` then `f` — the order the replayer needs.

   Which arena-allocator calls are pymalloc arenas.  Since 3.11 the arena
   allocator also serves the frame data stack (16 KiB chunks, doubling for
   huge frames).  An arena event is written only when BOTH hold:
     1. the size equals the profile's ARENA_SIZE, and
     2. a MEM/OBJ call is in progress (`depth > 0`): new_arena() is only
        reached from pymalloc_alloc and the arena free only from
        pymalloc_free, while data-stack chunks are pushed and popped by the
        evaluation loop, never from inside an allocator call.
   Calls inside an allocator call with another size would mean the profile's
   arena size is wrong; they are counted and reported at the end.

   Invariants.
     * Hooks are installed after Py_PreInitialize (which decides PYTHONMALLOC
       and sets up the default allocators) and before Py_InitializeFromConfig,
       so the first object CPython allocates is in the trace: a trace is
       self-contained (no `f` or `r` of a pointer it never allocated).
       ≤3.7 has no pre-initialisation; the hooks go in before Py_Initialize.
     * MEM and OBJ calls need the GIL, so the hooks are serialised by it; the
       recorder needs no lock.
     * The recorder itself allocates nothing from Python while recording:
       hand-written hex/decimal formatting into one malloc'd buffer, write(2)
       when it fills, and `mark()` encodes the str to UTF-8 by hand (no
       PyUnicode_AsUTF8, which would cache a UTF-8 copy through pymalloc).
     * "Stop" (`_pytrace.stop()`, or the end of the script) restores the
       original MEM/OBJ/arena allocators FIRST and only then prints the
       statistics, so the statistics (a) are printed at all — CPython prints
       nothing for pymalloc unless the OBJ allocator *is* pymalloc
       (_PyMem_PymallocEnabled) — and (b) describe the same instant as the
       last trace line.  The statistics are exactly what sys._debugmallocstats()
       prints (Python/sysmodule.c sys__debugmallocstats_impl: obmalloc stats,
       a blank line if they were printed, then the free-list stats).
     * After fork() the child stops recording and restores the original
       allocators (pthread_atfork); only the parent writes the trace.

   Not recorded: the RAW domain (PyMem_RawMalloc: thread states, the arena
   vector, radix-tree nodes, config) — pymalloc never serves it; allocations
   that FAIL (NULL returned: nothing changed in the heap).

   Usage: pytrace [-o trace-path] [--stats stats-path] [-q] script.py [args...]
*/

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if PY_VERSION_HEX < 0x03070000
#  error "pytrace needs CPython 3.7 or newer"
#endif

/* Exported by every libpython 3.7+, but declared only in internal headers
   since 3.11 (Include/internal/pycore_pymem.h, "Export the symbol for the
   3rd party guppy3 project").  Redeclaring it is harmless where the public
   header also declares it. */
PyAPI_FUNC(int) _PyObject_DebugMallocStats(FILE *out);

/* 3.13 made _PyObject_DebugTypeStats internal (not exported). */
#if PY_VERSION_HEX < 0x030D0000
#  define PYTRACE_HAVE_TYPE_STATS 1
#endif

#define PYTRACE_BUFFER_BYTES (4u << 20)
/* Longest event line: "r " + 16 + " " + 16 + " " + 20 digits + "\n" = 57. */
#define PYTRACE_MAX_EVENT_LINE 64

/* ---------------------------------------------------------------------------
   obmalloc profile: the tunables of the recorded interpreter.  Values from
   Objects/obmalloc.c of each version ("Main tunable settings section"):
     3.10+  ARENA_SIZE 1 MiB, POOL_SIZE 16 KiB (USE_LARGE_ARENAS/_POOLS,
            bpo-37448 radix tree), ALIGNMENT 16
     3.8–3.9 ARENA_SIZE 256 KiB, POOL_SIZE 4 KiB, ALIGNMENT 16 (bpo-27987)
     3.7.4+ the same: bpo-27987 was backported to 3.7.4 (32 size classes)
     3.7.0–3.7.3 ALIGNMENT 8 (64 size classes)
   32-bit builds keep ALIGNMENT 8 and the 256 KiB/4 KiB layout (not tested).
   SMALL_REQUEST_THRESHOLD is 512 in all of them. */
typedef struct {
    unsigned long arena_size;
    unsigned long pool_size;
    unsigned long alignment;
    unsigned long small_threshold;
} ObmallocProfile;

static ObmallocProfile
profile_for_version(unsigned long hex)
{
    ObmallocProfile p = {262144, 4096, 16, 512};
    if (sizeof(void *) == 4) {
        p.alignment = 8;
    }
    else if (hex >= 0x030A0000) {
        p.arena_size = 1048576;
        p.pool_size = 16384;
    }
    else if (hex < 0x03070400) {
        p.alignment = 8;
    }
    return p;
}

/* ---------------------------------------------------------------------------
   The recorder: one instance, because PEP 445 hooks are process-wide. */
typedef struct {
    PyMemAllocatorEx orig_mem;       /* what PyMem_GetAllocator returned */
    PyMemAllocatorEx orig_obj;
    PyObjectArenaAllocator orig_arena;
    PyMemAllocatorEx hook_mem;       /* what we installed (ctx = &orig_*) */
    PyMemAllocatorEx hook_obj;
    PyObjectArenaAllocator hook_arena;

    int active;                      /* hooks installed, stop not yet run */
    int recording;                   /* writing events (active, no write error) */
    int depth;                       /* > 0 while a MEM/OBJ call runs */
    size_t arena_size;

    int fd;                          /* trace file, or pipe to gzip */
    pid_t gzip_pid;                  /* 0 when writing the file directly */
    const char *trace_path;
    char *buf, *pos, *limit;         /* limit: last safe start of a line */
    int write_errno;                 /* first write error, 0 if none */

    FILE *stats;                     /* --stats file, or stderr */
    const char *stats_path;
    int quiet;

    uint64_t lines;                  /* event lines written */
    uint64_t arenas;                 /* A lines */
    uint64_t arena_frees;            /* R lines */
    uint64_t chunk_calls;            /* arena-allocator calls outside MEM/OBJ */
    uint64_t odd_arena_calls;        /* inside MEM/OBJ but not ARENA_SIZE */
    int pymalloc_stats_printed;
    struct timespec started;
} Recorder;

static Recorder rec = {.fd = -1};

/* --- output -------------------------------------------------------------- */

static void
write_all(const char *p, size_t n)
{
    while (n > 0 && rec.write_errno == 0) {
        ssize_t w = write(rec.fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            rec.write_errno = errno;
            /* Keep the hooks, stop writing: the trace is incomplete and the
               run will exit non-zero with the error. */
            rec.recording = 0;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static void
flush_buffer(void)
{
    if (rec.pos > rec.buf && rec.fd >= 0) {
        write_all(rec.buf, (size_t)(rec.pos - rec.buf));
    }
    rec.pos = rec.buf;
}

static inline char *
put_hex(char *p, uintptr_t v)
{
    static const char digits[] = "0123456789abcdef";
    int n;
    char *e;
    if (v == 0) {
        *p = '0';
        return p + 1;
    }
#if UINTPTR_MAX > 0xFFFFFFFFu
    n = (64 - __builtin_clzll((unsigned long long)v) + 3) >> 2;
#else
    n = (32 - __builtin_clz((unsigned int)v) + 3) >> 2;
#endif
    e = p + n;
    do {
        *--e = digits[v & 15];
        v >>= 4;
    } while (v);
    return p + n;
}

static inline char *
put_dec(char *p, size_t v)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i) {
        *p++ = tmp[--i];
    }
    return p;
}

/* Room for one event line.  Called before formatting every event. */
static inline char *
line_start(void)
{
    if (rec.pos > rec.limit) {
        flush_buffer();
    }
    return rec.pos;
}

static inline void
line_end(char *p)
{
    *p++ = '\n';
    rec.pos = p;
    rec.lines++;
}

static void
put_text(const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(rec.buf + PYTRACE_BUFFER_BYTES - rec.pos) < n) {
        flush_buffer();
    }
    memcpy(rec.pos, s, n);
    rec.pos += n;
}

/* --- hooks: MEM and OBJ domains ------------------------------------------ */

static void *
hook_malloc(void *ctx, size_t size)
{
    PyMemAllocatorEx *a = (PyMemAllocatorEx *)ctx;
    void *ptr;
    rec.depth++;
    ptr = a->malloc(a->ctx, size);
    rec.depth--;
    if (rec.recording && ptr != NULL) {
        char *p = line_start();
        p[0] = 'm';
        p[1] = ' ';
        p = put_hex(p + 2, (uintptr_t)ptr);
        *p++ = ' ';
        p = put_dec(p, size);
        line_end(p);
    }
    return ptr;
}

static void *
hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    PyMemAllocatorEx *a = (PyMemAllocatorEx *)ctx;
    void *ptr;
    rec.depth++;
    ptr = a->calloc(a->ctx, nelem, elsize);
    rec.depth--;
    if (rec.recording && ptr != NULL) {
        char *p = line_start();
        p[0] = 'c';
        p[1] = ' ';
        p = put_hex(p + 2, (uintptr_t)ptr);
        *p++ = ' ';
        p = put_dec(p, nelem);
        *p++ = ' ';
        p = put_dec(p, elsize);
        line_end(p);
    }
    return ptr;
}

static void *
hook_realloc(void *ctx, void *old, size_t size)
{
    PyMemAllocatorEx *a = (PyMemAllocatorEx *)ctx;
    void *ptr;
    rec.depth++;
    ptr = a->realloc(a->ctx, old, size);
    rec.depth--;
    /* NULL = failure (the old block is untouched): nothing to record.
       pymalloc never returns NULL for size 0 (it becomes malloc(1)). */
    if (rec.recording && ptr != NULL) {
        char *p = line_start();
        p[0] = 'r';
        p[1] = ' ';
        p = put_hex(p + 2, (uintptr_t)old);
        *p++ = ' ';
        p = put_hex(p, (uintptr_t)ptr);
        *p++ = ' ';
        p = put_dec(p, size);
        line_end(p);
    }
    return ptr;
}

static void
hook_free(void *ctx, void *ptr)
{
    PyMemAllocatorEx *a = (PyMemAllocatorEx *)ctx;
    rec.depth++;
    a->free(a->ctx, ptr);
    rec.depth--;
    if (rec.recording && ptr != NULL) {
        char *p = line_start();
        p[0] = 'f';
        p[1] = ' ';
        p = put_hex(p + 2, (uintptr_t)ptr);
        line_end(p);
    }
}

/* --- hooks: arena allocator ---------------------------------------------- */

static int
is_pymalloc_arena_call(size_t size)
{
    if (rec.depth == 0) {
        rec.chunk_calls++;
        return 0;
    }
    if (size != rec.arena_size) {
        rec.odd_arena_calls++;
        return 0;
    }
    return 1;
}

static void *
hook_arena_alloc(void *ctx, size_t size)
{
    PyObjectArenaAllocator *a = (PyObjectArenaAllocator *)ctx;
    void *ptr = a->alloc(a->ctx, size);
    if (rec.recording && ptr != NULL && is_pymalloc_arena_call(size)) {
        char *p = line_start();
        p[0] = 'A';
        p[1] = ' ';
        p = put_hex(p + 2, (uintptr_t)ptr);
        line_end(p);
        rec.arenas++;
    }
    return ptr;
}

static void
hook_arena_free(void *ctx, void *ptr, size_t size)
{
    PyObjectArenaAllocator *a = (PyObjectArenaAllocator *)ctx;
    a->free(a->ctx, ptr, size);
    if (rec.recording && ptr != NULL && is_pymalloc_arena_call(size)) {
        char *p = line_start();
        p[0] = 'R';
        p[1] = ' ';
        p = put_hex(p + 2, (uintptr_t)ptr);
        line_end(p);
        rec.arena_frees++;
    }
}

/* --- install / restore ----------------------------------------------------- */

static void
install_hooks(void)
{
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &rec.orig_mem);
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &rec.orig_obj);
    PyObject_GetArenaAllocator(&rec.orig_arena);

    rec.hook_mem.ctx = &rec.orig_mem;
    rec.hook_obj.ctx = &rec.orig_obj;
    rec.hook_mem.malloc = rec.hook_obj.malloc = hook_malloc;
    rec.hook_mem.calloc = rec.hook_obj.calloc = hook_calloc;
    rec.hook_mem.realloc = rec.hook_obj.realloc = hook_realloc;
    rec.hook_mem.free = rec.hook_obj.free = hook_free;
    rec.hook_arena.ctx = &rec.orig_arena;
    rec.hook_arena.alloc = hook_arena_alloc;
    rec.hook_arena.free = hook_arena_free;

    rec.active = 1;
    rec.recording = 1;
    clock_gettime(CLOCK_MONOTONIC, &rec.started);
    PyObject_SetArenaAllocator(&rec.hook_arena);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &rec.hook_obj);
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &rec.hook_mem);
}

static void
restore_allocators(void)
{
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &rec.orig_mem);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &rec.orig_obj);
    PyObject_SetArenaAllocator(&rec.orig_arena);
}

static int
hooks_still_installed(void)
{
    PyMemAllocatorEx mem, obj;
    PyObjectArenaAllocator arena;
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &mem);
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &obj);
    PyObject_GetArenaAllocator(&arena);
    return mem.malloc == hook_malloc && obj.malloc == hook_malloc
           && arena.alloc == hook_arena_alloc;
}

/* A forked child (os.fork, multiprocessing's fork start method) must not
   write into the parent's trace: it drops its copy of the buffer, closes the
   trace descriptor (so gzip still sees EOF when the parent finishes) and runs
   on the original allocators. */
static void
atfork_child(void)
{
    if (rec.active) {
        rec.active = 0;
        rec.recording = 0;
        restore_allocators();
    }
    if (rec.fd >= 0) {
        close(rec.fd);
        rec.fd = -1;
    }
    rec.pos = rec.buf;
    rec.gzip_pid = 0;
}

/* --- trace file ------------------------------------------------------------ */

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
open_trace(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "pytrace: cannot open trace file %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    rec.trace_path = path;
    if (!ends_with(path, ".gz")) {
        rec.fd = fd;
        return 0;
    }
    /* `gzip -1` in a child process: compression runs on another core, and
       the path needs no shell quoting (this is popen without the shell). */
    int pipefd[2];
    if (pipe(pipefd) < 0) {
        fprintf(stderr, "pytrace: pipe: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "pytrace: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(pipefd[0], 0);
        dup2(fd, 1);
        close(pipefd[0]);
        close(pipefd[1]);
        close(fd);
        execlp("gzip", "gzip", "-1", "-c", (char *)NULL);
        fprintf(stderr, "pytrace: cannot run gzip: %s\n", strerror(errno));
        _exit(127);
    }
    close(pipefd[0]);
    close(fd);
    /* The script's own children (subprocess) must not keep the pipe open. */
    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
    rec.fd = pipefd[1];
    rec.gzip_pid = pid;
    return 0;
}

static void
close_trace(void)
{
    flush_buffer();
    if (rec.fd >= 0) {
        if (close(rec.fd) < 0 && rec.write_errno == 0) {
            rec.write_errno = errno;
        }
        rec.fd = -1;
    }
    if (rec.gzip_pid > 0) {
        int status;
        pid_t r;
        do {
            r = waitpid(rec.gzip_pid, &status, 0);
        } while (r < 0 && errno == EINTR);
        /* r < 0 with ECHILD: the script reaped it (os.wait()); nothing to check. */
        if (r == rec.gzip_pid
            && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
            fprintf(stderr, "pytrace: gzip failed writing %s\n", rec.trace_path);
            if (rec.write_errno == 0) {
                rec.write_errno = EIO;
            }
        }
        rec.gzip_pid = 0;
    }
}

/* Parse "X.Y.Z..." from Py_GetVersion() (the running library's version). */
static void
running_version(int *major, int *minor, int *micro)
{
    const char *v = Py_GetVersion();
    *major = *minor = *micro = 0;
    if (sscanf(v, "%d.%d.%d", major, minor, micro) < 2) {
        *major = PY_MAJOR_VERSION;
        *minor = PY_MINOR_VERSION;
        *micro = PY_MICRO_VERSION;
    }
}

static void
write_header(void)
{
    int major, minor, micro;
    char line[256];
    running_version(&major, &minor, &micro);
    ObmallocProfile prof = profile_for_version(
        ((unsigned long)major << 24) | ((unsigned long)minor << 16)
        | ((unsigned long)micro << 8));
    rec.arena_size = prof.arena_size;
    snprintf(line, sizeof line,
             "# pyheap-trace 1\n"
             "# python %d.%d.%d arena_size %lu pool_size %lu alignment %lu"
             " small_threshold %lu\n",
             major, minor, micro, prof.arena_size, prof.pool_size,
             prof.alignment, prof.small_threshold);
    put_text(line);
}

/* --- stop ------------------------------------------------------------------ */

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Restore the original allocators, print the statistics, close the trace.
   Nothing is traced after the first statement, so trace and statistics
   describe the same instant. */
static void
recorder_stop(void)
{
    int replaced;
    double elapsed;
    if (!rec.active) {
        return;
    }
    replaced = !hooks_still_installed();
    rec.active = 0;
    rec.recording = 0;
    restore_allocators();
    elapsed = seconds_since(&rec.started);

    /* Byte for byte what sys._debugmallocstats() prints
       (Python/sysmodule.c, sys__debugmallocstats_impl, 3.7–3.12). */
    rec.pymalloc_stats_printed = _PyObject_DebugMallocStats(rec.stats);
    if (rec.pymalloc_stats_printed) {
        fputc('\n', rec.stats);
    }
#ifdef PYTRACE_HAVE_TYPE_STATS
    _PyObject_DebugTypeStats(rec.stats);
#endif
    fflush(rec.stats);
    if (rec.stats != stderr) {
        fclose(rec.stats);
    }
    rec.stats = NULL;

    close_trace();

    if (replaced) {
        fprintf(stderr, "pytrace: warning: the MEM/OBJ allocators were replaced"
                " while recording (tracemalloc?); restored the originals\n");
    }
    if (!rec.pymalloc_stats_printed) {
        fprintf(stderr, "pytrace: warning: no pymalloc statistics (the OBJ"
                " allocator is not pymalloc: PYTHONMALLOC set?)\n");
    }
    if (rec.odd_arena_calls) {
        fprintf(stderr, "pytrace: warning: %llu arena-allocator calls inside"
                " pymalloc had a size other than %zu: the arena_size in the"
                " trace header is wrong for this interpreter\n",
                (unsigned long long)rec.odd_arena_calls, rec.arena_size);
    }
    if (rec.write_errno) {
        fprintf(stderr, "pytrace: error writing %s: %s (trace incomplete)\n",
                rec.trace_path, strerror(rec.write_errno));
    }
    else if (!rec.quiet) {
        fprintf(stderr, "pytrace: %llu events (%llu arenas allocated, %llu"
                " freed; %llu data-stack chunk calls skipped) in %.2f s,"
                " %.2f M lines/s -> %s\n",
                (unsigned long long)rec.lines, (unsigned long long)rec.arenas,
                (unsigned long long)rec.arena_frees,
                (unsigned long long)rec.chunk_calls, elapsed,
                elapsed > 0 ? rec.lines / elapsed / 1e6 : 0.0, rec.trace_path);
    }
}

/* --- the _pytrace module --------------------------------------------------- */

static void
write_mark(PyObject *text)
{
    Py_ssize_t i, n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    char *p;

    put_text("# mark ");
    for (i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (rec.pos > rec.limit) {
            flush_buffer();
        }
        p = rec.pos;
        if (ch < 0x20 || ch == 0x7f) {
            *p++ = ' ';             /* one line per mark */
        }
        else if (ch < 0x80) {
            *p++ = (char)ch;
        }
        else if (ch < 0x800) {
            *p++ = (char)(0xC0 | (ch >> 6));
            *p++ = (char)(0x80 | (ch & 0x3F));
        }
        else if (ch >= 0xD800 && ch <= 0xDFFF) {
            *p++ = '?';             /* lone surrogate: not encodable */
        }
        else if (ch < 0x10000) {
            *p++ = (char)(0xE0 | (ch >> 12));
            *p++ = (char)(0x80 | ((ch >> 6) & 0x3F));
            *p++ = (char)(0x80 | (ch & 0x3F));
        }
        else {
            *p++ = (char)(0xF0 | (ch >> 18));
            *p++ = (char)(0x80 | ((ch >> 12) & 0x3F));
            *p++ = (char)(0x80 | ((ch >> 6) & 0x3F));
            *p++ = (char)(0x80 | (ch & 0x3F));
        }
        rec.pos = p;
    }
    if (rec.pos > rec.limit) {
        flush_buffer();
    }
    *rec.pos++ = '\n';
}

static PyObject *
pytrace_mark(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "mark() argument must be str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
#endif
    if (rec.recording) {
        write_mark(text);
    }
    Py_RETURN_NONE;
}

static PyObject *
pytrace_stop(PyObject *module, PyObject *unused)
{
    recorder_stop();
    Py_RETURN_NONE;
}

static PyMethodDef pytrace_methods[] = {
    {"mark", pytrace_mark, METH_O,
     "mark(text)\n--\n\nWrite a '# mark <text>' line into the trace."},
    {"stop", pytrace_stop, METH_NOARGS,
     "stop()\n--\n\nStop recording: restore the original allocators, write"
     " the sys._debugmallocstats() report to the --stats file and close the"
     " trace. Later calls do nothing."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pytrace_module = {
    PyModuleDef_HEAD_INIT, "_pytrace",
    "Markers and stop control for the pytrace allocation recorder.",
    -1, pytrace_methods, NULL, NULL, NULL, NULL,
};

static PyObject *
PyInit__pytrace(void)
{
    return PyModule_Create(&pytrace_module);
}

/* --- running the script ---------------------------------------------------- */

static void
usage(FILE *out)
{
    fprintf(out,
        "usage: pytrace [-o trace-path] [--stats stats-path] [-q] [-S] script.py [args...]\n"
        "\n"
        "Runs script.py as __main__ under CPython %s and records every\n"
        "PyMem/PyObject allocator call and pymalloc arena as a pyheap trace.\n"
        "\n"
        "  -o PATH         trace file (default: <script name>.trace.gz);\n"
        "                  a .gz path is compressed with `gzip -1`\n"
        "  --stats PATH    where to write the sys._debugmallocstats() report\n"
        "                  taken when recording stops (default: stderr)\n"
        "  -q, --quiet     no summary line on stderr\n"
        "  -S              do not import the site module (as python -S)\n"
        "\n"
        "The script may `import _pytrace` and call _pytrace.mark(text) and\n"
        "_pytrace.stop(); without stop(), recording stops when the script ends.\n",
        PY_VERSION);
}

static char *
default_trace_path(const char *script)
{
    const char *base = strrchr(script, '/');
    size_t n;
    char *out;
    base = base ? base + 1 : script;
    n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".py") == 0) {
        n -= 3;
    }
    out = malloc(n + sizeof ".trace.gz");
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, base, n);
    strcpy(out + n, ".trace.gz");
    return out;
}

/* sys.path[0] as `python script.py` sets it (Modules/main.c
   pymain_run_python → _PyPathConfig_ComputeSysPath0): the real directory of
   the script. */
static int
insert_sys_path0(const char *script)
{
    char resolved[PATH_MAX];
    char *slash;
    PyObject *path, *dir;
    int r;
    if (realpath(script, resolved) == NULL) {
        return 0;
    }
    slash = strrchr(resolved, '/');
    if (slash == NULL) {
        return 0;
    }
    if (slash == resolved) {
        slash[1] = '\0';
    }
    else {
        *slash = '\0';
    }
    path = PySys_GetObject("path");     /* borrowed */
    if (path == NULL || !PyList_Check(path)) {
        return 0;
    }
    dir = PyUnicode_DecodeFSDefault(resolved);
    if (dir == NULL) {
        return -1;
    }
    r = PyList_Insert(path, 0, dir);
    Py_DECREF(dir);
    return r;
}

/* __file__ of __main__: absolute since 3.9 (bpo-20443), as given before. */
static char *
main_file_name(const char *script)
{
#if PY_VERSION_HEX >= 0x03090000
    if (script[0] != '/') {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd) != NULL) {
            size_t n = strlen(cwd) + 1 + strlen(script) + 1;
            char *out = malloc(n);
            if (out != NULL) {
                snprintf(out, n, "%s/%s", cwd, script);
                return out;
            }
        }
    }
#endif
    return strdup(script);
}

/* Runs the script; returns 1 if it raised (the exception is left set). */
static int
run_script(const char *script)
{
    PyObject *main_module, *globals, *file, *result;
    PyCompilerFlags flags;
    char *filename = main_file_name(script);
    FILE *fp;
    int raised;

    if (filename == NULL) {
        PyErr_NoMemory();
        return 1;
    }
    fp = fopen(script, "rb");
    if (fp == NULL) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, script);
        free(filename);
        return 1;
    }
    if (insert_sys_path0(script) < 0) {
        fclose(fp);
        free(filename);
        return 1;
    }
    main_module = PyImport_AddModule("__main__");   /* borrowed */
    if (main_module == NULL) {
        fclose(fp);
        free(filename);
        return 1;
    }
    globals = PyModule_GetDict(main_module);        /* borrowed */
    file = PyUnicode_DecodeFSDefault(filename);
    if (file == NULL || PyDict_SetItemString(globals, "__file__", file) < 0
        || PyDict_SetItemString(globals, "__cached__", Py_None) < 0) {
        Py_XDECREF(file);
        fclose(fp);
        free(filename);
        return 1;
    }
    Py_DECREF(file);

    memset(&flags, 0, sizeof flags);
#if PY_VERSION_HEX >= 0x03080000
    flags.cf_feature_version = PY_MINOR_VERSION;
#endif
    result = PyRun_FileExFlags(fp, filename, Py_file_input, globals, globals,
                               1 /* close fp */, &flags);
    raised = result == NULL;
    Py_XDECREF(result);
    free(filename);
    return raised;
}

int
main(int argc, char **argv)
{
    const char *trace_path = NULL, *stats_path = NULL;
    int i, script_index = -1, raised, exit_code = 0, no_site = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "pytrace: %s needs a path\n", a);
                return 2;
            }
            trace_path = argv[i];
        }
        else if (strcmp(a, "--stats") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "pytrace: --stats needs a path\n");
                return 2;
            }
            stats_path = argv[i];
        }
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            rec.quiet = 1;
        }
        else if (strcmp(a, "-S") == 0) {
            no_site = 1;                /* as python -S: no site module, no .pth files */
        }
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        else if (strcmp(a, "--") == 0) {
            script_index = i + 1;
            break;
        }
        else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "pytrace: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        else {
            script_index = i;
            break;
        }
    }
    if (script_index < 0 || script_index >= argc) {
        usage(stderr);
        return 2;
    }
    const char *script = argv[script_index];
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "pytrace: cannot read script %s: %s\n", script,
                strerror(errno));
        return 2;
    }
    if (trace_path == NULL) {
        trace_path = default_trace_path(script);
        if (trace_path == NULL) {
            fprintf(stderr, "pytrace: out of memory\n");
            return 2;
        }
    }
    if (getenv("PYTHONMALLOC") != NULL && getenv("PYTHONMALLOC")[0] != '\0') {
        fprintf(stderr, "pytrace: warning: PYTHONMALLOC=%s is set; the trace"
                " only describes pymalloc when it is unset or 'pymalloc'\n",
                getenv("PYTHONMALLOC"));
    }

    /* Everything that can fail for a bad path fails before Python starts. */
    rec.stats_path = stats_path;
    if (stats_path != NULL) {
        rec.stats = fopen(stats_path, "w");
        if (rec.stats == NULL) {
            fprintf(stderr, "pytrace: cannot open stats file %s: %s\n",
                    stats_path, strerror(errno));
            return 2;
        }
    }
    else {
        rec.stats = stderr;
    }
    rec.buf = malloc(PYTRACE_BUFFER_BYTES);
    if (rec.buf == NULL) {
        fprintf(stderr, "pytrace: out of memory\n");
        return 2;
    }
    rec.pos = rec.buf;
    rec.limit = rec.buf + PYTRACE_BUFFER_BYTES - PYTRACE_MAX_EVENT_LINE;
    if (open_trace(trace_path) < 0) {
        return 2;
    }
    write_header();
    pthread_atfork(NULL, NULL, atfork_child);

    if (PyImport_AppendInittab("_pytrace", PyInit__pytrace) < 0) {
        fprintf(stderr, "pytrace: cannot register _pytrace\n");
        return 2;
    }

#if PY_VERSION_HEX >= 0x03080000
    {
        PyPreConfig preconfig;
        PyConfig config;
        PyStatus status;

        PyPreConfig_InitPythonConfig(&preconfig);
        status = Py_PreInitialize(&preconfig);
        if (PyStatus_Exception(status)) {
            Py_ExitStatusException(status);
        }

        install_hooks();

        PyConfig_InitPythonConfig(&config);
        config.parse_argv = 0;          /* sys.argv = script and its args, verbatim */
        if (no_site) {
            config.site_import = 0;
        }
#ifdef PYTRACE_PYTHON_EXE
        /* sys.executable and the prefix search as if the interpreter ran. */
        status = PyConfig_SetBytesString(&config, &config.program_name,
                                         PYTRACE_PYTHON_EXE);
        if (PyStatus_Exception(status)) {
            PyConfig_Clear(&config);
            Py_ExitStatusException(status);
        }
#endif
        status = PyConfig_SetBytesArgv(&config, argc - script_index,
                                       argv + script_index);
        if (PyStatus_Exception(status)) {
            PyConfig_Clear(&config);
            Py_ExitStatusException(status);
        }
        status = Py_InitializeFromConfig(&config);
        PyConfig_Clear(&config);
        if (PyStatus_Exception(status)) {
            Py_ExitStatusException(status);
        }
    }
#else
    {
        int n = argc - script_index;
        wchar_t **wargv = calloc((size_t)n + 1, sizeof(wchar_t *));
#ifdef PYTRACE_PYTHON_EXE
        static wchar_t *program;
        program = Py_DecodeLocale(PYTRACE_PYTHON_EXE, NULL);
        if (program != NULL) {
            Py_SetProgramName(program);
        }
#endif
        install_hooks();
        Py_NoSiteFlag = no_site;
        Py_Initialize();
        for (i = 0; wargv != NULL && i < n; i++) {
            wargv[i] = Py_DecodeLocale(argv[script_index + i], NULL);
            if (wargv[i] == NULL) {
                fprintf(stderr, "pytrace: cannot decode argument %d\n", i);
                return 2;
            }
        }
        if (wargv == NULL) {
            fprintf(stderr, "pytrace: out of memory\n");
            return 2;
        }
        PySys_SetArgvEx(n, wargv, 0);
    }
#endif

    raised = run_script(script);
    recorder_stop();
    if (raised) {
        /* SystemExit: PyErr_Print finalizes and exits with its code, as
           `python script.py` does.  Anything else: traceback, exit 1. */
        PyErr_Print();
        exit_code = 1;
    }
    if (Py_FinalizeEx() < 0 && exit_code == 0) {
        exit_code = 120;
    }
    if (rec.write_errno && exit_code == 0) {
        exit_code = 3;
    }
    return exit_code;
}
