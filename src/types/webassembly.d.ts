/**
 * The part of the WebAssembly JavaScript API pyheap uses (the collector's
 * and the object layer's kernels, src/gc/wasm-passes.ts and
 * src/objects/wasm-kernel.ts, over the heap's memory). TypeScript declares
 * it only in its DOM library, and @types/node for Node 20 not at all.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    /** Pages of 64 KiB. */
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    /** A SharedArrayBuffer for a shared memory. */
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Exports;
  }
  interface GlobalDescriptor {
    value: 'i32' | 'i64' | 'f32' | 'f64';
    mutable?: boolean;
  }
  class Global {
    constructor(descriptor: GlobalDescriptor, value?: number);
    value: unknown;
  }
  type Exports = Record<string, unknown>;
}
