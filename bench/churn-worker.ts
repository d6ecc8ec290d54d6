/** A worker thread of the heap benchmark: runs one churn on its own heap and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChurnSpec, runChurn } from './churn.js';

parentPort!.postMessage(runChurn(workerData as ChurnSpec));
