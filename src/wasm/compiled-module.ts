/**
 * A WebAssembly module written as text in this project (the collector's
 * passes, the object kernel), compiled once per thread on first use. Compiling
 * takes tens of milliseconds or more: the supervisor compiles each module once
 * and hands it to every worker thread it starts, which then uses it instead
 * of compiling its own.
 */
import { compile } from 'watr';

export class CompiledModule {
  private module: WebAssembly.Module | null = null;
  private readonly source: string;

  constructor(source: string) {
    this.source = source;
  }

  /** The module, compiled here unless another thread's was handed over (use). */
  get(): WebAssembly.Module {
    this.module ??= new WebAssembly.Module(compile(this.source));
    return this.module;
  }

  /** Takes a module another thread compiled, instead of compiling here. */
  use(module: WebAssembly.Module): void {
    this.module = module;
  }
}
