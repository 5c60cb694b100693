import { describeStoreContract, describeWebhookQueueContract } from '../contract';
import { describeAccessContract } from '../contract-access';
import { createMemoryStores } from '.';
import { createMemoryWebhookQueue } from './webhook-queue';

describeStoreContract('memory', async (limits) => createMemoryStores(limits));
describeAccessContract('memory', async (limits) => createMemoryStores(limits));
describeWebhookQueueContract('memory', async (options) => ({
  queue: createMemoryWebhookQueue(options),
  async close() {},
}));
