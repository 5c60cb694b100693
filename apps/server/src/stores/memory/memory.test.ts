import { describeStoreContract } from '../contract';
import { createMemoryStores } from '.';

describeStoreContract('memory', async (limits) => createMemoryStores(limits));
