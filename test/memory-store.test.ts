import { memoryStore } from '../adapters/memory-store/index.js';
import { storeConformance } from './store-conformance.js';

storeConformance('memory store', async () => memoryStore());
