/**
 * Opens an allocation trace on disk, gzipped or not (told by its first bytes,
 * not its name), and feeds it to the parser chunk by chunk.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { PyheapError } from '../errors.js';
import type { CompiledTrace } from '../heap/trace/compiled-trace.js';
import { TraceParser, type TraceParseOptions } from '../heap/trace/trace-parser.js';

export interface ReadTraceOptions extends Omit<TraceParseOptions, 'source'> {
  /** Called with the bytes read so far (compressed bytes for a .gz file) and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export async function readTraceFile(path: string, options: ReadTraceOptions = {}): Promise<CompiledTrace> {
  let size: number;
  let gzipped: boolean;
  try {
    const handle = await open(path, 'r');
    try {
      size = (await handle.stat()).size;
      const magic = Buffer.alloc(2);
      await handle.read(magic, 0, 2, 0);
      gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw new PyheapError('PYHEAP_E_FILE', `cannot read trace ${path}: ${(e as Error).message}`, { cause: e });
  }
  const parser = new TraceParser({ source: path, lenient: options.lenient });
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytesRead = 0;
  file.on('data', (chunk) => {
    bytesRead += chunk.length;
    options.onProgress?.(bytesRead, size);
  });
  const stream = gzipped ? file.pipe(createGunzip()) : file;
  try {
    for await (const chunk of stream) parser.push(chunk as Buffer);
  } catch (e) {
    if (e instanceof PyheapError) throw e;
    throw new PyheapError('PYHEAP_E_FILE', `cannot read trace ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    file.destroy();
  }
  return parser.finish();
}
