import { describeJoinContract } from '../join-contract';
import { createMemoryStores } from '.';

describeJoinContract('memory', async (limits) => createMemoryStores(limits));
