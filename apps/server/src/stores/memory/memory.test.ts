import { describeAccessContract } from '../../../test/access-contract';
import { describeStoreContract, describeWebhookQueueContract } from '../../../test/store-contract';
import { createMemoryStores } from '.';
import { createMemoryWebhookQueue } from './webhook-queue';

describeStoreContract('memory', async (limits) => createMemoryStores(limits));
describeAccessContract('memory', async (limits) => createMemoryStores(limits));
describeWebhookQueueContract('memory', async (options) => ({
  queue: createMemoryWebhookQueue(options),
  async close() {},
}));
