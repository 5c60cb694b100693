import { describeStoreContract, describeWebhookQueueContract } from '../contract';
import { createMemoryStores } from '.';
import { createMemoryWebhookQueue } from './webhook-queue';

describeStoreContract('memory', async (limits) => createMemoryStores(limits));
describeWebhookQueueContract('memory', async (options) => ({
  queue: createMemoryWebhookQueue(options),
  async close() {},
}));
