/**
 * comlink over Node's worker_threads: its Node adapter ships as a UMD
 * module, whose function an ES module import sees as the default export.
 */
import type { Endpoint } from 'comlink';
import * as adapter from 'comlink/dist/umd/node-adapter.js';

type NodeEndpointFactory = (nep: {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(type: string, listener: (...args: unknown[]) => void): void;
  off(type: string, listener: (...args: unknown[]) => void): void;
}) => Endpoint;

const module = adapter as unknown as { default?: NodeEndpointFactory };

/** Wraps a MessagePort-like Node object (a Worker, parentPort) as a comlink endpoint. */
export const nodeEndpoint: NodeEndpointFactory = module.default ?? (adapter as unknown as NodeEndpointFactory);
