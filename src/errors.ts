/**
 * The catalogue of pyheap's error codes. Every error a user can see carries a
 * stable code, a message, an exit code and a class:
 *
 *   input       bad input (a flag, a file, a trace line): fix the input; exit 2
 *   simulated   a failure *inside* the simulated Python process (its heap ran out
 *               of memory): data to be reported, not a crash of pyheap
 *   environment something outside pyheap failed (a file could not be read)
 *   bug         pyheap broke one of its own invariants: crash loudly with details
 *
 * README.md lists these codes; test/unit/errors.test.ts keeps the two in sync.
 */
export type ErrorClass = 'input' | 'simulated' | 'environment' | 'bug';

interface ErrorSpec {
  readonly exitCode: number;
  readonly errorClass: ErrorClass;
  readonly summary: string;
}

/** Exit codes: 0 success, 1 runtime failure, 2 invalid input, 70 internal error (EX_SOFTWARE), 99 thresholds failed. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_INVALID_INPUT = 2;
export const EXIT_INTERNAL = 70;

export const ERROR_CATALOGUE = {
  PYHEAP_E_USAGE: { exitCode: EXIT_INVALID_INPUT, errorClass: 'input', summary: 'a command-line flag or argument is invalid' },
  PYHEAP_E_FILE: { exitCode: EXIT_INVALID_INPUT, errorClass: 'input', summary: 'an input file cannot be opened or read' },
  PYHEAP_E_TRACE_SYNTAX: { exitCode: EXIT_INVALID_INPUT, errorClass: 'input', summary: 'a trace line is malformed' },
  PYHEAP_E_TRACE_POINTER: {
    exitCode: EXIT_INVALID_INPUT,
    errorClass: 'input',
    summary: 'a trace frees or reallocates a pointer that is not live, or allocates one that already is',
  },
  PYHEAP_E_TRACE_MISMATCH: {
    exitCode: EXIT_INVALID_INPUT,
    errorClass: 'input',
    summary: "a trace's arena events (A/R lines) disagree with the simulated allocator: the trace comes from another layout or allocator",
  },
  PYHEAP_E_SCENARIO: {
    exitCode: EXIT_INVALID_INPUT,
    errorClass: 'input',
    summary: 'a scenario file is not valid: the message names the file, line, field and what was expected',
  },
  PYHEAP_E_SIMULATION: {
    exitCode: EXIT_FAILURE,
    errorClass: 'simulated',
    summary: 'the simulation stopped: a handler or behaviour failed inside the simulated process',
  },
  PYHEAP_E_HEAP_CAPACITY: {
    exitCode: EXIT_FAILURE,
    errorClass: 'simulated',
    summary: "the simulated process's heap outgrew the capacity reserved for it (a simulated MemoryError)",
  },
  PYHEAP_E_OBJECT_USAGE: {
    exitCode: EXIT_INVALID_INPUT,
    errorClass: 'input',
    summary: 'a handler used the object API wrongly: a dead object, the wrong type, a missing attribute',
  },
  PYHEAP_E_REDIS: {
    exitCode: EXIT_FAILURE,
    errorClass: 'environment',
    summary: 'no Redis answers at REDIS_URL (or --redis), or it refused what the real-time service needs',
  },
  PYHEAP_E_SERVICE: {
    exitCode: EXIT_FAILURE,
    errorClass: 'environment',
    summary: 'the real-time service could not start or finish: a worker thread, the metrics port, the queue',
  },
  PYHEAP_E_HEAP_POINTER: {
    exitCode: EXIT_INTERNAL,
    errorClass: 'bug',
    summary: 'a pointer passed to the simulated allocator is not a live block',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class PyheapError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly errorClass: ErrorClass;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PyheapError';
    this.code = code;
    const spec: ErrorSpec = ERROR_CATALOGUE[code];
    this.exitCode = spec.exitCode;
    this.errorClass = spec.errorClass;
  }

  /** Errors cross thread boundaries as plain data (structured clone drops prototypes). */
  toWire(): { code: ErrorCode; message: string; stack?: string } {
    return { code: this.code, message: this.message, stack: this.stack };
  }
}

export function isPyheapError(e: unknown): e is PyheapError {
  return e instanceof PyheapError;
}
